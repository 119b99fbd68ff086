/** Resolves Slack user groups to their members; the Slack adapter caches it. */
export interface UserGroupDirectory {
  membersOf(groupId: string): Promise<readonly string[]>;
}
