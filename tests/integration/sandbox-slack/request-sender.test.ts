import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

import { verifySlackRequest } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

import {
  createSlackRequestSender,
  signSlackRequest,
  startSlackEmulator,
  type SlackEmulator,
} from '../../../sandbox/slack/index.js';
import { anyString, button, containing, fakeClock, matching, section, webClient, type FakeClock } from './helpers.js';

const SIGNING_SECRET = 'sandbox-signing-secret';
const CHANNEL = 'C0DEPLOYS01';

interface Captured {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let capture: Server;
let captured: Captured[] = [];
let targetUrl: string;
let emulator: SlackEmulator;
let client: WebClient;
let clock: FakeClock;

beforeAll(async () => {
  capture = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      captured.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('');
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const address = capture.address();
  if (address === null || typeof address === 'string') throw new Error('capture server has no port');
  targetUrl = `http://127.0.0.1:${address.port}/slack/events`;
  clock = fakeClock();
  emulator = await startSlackEmulator({ clock });
  client = webClient(emulator);
});

afterAll(async () => {
  await emulator.close();
  await new Promise<void>((resolve, reject) => capture.close((error) => (error ? reject(error) : resolve())));
});

beforeEach(() => {
  captured = [];
  emulator.reset();
});

function lastRequest(): Captured {
  const request = captured.at(-1);
  if (request === undefined) throw new Error('nothing was sent');
  return request;
}

function header(request: Captured, name: string): string {
  const value = request.headers[name];
  if (typeof value !== 'string') throw new Error(`no ${name} header`);
  return value;
}

/** Bolt's own check, as its receivers run it. */
function verify(request: Captured, secret = SIGNING_SECRET): void {
  verifySlackRequest({
    signingSecret: secret,
    body: request.body,
    headers: {
      'x-slack-signature': header(request, 'x-slack-signature'),
      'x-slack-request-timestamp': Number(header(request, 'x-slack-request-timestamp')),
    },
    nowMilliseconds: clock.now().getTime(),
  });
}

describe('signatures', () => {
  it('signs v0 HMAC-SHA256 over v0:timestamp:body, which Bolt verifies', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    const response = await sender.slashCommand({ command: '/deploy', text: 'api v1.2.3', userId: 'U0ALICE' });
    expect(response.status).toBe(200);
    const request = lastRequest();
    expect(header(request, 'x-slack-request-timestamp')).toBe('1732450000');
    expect(header(request, 'x-slack-signature')).toBe(
      signSlackRequest(SIGNING_SECRET, 1_732_450_000, request.body)['x-slack-signature'],
    );
    expect(() => verify(request)).not.toThrow();
  });

  it('fails Bolt verification when forged with another secret or without a signature', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.slashCommand({ command: '/deploy', text: 'x', userId: 'U0ALICE' }, { signingSecret: 'forged' });
    expect(() => verify(lastRequest())).toThrow('signature mismatch');
    await sender.slashCommand({ command: '/deploy', text: 'x', userId: 'U0ALICE' }, { omitSignature: true });
    expect(lastRequest().headers['x-slack-signature']).toBeUndefined();
    expect(lastRequest().headers['x-slack-request-timestamp']).toBe('1732450000');
  });

  it('shifts the timestamp for replay tests: Bolt refuses a stale one', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.appHomeOpened({ userId: 'U0ALICE' }, { timestampSkewSeconds: -301 });
    expect(header(lastRequest(), 'x-slack-request-timestamp')).toBe('1732449699');
    expect(() => verify(lastRequest())).toThrow('stale');
  });

  it('sets the retry headers Slack sends on its retries', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.appHomeOpened({ userId: 'U0ALICE' }, { retryNum: 1, retryReason: 'http_timeout' });
    expect(lastRequest().headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
  });

  it('only sends to the loopback interface', () => {
    expect(() =>
      createSlackRequestSender({ targetUrl: 'https://example.com/slack/events', signingSecret: SIGNING_SECRET }),
    ).toThrow('only sends to 127.0.0.1');
  });
});

describe('payloads', () => {
  it('sends a slash command as Slack does: form-encoded with its documented fields', async () => {
    emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Martin' });
    emulator.addChannel({ id: CHANNEL, name: 'deploys' });
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.slashCommand({ command: '/deploy', text: 'api v1.2.3', userId: 'U0ALICE', channelId: CHANNEL });
    const request = lastRequest();
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const fields = new URLSearchParams(request.body);
    expect([...fields.keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(Object.fromEntries(fields)).toMatchObject({
      team_id: emulator.identity.teamId,
      team_domain: emulator.identity.teamDomain,
      channel_id: CHANNEL,
      channel_name: 'deploys',
      user_id: 'U0ALICE',
      user_name: 'alice',
      command: '/deploy',
      text: 'api v1.2.3',
      api_app_id: emulator.identity.appId,
      is_enterprise_install: 'false',
    });
    expect(fields.get('response_url')).toMatch(new RegExp(`^${emulator.baseUrl}response/[0-9a-f-]{36}$`));
    expect(fields.get('trigger_id')).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
  });

  it('sends block_actions as payload=<json> with the message as the emulator holds it', async () => {
    emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Martin' });
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve?',
      blocks: [section('Approve?'), { type: 'actions', block_id: 'decide', elements: [button('approve', 'req-7')] }],
    });
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.blockAction({
      actionId: 'approve',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: posted.ts ?? '',
    });
    const request = lastRequest();
    expect(() => verify(request)).not.toThrow();
    const form = new URLSearchParams(request.body);
    expect([...form.keys()]).toEqual(['payload']);
    const payload: unknown = JSON.parse(form.get('payload') ?? '');
    expect(payload).toEqual({
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: emulator.identity.teamId },
      api_app_id: emulator.identity.appId,
      token: anyString(),
      container: { type: 'message', message_ts: posted.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: matching(/^\d+\.\d+\.[0-9a-f]+$/),
      team: { id: emulator.identity.teamId, domain: emulator.identity.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: CHANNEL, name: emulator.channelName(CHANNEL) },
      message: containing({ ts: posted.ts, text: 'Approve?', bot_id: emulator.identity.botId }),
      state: { values: {} },
      response_url: matching(new RegExp(`^${emulator.baseUrl}response/`)),
      actions: [
        {
          action_id: 'approve',
          block_id: 'decide',
          text: { type: 'plain_text', text: 'Approve', emoji: true },
          value: 'req-7',
          type: 'button',
          action_ts: '1732450000.000000',
        },
      ],
    });
  });

  it('marks actions from ephemeral messages and leaves the message out, as Slack does', async () => {
    const ephemeral = await client.chat.postEphemeral({
      channel: CHANNEL,
      user: 'U0ALICE',
      text: 'Confirm?',
      blocks: [{ type: 'actions', elements: [button('confirm', 'yes')] }],
    });
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.blockAction({
      actionId: 'confirm',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: ephemeral.message_ts ?? '',
    });
    const payload: unknown = JSON.parse(new URLSearchParams(lastRequest().body).get('payload') ?? '');
    expect(payload).toMatchObject({ container: { is_ephemeral: true, message_ts: ephemeral.message_ts } });
    expect(payload).not.toHaveProperty('message');
  });

  it('refuses to send an action Slack could not send: unknown message or action_id', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await expect(
      sender.blockAction({ actionId: 'approve', userId: 'U0ALICE', channelId: CHANNEL, messageTs: '1.000001' }),
    ).rejects.toThrow('no message');
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'no buttons' });
    await expect(
      sender.blockAction({ actionId: 'approve', userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts ?? '' }),
    ).rejects.toThrow('no element with action_id approve');
    expect(captured).toHaveLength(0);
  });

  it('sends app_home_opened as an Events API callback in JSON', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, emulator, clock });
    await sender.appHomeOpened({ userId: 'U0ALICE' });
    const request = lastRequest();
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      token: anyString(),
      team_id: emulator.identity.teamId,
      api_app_id: emulator.identity.appId,
      event: {
        type: 'app_home_opened',
        user: 'U0ALICE',
        channel: matching(/^D/),
        tab: 'home',
        event_ts: '1732450000.000000',
      },
      type: 'event_callback',
      event_id: matching(/^Ev[0-9A-F]+$/),
      event_time: 1_732_450_000,
      authorizations: [
        {
          enterprise_id: null,
          team_id: emulator.identity.teamId,
          user_id: emulator.identity.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    });
  });

  it('sends raw bodies signed, for malformed-payload tests', async () => {
    const sender = createSlackRequestSender({ targetUrl, signingSecret: SIGNING_SECRET, clock });
    const response = await sender.raw('null', 'application/json');
    expect(response.status).toBe(200);
    expect(lastRequest().body).toBe('null');
    expect(() => verify(lastRequest())).not.toThrow();
  });
});
