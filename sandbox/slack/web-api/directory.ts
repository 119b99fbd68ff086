/** Who and where: users, usergroups and conversations, with `users.info`, `usergroups.users.list` and `conversations.info`. */
import { fail, ok, type ApiAnswer, type MethodContext, type MethodRegistry } from './method.js';
import { CHANNEL_ID_PATTERN, type EmulatorState } from './state.js';
import type { EmulatedUser, SlackEmulator } from './types.js';

/** users.info, usergroups.users.list and conversations.info. */
export function directoryMethods(state: EmulatorState): MethodRegistry {
  return {
    'users.info': { acceptsJson: false, handle: (c) => usersInfo(state, c) },
    'usergroups.users.list': { acceptsJson: false, handle: (c) => usergroupUsers(state, c) },
    'conversations.info': { acceptsJson: false, handle: (c) => conversationsInfo(state, c) },
  };
}

/** Adds or replaces a user; its time zone must be a real IANA zone. */
export function addUser(state: EmulatorState, user: Parameters<SlackEmulator['addUser']>[0]): void {
  // Throws a RangeError now for an unknown IANA zone, rather than failing users.info later.
  new Intl.DateTimeFormat('en-US', { timeZone: user.tz ?? 'UTC' });
  state.users.set(user.id, {
    id: user.id,
    name: user.name,
    realName: user.realName,
    displayName: user.displayName ?? user.realName,
    isBot: user.isBot ?? false,
    tz: user.tz ?? 'America/Los_Angeles',
  });
}

/** Adds or replaces a conversation with a name; the id must look like Slack's. */
export function addChannel(state: EmulatorState, channel: Parameters<SlackEmulator['addChannel']>[0]): void {
  if (!CHANNEL_ID_PATTERN.test(channel.id)) throw new Error(`not a Slack channel id: ${channel.id}`);
  state.channels.set(channel.id, { id: channel.id, name: channel.name, isPrivate: channel.isPrivate ?? false });
}

/** Sets the members of usergroup `id`. */
export function setUsergroup(state: EmulatorState, id: string, userIds: readonly string[]): void {
  state.usergroups.set(id, [...userIds]);
}

/** The channel's name, or the name Slack would show for an unknown id of its kind. */
export function channelName(state: EmulatorState, id: string): string {
  const known = state.channels.get(id);
  if (known !== undefined) return known.name;
  if (id.startsWith('D')) return 'directmessage';
  return id.startsWith('G') ? 'privategroup' : `channel-${id.toLowerCase()}`;
}

function usersInfo(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const id = params.string('user');
  const user = id === undefined ? undefined : state.users.get(id);
  if (user === undefined) return fail('user_not_found');
  return ok({ user: apiUser(state, user, now) });
}

function usergroupUsers(state: EmulatorState, { params }: MethodContext): ApiAnswer {
  const id = params.string('usergroup');
  const users = id === undefined ? undefined : state.usergroups.get(id);
  if (users === undefined) return fail('no_such_subteam');
  return ok({ users: [...users] });
}

function conversationsInfo(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const id = params.string('channel');
  if (id === undefined || !CHANNEL_ID_PATTERN.test(id)) return fail('channel_not_found');
  const name = channelName(state, id);
  const isIm = id.startsWith('D');
  const isPrivate = state.channels.get(id)?.isPrivate ?? id.startsWith('G');
  const created = Math.floor(now.getTime() / 1000) - 86_400;
  if (isIm)
    return ok({
      channel: { id, created, is_im: true, is_org_shared: false, user: '', is_open: true, locale: 'en-US' },
    });
  return ok({
    channel: {
      id,
      name,
      is_channel: !isPrivate,
      is_group: isPrivate,
      is_im: false,
      is_mpim: false,
      is_private: isPrivate,
      created,
      creator: state.identity.botUserId,
      is_archived: false,
      is_general: false,
      unlinked: 0,
      name_normalized: name,
      is_shared: false,
      is_ext_shared: false,
      is_org_shared: false,
      pending_shared: [],
      is_pending_ext_shared: false,
      is_member: true,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: '', creator: '', last_set: 0 },
      previous_names: [],
    },
  });
}

function apiUser(state: EmulatorState, user: EmulatedUser, now: Date): Record<string, unknown> {
  const offset = tzOffsetSeconds(user.tz, now);
  return {
    id: user.id,
    team_id: state.identity.teamId,
    name: user.name,
    deleted: false,
    real_name: user.realName,
    tz: user.tz,
    tz_label: user.tz,
    tz_offset: offset,
    profile: {
      real_name: user.realName,
      real_name_normalized: user.realName,
      display_name: user.displayName,
      display_name_normalized: user.displayName,
      team: state.identity.teamId,
      ...(user.isBot && user.id === state.identity.botUserId
        ? { bot_id: state.identity.botId, api_app_id: state.identity.appId }
        : {}),
    },
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: user.isBot,
    is_app_user: false,
    updated: Math.floor(now.getTime() / 1000),
  };
}

function tzOffsetSeconds(tz: string, at: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (match === null) return 0;
  const sign = match[1] === '-' ? -1 : 1;
  return sign * (Number(match[2]) * 3600 + Number(match[3]) * 60);
}
