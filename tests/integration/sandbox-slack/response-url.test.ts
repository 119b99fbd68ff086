import type { WebClient } from '@slack/web-api';

import { RESPONSE_URL_MAX_USES, startSlackEmulator, type SlackEmulator } from '../../../sandbox/slack/index.js';
import { button, fakeClock, section, webClient, type FakeClock } from './helpers.js';

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

const respond = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function postedButtonMessage(): Promise<string> {
  const posted = await client.chat.postMessage({
    channel: CHANNEL,
    text: 'Approve?',
    blocks: [section('Approve?'), { type: 'actions', elements: [button('approve', 'req-1')] }],
  });
  return posted.ts ?? '';
}

describe('response_url', () => {
  it('posts an ephemeral to the user by default', async () => {
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE' });
    const response = await respond(url, { text: 'Only you can see this' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(emulator.ephemerals).toEqual([
      expect.objectContaining({
        channel: CHANNEL,
        user: 'U0ALICE',
        text: 'Only you can see this',
        via: 'response_url',
      }),
    ]);
    expect(emulator.responses[0]).toMatchObject({
      status: 200,
      text: 'Only you can see this',
      replace_original: false,
    });
  });

  it('posts in the channel with response_type in_channel', async () => {
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE' });
    await respond(url, { response_type: 'in_channel', text: 'Everyone sees this' });
    expect(emulator.messages).toEqual([
      expect.objectContaining({ channel: CHANNEL, text: 'Everyone sees this', user: emulator.identity.botUserId }),
    ]);
  });

  it('replaces the original message with replace_original and deletes it with delete_original', async () => {
    const ts = await postedButtonMessage();
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE', messageTs: ts });
    await respond(url, { replace_original: true, text: 'Approved', blocks: [section('Approved')] });
    const message = emulator.findMessage(CHANNEL, ts);
    expect(message).toMatchObject({ text: 'Approved', blocks: [section('Approved')] });
    expect(message?.history).toHaveLength(1);
    await respond(url, { delete_original: true });
    expect(emulator.findMessage(CHANNEL, ts)?.deleted).toBe(true);
  });

  it('refuses content Slack refuses: no text, invalid blocks, a body that is not JSON', async () => {
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE' });
    expect((await respond(url, { response_type: 'ephemeral' })).status).toBe(400);
    expect((await respond(url, { blocks: [section('a'.repeat(3001))] })).status).toBe(400);
    const notJson = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect(emulator.responses.map((delivery) => delivery.error)).toEqual([
      'no_text',
      'invalid_blocks',
      'invalid_payload',
    ]);
  });

  it(`takes ${RESPONSE_URL_MAX_USES} responses, then answers used_url`, async () => {
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE' });
    for (let use = 0; use < RESPONSE_URL_MAX_USES; use += 1) {
      expect((await respond(url, { text: `response ${use}` })).status).toBe(200);
    }
    const refused = await respond(url, { text: 'one too many' });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ ok: false, error: 'used_url' });
  });

  it('expires 30 minutes after the interaction', async () => {
    const url = emulator.createResponseUrl({ channelId: CHANNEL, userId: 'U0ALICE' });
    clock.advance(30 * 60 + 1);
    const refused = await respond(url, { text: 'too late' });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ ok: false, error: 'expired_url' });
  });

  it('answers 404 for a response_url it never gave out', async () => {
    expect((await respond(`${emulator.baseUrl}response/not-a-real-id`, { text: 'x' })).status).toBe(404);
  });
});
