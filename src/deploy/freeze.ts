import type { LockLease } from './ports.js';

/** A freeze with no duration lasts until someone unlocks it. */
export const UNTIL_UNLOCKED_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/** The one owner id a service's freeze is held under, whoever froze it. */
export function freezeOwnerId(serviceKey: string): string {
  return `freeze:${serviceKey}`;
}

export function isFreeze(lock: LockLease): boolean {
  return lock.ownerId === freezeOwnerId(lock.serviceKey);
}

/**
 * The lease that keeps deploys off a service: taken by `/deploy lock`, after every rollback (manual or
 * automatic) and by an emergency stop; lifted by `/deploy unlock`, a re-promote, or when it runs out.
 */
export function freezeLease(input: {
  readonly serviceKey: string;
  readonly holderId: string;
  readonly reason: string;
  readonly at: Date;
  readonly durationMs?: number | null;
}): LockLease {
  return {
    serviceKey: input.serviceKey,
    ownerId: freezeOwnerId(input.serviceKey),
    holderId: input.holderId,
    reason: input.reason,
    acquiredAt: input.at,
    expiresAt: new Date(input.at.getTime() + (input.durationMs ?? UNTIL_UNLOCKED_MS)),
  };
}
