/** What Cloud Run accepts as cpu and memory, and in which combinations. */
import { z } from 'zod';

import { describe } from './messages.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const MEMORY = /^(\d+)(Mi|Gi|M|G)$/;
const MEMORY_UNITS: Readonly<Record<string, number>> = { Mi: MiB, Gi: GiB, M: 1e6, G: 1e9 };

/** Bytes of a Cloud Run memory limit (`512Mi`, `2Gi`, `1G`), or undefined if it is not one. */
export function parseMemory(value: string): number | undefined {
  const match = MEMORY.exec(value.trim());
  const unit = match?.[2] === undefined ? undefined : MEMORY_UNITS[match[2]];
  return match?.[1] === undefined || unit === undefined ? undefined : Number(match[1]) * unit;
}

/** vCPUs of a Cloud Run CPU limit (`2`, `0.5`, `1000m`), or undefined if it is not a number of CPUs. */
export function parseCpu(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+m$/.test(trimmed)) return Number(trimmed.slice(0, -1)) / 1000;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return undefined;
}

function formatMemory(bytes: number): string {
  return bytes >= GiB && bytes % GiB === 0 ? `${bytes / GiB}Gi` : `${Math.round(bytes / MiB)}Mi`;
}

/** Whole CPUs above 1 that Cloud Run accepts; below 1, any value from 0.08 in steps of 0.001. */
const WHOLE_CPUS: readonly number[] = [1, 2, 4, 6, 8];

function isAllowedCpu(cpus: number): boolean {
  if (cpus < 1) return cpus >= 0.08 && Number.isInteger(Math.round(cpus * 1e6) / 1e3);
  return WHOLE_CPUS.includes(cpus);
}

/**
 * Cloud Run's CPU / memory table, from its documentation:
 * https://cloud.google.com/run/docs/configuring/services/cpu ('CPU and memory table': 1 vCPU up to 4 GiB,
 * 2 up to 8 GiB, 4: 2 to 16 GiB, 6: 4 to 24 GiB, 8: 4 to 32 GiB; below 1 vCPU: 0.5 needed above 512 MiB, 1 above
 * 1 GiB, and concurrency 1) and https://cloud.google.com/run/docs/configuring/services/memory-limits
 * ('Required minimum CPUs': more than 4 GiB needs 2, more than 8 GiB 4, more than 16 GiB 6, more than 24 GiB 8).
 */
function minimumCpusFor(memoryBytes: number): number {
  if (memoryBytes > 24 * GiB) return 8;
  if (memoryBytes > 16 * GiB) return 6;
  if (memoryBytes > 8 * GiB) return 4;
  if (memoryBytes > 4 * GiB) return 2;
  if (memoryBytes > GiB) return 1;
  if (memoryBytes > 512 * MiB) return 0.5;
  return 0.08;
}

function minimumMemoryFor(cpus: number): number {
  if (cpus >= 6) return 4 * GiB;
  if (cpus >= 4) return 2 * GiB;
  return 0;
}

export interface ResourceProblem {
  readonly key: 'memory' | 'cpu' | 'concurrency';
  readonly message: string;
}

/** What Cloud Run would refuse in a cpu / memory / concurrency combination (an empty list if nothing). */
export function checkCpuMemory(cpus: number, memoryBytes: number, concurrency?: number): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const cpuText = cpus < 1 ? String(cpus) : `${cpus} CPU${cpus === 1 ? '' : 's'}`;
  const neededCpus = minimumCpusFor(memoryBytes);
  if (cpus < neededCpus) {
    problems.push({
      key: 'memory',
      message: `${formatMemory(memoryBytes)} needs at least ${neededCpus} CPU${neededCpus > 1 ? 's' : ''} on Cloud Run (cpu is ${cpuText})`,
    });
  }
  const neededMemory = minimumMemoryFor(cpus);
  if (memoryBytes < neededMemory) {
    problems.push({
      key: 'cpu',
      message: `${cpuText} needs at least ${formatMemory(neededMemory)} of memory on Cloud Run (memory is ${formatMemory(memoryBytes)})`,
    });
  }
  if (cpus < 1 && concurrency !== 1) {
    problems.push({
      key: 'concurrency',
      message: `Cloud Run requires concurrency: 1 when cpu is below 1 (cpu is ${cpus})`,
    });
  }
  return problems;
}

export const memorySchema = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be like 512Mi or 2Gi (got ${describe(issue.input)})`,
  })
  .trim()
  .superRefine((value, ctx) => {
    const bytes = parseMemory(value);
    if (bytes === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a Cloud Run memory limit like 512Mi or 2Gi (got ${describe(value)})`,
      });
    } else if (bytes < 128 * MiB || bytes > 32 * GiB) {
      ctx.addIssue({ code: 'custom', message: `must be between 128Mi and 32Gi (got ${value})` });
    }
  });

export const cpuSchema = z
  .union([z.string(), z.number()], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be like "1", "2" or "1000m" (got ${describe(issue.input)})`,
  })
  .transform((value) => String(value).trim())
  .superRefine((value, ctx) => {
    const cpus = parseCpu(value);
    if (cpus === undefined || !isAllowedCpu(cpus)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be "1", "2", "4", "6" or "8" CPUs, millicores like "1000m", or a fraction from 0.08 to 1 (got ${describe(value)})`,
      });
    }
  });
