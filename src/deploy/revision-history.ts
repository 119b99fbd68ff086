import { pipelineDataSchema } from './pipeline/run-data.js';
import type { Run } from './run.js';

/**
 * What Liftoff knows of a revision from its own runs:
 * - `verified`: a run deployed it, its checks passed and it took the traffic;
 * - `failed`: a run deployed it and it was not promoted (a check failed, it never got Ready, it was rolled back);
 * - `served`: it held traffic when a run began (it served before Liftoff checked anything of it).
 * A revision no run mentions is unknown: Liftoff has no evidence it ever served.
 */
export type RevisionVerdict =
  | { readonly kind: 'verified'; readonly runId: string; readonly at: Date }
  | { readonly kind: 'failed'; readonly runId: string; readonly at: Date; readonly why: string }
  | { readonly kind: 'served'; readonly runId: string; readonly at: Date };

/** States a run ends in without its revision being promoted, once it was deployed. */
const NOT_PROMOTED = new Set(['rolled_back', 'failed', 'cancelled']);

/** Verdicts by revision name, from the runs of one runbook (any order). A later run's verdict wins over an earlier one, and `served` never hides a verdict. */
export function revisionVerdicts(runs: readonly Run[]): ReadonlyMap<string, RevisionVerdict> {
  const verdicts = new Map<string, RevisionVerdict>();
  const oldestFirst = [...runs].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const run of oldestFirst) {
    const parsed = pipelineDataSchema.safeParse(
      Object.fromEntries(Object.entries(run.data).filter(([, value]) => value !== null)),
    );
    if (!parsed.success || parsed.data.deploy === undefined) continue;
    const { deploy, promoted, failure } = parsed.data;
    for (const target of deploy.previousTraffic) {
      if (target.revision === null || target.percent <= 0 || verdicts.has(target.revision)) continue;
      verdicts.set(target.revision, { kind: 'served', runId: run.id, at: run.createdAt });
    }
    if (promoted !== undefined) {
      verdicts.set(deploy.revision, { kind: 'verified', runId: run.id, at: new Date(promoted.at) });
    } else if (NOT_PROMOTED.has(run.state)) {
      verdicts.set(deploy.revision, {
        kind: 'failed',
        runId: run.id,
        at: run.updatedAt,
        why: failure?.message ?? `run ${run.id} ended ${run.state}`,
      });
    }
  }
  return verdicts;
}

/** A revision Liftoff may offer as a rollback target or take the image of: it held production traffic and no run failed it. */
export const heldTrafficHealthily = (verdict: RevisionVerdict | undefined): boolean =>
  verdict !== undefined && verdict.kind !== 'failed';
