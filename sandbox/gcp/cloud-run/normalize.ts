/**
 * Reads a Service or revision template the way Cloud Run stores it: decoded as a request is decoded, output
 * fields dropped, and the defaults the platform fills in applied.
 */
import { z } from 'zod';

import { LATEST, normalizeServiceScaling, ServiceInput, TemplateInput } from '../run-validation.js';
import { duration } from '../wire.js';
import type { CloudRunState } from './state.js';

/** The fields of google.cloud.run.v2.Service a caller sets (the others are OUTPUT_ONLY). */
const SERVICE_INPUT_FIELDS = [
  'description',
  'labels',
  'annotations',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'customAudiences',
  'iapEnabled',
  'multiRegionSettings',
  'buildConfig',
] as const;

/** Decodes `input` the way a request is decoded, applying the defaults Cloud Run fills in. */
export function normalizeService(state: CloudRunState, input: object): ServiceInput {
  const decoded = roundTrip(state, { service: input });
  const service = ServiceInput.parse(decoded.service);
  const template = service.template ? normalizeTemplate(state, service.template) : null;
  const traffic =
    service.traffic.length > 0 ? service.traffic : [{ type: LATEST, revision: '', percent: 100, tag: '' }];
  // Only what a caller may set is kept: output fields sent back from a read are ignored.
  const inputs: Record<string, unknown> = {};
  for (const field of SERVICE_INPUT_FIELDS) {
    if (field in service) inputs[field] = service[field];
  }
  if (service.scaling) inputs['scaling'] = normalizeServiceScaling(service.scaling);
  return ServiceInput.parse({
    ...inputs,
    name: service.name,
    etag: service.etag,
    template,
    traffic: traffic.map((target) => ({
      type: target.type,
      revision: target.revision,
      percent: target.percent,
      tag: target.tag,
    })),
    ingress: service['ingress'] === 'INGRESS_TRAFFIC_UNSPECIFIED' ? 'INGRESS_TRAFFIC_ALL' : service['ingress'],
    launchStage: service['launchStage'] === 'LAUNCH_STAGE_UNSPECIFIED' ? 'GA' : service['launchStage'],
  });
}

/** A revision template with Cloud Run's defaults (timeout, concurrency, port, limits), decoded as a request. */
export function normalizeTemplate(state: CloudRunState, template: TemplateInput): TemplateInput {
  const defaulted = {
    ...template,
    timeout: template.timeout ?? duration(300),
    maxInstanceRequestConcurrency: template.maxInstanceRequestConcurrency || 80,
    containers: template.containers.map((container) => ({
      ...container,
      ports: container.ports.length > 0 ? container.ports : [{ name: 'http1', containerPort: 8080 }],
      resources: {
        ...(container.resources ?? {}),
        limits: { cpu: '1000m', memory: '512Mi', ...(container.resources?.limits ?? {}) },
      },
    })),
  };
  const decoded = roundTrip(state, { service: { template: defaulted } });
  return TemplateInput.parse(z.object({ template: z.unknown() }).parse(decoded.service).template);
}

function roundTrip(state: CloudRunState, request: object): { service: unknown } {
  const method = state.deps.servicesDefinition['UpdateService'];
  if (!method) throw new Error('UpdateService is missing from the descriptors');
  return z.object({ service: z.unknown() }).parse(method.requestDeserialize(method.requestSerialize(request)));
}
