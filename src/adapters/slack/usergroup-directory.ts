import type { WebClient } from '@slack/web-api';
import { z } from 'zod';

import type { Clock, UserGroupDirectory } from '../../deploy/ports/index.js';

const membersResponse = z.object({ ok: z.literal(true), users: z.array(z.string()) });

/** Members of a Slack user group, from `usergroups.users.list`, cached briefly so a burst of clicks costs one call. */
export function slackUserGroupDirectory(
  client: Pick<WebClient, 'usergroups'>,
  clock: Clock,
  ttlMs = 60_000,
): UserGroupDirectory {
  const cache = new Map<string, { members: readonly string[]; until: number }>();
  return {
    async membersOf(groupId) {
      const now = clock.now().getTime();
      const hit = cache.get(groupId);
      if (hit !== undefined && hit.until > now) return hit.members;
      const response = membersResponse.parse(await client.usergroups.users.list({ usergroup: groupId }));
      cache.set(groupId, { members: response.users, until: now + ttlMs });
      return response.users;
    },
  };
}
