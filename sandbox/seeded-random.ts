/**
 * A small seeded pseudo-random generator for the sandbox, so routing by traffic split, the sample service's random
 * faults and the traffic generator's choices repeat exactly from run to run. Not for anything secret.
 */
import { createHash } from 'node:crypto';

/**
 * Uniform numbers in [0, 1) from Mulberry32 (a 32-bit state, period 2³²: plenty for a test's thousands of draws).
 * A string seed is hashed first, so `seededRandom('emergence-app-00275-new')` gives each revision its own stream.
 */
export function seededRandom(seed: number | string): () => number {
  let state = typeof seed === 'number' ? seed >>> 0 : createHash('sha256').update(seed).digest().readUInt32BE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
