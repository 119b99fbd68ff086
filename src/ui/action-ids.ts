/** Action ids shared by the Block Kit builders and the handlers that answer them. */
export const ACTION_IDS = {
  approve: 'liftoff_approve',
  deny: 'liftoff_deny',
  rollbackPick: 'liftoff_rollback_pick',
  rollbackConfirm: 'liftoff_rollback_confirm',
  repromote: 'liftoff_repromote',
  emergencyStop: 'liftoff_emergency_stop',
  redeploy: 'liftoff_redeploy',
} as const satisfies Record<string, string>;
