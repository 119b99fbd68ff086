import { App, HTTPReceiver, LogLevel, type BlockButtonAction, type SlashCommand } from '@slack/bolt';
import { z } from 'zod';

import {
  createSlackRequestSender,
  startSlackEmulator,
  type ResponseDelivery,
  type SlackEmulator,
  type SlackRequestSender,
} from '../../../sandbox/slack/index.js';
import { button, nextEvent, section } from './helpers.js';

const SIGNING_SECRET = 'bolt-sandbox-signing-secret';
const CHANNEL = 'C0DEPLOYS01';
const messageContainer = z.object({ channel_id: z.string(), message_ts: z.string() });

let emulator: SlackEmulator;
let app: App;
let sender: SlackRequestSender;
const commands: SlashCommand[] = [];
const actions: { action: BlockButtonAction['actions'][number]; body: BlockButtonAction }[] = [];
const homeOpenedBy: string[] = [];

beforeAll(async () => {
  emulator = await startSlackEmulator();
  emulator.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Martin' });
  emulator.addChannel({ id: CHANNEL, name: 'deploys' });
  app = new App({
    token: emulator.botToken,
    receiver: new HTTPReceiver({ signingSecret: SIGNING_SECRET, endpoints: '/slack/events', logLevel: LogLevel.ERROR }),
    clientOptions: { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
  });
  app.command('/deploy', async ({ command, ack, respond }) => {
    commands.push(command);
    await ack();
    await respond({ response_type: 'ephemeral', text: `Deploy of ${command.text} requested` });
  });
  app.action<BlockButtonAction>('approve', async ({ action, body, ack, client }) => {
    actions.push({ action, body });
    await ack();
    const container: unknown = body.container;
    const { channel_id: channel, message_ts: ts } = messageContainer.parse(container);
    await client.chat.update({ channel, ts, text: `Approved by <@${body.user.id}>`, blocks: [section('Approved')] });
  });
  app.event('app_home_opened', async ({ event, client }) => {
    homeOpenedBy.push(event.user);
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: [section('Deploys')] } });
  });
  const server = await app.start(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Bolt is not listening on a port');
  sender = createSlackRequestSender({
    targetUrl: `http://127.0.0.1:${address.port}/slack/events`,
    signingSecret: SIGNING_SECRET,
    emulator,
  });
});

afterAll(async () => {
  await app.stop();
  await emulator.close();
});

describe('a real Bolt App behind an HTTPReceiver', () => {
  it('asked the emulator who it is at start (auth.test)', async () => {
    await expect(emulator.waitForCall('auth.test')).resolves.toMatchObject({ response: { body: { ok: true } } });
  });

  it('receives the slash command with Slack fields and responds through the emulated response_url', async () => {
    const responded = nextEvent<ResponseDelivery>((listener) => {
      emulator.events.on('response', listener);
      return () => emulator.events.off('response', listener);
    });
    const response = await sender.slashCommand({
      command: '/deploy',
      text: 'api v1.2.3',
      userId: 'U0ALICE',
      channelId: CHANNEL,
    });
    expect(response.status).toBe(200);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      command: '/deploy',
      text: 'api v1.2.3',
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: CHANNEL,
      channel_name: 'deploys',
      team_id: emulator.identity.teamId,
      api_app_id: emulator.identity.appId,
    });
    const delivery = await responded;
    expect(delivery).toMatchObject({
      status: 200,
      response_type: 'ephemeral',
      text: 'Deploy of api v1.2.3 requested',
      context: { channelId: CHANNEL, userId: 'U0ALICE' },
    });
    expect(emulator.ephemerals.at(-1)).toMatchObject({ user: 'U0ALICE', text: 'Deploy of api v1.2.3 requested' });
  });

  it('receives the block action with the message and updates it through the emulator', async () => {
    const posted = await app.client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve the deploy?',
      blocks: [section('Approve?'), { type: 'actions', elements: [button('approve', 'req-42')] }],
    });
    const response = await sender.blockAction({
      actionId: 'approve',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: posted.ts ?? '',
    });
    expect(response.status).toBe(200);
    expect(actions).toHaveLength(1);
    expect(actions[0]?.action).toMatchObject({ action_id: 'approve', value: 'req-42', type: 'button' });
    expect(actions[0]?.body).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE' },
      channel: { id: CHANNEL },
      message: { ts: posted.ts, text: 'Approve the deploy?' },
    });
    const update = await emulator.waitForCall('chat.update');
    expect(update.response.body).toMatchObject({ ok: true, ts: posted.ts });
    expect(emulator.findMessage(CHANNEL, posted.ts ?? '')).toMatchObject({ text: 'Approved by <@U0ALICE>' });
  });

  it('answers 401 to a forged request and runs no listener', async () => {
    const before = commands.length;
    const response = await sender.slashCommand(
      { command: '/deploy', text: 'forged', userId: 'U0ALICE', channelId: CHANNEL },
      { signingSecret: 'not-the-secret' },
    );
    expect(response.status).toBe(401);
    expect(commands).toHaveLength(before);
  });

  it('receives app_home_opened and publishes the Home tab to the emulator', async () => {
    const response = await sender.appHomeOpened({ userId: 'U0ALICE' });
    expect(response.status).toBe(200);
    await emulator.waitForCall('views.publish');
    expect(homeOpenedBy).toEqual(['U0ALICE']);
    expect(emulator.views.get('U0ALICE')?.view).toMatchObject({ type: 'home', blocks: [section('Deploys')] });
  });
});
