import { nextBuildTag } from './build-tag.js';
import { withinDeadline } from './deadline.js';
import type { Clock, LiveFactsReader } from './ports/index.js';
import type { LiveFact, LiveFacts } from './plan.js';
import type { CloudRunPort, RepoPort } from './ports/index.js';
import type { Runbook } from './runbook/schema/index.js';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves to a `not_read` fact when the read fails or takes longer than `ms`: a plan never waits on an outage. */
function withDeadline<T>(work: () => Promise<LiveFact<T>>, ms: number, what: string): Promise<LiveFact<T>> {
  return withinDeadline(
    work().catch((error: unknown): LiveFact<T> => ({ status: 'not_read', reason: `${what}: ${reasonOf(error)}` })),
    ms,
    () => ({ status: 'not_read', reason: `${what} did not answer within ${ms / 1000} s` }),
  );
}

/** Reads the live parts of a plan: the tag file on the branch head and the service as Cloud Run serves it. */
export function liveFactsFromPorts(deps: {
  readonly repo: RepoPort;
  readonly cloudRun: CloudRunPort;
  readonly clock: Clock;
  readonly deadlineMs?: number;
}): LiveFactsReader {
  const ms = deps.deadlineMs ?? 2500;
  return {
    async read(runbook: Runbook): Promise<LiveFacts> {
      const where = { project: runbook.service.project, region: runbook.service.region, name: runbook.service.name };
      const serviceRead = withDeadline(
        async () => ({ status: 'read' as const, value: await deps.cloudRun.getService(where) }),
        ms,
        'Cloud Run',
      );
      const [buildTag, service] = await Promise.all([
        withDeadline(
          async () => {
            const { buildTag: spec, repo, branch } = runbook.source;
            const head = await deps.repo.readFileAtBranch({ repo, branch, path: spec.file });
            if (head.content === null)
              return { status: 'not_read' as const, reason: `${spec.file} does not exist on ${branch}` };
            const next = nextBuildTag({
              content: head.content,
              scheme: spec.scheme,
              now: deps.clock.now(),
              file: spec.file,
            });
            return next.ok
              ? { status: 'read' as const, value: { current: next.current, next: next.next } }
              : { status: 'not_read' as const, reason: next.message };
          },
          ms,
          'GitHub',
        ),
        serviceRead,
      ]);
      if (service.status !== 'read') return { buildTag, serving: service, service };
      const snapshot = service.value;
      return {
        buildTag,
        serving: {
          status: 'read',
          value: {
            revision:
              snapshot.trafficStatuses.filter((t) => t.percent > 0).sort((a, b) => b.percent - a.percent)[0]
                ?.revision ?? snapshot.latestReadyRevision,
            traffic: snapshot.traffic.map((t) => ({
              revision: t.revision,
              latest: t.latest,
              percent: t.percent,
              tag: t.tag,
            })),
          },
        },
        service: { status: 'read', value: { names: snapshot.env.map((e) => e.name), settings: snapshot.settings } },
      };
    },
  };
}
