import { nextBuildTag } from '../build-tag.js';
import { blocksPromotion, formatMs, type CheckResult } from '../checks/check-result.js';
import { scrapeMetrics } from '../checks/metrics-check.js';
import { runChecks } from '../checks/run-checks.js';
import { snapshotAgainstTargets } from '../prometheus/evaluate.js';
import type { PipelinePort } from '../deploy-desk.js';
import type { TrafficTarget } from '../plan.js';
import { freezeLease } from '../freeze.js';
import type { Clock, LockLease, Store } from '../ports.js';
import { isTerminal, LOCK_HOLDING_STATES, type Run, type RunState, type TransitionRecord } from '../run.js';
import { findRunbook, type RunbookCatalog } from '../runbook/loader.js';
import { revisionName, revisionTag } from '../revision-tag.js';
import type { Runbook } from '../runbook/schema/index.js';
import { allTrafficTo, describeTraffic, pinTraffic, withoutBrokenTags, withTaggedCandidate } from '../traffic.js';
import {
  OUTBOX_KINDS,
  type CommitFilePayload,
  type DeploymentPayload,
  type DeploymentStatusPayload,
  type RecordFile,
} from './outbox-worker.js';
import {
  TERMINAL_BUILD_STATUSES,
  type BuildPort,
  type BuildSnapshot,
  type CloudRunPort,
  type DeploySettings,
  type LogsPort,
  type Prober,
  type RepoPort,
  type ServiceLocation,
} from './ports.js';
import { CLEARED, readPipelineData, type PipelineData } from './run-data.js';
import type { FinalReport, ProgressView, StepReport, ThreadReporter } from './thread-reporter.js';

/** Facts for the deploy log; the markdown itself is rendered outside the domain. */
export interface DeployLogInput {
  readonly run: Run;
  /** The run's transitions, for the timeline. */
  readonly journal: readonly TransitionRecord[];
  readonly runbook: Runbook;
  readonly template: string | undefined;
  readonly data: PipelineData;
  readonly outcome: 'succeeded' | 'rolled_back' | 'failed';
  readonly trafficAfter: readonly TrafficTarget[];
  readonly threadUrl: string | null;
  readonly now: Date;
}

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
  readonly reporter: ThreadReporter;
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
}

const DEFAULT_TIMINGS: PipelineTimings = {
  buildPollMs: 5_000,
  revisionReadyMs: 10 * 60_000,
  trafficMs: 5 * 60_000,
  buildGraceMs: 5 * 60_000,
  driverLeaseMs: 30_000,
};

const MAX_TAG_COMMIT_ATTEMPTS = 5;

/** A step that cannot go on: the run ends `failed` (before traffic could move) or is rolled back (after). */
class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly endState: 'failed' | 'cancelled' = 'failed',
  ) {
    super(message);
  }
}

const BUILD_FAILURE_TEXT: Record<string, string> = {
  FAILURE: 'the build failed',
  INTERNAL_ERROR: 'Cloud Build had an internal error',
  TIMEOUT: 'the build ran past its timeout',
  CANCELLED: 'the build was cancelled',
  EXPIRED: 'the build expired in the queue before it could start',
  STATUS_UNKNOWN: 'Cloud Build reports an unknown status',
};

/** The runbook's revision settings, as every revision Liftoff creates gets them. */
export function deploySettingsOf(runbook: Runbook): DeploySettings {
  return {
    memory: runbook.deploy.memory,
    cpu: runbook.deploy.cpu,
    timeoutSeconds: runbook.deploy.timeoutSeconds,
    minInstances: runbook.deploy.minInstances,
    maxInstances: runbook.deploy.maxInstances,
    ...(runbook.deploy.concurrency === undefined ? {} : { concurrency: runbook.deploy.concurrency }),
  };
}

/**
 * Cloud Run names of a deploy: `<service>-<build tag>-<run>` for the revision, `build-<build tag>` for its traffic
 * tag, each shortened to what Cloud Run accepts (revision-tag.ts).
 */
export function revisionNames(service: string, tag: string, runId: string): { revision: string; trafficTag: string } {
  const trafficTag = revisionTag(service, `build-${tag}`);
  if (!trafficTag.ok) throw new StepFailure('deploy', trafficTag.message);
  return { revision: revisionName(service, tag, runId.replace(/^run-/, '').slice(0, 6)), trafficTag: trafficTag.tag };
}

/**
 * Carries an approved run through tagging, building, deploying, verifying, promoting and recording, as a
 * resumable state machine: every step reads what the previous ones saved in the run, so a restart picks up
 * where it stopped (re-attaching to the build, never starting a second one). Any failure after the deploy
 * puts back the traffic that served before.
 */
export class DeployPipeline implements PipelinePort {
  private readonly driving = new Set<string>();
  private readonly timings: PipelineTimings;
  private stopped = false;

  constructor(private readonly deps: PipelineDeps) {
    this.timings = { ...DEFAULT_TIMINGS, ...deps.timings };
  }

  start(run: Run): void {
    void this.drive(run.id);
  }

  /** Picks up every run a previous process left unfinished. */
  async resumeAll(): Promise<void> {
    const runs = await this.deps.store.listRuns({ states: LOCK_HOLDING_STATES });
    for (const run of runs) this.start(run);
  }

  /** Stops taking new steps; the runs stay where they are and resume on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.driving.size > 0) await this.deps.sleep(20);
  }

  /** Waits until no run is being driven (tests). */
  async idle(): Promise<void> {
    while (this.driving.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private async drive(runId: string): Promise<void> {
    if (this.driving.has(runId) || this.stopped) return;
    this.driving.add(runId);
    // Renewed while the run is driven here; if this process dies, another picks the run up once it lapses.
    const renewal = setInterval(() => {
      void this.holdDriverLease(runId).catch(() => false);
    }, this.timings.driverLeaseMs / 3);
    renewal.unref();
    try {
      if (!(await this.holdDriverLease(runId))) return;
      for (;;) {
        if (this.stopped) return;
        const run = await this.deps.store.getRun(runId);
        if (run === undefined) return;
        if (isTerminal(run.state)) {
          this.deps.onRunEnded?.(run);
          return;
        }
        const advanced = await this.step(run);
        if (!advanced) return;
        if (!(await this.holdDriverLease(runId))) return;
      }
    } catch (error) {
      this.deps.logger.error(`run ${runId} stopped on an unexpected error; it resumes on the next start`, error);
    } finally {
      clearInterval(renewal);
      await this.deps.store.releaseLock(`driver:${runId}`, this.deps.instanceId).catch(() => false);
      this.driving.delete(runId);
    }
  }

  private async holdDriverLease(runId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const lease = await this.deps.store.acquireLock({
      serviceKey: `driver:${runId}`,
      ownerId: this.deps.instanceId,
      holderId: this.deps.instanceId,
      reason: `driving ${runId}`,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + this.timings.driverLeaseMs),
    });
    return lease.ok;
  }

  private runbookOf(run: Run): Runbook {
    const found = findRunbook(this.deps.catalog(), run.runbook);
    if (found.kind !== 'found')
      throw new StepFailure('runbook', `the runbook ${run.runbook} is no longer valid or loaded`);
    return found.runbook;
  }

  /** One step of the run. Returns false when the run reached an end (or is driven elsewhere). */
  private async step(run: Run): Promise<boolean> {
    let runbook: Runbook;
    try {
      runbook = this.runbookOf(run);
    } catch (error) {
      await this.end(run, 'failed', 'runbook', error instanceof Error ? error.message : String(error));
      return false;
    }
    const data = readPipelineData(run.data);
    const cancel = data.cancelRequested;
    if (cancel !== undefined && ['approved', 'tagging', 'deploying', 'verifying'].includes(run.state)) {
      const reason = `cancelled by ${cancel.by}`;
      if (run.state === 'approved' || run.state === 'tagging') await this.end(run, 'cancelled', run.state, reason);
      else if (data.deploy !== undefined) await this.rollBack(run, runbook, 'cancel', reason);
      else await this.end(run, 'cancelled', run.state, reason);
      return false;
    }
    try {
      switch (run.state) {
        case 'approved':
          await this.ensureStatusMessage(run, runbook);
          return this.move(run, ['approved'], 'tagging');
        case 'tagging':
          return await this.tag(run, runbook, data);
        case 'building':
          return await this.buildImage(run, runbook, data);
        case 'deploying':
          return await this.deployRevision(run, runbook, data);
        case 'verifying':
          return await this.verify(run, runbook, data);
        case 'promoting':
          return await this.promote(run, runbook, data);
        case 'recording':
          return await this.record(run, runbook, data, 'succeeded');
        default:
          return false;
      }
    } catch (error) {
      const failure =
        error instanceof StepFailure
          ? error
          : new StepFailure(run.state, error instanceof Error ? error.message : String(error));
      const afterDeploy = ['deploying', 'verifying', 'promoting'].includes(run.state) && data.deploy !== undefined;
      if (afterDeploy && failure.endState !== 'cancelled') {
        await this.rollBack(run, runbook, failure.step, failure.message);
      } else {
        await this.end(run, failure.endState, failure.step, failure.message);
      }
      return false;
    }
  }

  // ------------------------------------------------------------------ steps

  private async tag(run: Run, runbook: Runbook, data: PipelineData): Promise<boolean> {
    if (data.tag === undefined) {
      const { repo, branch, buildTag } = runbook.source;
      const marker = `Liftoff-Run: ${run.id}`;
      // A restart after the commit but before it was saved finds the commit instead of bumping twice.
      const ours = (await this.deps.repo.recentCommits({ repo, branch, limit: 20 })).find((c) =>
        c.message.includes(marker),
      );
      let tag: NonNullable<PipelineData['tag']> | undefined;
      if (ours !== undefined) {
        const content = (await this.deps.repo.readFileAtCommit({ repo, sha: ours.sha, path: buildTag.file })) ?? '';
        const next = /to (\S+) \(/.exec(ours.message)?.[1] ?? content.trim();
        tag = {
          file: buildTag.file,
          current: '',
          next,
          commitSha: ours.sha,
          image: runbook.build.image.replaceAll('{tag}', next),
        };
      }
      for (let attempt = 1; tag === undefined; attempt++) {
        const head = await this.deps.repo.readFileAtBranch({ repo, branch, path: buildTag.file });
        if (head.content === null) {
          throw new StepFailure(
            'tag',
            `${buildTag.file} does not exist on ${branch} of ${repo}: create it with the current tag (e.g. deploy-YYYYMMDD-HHMMSS)`,
          );
        }
        const next = nextBuildTag({
          content: head.content,
          scheme: buildTag.scheme,
          now: this.deps.clock.now(),
          file: buildTag.file,
        });
        if (!next.ok) throw new StepFailure('tag', next.message);
        const committed = await this.deps.repo.commitFiles({
          repo,
          branch,
          parentSha: head.headSha,
          message: `build: increment BUILD_ID to ${next.next} (${runbook.name})\n\n${marker}`,
          files: [{ path: buildTag.file, content: next.content }],
        });
        if (committed.ok) {
          tag = {
            file: buildTag.file,
            current: next.current,
            next: next.next,
            commitSha: committed.sha,
            image: runbook.build.image.replaceAll('{tag}', next.next),
          };
        } else if (attempt >= MAX_TAG_COMMIT_ATTEMPTS) {
          throw new StepFailure(
            'tag',
            `${branch} kept moving: ${MAX_TAG_COMMIT_ATTEMPTS} attempts to commit the next tag were overtaken by other pushes`,
          );
        }
      }
      await this.deps.store.updateRunData(run.id, { tag });
      await this.recordDeploymentStart(run, runbook, tag.commitSha, tag.next);
      await this.reportOnce(run, 'tag', {
        kind: 'ok',
        title: `Build tag ${tag.current === '' ? '' : `${tag.current} → `}${tag.next}`,
        lines: [`Committed ${tag.file} on ${branch} (${tag.commitSha.slice(0, 7)}); the build is of that commit.`],
      });
    }
    return this.move(run, ['tagging'], 'building');
  }

  private async recordDeploymentStart(run: Run, runbook: Runbook, sha: string, tag: string): Promise<void> {
    const now = this.deps.clock.now();
    const deploymentItemId = `${run.id}:deployment`;
    const deployment: DeploymentPayload = {
      repo: runbook.source.repo,
      ref: sha,
      environment: 'production',
      description: `Liftoff ${run.id}: ${runbook.name} ${tag}`.slice(0, 140),
      payload: { runId: run.id, runbook: runbook.name, service: runbook.service.name, tag },
    };
    await this.deps.store.enqueueOutbox({
      id: deploymentItemId,
      runId: run.id,
      kind: OUTBOX_KINDS.deployment,
      payload: deployment,
      at: now,
    });
    const status: DeploymentStatusPayload = {
      repo: runbook.source.repo,
      deploymentItemId,
      state: 'in_progress',
      description: `Building ${tag}`,
    };
    await this.deps.store.enqueueOutbox({
      id: `${run.id}:status:in_progress`,
      runId: run.id,
      kind: OUTBOX_KINDS.deploymentStatus,
      payload: status,
      at: new Date(now.getTime() + 1),
    });
  }

  private async buildImage(run: Run, runbook: Runbook, data: PipelineData): Promise<boolean> {
    const tag = data.tag;
    if (tag === undefined) throw new StepFailure('build', 'no build tag was recorded for this run');
    const where = { project: runbook.service.project, region: runbook.service.region };
    let build = data.build;
    if (build === undefined) {
      const existing = await this.deps.build.findBuildOfRun({ ...where, runId: run.id });
      const started =
        existing === undefined
          ? await this.deps.build.startBuild({
              ...where,
              source: runbook.build.source,
              repo: runbook.source.repo,
              commitSha: tag.commitSha,
              image: tag.image,
              timeoutMs: runbook.build.timeout,
              runId: run.id,
              ...(runbook.build.machineType === undefined ? {} : { machineType: runbook.build.machineType }),
            })
          : { buildId: existing.id, logUrl: existing.logUrl };
      build = { id: started.buildId, logUrl: started.logUrl, startedAt: this.deps.clock.now().toISOString() };
      // Saved before waiting: a restart re-attaches to this build instead of starting another.
      await this.deps.store.updateRunData(run.id, { build });
      await this.reportOnce(run, 'build-started', {
        kind: 'info',
        title: `Build ${build.id} started`,
        lines: [`Image ${tag.image}`, `Timeout ${formatMs(runbook.build.timeout)}`],
        ...(build.logUrl === null ? {} : { link: { url: build.logUrl, text: 'Build log' } }),
      });
    }
    const startedAt = Date.parse(build.startedAt);
    const giveUpAt = startedAt + runbook.build.timeout + this.timings.buildGraceMs;
    let snapshot: BuildSnapshot;
    let cancelling = false;
    for (;;) {
      snapshot = await this.deps.build.getBuild({ ...where, buildId: build.id });
      if (TERMINAL_BUILD_STATUSES.includes(snapshot.status)) break;
      const current = await this.deps.store.getRun(run.id);
      if (!cancelling && current !== undefined && readPipelineData(current.data).cancelRequested !== undefined) {
        cancelling = true;
        await this.deps.build.cancelBuild({ ...where, buildId: build.id });
      }
      if (this.deps.clock.now().getTime() > giveUpAt) {
        await this.deps.build.cancelBuild({ ...where, buildId: build.id }).catch(() => undefined);
        throw new StepFailure(
          'build',
          `build ${build.id} was still ${snapshot.status} ${formatMs(this.deps.clock.now().getTime() - startedAt)} after it started; Liftoff cancelled it`,
        );
      }
      await this.progress(run, runbook, {
        build: {
          status: snapshot.status,
          step: snapshot.currentStep,
          elapsedMs: this.deps.clock.now().getTime() - startedAt,
          logUrl: snapshot.logUrl ?? build.logUrl,
        },
      });
      if (this.stopped) return false;
      await this.deps.sleep(this.timings.buildPollMs);
    }
    const elapsed =
      (snapshot.finishedAt?.getTime() ?? this.deps.clock.now().getTime()) -
      (snapshot.startedAt?.getTime() ?? startedAt);
    await this.deps.store.updateRunData(run.id, { build: { ...build, status: snapshot.status, elapsedMs: elapsed } });
    await this.progress(run, runbook, {
      build: {
        status: snapshot.status,
        step: snapshot.currentStep,
        elapsedMs: elapsed,
        logUrl: snapshot.logUrl ?? build.logUrl,
      },
    });
    if (snapshot.status !== 'SUCCESS') {
      const why = `${BUILD_FAILURE_TEXT[snapshot.status] ?? snapshot.status} (${snapshot.status}${snapshot.statusDetail === null ? '' : `: ${snapshot.statusDetail}`}); no traffic was moved`;
      await this.reportOnce(run, 'build-result', {
        kind: 'failure',
        title: `Build ${build.id} ${snapshot.status}`,
        lines: [why],
        ...(snapshot.logUrl === null ? {} : { link: { url: snapshot.logUrl, text: 'Build log' } }),
      });
      throw new StepFailure('build', why, snapshot.status === 'CANCELLED' ? 'cancelled' : 'failed');
    }
    await this.reportOnce(run, 'build-result', {
      kind: 'ok',
      title: `Build ${build.id} succeeded in ${formatMs(elapsed)}`,
      lines: snapshot.images.map((i) => `${i.name}${i.digest === null ? '' : ` @ ${i.digest.slice(0, 19)}`}`),
      ...(snapshot.logUrl === null ? {} : { link: { url: snapshot.logUrl, text: 'Build log' } }),
    });
    return this.move(run, ['building'], 'deploying');
  }

  private location(runbook: Runbook): ServiceLocation {
    return { project: runbook.service.project, region: runbook.service.region, name: runbook.service.name };
  }

  private async deployRevision(run: Run, runbook: Runbook, data: PipelineData): Promise<boolean> {
    const tag = data.tag;
    if (tag === undefined) throw new StepFailure('deploy', 'no build tag was recorded for this run');
    const where = this.location(runbook);
    const names = revisionNames(runbook.service.name, tag.next, run.id);
    let service = await this.deps.cloudRun.getService(where);
    let deploy = data.deploy;
    const existing = deploy === undefined ? undefined : await this.deps.cloudRun.getRevision(where, deploy.revision);
    if (deploy === undefined || existing === undefined) {
      const previousTraffic =
        deploy?.previousTraffic ??
        withoutBrokenTags(
          pinTraffic(service.traffic, service.latestReadyRevision),
          await this.deps.cloudRun.listRevisions(where, 20),
        );
      deploy = {
        revision: names.revision,
        trafficTag: names.trafficTag,
        startedAt: deploy?.startedAt ?? this.deps.clock.now().toISOString(),
        previousTraffic,
        previousRevision:
          previousTraffic.filter((t) => t.percent > 0).sort((a, b) => b.percent - a.percent)[0]?.revision ?? null,
      };
      // Saved before the update: after a restart, the revision name tells whether the update was sent.
      await this.deps.store.updateRunData(run.id, { deploy });
      const traffic =
        runbook.deploy.strategy === 'direct'
          ? allTrafficTo(withTaggedCandidate(previousTraffic, names.revision, names.trafficTag), names.revision)
          : withTaggedCandidate(previousTraffic, names.revision, names.trafficTag);
      const result = await this.deps.cloudRun.deployRevision({
        service: where,
        etag: service.etag,
        revision: names.revision,
        image: tag.image,
        settings: deploySettingsOf(runbook),
        env: runbook.deploy.env,
        secrets: runbook.deploy.secrets ?? {},
        traffic,
        deadline: new Date(this.deps.clock.now().getTime() + this.timings.revisionReadyMs),
      });
      if (!result.ok) {
        if (result.reason === 'conflict') {
          const now = await this.deps.cloudRun.getService(where);
          const message = `someone else changed ${runbook.service.name} while Liftoff deployed (serving now: ${describeTraffic(now.traffic)}); nothing was overwritten. ${result.message}`;
          await this.deps.store.updateRunData(run.id, { deploy: CLEARED });
          throw new StepFailure('deploy', message);
        }
        if (result.reason === 'revision_failed' || result.reason === 'rejected') {
          // Traffic never reached the new revision: nothing to roll back.
          await this.deps.store.updateRunData(run.id, { deploy: CLEARED });
          throw new StepFailure('deploy', `Cloud Run: ${result.message}; traffic untouched`);
        }
        throw new StepFailure('deploy', `Cloud Run did not finish the update in time: ${result.message}`);
      }
      service = result.service;
    } else if (existing.state === 'failed') {
      await this.deps.store.updateRunData(run.id, { deploy: CLEARED });
      throw new StepFailure(
        'deploy',
        `Cloud Run: ${existing.message ?? `revision ${existing.name} failed`}; traffic untouched`,
      );
    } else if (existing.state === 'pending') {
      await this.deps.sleep(this.timings.buildPollMs);
      return true;
    }
    if (runbook.deploy.allowUnauthenticated && (await this.deps.cloudRun.ensurePublicInvoker(where)) === 'added') {
      await this.reportOnce(run, 'invoker', {
        kind: 'warning',
        title: 'Public access restored',
        lines: [
          'allUsers had no roles/run.invoker on the service although the runbook says allowUnauthenticated; Liftoff added it.',
        ],
      });
    }
    const readyAt = this.deps.clock.now();
    const candidate = service.trafficStatuses.find((t) => t.tag === deploy.trafficTag && t.uri !== null);
    if (candidate?.uri === undefined || candidate.uri === null) {
      throw new StepFailure('deploy', `Cloud Run reports no URL for the tag ${deploy.trafficTag}`);
    }
    await this.deps.store.updateRunData(run.id, { candidate: { url: candidate.uri, readyAt: readyAt.toISOString() } });
    await this.reportOnce(run, 'deploy', {
      kind: 'ok',
      title: `Revision ${deploy.revision} is Ready (${runbook.deploy.strategy === 'direct' ? '100 %' : `0 %, tag ${deploy.trafficTag}`})`,
      lines: [
        `Started to Ready in ${formatMs(readyAt.getTime() - Date.parse(deploy.startedAt))}`,
        `Serving before: ${describeTraffic(deploy.previousTraffic)}`,
        `Candidate URL: ${candidate.uri}`,
      ],
    });
    return this.move(run, ['deploying'], 'verifying');
  }

  private async verify(run: Run, runbook: Runbook, data: PipelineData): Promise<boolean> {
    const { deploy, candidate } = data;
    if (deploy === undefined || candidate === undefined)
      throw new StepFailure('verify', 'the deploy step left no candidate revision');
    const results = await runChecks(
      runbook.verify.checks,
      {
        prober: this.deps.prober,
        logs: this.deps.logs,
        baseUrl: candidate.url,
        service: this.location(runbook),
        revision: deploy.revision,
        deployStartedAt: new Date(deploy.startedAt),
        revisionReadyAt: candidate.readyAt === null ? null : new Date(candidate.readyAt),
        clock: this.deps.clock,
        sleep: this.deps.sleep,
      },
      async (result) => {
        await this.reportOnce(run, `check:${result.name}`, checkReport(result));
        const current = await this.deps.store.getRun(run.id);
        const soFar = current === undefined ? [] : (readPipelineData(current.data).checks ?? []);
        await this.deps.store.updateRunData(run.id, {
          checks: [...soFar.filter((c) => c.name !== result.name), result],
        });
        await this.progress(run, runbook, {});
      },
    );
    const blocking = results.find(blocksPromotion);
    if (blocking === undefined) await this.recordInitialMetrics(run, runbook, candidate.url);
    if (blocking !== undefined) {
      throw new StepFailure(
        'verify',
        `check ${blocking.name} ${blocking.outcome === 'skipped' ? 'was skipped' : 'failed'}: measured ${blocking.measured}${blocking.bound === '' ? '' : `, expected ${blocking.bound}`}`,
      );
    }
    return this.move(run, ['verifying'], 'promoting');
  }

  /** The seed's 'Métriques Initiales' (success rate, p95, cache hit rate), scraped once the checks passed. */
  private async recordInitialMetrics(run: Run, runbook: Runbook, url: string): Promise<void> {
    const path = runbook.verify.checks.find((c) => c.kind === 'metrics')?.path;
    if (path === undefined) return;
    const scrape = await scrapeMetrics(url, path, this.deps.prober).catch((error: unknown) => ({
      ok: false as const,
      reason: String(error),
    }));
    const lines = scrape.ok
      ? snapshotAgainstTargets(scrape, runbook.targets ?? {}).verdicts.map(
          (v) => `${v.label} : ${v.measured} (cible ${v.bound})`,
        )
      : [`pas de données : ${scrape.reason}`];
    await this.deps.store.updateRunData(run.id, { initialMetrics: lines });
  }

  private async promote(run: Run, runbook: Runbook, data: PipelineData): Promise<boolean> {
    const deploy = data.deploy;
    if (deploy === undefined) throw new StepFailure('promote', 'the deploy step left no revision');
    const where = this.location(runbook);
    const service = await this.deps.cloudRun.getService(where);
    const traffic = allTrafficTo(pinTraffic(service.traffic, service.latestReadyRevision), deploy.revision);
    const result = await this.deps.cloudRun.setTraffic({
      service: where,
      etag: service.etag,
      traffic,
      deadline: new Date(this.deps.clock.now().getTime() + this.timings.trafficMs),
    });
    if (!result.ok) throw new StepFailure('promote', `moving traffic to ${deploy.revision} failed: ${result.message}`);
    const promoted = { at: this.deps.clock.now().toISOString(), serviceUrl: result.service.uri, traffic };
    await this.deps.store.updateRunData(run.id, { promoted });
    await this.reportOnce(run, 'promote', {
      kind: 'ok',
      title: `Promoted: ${deploy.revision} serves 100 %`,
      lines: [
        `Before: ${describeTraffic(deploy.previousTraffic)}`,
        `After: ${describeTraffic(traffic)}`,
        ...(result.service.uri === null ? [] : [`Service URL: ${result.service.uri}`]),
      ],
    });
    return this.move(run, ['promoting'], 'recording');
  }

  private async record(
    run: Run,
    runbook: Runbook,
    data: PipelineData,
    outcome: 'succeeded' | 'rolled_back' | 'failed',
  ): Promise<boolean> {
    const now = this.deps.clock.now();
    const threadUrl = await this.deps.reporter.permalink(run).catch(() => null);
    const trafficAfter =
      outcome === 'succeeded'
        ? (data.promoted?.traffic ?? [])
        : (data.rollback?.traffic ?? data.deploy?.previousTraffic ?? []);
    const found = findRunbook(this.deps.catalog(), run.runbook);
    const record =
      data.tag === undefined || data.deploy === undefined
        ? undefined
        : this.deps.renderRecord({
            run,
            journal: await this.deps.store.journal(run.id),
            runbook,
            template: found.kind === 'found' ? found.loaded.template : undefined,
            data,
            outcome,
            trafficAfter,
            threadUrl,
            now,
          });
    if (record !== undefined) {
      const payload: CommitFilePayload = {
        repo: runbook.source.repo,
        branch: runbook.source.branch,
        files: [...record.files],
        message: `docs: deploy log ${runbook.name} ${data.tag?.next ?? ''} (${outcome === 'succeeded' ? 'promoted' : outcome.replace('_', ' ')})\n\nLiftoff-Run: ${run.id}`,
        marker: run.id,
      };
      await this.deps.store.enqueueOutbox({
        id: `${run.id}:deploy-log`,
        runId: run.id,
        kind: OUTBOX_KINDS.commitFile,
        payload,
        at: now,
      });
      await this.deps.store.updateRunData(run.id, { deployLogPath: record.logPath });
    }
    if (data.tag !== undefined) {
      const status: DeploymentStatusPayload = {
        repo: runbook.source.repo,
        deploymentItemId: `${run.id}:deployment`,
        state: outcome === 'succeeded' ? 'success' : outcome === 'rolled_back' ? 'failure' : 'error',
        description: (outcome === 'succeeded'
          ? `${data.deploy?.revision ?? ''} serves 100 %`
          : (data.failure?.message ?? outcome)
        ).slice(0, 140),
        ...(data.promoted?.serviceUrl == null ? {} : { environmentUrl: data.promoted.serviceUrl }),
        ...(threadUrl === null ? {} : { logUrl: threadUrl }),
      };
      await this.deps.store.enqueueOutbox({
        id: `${run.id}:status:final`,
        runId: run.id,
        kind: OUTBOX_KINDS.deploymentStatus,
        payload: status,
        at: new Date(now.getTime() + 2),
      });
    }
    if (outcome !== 'succeeded') return false;
    const moved = await this.move(run, ['recording'], 'succeeded', { releaseLock: true });
    if (moved) await this.final(run, runbook, 'succeeded', null);
    return false;
  }

  /** Puts back the traffic that served before the run, checks the old revision answers, and ends the run. */
  private async rollBack(run: Run, runbook: Runbook, step: string, reason: string): Promise<void> {
    const data = readPipelineData((await this.deps.store.getRun(run.id))?.data ?? run.data);
    const deploy = data.deploy;
    if (deploy === undefined) return this.end(run, 'failed', step, reason);
    await this.deps.store.updateRunData(run.id, { failure: { step, message: reason } });
    await this.reportOnce(run, 'failure', { kind: 'failure', title: `${step} failed: rolling back`, lines: [reason] });
    const where = this.location(runbook);
    // The candidate keeps its tag at 0 % so it can still be inspected.
    const restored = withTaggedCandidate(deploy.previousTraffic, deploy.revision, deploy.trafficTag);
    let message = `traffic restored: ${describeTraffic(restored)}`;
    let ok = false;
    for (let attempt = 0; attempt < 2 && !ok; attempt++) {
      const service = await this.deps.cloudRun.getService(where);
      const result = await this.deps.cloudRun.setTraffic({
        service: where,
        etag: service.etag,
        traffic: restored,
        deadline: new Date(this.deps.clock.now().getTime() + this.timings.trafficMs),
      });
      ok = result.ok;
      if (!result.ok) message = `putting the traffic back failed: ${result.message}`;
    }
    let verified = false;
    if (ok) {
      const service = await this.deps.cloudRun.getService(where);
      const health = runbook.verify.checks.find(
        (c) => c.kind === 'http' && c.severity === 'required' && c.method === 'GET',
      );
      if (health !== undefined && health.kind === 'http' && service.uri !== null) {
        const answer = await this.deps.prober.request({
          baseUrl: service.uri,
          method: 'GET',
          path: health.path,
          timeoutMs: health.timeout,
        });
        verified = answer.ok && health.expect.status.includes(answer.status);
        message += verified
          ? `; ${health.path} answers ${answer.ok ? answer.status : ''} on the service URL`
          : `; but ${health.path} on the service URL answered ${answer.ok ? answer.status : answer.error}`;
      } else {
        verified = true;
      }
    }
    await this.deps.store.updateRunData(run.id, {
      rollback: { at: this.deps.clock.now().toISOString(), traffic: restored, verified, message },
    });
    await this.reportOnce(run, 'rollback', {
      kind: ok && verified ? 'warning' : 'failure',
      title: ok ? 'Rolled back' : 'ROLLBACK FAILED: act now',
      lines: [message],
    });
    const endState = ok ? 'rolled_back' : 'failed';
    const fresh = (await this.deps.store.getRun(run.id)) ?? run;
    await this.record(fresh, runbook, readPipelineData(fresh.data), endState);
    // A failed check freezes the service, in the same write that ends the run, so nothing (a queued run
    // included) deploys before someone looks. A cancel is the requester's own choice: no freeze.
    const freeze =
      ok && step !== 'cancel'
        ? freezeLease({
            serviceKey: fresh.serviceKey,
            holderId: fresh.requesterId,
            reason: `automatic rollback of ${fresh.id} (${step} failed): re-promote ${deploy.revision} or /deploy unlock ${runbook.name} once the cause is understood`,
            at: this.deps.clock.now(),
            origin: 'rollback',
          })
        : undefined;
    const moved = await this.move(fresh, [fresh.state], endState, {
      releaseLock: true,
      detail: `${step}: ${reason}`,
      ...(freeze === undefined ? {} : { freeze }),
    });
    if (moved)
      await this.final(
        fresh,
        runbook,
        endState,
        `${step}: ${reason}${ok ? '' : ` — and ${message}`}`,
        freeze === undefined ? null : { candidate: deploy.revision, freezeOwnerId: freeze.ownerId },
      );
  }

  private async end(run: Run, state: 'failed' | 'cancelled', step: string, reason: string): Promise<void> {
    await this.deps.store.updateRunData(run.id, { failure: { step, message: reason } });
    const fresh = (await this.deps.store.getRun(run.id)) ?? run;
    const runbook = findRunbook(this.deps.catalog(), run.runbook);
    if (runbook.kind === 'found' && state === 'failed')
      await this.record(fresh, runbook.runbook, readPipelineData(fresh.data), 'failed');
    const moved = await this.move(fresh, [fresh.state], state, { releaseLock: true, detail: `${step}: ${reason}` });
    if (moved && runbook.kind === 'found') await this.final(fresh, runbook.runbook, state, `${step}: ${reason}`);
  }

  // ------------------------------------------------------------------ reporting

  private async move(
    run: Run,
    from: readonly RunState[],
    to: RunState,
    options: { releaseLock?: boolean; detail?: string; freeze?: LockLease } = {},
  ): Promise<boolean> {
    const request = {
      runId: run.id,
      from,
      to,
      at: this.deps.clock.now(),
      actorId: null,
      ...(options.detail === undefined ? {} : { detail: options.detail.slice(0, 1000) }),
      ...(options.releaseLock === true ? { releaseLock: true } : {}),
    };
    let result = await this.deps.store.transition(
      options.freeze === undefined ? request : { ...request, acquireLock: options.freeze },
    );
    // Someone froze the service meanwhile: their freeze stands, and the run still ends.
    if (!result.ok && result.reason === 'locked') result = await this.deps.store.transition(request);
    if (!result.ok) return false;
    const runbook = findRunbook(this.deps.catalog(), run.runbook);
    if (runbook.kind === 'found') await this.progress(result.run, runbook.runbook, {});
    return true;
  }

  private async ensureStatusMessage(run: Run, runbook: Runbook): Promise<void> {
    await this.progress(run, runbook, {});
  }

  private async progress(run: Run, runbook: Runbook, extra: Partial<ProgressView>): Promise<void> {
    const current = (await this.deps.store.getRun(run.id)) ?? run;
    const data = readPipelineData(current.data);
    const view: ProgressView = {
      runId: current.id,
      runbook: runbook.name,
      service: runbook.service.name,
      state: current.state,
      requesterId: current.requesterId,
      tag: data.tag?.next ?? null,
      image: data.tag?.image ?? null,
      build:
        data.build === undefined
          ? null
          : {
              status: data.build.status ?? 'STARTED',
              step: null,
              elapsedMs: data.build.elapsedMs ?? this.deps.clock.now().getTime() - Date.parse(data.build.startedAt),
              logUrl: data.build.logUrl,
            },
      revision: data.deploy?.revision ?? null,
      candidateUrl: data.candidate?.url ?? null,
      checks: data.checks ?? [],
      updatedAt: this.deps.clock.now(),
      ...extra,
    };
    try {
      const ts = data.thread?.statusTs;
      if (ts === undefined) {
        const posted = await this.deps.reporter.postStatus(current, view);
        await this.deps.store.updateRunData(run.id, {
          thread: { statusTs: posted, posted: data.thread?.posted ?? {} },
        });
      } else {
        await this.deps.reporter.updateStatus(current, ts, view);
      }
    } catch (error) {
      // The thread is a view of the run, not the run: a Slack outage must not stop a deploy.
      this.deps.logger.warn(`run ${run.id}: could not update the status message: ${String(error)}`);
    }
  }

  /** Posts a step's reply once: its ts is kept, so a resumed run does not repeat it. */
  private async reportOnce(run: Run, key: string, report: StepReport): Promise<void> {
    const current = (await this.deps.store.getRun(run.id)) ?? run;
    const thread = readPipelineData(current.data).thread ?? { posted: {} };
    if (thread.posted[key] !== undefined) return;
    try {
      const ts = await this.deps.reporter.postStep(current, report);
      await this.deps.store.updateRunData(run.id, { thread: { ...thread, posted: { ...thread.posted, [key]: ts } } });
    } catch (error) {
      this.deps.logger.warn(`run ${run.id}: could not post "${report.title}": ${String(error)}`);
    }
  }

  private async final(
    run: Run,
    runbook: Runbook,
    outcome: FinalReport['outcome'],
    reason: string | null,
    frozen: { readonly candidate: string; readonly freezeOwnerId: string } | null = null,
  ): Promise<void> {
    const current = (await this.deps.store.getRun(run.id)) ?? run;
    const data = readPipelineData(current.data);
    const report: FinalReport = {
      outcome,
      requesterId: current.requesterId,
      runbook: runbook.name,
      service: runbook.service.name,
      revision: data.deploy?.revision ?? null,
      serviceUrl: data.promoted?.serviceUrl ?? null,
      deployLogUrl:
        data.deployLogPath === undefined
          ? null
          : `https://github.com/${runbook.source.repo}/blob/${runbook.source.branch}/${data.deployLogPath}`,
      reason,
      frozenWithCandidate: frozen?.candidate ?? null,
      freezeOwnerId: frozen?.freezeOwnerId ?? null,
    };
    const thread = data.thread ?? { posted: {} };
    if (thread.posted.final !== undefined) return;
    try {
      const ts = await this.deps.reporter.postFinal(current, report);
      await this.deps.store.updateRunData(run.id, { thread: { ...thread, posted: { ...thread.posted, final: ts } } });
    } catch (error) {
      this.deps.logger.warn(`run ${run.id}: could not post the final reply: ${String(error)}`);
    }
  }
}

function checkReport(result: CheckResult): StepReport {
  const kind = result.outcome === 'pass' ? 'ok' : result.severity === 'advisory' ? 'warning' : 'failure';
  return {
    kind,
    title: `${result.name}: ${result.measured}`,
    lines: [
      ...(result.bound === '' ? [] : [`expected ${result.bound}`]),
      ...(result.outcome === 'no_data' ? ['no data: this never counts as a pass'] : []),
      ...(result.severity === 'advisory' && result.outcome !== 'pass'
        ? ['advisory: reported, does not block the promotion']
        : []),
      ...(result.detail === null || result.outcome === 'pass' ? [] : [result.detail]),
    ],
  };
}
