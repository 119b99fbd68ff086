import type { AccessDecision } from './access.js';

/** Why a command on a runbook's service (rollback, re-promote, redeploy, emergency stop) does not go ahead. */
export type ServiceCommandRefusal =
  | { readonly kind: 'unknown_runbook'; readonly name: string; readonly known: readonly string[] }
  | { readonly kind: 'choose_runbook'; readonly known: readonly string[] }
  | { readonly kind: 'invalid_runbook'; readonly name: string; readonly errors: readonly string[] }
  | {
      readonly kind: 'forbidden';
      readonly decision: Exclude<AccessDecision, { allowed: true }>;
      /** deploy: only deployers may ask; approve: this step needs an approver. */
      readonly role: 'deploy' | 'approve';
    }
  | { readonly kind: 'unavailable'; readonly reason: string };
