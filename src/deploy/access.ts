import type { UserGroupDirectory } from './ports/index.js';
/** The access rules of one runbook, as its `access` key declares them. */
export interface AccessRules {
  /** User ids (U…, W…) and user-group ids (S…). Empty: anyone in the channel. */
  readonly deployers: readonly string[];
  /** Empty: nobody. Production fails closed: an unset list approves nothing. */
  readonly approvers: readonly string[];
  readonly selfApproval: boolean;
}

export type AccessDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'not_listed'; readonly whoCan: readonly string[] }
  | { readonly allowed: false; readonly reason: 'own_request'; readonly whoCan: readonly string[] };

const isGroup = (id: string): boolean => id.startsWith('S');

async function isListed(userId: string, list: readonly string[], directory: UserGroupDirectory): Promise<boolean> {
  if (list.includes(userId)) return true;
  for (const groupId of list.filter(isGroup)) {
    if ((await directory.membersOf(groupId)).includes(userId)) return true;
  }
  return false;
}

/** May this user request a deploy of the runbook? */
export async function mayRequest(
  rules: AccessRules,
  userId: string,
  directory: UserGroupDirectory,
): Promise<AccessDecision> {
  if (rules.deployers.length === 0 || (await isListed(userId, rules.deployers, directory))) return { allowed: true };
  return { allowed: false, reason: 'not_listed', whoCan: rules.deployers };
}

/** May this user approve (or deny) a request made by `requesterId`? */
export async function mayApprove(
  rules: AccessRules,
  userId: string,
  requesterId: string,
  directory: UserGroupDirectory,
): Promise<AccessDecision> {
  if (userId === requesterId && !rules.selfApproval) {
    return { allowed: false, reason: 'own_request', whoCan: rules.approvers };
  }
  if (await isListed(userId, rules.approvers, directory)) return { allowed: true };
  return { allowed: false, reason: 'not_listed', whoCan: rules.approvers };
}
