import { scrapeMetrics } from './checks/metrics-check.js';
import type { CloudRunPort, Prober, ServiceSnapshot } from './ports/index.js';
import { snapshotAgainstTargets, type MetricsSnapshot } from './prometheus/evaluate.js';
import type { ParsedExposition } from './prometheus/parse.js';
import { findRunbook, type RunbookCatalog } from './runbook/loader.js';
import type { Runbook, Targets } from './runbook/schema/index.js';
import { describeTraffic, pinTraffic } from './traffic.js';

export interface ScrapedTarget {
  /** 'service' for the service URL, or the traffic tag a revision is reached through. */
  readonly label: string;
  readonly revision: string | null;
  readonly percent: number;
  readonly result:
    | { readonly ok: true; readonly snapshot: MetricsSnapshot; readonly exposition: ParsedExposition }
    | { readonly ok: false; readonly reason: string };
}

export type LiveMetricsResult =
  | { readonly kind: 'unknown_runbook'; readonly name: string; readonly known: readonly string[] }
  | { readonly kind: 'choose_runbook'; readonly known: readonly string[] }
  | { readonly kind: 'invalid_runbook'; readonly name: string; readonly errors: readonly string[] }
  | { readonly kind: 'unavailable'; readonly runbook: string; readonly reason: string }
  | {
      readonly kind: 'snapshot';
      readonly runbook: string;
      readonly service: string;
      readonly serviceUrl: string | null;
      readonly serving: string;
      readonly targets: readonly ScrapedTarget[];
      /** The runbook's targets, for the chart. */
      readonly goals: Targets;
    };

/** Picks the runbook a command names, or the only one there is. */
export function pickRunbook(
  catalog: RunbookCatalog,
  name: string | undefined,
):
  | { kind: 'found'; runbook: Runbook }
  | Extract<LiveMetricsResult, { kind: 'unknown_runbook' | 'choose_runbook' | 'invalid_runbook' }> {
  const known = catalog.runbooks.map((r) => r.runbook.name);
  if (name === undefined) {
    const only = catalog.runbooks.length === 1 ? catalog.runbooks[0] : undefined;
    return only === undefined ? { kind: 'choose_runbook', known } : { kind: 'found', runbook: only.runbook };
  }
  const found = findRunbook(catalog, name);
  if (found.kind === 'unknown') return { kind: 'unknown_runbook', name, known };
  if (found.kind === 'invalid')
    return { kind: 'invalid_runbook', name, errors: found.invalid.errors.map((e) => `${e.path}: ${e.message}`) };
  return { kind: 'found', runbook: found.runbook };
}

/**
 * The live service's metrics against the runbook's targets (the seed runbook's dashboard), scraped from the
 * service URL; with `compare`, also from each tagged revision through the tag URL Cloud Run reports.
 */
/** The one revision serving all of the service URL's traffic; null when the traffic is split. */
function servingRevision(service: ServiceSnapshot): string | null {
  const serving = pinTraffic(service.traffic, service.latestReadyRevision).filter((t) => t.percent > 0);
  const first = serving[0]?.revision ?? null;
  return first !== null && serving.every((t) => t.revision === first) ? first : null;
}

export async function liveMetrics(
  deps: { readonly cloudRun: CloudRunPort; readonly prober: Prober; readonly catalog: () => RunbookCatalog },
  input: { readonly runbook: string | undefined; readonly compare: boolean },
): Promise<LiveMetricsResult> {
  const picked = pickRunbook(deps.catalog(), input.runbook);
  if (picked.kind !== 'found') return picked;
  const { runbook } = picked;
  const path = runbook.verify.checks.find((c) => c.kind === 'metrics')?.path ?? '/api/metrics';
  let service;
  try {
    service = await deps.cloudRun.getService({
      project: runbook.service.project,
      region: runbook.service.region,
      name: runbook.service.name,
    });
  } catch (error) {
    return {
      kind: 'unavailable',
      runbook: runbook.name,
      reason: `Cloud Run: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const targets = runbook.targets ?? {};
  const scrape = async (
    label: string,
    url: string,
    revision: string | null,
    percent: number,
  ): Promise<ScrapedTarget> => {
    const scraped = await scrapeMetrics(url, path, deps.prober);
    return {
      label,
      revision,
      percent,
      result: scraped.ok
        ? { ok: true, snapshot: snapshotAgainstTargets(scraped, targets), exposition: scraped }
        : { ok: false, reason: scraped.reason },
    };
  };
  const scraped: ScrapedTarget[] = [];
  // The service URL is labelled with what serves it: the latest Ready revision can be a failed candidate at 0 %.
  if (service.uri !== null) scraped.push(await scrape('service', service.uri, servingRevision(service), 100));
  if (input.compare) {
    const tagged = service.trafficStatuses.filter((t) => t.tag !== null && t.uri !== null);
    scraped.push(
      ...(await Promise.all(tagged.map((t) => scrape(`tag ${t.tag ?? ''}`, t.uri ?? '', t.revision, t.percent)))),
    );
  }
  return {
    kind: 'snapshot',
    runbook: runbook.name,
    service: runbook.service.name,
    serviceUrl: service.uri,
    serving: describeTraffic(service.traffic),
    targets: scraped,
    goals: targets,
  };
}
