/**
 * What the Google Cloud SDKs hand back, made plain. Plain calls return int64 as strings and enums as names; the
 * results and metadata of long-running operations carry `Long` objects and numeric enums (FACTS.md). Everything the
 * adapters read goes through these schemas, so the rest of Liftoff sees numbers, names and Dates only.
 */
import { z } from 'zod';

/** A protobufjs `Long` as it arrives (its methods are not relied upon). */
const longSchema = z.object({ low: z.number(), high: z.number(), unsigned: z.boolean().optional() });

/** int64 in any of its three forms (string, number, Long), as a number. */
export const int64 = z.union([z.number(), z.string(), longSchema]).transform((value, ctx) => {
  let result: number;
  if (typeof value === 'number' || typeof value === 'string') result = Number(value);
  else result = (value.unsigned === true ? value.high >>> 0 : value.high) * 2 ** 32 + (value.low >>> 0);
  if (!Number.isFinite(result)) {
    ctx.addIssue({ code: 'custom', message: `not a finite integer: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return result;
});

/** google.protobuf.Timestamp (or a Date the SDK already made) as a Date; absent or zero is null. */
export const timestampSchema = z
  .union([
    z.date(),
    z.object({ seconds: int64.nullish(), nanos: z.number().nullish() }),
    z.iso.datetime({ offset: true }),
  ])
  .nullish()
  .transform((value): Date | null => {
    if (value === null || value === undefined) return null;
    if (value instanceof Date) return value;
    if (typeof value === 'string') return new Date(value);
    const seconds = value.seconds ?? 0;
    const nanos = value.nanos ?? 0;
    if (seconds === 0 && nanos === 0) return null;
    return new Date(seconds * 1000 + Math.floor(nanos / 1e6));
  });

/** google.protobuf.Duration as whole and fractional seconds; absent is null. */
export const durationSecondsSchema = z
  .object({ seconds: int64.nullish(), nanos: z.number().nullish() })
  .nullish()
  .transform((value): number | null =>
    value === null || value === undefined ? null : (value.seconds ?? 0) + (value.nanos ?? 0) / 1e9,
  );

/** A string field proto3 leaves empty when unset: '' (or absent) becomes null. */
export const optionalText = z
  .string()
  .nullish()
  .transform((value): string | null => (value === null || value === undefined || value === '' ? null : value));

/**
 * An enum field as its name, whichever form it arrives in: names pass, numbers are looked up in the
 * generated enum object (protobufjs enums map both ways).
 */
export function enumName(values: Readonly<Record<string | number, string | number>>) {
  return z
    .union([z.string(), z.number()])
    .nullish()
    .transform((value): string => {
      if (value === null || value === undefined) return '';
      if (typeof value === 'string') return value;
      const name = values[value];
      return typeof name === 'string' ? name : String(value);
    });
}

/** `projects/P/locations/L/services/S/revisions/R` → `R`; a short name stays as it is. */
export function shortName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}

/** A resource name field as its last segment, or null when empty. */
export const shortNameSchema = optionalText.transform((value) => (value === null ? null : shortName(value)));

/** Parses what an SDK returned; a shape we cannot read is a loud error naming the call, never a guess. */
export function parseResponse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`unexpected ${what} from Google Cloud: ${z.prettifyError(parsed.error)}`);
}
