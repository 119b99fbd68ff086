import type { Clock, LockLease, Store, TransitionRequest } from '../ports/index.js';
import type { ActiveState, Run, RunState } from '../run.js';
import type { RunbookCatalog } from '../runbook/loader.js';
import type { Runbook } from '../runbook/schema/index.js';
import type { DeployLogInput } from './deploy-log-input.js';
import type { RecordFile } from './outbox-worker.js';
import type {
  BuildPort,
  CanaryMeasurementsPort,
  CloudRunPort,
  LogsPort,
  Prober,
  RepoPort,
  ServiceLocation,
} from '../ports/index.js';
import { readPipelineData, type PipelineData } from './run-data.js';
import type { PipelineText, StepFact } from './step-facts.js';
import type { FinalReport, ProgressView, ThreadReporter } from '../ports/index.js';

export interface PipelineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly catalog: () => RunbookCatalog;
  readonly repo: RepoPort;
  readonly build: BuildPort;
  readonly cloudRun: CloudRunPort;
  readonly logs: LogsPort;
  readonly prober: Prober;
  /** Cloud Monitoring's per-revision request metrics, for strategy canary; without it a canary fails at once. */
  readonly canaryMeasurements?: CanaryMeasurementsPort;
  readonly reporter: ThreadReporter;
  /** The words of the thread replies and of what the run keeps for its deploy log (src/ui/pipeline-text.ts). */
  readonly text: PipelineText;
  /** The files the record commit writes: the deploy log, its index row, the monitoring files. */
  readonly renderRecord: (
    input: DeployLogInput,
  ) => { readonly logPath: string; readonly files: readonly RecordFile[] } | undefined;
  /** Identifies this process in leases, so two replicas never drive one run at once. */
  readonly instanceId: string;
  readonly logger: {
    info(message: string): void;
    warn(message: string): void;
    error(message: string, error?: unknown): void;
  };
  readonly timings?: Partial<PipelineTimings>;
  /** Told when a run this process drove has ended: its lock is free, a queued run may start. */
  readonly onRunEnded?: (run: Run) => void;
}

export interface PipelineTimings {
  readonly buildPollMs: number;
  /** How long a new revision may take to become Ready. */
  readonly revisionReadyMs: number;
  readonly trafficMs: number;
  /** Extra time past the build's own timeout before Liftoff gives up on a build that never ends. */
  readonly buildGraceMs: number;
  readonly driverLeaseMs: number;
  /** The longest a canary step sleeps between store reads (a cancel or an answer is seen within it). */
  readonly canaryPollMs: number;
}

export const DEFAULT_TIMINGS: PipelineTimings = {
  buildPollMs: 5_000,
  revisionReadyMs: 10 * 60_000,
  trafficMs: 5 * 60_000,
  buildGraceMs: 5 * 60_000,
  driverLeaseMs: 30_000,
  canaryPollMs: 5_000,
};

/** A step that cannot go on: the run ends `failed` (before traffic could move) or is rolled back (after). */
export interface StepFailure {
  readonly kind: 'failed';
  readonly step: string;
  readonly message: string;
  readonly endState: 'failed' | 'cancelled';
}

/** What a step returns: the state the run moves to next, or why it cannot go on. */
export type StepOutcome =
  | { readonly kind: 'next'; readonly state: ActiveState | 'succeeded' }
  /** The same step again, once the driver renewed its lease (a revision still pending). */
  | { readonly kind: 'again' }
  /** The process is stopping: the run stays in its state and resumes on the next start. */
  | { readonly kind: 'paused' }
  | StepFailure;

export type Step = (ctx: StepContext) => Promise<StepOutcome>;

export const next = (state: ActiveState | 'succeeded'): StepOutcome => ({ kind: 'next', state });

export function failure(step: string, message: string, endState: StepFailure['endState'] = 'failed'): StepFailure {
  return { kind: 'failed', step, message, endState };
}

/** A patch of the run's data; a key set to null is cleared. */
export type RunDataPatch = Readonly<Record<string, unknown>>;

/** The guarded write of a pipeline transition (no actor: the pipeline moves the run). */
export function transitionRequest(
  run: Run,
  from: readonly RunState[],
  to: RunState,
  at: Date,
  options: { readonly releaseLock?: boolean; readonly detail?: string } = {},
): TransitionRequest {
  return {
    runId: run.id,
    from,
    to,
    at,
    actorId: null,
    ...(options.detail === undefined ? {} : { detail: options.detail.slice(0, 1000) }),
    ...(options.releaseLock === true ? { releaseLock: true } : {}),
  };
}

/**
 * What a step works with: the run as last written, its runbook, the ports, the clock and the thread. Every write
 * goes through here and keeps what the store returned, so a step never reads back what it has just written.
 */
export class StepContext {
  #run: Run;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    run: Run,
    /** Looked up once, when the step starts. */
    readonly runbook: Runbook,
    /** The runbook's deploy log template. */
    readonly template: string | undefined,
    readonly deps: PipelineDeps,
    readonly timings: PipelineTimings,
    /** True once the process is stopping: a long wait gives up, and the run resumes on the next start. */
    readonly stopping: () => boolean,
  ) {
    this.#run = run;
  }

  get run(): Run {
    return this.#run;
  }

  get data(): PipelineData {
    return readPipelineData(this.#run.data);
  }

  get service(): ServiceLocation {
    const { project, region, name } = this.runbook.service;
    return { project, region, name };
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Merges into the run's data. Writes go one at a time, so a patch computed from the data sees every earlier write
   * (checks run in parallel and may finish together).
   */
  save(patch: RunDataPatch | ((data: PipelineData) => RunDataPatch)): Promise<void> {
    return this.#serial(async () => {
      const written = await this.deps.store.updateRunData(
        this.#run.id,
        typeof patch === 'function' ? patch(this.data) : patch,
      );
      if (written !== undefined) this.#run = written;
    });
  }

  /** Reads the row again: for what another process writes (a cancel), never for what this step wrote. */
  reread(): Promise<Run> {
    return this.#serial(async () => {
      this.#run = (await this.deps.store.getRun(this.#run.id)) ?? this.#run;
      return this.#run;
    });
  }

  /** The guarded transition, then the status message shows it. False when the run was not in `from`. */
  async move(
    from: readonly RunState[],
    to: RunState,
    options: { releaseLock?: boolean; detail?: string; freeze?: LockLease } = {},
  ): Promise<boolean> {
    const request = transitionRequest(this.#run, from, to, this.now(), options);
    const moved = await this.#serial(async () => {
      let result = await this.deps.store.transition(
        options.freeze === undefined ? request : { ...request, acquireLock: options.freeze },
      );
      // Someone froze the service meanwhile: their freeze stands, and the run still ends.
      if (!result.ok && result.reason === 'locked') result = await this.deps.store.transition(request);
      if (result.ok) this.#run = result.run;
      return result.ok;
    });
    if (moved) await this.progress();
    return moved;
  }

  /** Posts or edits the run's status message; a Slack outage never stops a deploy. */
  async progress(extra: Partial<ProgressView> = {}): Promise<void> {
    const run = this.#run;
    const data = this.data;
    const view: ProgressView = {
      runId: run.id,
      runbook: this.runbook.name,
      service: this.runbook.service.name,
      state: run.state,
      requesterId: run.requesterId,
      tag: data.tag?.next ?? null,
      image: data.tag?.image ?? null,
      build:
        data.build === undefined
          ? null
          : {
              status: data.build.status ?? 'STARTED',
              step: null,
              elapsedMs: data.build.elapsedMs ?? this.now().getTime() - Date.parse(data.build.startedAt),
              logUrl: data.build.logUrl,
            },
      revision: data.deploy?.revision ?? null,
      candidateUrl: data.candidate?.url ?? null,
      checks: data.checks ?? [],
      updatedAt: this.now(),
      ...extra,
    };
    try {
      const ts = data.thread?.statusTs;
      if (ts === undefined) {
        const posted = await this.deps.reporter.postStatus(run, view);
        await this.save((now) => ({ thread: { statusTs: posted, posted: now.thread?.posted ?? {} } }));
      } else {
        await this.deps.reporter.updateStatus(run, ts, view);
      }
    } catch (error) {
      // The thread is a view of the run, not the run: a Slack outage must not stop a deploy.
      this.deps.logger.warn(`run ${run.id}: could not update the status message: ${String(error)}`);
    }
  }

  /** Posts a step's reply once: its ts is kept, so a resumed run does not repeat it. */
  async report(key: string, fact: StepFact): Promise<void> {
    if (this.data.thread?.posted[key] !== undefined) return;
    const report = this.deps.text.step(fact);
    try {
      const ts = await this.deps.reporter.postStep(this.#run, report);
      await this.#markPosted(key, ts);
    } catch (error) {
      this.deps.logger.warn(`run ${this.#run.id}: could not post "${report.title}": ${String(error)}`);
    }
  }

  /** The last reply, once: the outcome, why, and where to look. */
  async final(
    outcome: FinalReport['outcome'],
    reason: string | null,
    frozen: { readonly candidate: string; readonly freezeOwnerId: string } | null = null,
  ): Promise<void> {
    const data = this.data;
    if (data.thread?.posted.final !== undefined) return;
    const { source } = this.runbook;
    const report: FinalReport = {
      outcome,
      requesterId: this.#run.requesterId,
      runbook: this.runbook.name,
      service: this.runbook.service.name,
      revision: data.deploy?.revision ?? null,
      serviceUrl: data.promoted?.serviceUrl ?? null,
      deployLogUrl:
        data.deployLogPath === undefined
          ? null
          : `https://github.com/${source.repo}/blob/${source.branch}/${data.deployLogPath}`,
      reason,
      frozenWithCandidate: frozen?.candidate ?? null,
      freezeOwnerId: frozen?.freezeOwnerId ?? null,
    };
    try {
      await this.#markPosted('final', await this.deps.reporter.postFinal(this.#run, report));
    } catch (error) {
      this.deps.logger.warn(`run ${this.#run.id}: could not post the final reply: ${String(error)}`);
    }
  }

  #markPosted(key: string, ts: string): Promise<void> {
    return this.save((data) => {
      const thread = data.thread ?? { posted: {} };
      return { thread: { ...thread, posted: { ...thread.posted, [key]: ts } } };
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const done = this.#queue.then(work);
    this.#queue = done.catch(() => undefined);
    return done;
  }
}
