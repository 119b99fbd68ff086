/**
 * Traffic and routing: what the desired `traffic` of a service resolves to (LATEST followed to the latest ready
 * revision, tags), the `traffic_statuses` it serves, the URLs (the service's and one per tag) and how each
 * request they get is routed to a revision, and the request log of what the platform answered itself.
 *
 * Everything a request meets between a service URL and a revision's container lives here, so routing rules
 * and per-request measurements belong here too: each request that reached a revision is counted for Cloud
 * Monitoring's request metrics, whichever URL it came through (Cloud Run counts tag URL traffic as well).
 */
import type { IncomingMessage } from 'node:http';

import { FrontDoor, type RouteDecision, type ServedRequest } from '../front-door.js';
import { isScaledToZero, LATEST, REVISION } from '../run-validation.js';
import { mayInvoke } from './iam.js';
import { resourceLabels } from './rendering.js';
import type { CloudRunState, ServiceRecord, TrafficStatusRecord } from './state.js';

/** The traffic the desired `traffic` resolves to now, or why it cannot be served. */
export function resolveTraffic(
  service: ServiceRecord,
): { statuses: TrafficStatusRecord[] } | { failure: { message: string } } {
  const statuses: TrafficStatusRecord[] = [];
  for (const target of service.spec.traffic) {
    if (target.type === LATEST) {
      if (!service.latestReadyRevision) {
        return { failure: { message: `Service '${service.id}' has no Ready revision to send LATEST traffic to.` } };
      }
      statuses.push({
        type: LATEST,
        revision: service.latestReadyRevision,
        percent: target.percent,
        tag: target.tag,
      });
      continue;
    }
    const revision = service.revisions.get(target.revision);
    if (!revision) {
      return {
        failure: {
          message: `Revision '${target.revision}' does not exist or is deleted. Update all traffic to route to currently available revisions.`,
        },
      };
    }
    if (revision.state !== 'ready') {
      const detail = revision.conditions[0]?.message ?? '';
      return {
        failure: {
          message: detail.startsWith(`Revision '${revision.name}'`)
            ? detail
            : `Revision '${revision.name}' is not ready and cannot serve traffic.${detail ? ` ${detail}` : ''}`,
        },
      };
    }
    statuses.push({ type: REVISION, revision: revision.name, percent: target.percent, tag: target.tag });
  }
  return { statuses };
}

/** Serves `statuses`: opens a URL for each new tag, closes those of removed tags. */
export async function applyTraffic(
  state: CloudRunState,
  service: ServiceRecord,
  statuses: TrafficStatusRecord[],
): Promise<void> {
  const tags = new Set(statuses.map((status) => status.tag).filter((tag) => tag !== ''));
  for (const tag of tags) {
    if (!service.tagDoors.has(tag)) {
      const door = await FrontDoor.open({
        route: (request) => routeTag(service, tag, request),
        served: (served) => {
          logRequest(state, service, served, door.url);
          countRequest(state, service, served);
        },
      });
      service.tagDoors.set(tag, door);
    }
  }
  for (const [tag, door] of service.tagDoors) {
    if (!tags.has(tag)) {
      service.tagDoors.delete(tag);
      await door.close();
    }
  }
  service.trafficStatuses = statuses;
}

/**
 * Opens the URL of a service before its record exists (the record holds the URL): `serviceOf` answers the
 * record once it does, and until then the URL answers 503.
 */
export async function openServiceDoor(
  state: CloudRunState,
  serviceOf: () => ServiceRecord | undefined,
): Promise<FrontDoor> {
  const door = await FrontDoor.open({
    route: (request) => {
      const service = serviceOf();
      return service
        ? routeService(state, service, request)
        : { kind: 'unavailable', revision: '', message: 'starting' };
    },
    served: (served) => {
      const service = serviceOf();
      if (!service) return;
      logRequest(state, service, served, door.url);
      countRequest(state, service, served);
    },
  });
  return door;
}

/** Whether the desired or the served traffic of `service` names the revision `name` (which then cannot go). */
export function isReferencedByTraffic(service: ServiceRecord, name: string): boolean {
  return (
    service.trafficStatuses.some((status) => status.revision === name) ||
    service.spec.traffic.some((target) => target.type === REVISION && target.revision === name)
  );
}

/** The service URL: a revision drawn by the traffic split, each request on its own (no session affinity). */
function routeService(state: CloudRunState, service: ServiceRecord, request: IncomingMessage): RouteDecision {
  if (!mayInvoke(service, request)) return { kind: 'forbidden' };
  const weighted = service.trafficStatuses.filter((status) => status.percent > 0);
  const total = weighted.reduce((sum, status) => sum + status.percent, 0);
  if (total === 0)
    return { kind: 'unavailable', revision: '', message: 'no revision of this service receives traffic' };
  let pick = state.deps.random() * total;
  const chosen = weighted.find((status) => (pick -= status.percent) < 0) ?? weighted[weighted.length - 1];
  if (hasNoInstances(service, chosen?.revision ?? '')) return noInstances(chosen?.revision ?? '');
  return routeTo(service, chosen?.revision ?? '');
}

function routeTag(service: ServiceRecord, tag: string, request: IncomingMessage): RouteDecision {
  if (!mayInvoke(service, request)) return { kind: 'forbidden' };
  const status = service.trafficStatuses.find((candidate) => candidate.tag === tag);
  if (hasNoInstances(service, status?.revision ?? '')) return noInstances(status?.revision ?? '');
  return routeTo(service, status?.revision ?? '');
}

/**
 * Manual scaling at 0 leaves every revision of the traffic split without an instance. A revision reached only
 * through its tag (0 %) is outside the split and still scales to one instance for its tag URL
 * (https://cloud.google.com/run/docs/configuring/services/manual-scaling, "Traffic splits for manual scaling").
 * Counts above 0 are served as usual: how Cloud Run shares a small count among many revisions is not emulated.
 */
function hasNoInstances(service: ServiceRecord, revision: string): boolean {
  return (
    isScaledToZero(service.spec.scaling) &&
    service.trafficStatuses.some((status) => status.revision === revision && status.percent > 0)
  );
}

function routeTo(service: ServiceRecord, name: string): RouteDecision {
  const revision = service.revisions.get(name);
  if (!revision?.running) return { kind: 'unavailable', revision: name, message: `revision '${name}' is not running` };
  return { kind: 'proxy', target: revision.running.url, revision: name };
}

/**
 * The docs say traffic to a revision left without instances gets "the same error as if the revision were disabled"
 * without naming the status; 503 (what the front door answers when nothing can serve) is an assumption.
 */
function noInstances(revision: string): RouteDecision {
  return {
    kind: 'unavailable',
    revision,
    message: 'the service is scaled to 0 instances (manual scaling): no instance can serve this request',
  };
}

/**
 * Counts a request that reached a revision (its container's answer, or the platform's 503 for it) in the request
 * metrics; one refused before routing (IAM's 403) belongs to no revision and is not counted.
 */
function countRequest(state: CloudRunState, service: ServiceRecord, served: ServedRequest): void {
  if (served.revision === '') return;
  state.deps.requestMetrics.record({
    project: service.project,
    region: service.region,
    service: service.id,
    revision: served.revision,
    status: served.status,
    latencyMs: served.latencyMs,
    at: state.deps.clock.now(),
  });
}

/**
 * Writes the request log of a request the platform answered itself. Requests a container
 * answered are logged by the runtime (the sample service writes Cloud Run's request log
 * through `writeLog`), so they are not logged twice.
 */
function logRequest(state: CloudRunState, service: ServiceRecord, served: ServedRequest, base: string): void {
  if (!served.byPlatform) return;
  const severity = served.status >= 500 ? 'ERROR' : served.status >= 400 ? 'WARNING' : 'INFO';
  state.deps.logging.write({
    logName: `projects/${service.project}/logs/run.googleapis.com%2Frequests`,
    timestamp: state.deps.clock.now(),
    severity,
    ...(served.note !== undefined ? { textPayload: served.note } : {}),
    resource: { type: 'cloud_run_revision', labels: resourceLabels(service, served.revision) },
    httpRequest: {
      requestMethod: served.method,
      requestUrl: new URL(served.url, base).toString(),
      status: served.status,
      latency: `${(served.latencyMs / 1000).toFixed(9)}s`,
      userAgent: served.userAgent,
      remoteIp: served.remoteIp,
      responseSize: served.responseSize,
    },
  });
}
