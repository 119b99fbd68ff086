import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';

import { MAX_BLOCKS_JSON_LENGTH, startSlackEmulator, type SlackEmulator } from '../../../sandbox/slack/index.js';
import { button, platformError, section, webClient } from './helpers.js';

const CHANNEL = 'C0LIMITS01';

let emulator: SlackEmulator;
let client: WebClient;

beforeAll(async () => {
  emulator = await startSlackEmulator();
  client = webClient(emulator);
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
  emulator.setRateLimit('chat.postMessage', null);
});

const post = (blocks: readonly unknown[]): Promise<unknown> =>
  client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'fallback', blocks });

const actions = (...elements: unknown[]): Record<string, unknown> => ({ type: 'actions', elements });

describe('Block Kit limits, as Slack documents them', () => {
  it('takes 50 blocks and answers invalid_blocks for 51, with Slack pointer messages', async () => {
    const divider: KnownBlock = { type: 'divider' };
    await expect(
      client.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: Array.from({ length: 50 }, () => divider) }),
    ).resolves.toMatchObject({
      ok: true,
    });
    const data = await platformError(post(Array(51).fill(divider)));
    expect(data).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
      response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
  });

  it('takes a 3,000-character section text and refuses 3,001', async () => {
    await expect(post([section('a'.repeat(3000))])).resolves.toMatchObject({ ok: true });
    const data = await platformError(post([section('a'.repeat(3001))]));
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
  });

  it('takes a 2,000-character button value and refuses 2,001', async () => {
    await expect(post([actions(button('approve', 'v'.repeat(2000)))])).resolves.toMatchObject({ ok: true });
    const data = await platformError(post([actions(button('approve', 'v'.repeat(2001)))]));
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
  });

  it('takes a 255-character action_id and refuses 256', async () => {
    await expect(post([actions(button('a'.repeat(255), 'v'))])).resolves.toMatchObject({ ok: true });
    const data = await platformError(post([actions(button('a'.repeat(256), 'v'))]));
    expect(data.error).toBe('invalid_blocks');
    expect(data.response_metadata?.messages).toEqual([
      '[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]',
    ]);
  });

  it(`answers msg_blocks_too_long above ${MAX_BLOCKS_JSON_LENGTH} characters of blocks JSON`, async () => {
    // Sections of 2,500 characters stay under every per-block limit; only the total grows.
    const fill = (totalJson: number): unknown[] => {
      const blocks: unknown[] = [];
      while (JSON.stringify(blocks).length < totalJson - 2600) blocks.push(section('b'.repeat(2500)));
      const rest = totalJson - JSON.stringify([...blocks, section('')]).length;
      blocks.push(section('c'.repeat(rest)));
      return blocks;
    };
    const atLimit = fill(MAX_BLOCKS_JSON_LENGTH);
    expect(JSON.stringify(atLimit).length).toBe(MAX_BLOCKS_JSON_LENGTH);
    await expect(post(atLimit)).resolves.toMatchObject({ ok: true });
    const over = fill(MAX_BLOCKS_JSON_LENGTH + 1);
    expect((await platformError(post(over))).error).toBe('msg_blocks_too_long');
  });

  it('refuses properties a block does not define, unknown block types and empty texts', async () => {
    expect(
      (await platformError(post([{ type: 'section', text: { type: 'mrkdwn', text: 'x' }, colour: 'red' }])))
        .response_metadata?.messages,
    ).toEqual(['[ERROR] invalid additional property: colour [json-pointer:/blocks/0]']);
    expect((await platformError(post([{ type: 'banner', text: 'x' }]))).error).toBe('invalid_blocks');
    expect((await platformError(post([section('')]))).error).toBe('invalid_blocks');
  });

  it('refuses mrkdwn in a header, a header over 150 characters and duplicate block or action ids', async () => {
    expect((await platformError(post([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }]))).error).toBe(
      'invalid_blocks',
    );
    expect(
      (await platformError(post([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }]))).error,
    ).toBe('invalid_blocks');
    expect(
      (
        await platformError(
          post([
            { ...section('a'), block_id: 'same' },
            { ...section('b'), block_id: 'same' },
          ]),
        )
      ).error,
    ).toBe('invalid_blocks');
    expect((await platformError(post([actions(button('dup', '1'), button('dup', '2'))]))).error).toBe('invalid_blocks');
  });

  it('applies the same checks to chat.update and chat.postEphemeral', async () => {
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'v1' });
    expect(
      (await platformError(client.chat.update({ channel: CHANNEL, ts: posted.ts ?? '', text: 'a'.repeat(40_001) })))
        .error,
    ).toBe('msg_too_long');
    expect(
      (
        await platformError(
          client.apiCall('chat.update', { channel: CHANNEL, ts: posted.ts, blocks: [section('a'.repeat(3001))] }),
        )
      ).error,
    ).toBe('invalid_blocks');
    expect(
      (
        await platformError(
          client.apiCall('chat.postEphemeral', {
            channel: CHANNEL,
            user: 'U0ALICE',
            blocks: Array(51).fill({ type: 'divider' }),
          }),
        )
      ).error,
    ).toBe('invalid_blocks');
    expect(emulator.findMessage(CHANNEL, posted.ts ?? '')?.text).toBe('v1');
  });
});
