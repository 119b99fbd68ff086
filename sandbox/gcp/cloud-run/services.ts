/**
 * The Services RPCs (`ListServices`, `CreateService`, `UpdateService`): validation, update masks read as proto
 * field paths, etags (ABORTED), revision names (ALREADY_EXISTS), and the service record a create makes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

import protobuf from 'protobufjs';
import { z } from 'zod';

import type { OperationMessage } from '../operations.js';
import { GrpcStatus, invalidArgument, notFound, parseRequest, RpcError } from '../rpc.js';
import {
  applyMaskedFields,
  formatViolations,
  resolveUpdateMask,
  revisionConfiguration,
  ServiceInput,
  type TemplateInput,
  validateServiceId,
  validateServiceMetadata,
  validateTemplate,
  validateTraffic,
  type Violation,
} from '../run-validation.js';
import { canonicalJson } from '../wire.js';
import { takeRevisionFailure, takeScriptedAbort } from './faults.js';
import { emptyPolicy } from './iam.js';
import { normalizeService, normalizeTemplate } from './normalize.js';
import { paginate, renderService } from './rendering.js';
import { addRevision } from './revisions.js';
import { doneOperation, startRollout } from './rollout.js';
import { assertSecretsExist } from './secrets.js';
import {
  type CloudRunState,
  type Condition,
  impossible,
  ListRequest,
  newEtag,
  SERVICE_NAME,
  type ServiceRecord,
  touch,
} from './state.js';
import { openServiceDoor } from './traffic.js';

const require = createRequire(import.meta.url);
// The descriptors the client ships: the same field names the real server reads an update mask against.
const SERVICE_TYPE = protobuf.Root.fromJSON(
  require('@google-cloud/run/build/protos/protos.json') as protobuf.INamespace,
).lookupType('google.cloud.run.v2.Service');

/** The fields (decoded names) of the message `keys` leads to from Service; undefined past a scalar, list or map. */
function serviceFieldsAt(keys: readonly string[]): ReadonlySet<string> | undefined {
  let type: protobuf.Type = SERVICE_TYPE;
  for (const key of keys) {
    const field = type.fields[key]?.resolve();
    if (!field || field.repeated || field.map || !(field.resolvedType instanceof protobuf.Type)) return undefined;
    type = field.resolvedType;
  }
  return new Set(Object.keys(type.fields));
}

const UpdateServiceRequest = z.object({
  service: ServiceInput.nullable(),
  validateOnly: z.boolean(),
  allowMissing: z.boolean(),
  updateMask: z.object({ paths: z.array(z.string()) }).nullable(),
});
const CreateServiceRequest = z.object({
  parent: z.string(),
  service: ServiceInput.nullable(),
  serviceId: z.string(),
  validateOnly: z.boolean(),
});

export function listServices(state: CloudRunState, request: unknown): object {
  const req = parseRequest(ListRequest, request, 'ListServicesRequest');
  const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(req.parent);
  if (!match) throw invalidArgument(`parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION`);
  const [, project, region] = match;
  const services = [...state.services.values()].filter(
    (service) => service.project === project && (region === '-' || service.region === region),
  );
  return {
    ...paginate(services, req.pageSize, req.pageToken, 'services', (service) => renderService(service)),
    unreachable: [],
  };
}

export async function createService(state: CloudRunState, request: unknown): Promise<OperationMessage> {
  const req = parseRequest(CreateServiceRequest, request, 'CreateServiceRequest');
  const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(req.parent);
  if (!match?.[1] || !match[2])
    throw invalidArgument(`parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION`);
  if (!req.service) throw invalidArgument('service: a service is required');
  const problems = validateServiceId(req.serviceId);
  if (problems.length > 0) throw invalidArgument(formatViolations(problems));
  const fullName = `${req.parent}/services/${req.serviceId}`;
  if (state.services.has(fullName))
    throw new RpcError(GrpcStatus.ALREADY_EXISTS, `Resource '${req.serviceId}' already exists.`);
  return create(state, match[1], match[2], req.serviceId, { ...req.service, name: fullName }, req.validateOnly);
}

async function create(
  state: CloudRunState,
  project: string,
  region: string,
  id: string,
  input: ServiceInput,
  validateOnly: boolean,
): Promise<OperationMessage> {
  const spec = normalizeService(state, input);
  const problems = [
    ...validateServiceMetadata(spec),
    ...validateTemplate(id, spec.template),
    ...validateTraffic(id, spec.traffic),
  ];
  if (problems.length > 0) throw invalidArgument(formatViolations(problems));
  assertRevisionNameFree(state, project, region, spec.template?.revision ?? '', undefined);
  assertSecretsExist(state, project, spec.template);
  if (validateOnly) return doneOperation(state, project, region, { ...spec, name: input.name });

  const service = await newServiceRecord(state, project, region, id, spec);
  service.generation = 1;
  const template = spec.template ?? impossible('template checked above');
  const revision = addRevision(
    state,
    service,
    { ...template, revision: template.revision || autoRevisionName(service) },
    takeRevisionFailure(state),
  );
  return startRollout(state, service, revision);
}

export async function updateService(state: CloudRunState, request: unknown): Promise<OperationMessage> {
  const req = parseRequest(UpdateServiceRequest, request, 'UpdateServiceRequest');
  if (!req.service) throw invalidArgument('service: the service to update is required');
  const match = SERVICE_NAME.exec(req.service.name);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw invalidArgument(
      `service.name: "${req.service.name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`,
    );
  }
  const [, project, region, id] = match;
  const existing = state.services.get(req.service.name);
  if (!existing) {
    if (!req.allowMissing) {
      throw notFound(
        `Resource '${id}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`,
      );
    }
    const problems = validateServiceId(id);
    if (problems.length > 0) throw invalidArgument(formatViolations(problems));
    return create(state, project, region, id, req.service, req.validateOnly);
  }

  const masked = resolveUpdateMask(req.updateMask?.paths ?? [], serviceFieldsAt);
  const merged = masked === null ? req.service : applyMaskedFields(existing.spec, req.service, masked);
  // Only a template the update applies can name a revision: one left out by the mask is the current one.
  const templateSent = masked === null || masked.some((path) => path[0] === 'template');
  const spec = normalizeService(state, merged);
  const problems: Violation[] = [
    ...validateServiceMetadata(spec),
    ...validateTemplate(id, spec.template),
    ...validateTraffic(id, spec.traffic),
  ];
  if (problems.length > 0) throw invalidArgument(formatViolations(problems));

  if (takeScriptedAbort(state, existing)) throw new RpcError(GrpcStatus.ABORTED, etagMismatchMessage(id));
  if (req.service.etag !== '' && req.service.etag !== existing.etag) {
    throw new RpcError(GrpcStatus.ABORTED, etagMismatchMessage(id));
  }

  const template = spec.template ?? impossible('template checked above');
  const reused = templateSent && template.revision !== '' ? existing.revisions.get(template.revision) : undefined;
  let revisionTemplate: TemplateInput | undefined;
  if (reused) {
    if (revisionConfiguration(spec) !== reused.configuration) {
      throw new RpcError(
        GrpcStatus.ALREADY_EXISTS,
        `Revision named '${reused.name}' with different configuration already exists.`,
      );
    }
  } else if (canonicalJson(template) !== canonicalJson(existing.spec.template)) {
    const name = template.revision || autoRevisionName(existing);
    assertRevisionNameFree(state, project, region, name, existing);
    revisionTemplate = normalizeTemplate(state, { ...template, revision: name });
  }
  assertSecretsExist(state, project, template);
  if (req.validateOnly) return doneOperation(state, project, region, spec);

  const specChanged = canonicalJson(spec) !== canonicalJson({ ...existing.spec, etag: spec.etag });
  existing.spec = { ...spec, etag: '' };
  if (specChanged) existing.generation += 1;
  touch(state, existing);
  const revision = revisionTemplate
    ? addRevision(state, existing, revisionTemplate, takeRevisionFailure(state))
    : undefined;
  return startRollout(state, existing, revision);
}

/** Creates the record of a new service, its URL open, and stores it. */
export async function newServiceRecord(
  state: CloudRunState,
  project: string,
  region: string,
  id: string,
  spec: ServiceInput,
): Promise<ServiceRecord> {
  const fullName = `projects/${project}/locations/${region}/services/${id}`;
  const now = state.deps.clock.now();
  const pending: Condition = { type: 'Ready', state: 'CONDITION_PENDING', message: '', lastTransitionTime: now };
  // The record and its URL are created together: the route reads the record it belongs to.
  const holder: { service?: ServiceRecord } = {};
  const door = await openServiceDoor(state, () => holder.service);
  const service: ServiceRecord = {
    project,
    region,
    id,
    fullName,
    uid: randomUUID(),
    createTime: now,
    spec: { ...spec, etag: '' },
    updateTime: now,
    generation: 1,
    etag: newEtag(),
    observedGeneration: 0,
    latestCreatedRevision: '',
    latestReadyRevision: '',
    trafficStatuses: [],
    terminal: pending,
    routesReady: { ...pending, type: 'RoutesReady' },
    configurationsReady: { ...pending, type: 'ConfigurationsReady' },
    reconciling: true,
    revisionCounter: 0,
    revisions: new Map(),
    door,
    tagDoors: new Map(),
    iam: emptyPolicy(),
    pendingOperations: [],
  };
  holder.service = service;
  if (state.closed) await door.close();
  state.services.set(fullName, service);
  return service;
}

/** The name Cloud Run gives the next revision of `service` when the template names none. */
export function autoRevisionName(service: ServiceRecord): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const suffix = [...randomBytes(3)].map((byte) => letters[byte % letters.length] ?? 'a').join('');
  return `${service.id}-${String(service.revisionCounter + 1).padStart(5, '0')}-${suffix}`;
}

function assertRevisionNameFree(
  state: CloudRunState,
  project: string,
  region: string,
  name: string,
  except: ServiceRecord | undefined,
): void {
  if (!name) return;
  for (const service of state.services.values()) {
    if (service === except || service.project !== project || service.region !== region) continue;
    if (service.revisions.has(name)) {
      throw new RpcError(
        GrpcStatus.ALREADY_EXISTS,
        `Revision named '${name}' with different configuration already exists.`,
      );
    }
  }
}

function etagMismatchMessage(id: string): string {
  return `The service '${id}' has been modified since it was read: its etag no longer matches. Read it again and retry.`;
}
