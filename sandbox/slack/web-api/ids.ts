/** The ids and timestamps the emulator makes up, in the shapes Slack's own have. */
import { randomBytes } from 'node:crypto';

/** Microseconds since the epoch as a Slack `ts`: `1732450000.000100`. */
export function formatTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** `prefix` and `length` random characters of `alphabet`. */
export function randomId(prefix: string, length = 10, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** Slack's generated block and action ids look like `Ab1Cd`. */
export const makeBlockId = (): string =>
  randomId('', 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
