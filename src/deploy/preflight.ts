import { withinDeadline } from './deadline.js';
import type { CloudRunPort, RepoPort } from './ports/index.js';
import type { PreflightSpec, Runbook } from './runbook/schema/index.js';

export interface PreflightResult {
  readonly name: string;
  readonly kind: string;
  readonly severity: 'required' | 'advisory';
  readonly ok: boolean;
  readonly measured: string;
}

/** Runs the seed runbook's "Pré-déploiement" and troubleshooting checks before anything is built. */
export type PreflightRunner = (runbook: Runbook) => Promise<readonly PreflightResult[]>;

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function runOne(
  spec: PreflightSpec,
  runbook: Runbook,
  deps: { repo: RepoPort; cloudRun: CloudRunPort },
  headSha: () => Promise<string>,
): Promise<Omit<PreflightResult, 'name' | 'kind' | 'severity'>> {
  const { repo, branch } = runbook.source;
  switch (spec.kind) {
    case 'ci': {
      const checks = await deps.repo.commitChecks({ repo, sha: await headSha() });
      const relevant = spec.contexts === undefined ? checks : checks.filter((c) => spec.contexts?.includes(c.name));
      const missing = (spec.contexts ?? []).filter((name) => !checks.some((c) => c.name === name));
      const notGreen = relevant.filter((c) => c.state !== 'success');
      if (missing.length > 0) return { ok: false, measured: `not reported on ${branch}: ${missing.join(', ')}` };
      if (notGreen.length > 0) return { ok: false, measured: notGreen.map((c) => `${c.name} ${c.state}`).join(', ') };
      // Nothing reported is not green: CI may not have started on this commit yet, or the repository has none.
      if (relevant.length === 0)
        return { ok: false, measured: `could not check: no status or check reported on ${branch}'s head yet` };
      return { ok: true, measured: `${relevant.length} green` };
    }
    case 'source': {
      const content = await deps.repo.readFileAtCommit({ repo, sha: await headSha(), path: spec.file });
      if (content === null) return { ok: false, measured: `${spec.file} is missing on ${branch}` };
      if (spec.contains === undefined) return { ok: true, measured: `${spec.file} exists` };
      return new RegExp(spec.contains).test(content)
        ? { ok: true, measured: `${spec.file} matches /${spec.contains}/` }
        : { ok: false, measured: `${spec.file} does not match /${spec.contains}/` };
    }
    case 'service': {
      const service = await deps.cloudRun.getService({
        project: runbook.service.project,
        region: runbook.service.region,
        name: runbook.service.name,
      });
      const names = new Map(service.env.map((e) => [e.name, e.source]));
      const missing = spec.envNames.filter((n) => !names.has(n));
      const notSecret = (spec.secretNames ?? []).filter((n) => names.get(n) !== 'secret');
      // Names only: values never leave the Cloud Run adapter.
      if (missing.length > 0) return { ok: false, measured: `missing on the service: ${missing.join(', ')}` };
      if (notSecret.length > 0) return { ok: false, measured: `not a secret reference: ${notSecret.join(', ')}` };
      return {
        ok: true,
        measured: `${spec.envNames.join(', ')} set${spec.envNames.some((n) => names.get(n) === 'secret') ? ' (secret reference)' : ''}`,
      };
    }
  }
}

/**
 * Runs the runbook's preflight through the ports. Each check has `deadlineMs` (default 4 s): one that GitHub or Cloud
 * Run does not answer in time fails as "could not check", so the plan is posted at once and Approve stays disabled.
 */
export function preflightFromPorts(deps: {
  readonly repo: RepoPort;
  readonly cloudRun: CloudRunPort;
  readonly deadlineMs?: number;
}): PreflightRunner {
  const ms = deps.deadlineMs ?? 4000;
  return async (runbook) => {
    let head: Promise<string> | undefined;
    const headSha = (): Promise<string> =>
      (head ??= deps.repo
        .readFileAtBranch({
          repo: runbook.source.repo,
          branch: runbook.source.branch,
          path: runbook.source.buildTag.file,
        })
        .then((r) => r.headSha));
    return Promise.all(
      runbook.preflight.map(async (spec) => {
        const base = { name: spec.name, kind: spec.kind, severity: spec.severity };
        try {
          const outcome = await withinDeadline(runOne(spec, runbook, deps, headSha), ms, () => ({
            ok: false,
            measured: `could not check: no answer within ${ms / 1000} s`,
          }));
          return { ...base, ...outcome };
        } catch (error) {
          return { ...base, ok: false, measured: `could not check: ${reasonOf(error)}` };
        }
      }),
    );
  };
}

/** The first required preflight that did not pass, if any: it blocks the approval. */
export function blockingPreflight(results: readonly PreflightResult[]): PreflightResult | undefined {
  return results.find((r) => r.severity === 'required' && !r.ok);
}
