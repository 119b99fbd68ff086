/**
 * Cloud Run Admin v2 (`google.cloud.run.v2.Services` and `Revisions`) with revision readiness,
 * traffic, tags, IAM and the URLs that serve the revisions.
 *
 * This class only wires the RPCs to the families in `cloud-run/`, which share one state (`state.ts`):
 * `services.ts` (create, update, list; masks, etags), `revisions.ts` (readiness, list, delete),
 * `rollout.ts` (the `reconciling` contract and its operations), `traffic.ts` (traffic, tags and the
 * URLs that route requests to revisions), `iam.ts`, `rendering.ts` (the resources as answered),
 * `faults.ts` (how scripted faults show), `secrets.ts`, `normalize.ts` and `seed.ts`.
 */
import { getIamPolicy, setIamPolicy } from './cloud-run/iam.js';
import { renderRevision, renderService, type RevisionView, type ServiceView } from './cloud-run/rendering.js';
import { deleteRevision, listRevisions, newestFirst } from './cloud-run/revisions.js';
import { seedSecret } from './cloud-run/secrets.js';
import { seedService, type SeededService, type SeedServiceOptions } from './cloud-run/seed.js';
import { createService, listServices, updateService } from './cloud-run/services.js';
import {
  type CloudRunDeps,
  type CloudRunState,
  findRevision,
  findService,
  NameRequest,
  newCloudRunState,
  type RevisionRecord,
  type ServiceRecord,
} from './cloud-run/state.js';
import { parseRequest, type UnaryHandler } from './rpc.js';

export type { CloudRunDeps } from './cloud-run/state.js';
export type { RevisionView, ServiceView } from './cloud-run/rendering.js';
export type { SeededService, SeedServiceOptions } from './cloud-run/seed.js';

export class CloudRun {
  private readonly state: CloudRunState;

  constructor(deps: CloudRunDeps) {
    this.state = newCloudRunState(deps);
  }

  servicesHandlers(): Record<string, UnaryHandler> {
    const state = this.state;
    return {
      GetService: (request) =>
        renderService(findService(state, parseRequest(NameRequest, request, 'GetServiceRequest').name)),
      ListServices: (request) => listServices(state, request),
      CreateService: (request) => createService(state, request),
      UpdateService: (request) => updateService(state, request),
      GetIamPolicy: (request) => getIamPolicy(state, request),
      SetIamPolicy: (request) => setIamPolicy(state, request),
    };
  }

  revisionsHandlers(): Record<string, UnaryHandler> {
    const state = this.state;
    return {
      GetRevision: (request) =>
        renderRevision(findRevision(state, parseRequest(NameRequest, request, 'GetRevisionRequest').name)),
      ListRevisions: (request) => listRevisions(state, request),
      DeleteRevision: (request) => deleteRevision(state, request),
    };
  }

  // --- state for tests and the console ---------------------------------------------------

  listServiceViews(): ServiceView[] {
    return [...this.state.services.values()].map((service) => renderService(service));
  }

  listRevisionViews(): RevisionView[] {
    return [...this.state.services.values()].flatMap((service) =>
      newestFirst([...service.revisions.values()]).map((revision) => renderRevision(revision)),
    );
  }

  seedSecret(project: string, secret: string, value: string, version = '1'): void {
    seedSecret(this.state, project, secret, value, version);
  }

  /** Creates a service as `gcloud run deploy` leaves it, its revisions Ready and running. */
  seedService(options: SeedServiceOptions): Promise<SeededService> {
    return seedService(this.state, options);
  }

  async close(): Promise<void> {
    this.state.closed = true;
    const stops: Array<Promise<void>> = [];
    for (const service of this.state.services.values()) {
      stops.push(service.door.close());
      for (const door of service.tagDoors.values()) stops.push(door.close());
      for (const revision of service.revisions.values()) {
        if (revision.running) stops.push(revision.running.stop());
      }
    }
    await Promise.allSettled(stops);
  }

  /** The Service message, as GetService answers it. */
  renderService(service: ServiceRecord): ServiceView {
    return renderService(service);
  }

  /** The Revision message, as GetRevision answers it. */
  renderRevision(revision: RevisionRecord): RevisionView {
    return renderRevision(revision);
  }
}
