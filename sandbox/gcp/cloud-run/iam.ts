/**
 * The IAM policy of a service (`GetIamPolicy`, `SetIamPolicy`) and what it lets through its URLs: without
 * `roles/run.invoker` for `allUsers` (or `invoker_iam_disabled`), a request without a bearer token gets the 403.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { z } from 'zod';

import { GrpcStatus, invalidArgument, parseRequest, RpcError } from '../rpc.js';
import { assertPublicMembersPermitted } from './faults.js';
import { renderPolicy } from './rendering.js';
import { type CloudRunState, findService, type PolicyBinding, type ServiceRecord } from './state.js';

const GetIamPolicyRequest = z.object({ resource: z.string() });
const SetIamPolicyRequest = z.object({
  resource: z.string(),
  policy: z
    .object({
      version: z.number().int(),
      bindings: z.array(z.looseObject({ role: z.string(), members: z.array(z.string()) })),
      etag: z.instanceof(Buffer),
    })
    .nullable(),
});

const INVOKER_ROLE = 'roles/run.invoker';
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const MEMBER =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;
const SUPPORTED_ROLE = /^roles\/(run\.[A-Za-z]+|owner|editor|viewer)$/;
/** The etag IAM gives a policy that was never set ("ACAB"). */
const EMPTY_POLICY_ETAG = Buffer.from('ACAB', 'base64');

/** The policy of a service nobody has set one on. */
export function emptyPolicy(): ServiceRecord['iam'] {
  return { version: 1, bindings: [], etag: EMPTY_POLICY_ETAG };
}

/** The policy `--allow-unauthenticated` leaves: `roles/run.invoker` for `allUsers`. */
export function publicInvokerPolicy(): ServiceRecord['iam'] {
  return { version: 1, bindings: [{ role: INVOKER_ROLE, members: ['allUsers'] }], etag: randomBytes(8) };
}

export function getIamPolicy(state: CloudRunState, request: unknown): object {
  const req = parseRequest(GetIamPolicyRequest, request, 'GetIamPolicyRequest');
  return renderPolicy(findService(state, req.resource).iam);
}

export function setIamPolicy(state: CloudRunState, request: unknown): object {
  const req = parseRequest(SetIamPolicyRequest, request, 'SetIamPolicyRequest');
  const service = findService(state, req.resource);
  if (!req.policy) throw invalidArgument('policy: a policy is required');
  if (req.policy.etag.length > 0 && !req.policy.etag.equals(service.iam.etag)) {
    throw new RpcError(
      GrpcStatus.ABORTED,
      'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
    );
  }
  const bindings: PolicyBinding[] = [];
  for (const binding of req.policy.bindings) {
    if (!SUPPORTED_ROLE.test(binding.role)) {
      throw invalidArgument(`Role ${binding.role} is not supported for this resource.`);
    }
    for (const member of binding.members) {
      if (!MEMBER.test(member))
        throw invalidArgument(`Invalid member "${member}" in binding for role ${binding.role}.`);
      if (PUBLIC_MEMBERS.includes(member)) assertPublicMembersPermitted(state);
    }
    if (binding.members.length > 0) bindings.push({ role: binding.role, members: [...new Set(binding.members)] });
  }
  service.iam = { version: req.policy.version || 1, bindings, etag: randomBytes(8) };
  return renderPolicy(service.iam);
}

/** Whether `request` may reach the revisions of `service`; when not, its URL answers 403. */
export function mayInvoke(service: ServiceRecord, request: IncomingMessage): boolean {
  return allowsUnauthenticated(service) || hasBearer(request);
}

function allowsUnauthenticated(service: ServiceRecord): boolean {
  if (service.spec.invokerIamDisabled) return true;
  return service.iam.bindings.some((binding) => binding.role === INVOKER_ROLE && binding.members.includes('allUsers'));
}

function hasBearer(request: IncomingMessage): boolean {
  return /^Bearer\s+\S+/i.test(request.headers.authorization ?? '');
}
