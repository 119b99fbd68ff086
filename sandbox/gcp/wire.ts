/**
 * Small helpers for the well-known protobuf types as proto-loader decodes and encodes them.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

/** google.protobuf.Duration as decoded (int64 seconds as a string). */
export const DurationMessage = z.object({ seconds: z.union([z.string(), z.number()]), nanos: z.number() });
export type DurationMessage = z.infer<typeof DurationMessage>;

/** google.protobuf.Timestamp for a Date. */
export function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** google.protobuf.Duration for a number of seconds. */
export function duration(seconds: number): { seconds: string; nanos: number } {
  const whole = Math.floor(seconds);
  return { seconds: String(whole), nanos: Math.round((seconds - whole) * 1e9) };
}

export function durationSeconds(value: DurationMessage): number {
  return Number(value.seconds) + value.nanos / 1e9;
}

/** A stable, made-up project number for a project id (names and URLs use numbers on the platform). */
export function projectNumber(project: string): string {
  const digest = createHash('sha256').update(project).digest();
  return String(100_000_000_000 + (digest.readUInt32BE(0) % 900_000_000_000));
}

/** JSON with sorted keys, to compare two decoded messages for equality. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (Buffer.isBuffer(inner)) return inner.toString('base64');
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)));
    }
    return inner;
  });
}
