import { randomBytes } from 'node:crypto';
import type { LockLease } from './ports/index.js';

/** A freeze with no duration lasts until someone unlocks it. */
const UNTIL_UNLOCKED_MS = 10 * 365 * 24 * 60 * 60 * 1000;

const FREEZE_PREFIX = 'freeze:';
/** A rollback's freeze carries its origin in its owner id, so a re-promote lifts that freeze and no other. */
const ROLLBACK_MARK = '#rollback-';

/**
 * A freeze on a service, whoever took it. Each freeze has its own owner id, so a second `/deploy lock` (or a
 * rollback on a frozen service) finds the first in place instead of taking it over and changing its end.
 */
export function isFreeze(lock: LockLease): boolean {
  return lock.ownerId.startsWith(FREEZE_PREFIX);
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
  /** 'rollback': taken by a rollback (manual or automatic), the only kind a re-promote lifts. */
  readonly origin?: 'rollback';
}): LockLease {
  return {
    serviceKey: input.serviceKey,
    ownerId: `${FREEZE_PREFIX}${input.serviceKey}${input.origin === 'rollback' ? ROLLBACK_MARK : '#'}${randomBytes(4).toString('hex')}`,
    holderId: input.holderId,
    reason: input.reason,
    acquiredAt: input.at,
    expiresAt: new Date(input.at.getTime() + (input.durationMs ?? UNTIL_UNLOCKED_MS)),
  };
}

/** A freeze a rollback took (not a `/deploy lock`, not an emergency stop's). */
export function isRollbackFreeze(lock: LockLease): boolean {
  return isFreeze(lock) && lock.ownerId.includes(ROLLBACK_MARK);
}
