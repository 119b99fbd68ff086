/** Action ids shared by the Block Kit builders and the handlers that answer them. */
export const ACTION_IDS = {
  approve: 'liftoff_approve',
  deny: 'liftoff_deny',
  rollbackPick: 'liftoff_rollback_pick',
  rollbackConfirm: 'liftoff_rollback_confirm',
  repromote: 'liftoff_repromote',
  emergencyStop: 'liftoff_emergency_stop',
  redeploy: 'liftoff_redeploy',
  canaryPromote: 'liftoff_canary_promote',
  canaryRollBack: 'liftoff_canary_roll_back',
  canaryHold: 'liftoff_canary_hold',
} as const satisfies Record<string, string>;
