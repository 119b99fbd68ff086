import { z } from 'zod';
import { canaryAnswerSchema, canaryProgressSchema } from '../canary/progress.js';
import { checkResultSchema } from '../checks/check-result.js';

const trafficSchema = z.array(
  z.object({ revision: z.string().nullable(), latest: z.boolean(), percent: z.number(), tag: z.string().nullable() }),
);

/** What the pipeline keeps in a run's data between steps, so a restart resumes instead of redoing. */
export const pipelineDataSchema = z.object({
  tag: z
    .object({ file: z.string(), current: z.string(), next: z.string(), commitSha: z.string(), image: z.string() })
    .optional(),
  deploymentId: z.string().optional(),
  build: z
    .object({
      id: z.string(),
      logUrl: z.string().nullable(),
      startedAt: z.iso.datetime(),
      /** Its terminal status and duration, once it ended. */
      status: z.string().optional(),
      elapsedMs: z.number().optional(),
      /** The digest the build pushed for the tagged image: the revision is deployed by it. */
      digest: z.string().optional(),
    })
    .optional(),
  deploy: z
    .object({
      revision: z.string(),
      trafficTag: z.string(),
      startedAt: z.iso.datetime(),
      previousTraffic: trafficSchema,
      previousRevision: z.string().nullable(),
    })
    .optional(),
  candidate: z.object({ url: z.string(), readyAt: z.iso.datetime().nullable() }).optional(),
  checks: z.array(checkResultSchema).optional(),
  promoted: z.object({ at: z.iso.datetime(), serviceUrl: z.string().nullable(), traffic: trafficSchema }).optional(),
  failure: z.object({ step: z.string(), message: z.string() }).optional(),
  rollback: z
    .object({ at: z.iso.datetime(), traffic: trafficSchema, verified: z.boolean(), message: z.string() })
    .optional(),
  thread: z
    .object({ statusTs: z.string().optional(), posted: z.record(z.string(), z.string()).default({}) })
    .optional(),
  cancelRequested: z.object({ by: z.string(), at: z.iso.datetime() }).optional(),
  deployLogPath: z.string().optional(),
  /** Strategy canary: the step the run is in, its traffic and its looks (src/deploy/canary/progress.ts). */
  canary: canaryProgressSchema.optional(),
  /** An approver's answer to a held canary step, until the step acts on it. */
  canaryAnswer: canaryAnswerSchema.optional(),
  /** The seed's 'Métriques Initiales': the candidate's metrics against the targets, scraped after verification. */
  initialMetrics: z.array(z.string()).optional(),
});

export type PipelineData = z.infer<typeof pipelineDataSchema>;

/** Reads a run's data; a key set to null has been cleared (the store merges, so null is how a key is removed). */
export function readPipelineData(data: Readonly<Record<string, unknown>>): PipelineData {
  return pipelineDataSchema.parse(Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null)));
}

/** The patch that clears a key of the run's data. */
export const CLEARED = null;
