import { ErrorCode, type WebClient } from '@slack/web-api';

import { startSlackEmulator, type EmulatedMessage, type SlackEmulator } from '../../../sandbox/slack/index.js';
import {
  button,
  containing,
  fakeClock,
  matching,
  nextEvent,
  platformError,
  section,
  webClient,
  type FakeClock,
} from './helpers.js';

const CHANNEL = 'C0DEPLOYS01';

let emulator: SlackEmulator;
let client: WebClient;
let clock: FakeClock;

beforeAll(async () => {
  clock = fakeClock();
  emulator = await startSlackEmulator({ clock });
  client = webClient(emulator);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
});

describe('the emulator itself', () => {
  it('listens on 127.0.0.1 and exposes the URLs the WebClient needs', () => {
    expect(emulator.port).toBeGreaterThan(0);
    expect(emulator.baseUrl).toBe(`http://127.0.0.1:${emulator.port}/`);
    expect(emulator.apiUrl).toBe(`http://127.0.0.1:${emulator.port}/api/`);
  });

  it('answers JSON with charset and records every call with its token, arguments and answer', async () => {
    const response = await fetch(`${emulator.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.botToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(emulator.calls).toHaveLength(1);
    expect(emulator.calls[0]).toMatchObject({
      method: 'auth.test',
      token: emulator.botToken,
      response: { status: 200 },
    });
  });
});

describe('authentication', () => {
  it('auth.test answers who the bot is', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      url: emulator.baseUrl,
      team: emulator.identity.teamName,
      user: emulator.identity.botName,
      team_id: emulator.identity.teamId,
      user_id: emulator.identity.botUserId,
      bot_id: emulator.identity.botId,
    });
  });

  it('answers not_authed without a token and invalid_auth with a wrong one, both HTTP 200', async () => {
    expect((await platformError(webClient(emulator, null).auth.test())).error).toBe('not_authed');
    expect((await platformError(webClient(emulator, 'xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect(emulator.calls.map((call) => call.response.status)).toEqual([200, 200]);
  });

  it('takes the token from a form parameter, but never from a JSON body', async () => {
    const form = await fetch(`${emulator.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: emulator.botToken }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    const json = await fetch(`${emulator.apiUrl}auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: emulator.botToken }),
    });
    expect(await json.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('answers unknown_method for a method it does not know', async () => {
    const data = await platformError(client.apiCall('chat.fly', { channel: CHANNEL }));
    expect(data).toMatchObject({ ok: false, error: 'unknown_method', req_method: 'chat.fly' });
  });
});

describe('request bodies', () => {
  const post = (method: string, body: string, contentType?: string): Promise<Response> =>
    fetch(`${emulator.apiUrl}${method}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${emulator.botToken}`,
        ...(contentType === undefined ? {} : { 'content-type': contentType }),
      },
      body,
    });

  it('accepts JSON bodies with blocks as arrays for methods Slack documents JSON for', async () => {
    const response = await post(
      'chat.postMessage',
      JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [section('*json*')] }),
      'application/json; charset=utf-8',
    );
    expect(await response.json()).toMatchObject({ ok: true, channel: CHANNEL });
    expect(emulator.calls[0]?.params['blocks']).toEqual([section('*json*')]);
  });

  it('does not read JSON arguments for form-only methods, as Slack does not', async () => {
    emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Martin' });
    const response = await post('users.info', JSON.stringify({ user: 'U0ALICE' }), 'application/json');
    expect(await response.json()).toEqual({ ok: false, error: 'user_not_found' });
  });

  it('refuses unknown content types, a body without one, bad charsets and broken JSON', async () => {
    expect(await (await post('auth.test', 'x=1', 'application/xml')).json()).toMatchObject({
      error: 'invalid_post_type',
    });
    const noType = await fetch(`${emulator.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.botToken}` },
      body: new Uint8Array([120, 61, 49]),
    });
    expect(await noType.json()).toMatchObject({ error: 'missing_post_type' });
    expect(
      await (await post('auth.test', 'x=1', 'application/x-www-form-urlencoded; charset=utf-16')).json(),
    ).toMatchObject({ error: 'invalid_charset' });
    expect(await (await post('chat.postMessage', '{"channel":', 'application/json')).json()).toMatchObject({
      error: 'invalid_json',
    });
  });
});

describe('chat.postMessage', () => {
  it('answers ok, channel, ts and the message as Slack stored it', async () => {
    const result = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Deploy requested',
      blocks: [section('*Deploy* requested'), { type: 'actions', elements: [button('approve', 'req-1')] }],
    });
    expect(result).toMatchObject({
      ok: true,
      channel: CHANNEL,
      ts: matching(/^\d{10}\.\d{6}$/),
      message: {
        type: 'message',
        text: 'Deploy requested',
        user: emulator.identity.botUserId,
        bot_id: emulator.identity.botId,
        app_id: emulator.identity.appId,
        team: emulator.identity.teamId,
      },
    });
    // Slack fills in block ids and plain_text emoji flags.
    const blocks = result.message?.blocks ?? [];
    expect(blocks).toHaveLength(2);
    expect(blocks[0]?.block_id).toMatch(/^[A-Za-z0-9]{5}$/);
    expect(blocks[1]).toMatchObject({
      type: 'actions',
      elements: [{ action_id: 'approve', value: 'req-1', text: { type: 'plain_text', text: 'Approve', emoji: true } }],
    });
    expect(emulator.messages).toHaveLength(1);
    expect(result.message?.ts).toBe(result.ts);
    expect(emulator.messages[0]).toMatchObject({ channel: CHANNEL, ts: result.ts, text: 'Deploy requested' });
  });

  it('records the arguments with blocks decoded from the form-encoded JSON string', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'hi', blocks: [section('hi')] });
    const call = await emulator.waitForCall('chat.postMessage');
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.params).toMatchObject({ channel: CHANNEL, text: 'hi', blocks: [section('hi')] });
    expect(call.token).toBe(emulator.botToken);
    expect(call.response.body).toMatchObject({ ok: true, channel: CHANNEL });
  });

  it('gives unique, increasing timestamps, even with a frozen clock, and follows the clock', async () => {
    const ownClock = fakeClock();
    const own = await startSlackEmulator({ clock: ownClock });
    try {
      const ownClient = webClient(own);
      const posted = await Promise.all(
        Array.from({ length: 5 }, (_, index) => ownClient.chat.postMessage({ channel: CHANNEL, text: `m${index}` })),
      );
      const stamps = posted.map((result) => result.ts ?? '');
      expect(new Set(stamps).size).toBe(5);
      expect([...stamps].sort()).toEqual([
        '1732450000.000100',
        '1732450000.000200',
        '1732450000.000300',
        '1732450000.000400',
        '1732450000.000500',
      ]);
      expect(own.messages.map((message) => message.ts)).toEqual([...stamps].sort());
      ownClock.advance(60);
      expect((await ownClient.chat.postMessage({ channel: CHANNEL, text: 'later' })).ts).toBe('1732450060.000100');
    } finally {
      await own.close();
    }
  });

  it('posts thread replies with thread_ts and reply_broadcast', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'reply',
      thread_ts: parent.ts ?? '',
      reply_broadcast: true,
    });
    expect(reply.message).toMatchObject({ thread_ts: parent.ts, parent_user_id: emulator.identity.botUserId });
    expect(emulator.findMessage(CHANNEL, reply.ts ?? '')).toMatchObject({
      thread_ts: parent.ts,
      reply_broadcast: true,
    });
  });

  it('emits the message on its event emitter', async () => {
    const seen = nextEvent<EmulatedMessage>((listener) => {
      emulator.events.on('message', listener);
      return () => emulator.events.off('message', listener);
    });
    await client.chat.postMessage({ channel: CHANNEL, text: 'watched' });
    expect((await seen).text).toBe('watched');
  });

  it('answers channel_not_found for a missing or unknown channel', async () => {
    expect((await platformError(client.apiCall('chat.postMessage', { text: 'x' }))).error).toBe('channel_not_found');
    expect((await platformError(client.chat.postMessage({ channel: '#deploys', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    expect((await platformError(client.chat.postMessage({ channel: 'c0lower', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    expect(emulator.messages).toHaveLength(0);
  });

  it('answers no_text when there is neither text nor blocks', async () => {
    expect((await platformError(client.apiCall('chat.postMessage', { channel: CHANNEL }))).error).toBe('no_text');
    expect((await platformError(client.chat.postMessage({ channel: CHANNEL, text: '' }))).error).toBe('no_text');
  });

  it('answers msg_too_long over 40,000 characters of text', async () => {
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'a'.repeat(40_000) })).resolves.toMatchObject({
      ok: true,
    });
    expect((await platformError(client.chat.postMessage({ channel: CHANNEL, text: 'a'.repeat(40_001) }))).error).toBe(
      'msg_too_long',
    );
  });

  it('answers invalid_blocks_format for blocks that are not a JSON array', async () => {
    expect(
      (await platformError(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', blocks: 'not json' })))
        .error,
    ).toBe('invalid_blocks_format');
    expect(
      (await platformError(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', blocks: '{"type":1}' })))
        .error,
    ).toBe('invalid_blocks_format');
  });
});

describe('chat.update', () => {
  it('updates text and blocks, keeps the history and marks the message edited', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1', blocks: [section('v1')] });
    const changed = nextEvent<EmulatedMessage>((listener) => {
      emulator.events.on('message_changed', listener);
      return () => emulator.events.off('message_changed', listener);
    });
    const result = await client.chat.update({
      channel: CHANNEL,
      ts: posted.ts ?? '',
      text: 'v2',
      blocks: [section('v2')],
    });
    expect(result).toMatchObject({ ok: true, channel: CHANNEL, ts: posted.ts, text: 'v2', message: { text: 'v2' } });
    expect(result.message).not.toHaveProperty('ts');
    const stored = emulator.findMessage(CHANNEL, posted.ts ?? '');
    expect(stored).toMatchObject({ text: 'v2', edited: { user: emulator.identity.botUserId } });
    expect(stored?.blocks).toMatchObject([section('v2')]);
    expect(stored?.history).toHaveLength(1);
    expect(stored?.history[0]).toMatchObject({ text: 'v1', blocks: [section('v1')] });
    expect((await changed).ts).toBe(posted.ts);
  });

  it('keeps blocks when only the text is updated and removes them with an empty array', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1', blocks: [section('kept')] });
    await client.chat.update({ channel: CHANNEL, ts: posted.ts ?? '', text: 'v2' });
    expect(emulator.findMessage(CHANNEL, posted.ts ?? '')?.blocks).toMatchObject([section('kept')]);
    await client.chat.update({ channel: CHANNEL, ts: posted.ts ?? '', text: 'v3', blocks: [] });
    expect(emulator.findMessage(CHANNEL, posted.ts ?? '')?.blocks).toBeUndefined();
  });

  it('answers message_not_found for an unknown ts or another channel', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1' });
    expect((await platformError(client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }))).error).toBe(
      'message_not_found',
    );
    expect(
      (await platformError(client.chat.update({ channel: 'C0OTHER', ts: posted.ts ?? '', text: 'x' }))).error,
    ).toBe('message_not_found');
  });

  it('answers cant_update_message for a message a person or another app posted', async () => {
    const human = emulator.injectMessage({ channel: CHANNEL, user: 'U0ALICE', text: 'hello' });
    expect((await platformError(client.chat.update({ channel: CHANNEL, ts: human.ts, text: 'x' }))).error).toBe(
      'cant_update_message',
    );
    const otherApp = emulator.injectMessage({ channel: CHANNEL, user: 'U0OTHERBOT', bot_id: 'B0OTHER', text: 'hi' });
    expect((await platformError(client.chat.update({ channel: CHANNEL, ts: otherApp.ts, text: 'x' }))).error).toBe(
      'cant_update_message',
    );
  });

  it('answers no_text when nothing to update is given', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1' });
    expect((await platformError(client.apiCall('chat.update', { channel: CHANNEL, ts: posted.ts }))).error).toBe(
      'no_text',
    );
  });
});

describe('chat.postEphemeral', () => {
  it('answers message_ts and records the ephemeral for the user', async () => {
    const result = await client.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE', text: 'only you' });
    expect(result).toEqual(containing({ ok: true, message_ts: matching(/^\d+\.\d{6}$/) }));
    expect(emulator.ephemerals).toEqual([
      containing({ channel: CHANNEL, user: 'U0ALICE', text: 'only you', message_ts: result.message_ts }),
    ]);
    expect(emulator.messages).toHaveLength(0);
  });

  it('checks the content like chat.postMessage', async () => {
    expect(
      (await platformError(client.apiCall('chat.postEphemeral', { channel: CHANNEL, user: 'U0ALICE' }))).error,
    ).toBe('no_text');
    expect((await platformError(client.chat.postEphemeral({ channel: 'x', user: 'U0ALICE', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
  });
});

describe('chat.getPermalink', () => {
  it('answers a permalink to the emulator and serves it', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'linked' });
    const result = await client.chat.getPermalink({ channel: CHANNEL, message_ts: posted.ts ?? '' });
    expect(result).toMatchObject({
      ok: true,
      channel: CHANNEL,
      permalink: `${emulator.baseUrl}archives/${CHANNEL}/p${(posted.ts ?? '').replace('.', '')}`,
    });
    expect(result.permalink).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${emulator.port}/archives/${CHANNEL}/p\\d{16}$`),
    );
    const page = await fetch(result.permalink ?? '');
    expect(page.status).toBe(200);
    expect(await page.json()).toMatchObject({ message: { text: 'linked' } });
  });

  it('adds the thread to the permalink of a reply', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'parent' });
    const reply = await client.chat.postMessage({ channel: CHANNEL, text: 'reply', thread_ts: parent.ts ?? '' });
    const result = await client.chat.getPermalink({ channel: CHANNEL, message_ts: reply.ts ?? '' });
    expect(result.permalink).toBe(
      `${emulator.baseUrl}archives/${CHANNEL}/p${(reply.ts ?? '').replace('.', '')}?thread_ts=${parent.ts}&cid=${CHANNEL}`,
    );
  });

  it('answers message_not_found and channel_not_found', async () => {
    expect((await platformError(client.chat.getPermalink({ channel: CHANNEL, message_ts: '1.000001' }))).error).toBe(
      'message_not_found',
    );
    expect((await platformError(client.chat.getPermalink({ channel: 'nope', message_ts: '1.000001' }))).error).toBe(
      'channel_not_found',
    );
  });
});

describe('views.publish', () => {
  it('publishes a Home tab per user and answers the view', async () => {
    const result = await client.views.publish({
      user_id: 'U0ALICE',
      view: { type: 'home', blocks: [section('Your deploys')] },
    });
    expect(result).toMatchObject({
      ok: true,
      view: {
        type: 'home',
        team_id: emulator.identity.teamId,
        app_id: emulator.identity.appId,
        bot_id: emulator.identity.botId,
        blocks: [section('Your deploys')],
        state: { values: {} },
      },
    });
    const published = emulator.views.get('U0ALICE');
    expect(published).toMatchObject({ userId: 'U0ALICE', id: result.view?.id, hash: result.view?.hash });
    const again = await client.views.publish({
      user_id: 'U0ALICE',
      view: { type: 'home', blocks: [section('Updated')] },
      hash: result.view?.hash ?? '',
    });
    expect(again.view?.id).toBe(result.view?.id);
    expect(emulator.views.get('U0ALICE')?.history).toHaveLength(2);
  });

  it('answers invalid_arguments for a view that is not a Home tab or has bad blocks', async () => {
    const modal = await platformError(
      client.views.publish({
        user_id: 'U0ALICE',
        view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] },
      }),
    );
    expect(modal.error).toBe('invalid_arguments');
    const tooMany = await platformError(
      client.views.publish({
        user_id: 'U0ALICE',
        view: { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' as const })) },
      }),
    );
    expect(tooMany).toMatchObject({
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] },
    });
    expect((await platformError(client.apiCall('views.publish', { view: { type: 'home', blocks: [] } }))).error).toBe(
      'invalid_arguments',
    );
  });

  it('answers hash_conflict when the hash is stale', async () => {
    await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [section('one')] } });
    const data = await platformError(
      client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [section('two')] }, hash: 'stale' }),
    );
    expect(data.error).toBe('hash_conflict');
  });
});

describe('users, usergroups and conversations', () => {
  it('users.info answers the user added, and user_not_found otherwise', async () => {
    emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Martin', tz: 'Europe/Paris' });
    const result = await client.users.info({ user: 'U0ALICE' });
    expect(result.user).toMatchObject({
      id: 'U0ALICE',
      name: 'alice',
      real_name: 'Alice Martin',
      tz: 'Europe/Paris',
      is_bot: false,
      profile: { real_name: 'Alice Martin', display_name: 'Alice Martin' },
    });
    // 2024-11-24 is winter time in Paris: UTC+1.
    expect(result.user?.tz_offset).toBe(3600);
    expect((await platformError(client.users.info({ user: 'U0NOBODY' }))).error).toBe('user_not_found');
    expect((await client.users.info({ user: emulator.identity.botUserId })).user?.is_bot).toBe(true);
  });

  it('usergroups.users.list answers the members, and no_such_subteam otherwise', async () => {
    emulator.setUsergroup('S0DEPLOYERS', ['U0ALICE', 'U0BOB']);
    expect(await client.usergroups.users.list({ usergroup: 'S0DEPLOYERS' })).toMatchObject({
      ok: true,
      users: ['U0ALICE', 'U0BOB'],
    });
    expect((await platformError(client.usergroups.users.list({ usergroup: 'S0NONE' }))).error).toBe('no_such_subteam');
  });

  it('conversations.info answers any well-formed channel id, with the name given', async () => {
    emulator.addChannel({ id: 'C0PROD', name: 'prod-deploys' });
    expect((await client.conversations.info({ channel: 'C0PROD' })).channel).toMatchObject({
      id: 'C0PROD',
      name: 'prod-deploys',
      is_channel: true,
      is_private: false,
      is_archived: false,
    });
    expect((await client.conversations.info({ channel: 'G0SECRET' })).channel).toMatchObject({ is_private: true });
    expect((await platformError(client.conversations.info({ channel: 'prod' }))).error).toBe('channel_not_found');
  });
});

describe('file uploads', () => {
  it('runs files.uploadV2 end to end: upload URL, the bytes, completion and the shared message', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'deploy log below' });
    const result = await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts ?? '',
      content: 'step 1 ok\nstep 2 ok\n',
      filename: 'deploy.log',
      title: 'Deploy log',
      initial_comment: 'Full log',
    });
    expect(result.ok).toBe(true);
    const methods = emulator.calls.map((call) => call.method);
    expect(methods).toEqual(['chat.postMessage', 'files.getUploadURLExternal', 'files.completeUploadExternal']);
    expect(emulator.calls[1]?.params).toMatchObject({ filename: 'deploy.log', length: '20' });
    const [file] = [...emulator.files.values()];
    expect(file).toMatchObject({
      filename: 'deploy.log',
      title: 'Deploy log',
      completed: true,
      channels: [CHANNEL],
      threadTs: parent.ts,
      initialComment: 'Full log',
    });
    expect(file?.bytes?.toString('utf8')).toBe('step 1 ok\nstep 2 ok\n');
    expect(emulator.messages.at(-1)).toMatchObject({ text: 'Full log', files: [file?.id], thread_ts: parent.ts });
  });

  it('answers file_not_found when completing a file never uploaded, and invalid_channel for a bad channel', async () => {
    const url = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    expect(url).toMatchObject({ ok: true, file_id: matching(/^F/) });
    expect(url.upload_url?.startsWith(`${emulator.baseUrl}upload/v1/`)).toBe(true);
    const files: [{ id: string }] = [{ id: url.file_id ?? '' }];
    expect((await platformError(client.files.completeUploadExternal({ files }))).error).toBe('file_not_found');
    const upload = await fetch(url.upload_url ?? '', { method: 'POST', body: 'abc' });
    expect(upload.status).toBe(200);
    expect(await upload.text()).toBe('OK - 3');
    expect((await platformError(client.files.completeUploadExternal({ files, channel_id: 'general' }))).error).toBe(
      'invalid_channel',
    );
    expect(await client.files.completeUploadExternal({ files })).toMatchObject({
      ok: true,
      files: [{ id: url.file_id, title: 'a.txt' }],
    });
    expect((await platformError(client.files.completeUploadExternal({ files }))).error).toBe('file_not_found');
  });

  it('answers missing_argument for a zero length and invalid_arguments without a filename', async () => {
    expect((await platformError(client.files.getUploadURLExternal({ filename: 'a.txt', length: 0 }))).error).toBe(
      'missing_argument',
    );
    expect((await platformError(client.apiCall('files.getUploadURLExternal', { length: 3 }))).error).toBe(
      'invalid_arguments',
    );
  });
});

describe('rate limits', () => {
  it('lets 10 chat.postMessage through at once per channel, then answers 429 with Retry-After', async () => {
    for (let index = 0; index < 10; index += 1) await client.chat.postMessage({ channel: CHANNEL, text: `m${index}` });
    const limited = await client.chat.postMessage({ channel: CHANNEL, text: 'one too many' }).catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 1 });
    expect(emulator.calls.at(-1)?.response).toEqual({
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      retryAfter: 1,
    });
    // Per channel: another channel still has its burst.
    await expect(client.chat.postMessage({ channel: 'C0OTHER', text: 'fine' })).resolves.toMatchObject({ ok: true });
    clock.advance(1);
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'after a second' })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('answers HTTP 429 with a Retry-After header in seconds and {ok:false, error:"ratelimited"}', async () => {
    emulator.setRateLimit('users.info', { limit: 1, perSeconds: 30 });
    emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice' });
    const post = (): Promise<Response> =>
      fetch(`${emulator.apiUrl}users.info`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emulator.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=U0ALICE',
      });
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(await limited.json()).toEqual({ ok: false, error: 'ratelimited' });
    clock.advance(30);
    expect((await post()).status).toBe(200);
  });

  it('setRateLimit(null) removes a limit', async () => {
    emulator.setRateLimit('chat.postMessage', null);
    for (let index = 0; index < 15; index += 1) await client.chat.postMessage({ channel: CHANNEL, text: `m${index}` });
    expect(emulator.messages).toHaveLength(15);
  });
});

describe('scripted failures and waiting', () => {
  it('failNext answers the given error the given number of times, then recovers', async () => {
    emulator.failNext('chat.postMessage', 'is_archived', 2);
    expect((await platformError(client.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error).toBe('is_archived');
    expect((await platformError(client.chat.postMessage({ channel: CHANNEL, text: 'x' }))).error).toBe('is_archived');
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'x' })).resolves.toMatchObject({ ok: true });
    expect(emulator.messages).toHaveLength(1);
  });

  it('failNext does not fire before authentication', async () => {
    emulator.failNext('auth.test', 'fatal_error');
    expect((await platformError(webClient(emulator, 'xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect((await platformError(client.auth.test())).error).toBe('fatal_error');
  });

  it('waitForCall resolves on a later matching call and rejects after its timeout', async () => {
    const waiting = emulator.waitForCall('chat.postMessage', (call) => call.params['text'] === 'second');
    await client.chat.postMessage({ channel: CHANNEL, text: 'first' });
    await client.chat.postMessage({ channel: CHANNEL, text: 'second' });
    expect((await waiting).params['text']).toBe('second');
    await expect(emulator.waitForCall('views.publish', undefined, 50)).rejects.toThrow('no views.publish call');
  });

  it('reset clears what was recorded but keeps users', async () => {
    emulator.addUser({ id: 'U0KEEP', name: 'keep', realName: 'Keep' });
    await client.chat.postMessage({ channel: CHANNEL, text: 'x' });
    emulator.reset();
    expect(emulator.calls).toHaveLength(0);
    expect(emulator.messages).toHaveLength(0);
    expect(emulator.user('U0KEEP')).toBeDefined();
  });
});
