/**
 * Request bodies of the emulated endpoints, as GitHub's REST reference (API version
 * 2022-11-28) describes them, parsed with zod. Unknown keys are dropped, as GitHub
 * ignores them. A body that breaks a schema is answered the way GitHub answers its
 * own schema failures: 422 with `Invalid request.` and one line per problem
 * (`"ref" wasn't supplied.`, `For 'properties/sha', 42 is not a string.`).
 */
import { z } from 'zod';

import { ApiError } from './http.js';

const signature = z.object({
  name: z.string(),
  email: z.string(),
  date: z.string().optional(),
});

export type SignatureInput = z.infer<typeof signature>;

export const createBlobBody = z.object({
  content: z.string(),
  encoding: z.enum(['utf-8', 'utf8', 'base64']).default('utf-8'),
});

const treeEntry = z.object({
  path: z.string(),
  mode: z.enum(['100644', '100755', '040000', '160000', '120000']),
  type: z.enum(['blob', 'tree', 'commit']),
  sha: z.string().nullable().optional(),
  content: z.string().optional(),
});

export const createTreeBody = z.object({
  tree: z.array(treeEntry),
  base_tree: z.string().optional(),
});

export const createCommitBody = z.object({
  message: z.string(),
  tree: z.string(),
  parents: z.array(z.string()).default([]),
  author: signature.optional(),
  committer: signature.optional(),
  signature: z.string().optional(),
});

export const updateRefBody = z.object({
  sha: z.string(),
  force: z.boolean().default(false),
});

export const createRefBody = z.object({
  ref: z.string(),
  sha: z.string(),
});

export const putContentsBody = z.object({
  message: z.string(),
  content: z.string(),
  sha: z.string().optional(),
  branch: z.string().optional(),
  committer: signature.optional(),
  author: signature.optional(),
});

export const createDeploymentBody = z.object({
  ref: z.string(),
  task: z.string().default('deploy'),
  auto_merge: z.boolean().default(true),
  required_contexts: z.array(z.string()).optional(),
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}),
  environment: z.string().default('production'),
  description: z.string().nullable().default(''),
  transient_environment: z.boolean().default(false),
  production_environment: z.boolean().optional(),
});

export const DEPLOYMENT_STATES = [
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export const createDeploymentStatusBody = z.object({
  state: z.enum(DEPLOYMENT_STATES),
  target_url: z.string().default(''),
  log_url: z.string().optional(),
  description: z.string().default(''),
  environment: z.string().optional(),
  environment_url: z.string().default(''),
  auto_inactive: z.boolean().default(true),
});

export const COMMIT_STATES = ['error', 'failure', 'pending', 'success'] as const;
export type CommitState = (typeof COMMIT_STATES)[number];

export const createCommitStatusBody = z.object({
  state: z.enum(COMMIT_STATES),
  target_url: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  context: z.string().default('default'),
});

/** How GitHub (a Ruby service) prints a JSON value in its schema messages. */
function rubyish(value: unknown): string {
  if (value === null) return 'nil';
  return JSON.stringify(value) ?? 'nil';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join('/');
  const last = String(issue.path[issue.path.length - 1] ?? '');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `"${last}" wasn't supplied.`;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'record' ? 'object' : issue.expected;
    const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
    return `For 'properties/${key}', ${rubyish(issue.input)} is not ${article} ${expected}.`;
  }
  if (issue.code === 'invalid_value') {
    return `For 'properties/${key}', ${rubyish(issue.input)} is not one of ${issue.values.map(rubyish).join(', ')}.`;
  }
  return `For 'properties/${key}', ${rubyish(issue.input)} is invalid: ${issue.message}.`;
}

/** Parses `body` with `schema`, or throws GitHub's 422 for a body that breaks its schema. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return result.data;
  throw new ApiError(422, `Invalid request.\n\n${result.error.issues.map(describeIssue).join('\n')}`);
}
