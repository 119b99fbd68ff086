/**
 * The parts of GitHub's REST answers the repo adapter reads, as zod schemas: octokit's types describe what GitHub
 * should send, these check what it did send. Unknown keys are dropped.
 */
import { z } from 'zod';

const sha = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'a commit id');

export const refAnswer = z.object({ object: z.object({ sha, type: z.string() }) });

export const gitCommitAnswer = z.object({
  sha,
  message: z.string(),
  tree: z.object({ sha }),
  parents: z.array(z.object({ sha })),
});

export const treeAnswer = z.object({ sha });

export const contentAnswer = z.union([
  z.array(z.unknown()).transform(() => ({ type: 'dir' as const })),
  z.object({ type: z.literal('file'), encoding: z.string(), content: z.string(), sha }),
  z.object({ type: z.enum(['dir', 'symlink', 'submodule']) }),
]);

export const blobAnswer = z.object({ encoding: z.string(), content: z.string() });

export const deploymentCreated = z.object({ id: z.number().int().positive() });
/** A 202: GitHub merged the default branch into the ref instead of creating a deployment. */
export const deploymentMerged = z.object({ message: z.string() });

export const deploymentStatusCreated = z.object({ id: z.number().int().positive(), state: z.string() });

export const combinedStatusAnswer = z.object({
  total_count: z.number().int().nonnegative(),
  statuses: z.array(z.object({ context: z.string(), state: z.enum(['success', 'pending', 'failure', 'error']) })),
});

export const checkRunsAnswer = z.object({
  total_count: z.number().int().nonnegative(),
  check_runs: z.array(z.object({ name: z.string(), status: z.string(), conclusion: z.string().nullable() })),
});

/** Failing contexts of a 409 to a deployment request (`errors[0].contexts`). */
export const requiredContextsConflict = z.object({
  errors: z.array(z.object({ contexts: z.array(z.object({ context: z.string(), state: z.string() })) })).min(1),
});
