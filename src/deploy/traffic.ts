import type { TrafficTarget } from './plan.js';

/**
 * Replaces LATEST by the revision it points at and merges duplicates, so a later deploy cannot move traffic by
 * accident: with `[{LATEST, 100}]` whatever revision gets ready next takes everything (FACTS.md).
 */
export function pinTraffic(traffic: readonly TrafficTarget[], latestReadyRevision: string | null): TrafficTarget[] {
  const pinned: TrafficTarget[] = [];
  for (const target of traffic) {
    const revision = target.latest ? latestReadyRevision : target.revision;
    if (revision === null) {
      if (target.percent > 0) throw new Error('traffic goes to LATEST but the service has no ready revision');
      continue;
    }
    const same = pinned.find((p) => p.revision === revision && (p.tag === null || target.tag === null));
    if (same !== undefined) {
      pinned[pinned.indexOf(same)] = { ...same, percent: same.percent + target.percent, tag: same.tag ?? target.tag };
    } else {
      pinned.push({ revision, latest: false, percent: target.percent, tag: target.tag });
    }
  }
  return pinned;
}

/** The revisions that serve traffic now, with their share. */
export function servingRevisions(traffic: readonly TrafficTarget[]): TrafficTarget[] {
  return traffic.filter((t) => t.percent > 0);
}

/** verify-then-promote's first step: every revision keeps its share, the new one joins at 0 % under its tag. */
export function withTaggedCandidate(pinned: readonly TrafficTarget[], revision: string, tag: string): TrafficTarget[] {
  const others = pinned.filter((t) => t.tag !== tag).map((t) => ({ ...t }));
  return [...others, { revision, latest: false, percent: 0, tag }];
}

/** All traffic to one revision; tagged targets stay reachable by their tag at 0 %. */
export function allTrafficTo(pinned: readonly TrafficTarget[], revision: string): TrafficTarget[] {
  const tagged = pinned
    .filter((t) => t.tag !== null)
    .map((t) => ({ ...t, percent: t.revision === revision ? 100 : 0 }));
  return tagged.some((t) => t.revision === revision && t.percent === 100)
    ? tagged
    : [{ revision, latest: false, percent: 100, tag: null }, ...tagged];
}

/** Describes a split for people: `emergence-app-00274 100 %`. */
export function describeTraffic(traffic: readonly TrafficTarget[]): string {
  const serving = servingRevisions(traffic);
  if (serving.length === 0) return 'no traffic';
  return serving.map((t) => `${t.latest ? 'LATEST' : (t.revision ?? '?')} ${t.percent} %`).join(', ');
}

/**
 * Drops the 0 % tags that point at revisions which failed to get Ready (a deploy that failed leaves its tag in the
 * service's traffic list): Cloud Run refuses any later update whose traffic names a revision that is not Ready.
 */
export function withoutBrokenTags(
  pinned: readonly TrafficTarget[],
  revisions: readonly { readonly name: string; readonly state: 'ready' | 'failed' | 'pending' }[],
): TrafficTarget[] {
  const failed = new Set(revisions.filter((r) => r.state === 'failed').map((r) => r.name));
  return pinned.filter((t) => t.percent > 0 || t.revision === null || !failed.has(t.revision));
}
