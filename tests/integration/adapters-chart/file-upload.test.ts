import type { WebClient } from '@slack/web-api';

import { renderPng } from '../../../src/adapters/chart/png.js';
import { FileUploadError, isAllowedUploadUrl, uploadFile } from '../../../src/adapters/slack/file-upload.js';
import { metricsChartSvg } from '../../../src/ui/metrics-chart.js';
import { startSlackEmulator, type SlackEmulator } from '../../../sandbox/slack/index.js';
import { webClient } from '../sandbox-slack/helpers.js';
import { chartDataOf, EXPOSITION } from './helpers.js';

const CHANNEL = 'C0DEPLOYS01';

let emulator: SlackEmulator;
let client: WebClient;
let png: Buffer;

beforeAll(async () => {
  emulator = await startSlackEmulator();
  client = webClient(emulator);
  png = renderPng(metricsChartSvg(chartDataOf(EXPOSITION), { title: 'Metrics · seed → emergence-app' }));
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.reset();
});

async function threadTs(): Promise<string> {
  const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'Metrics of emergence-app' });
  if (posted.ts === undefined) throw new Error('chat.postMessage gave no ts');
  return posted.ts;
}

/** The error `promise` rejects with, failing if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('uploadFile', () => {
  it('uploads the exact bytes and shares them in the thread, returning the file id', async () => {
    const thread = await threadTs();
    const id = await uploadFile(client, {
      bytes: png,
      filename: 'metrics.png',
      title: 'Metrics of emergence-app',
      channelId: CHANNEL,
      threadTs: thread,
      initialComment: 'Latency histogram and rates',
    });

    const file = emulator.files.get(id);
    expect(file?.bytes?.equals(png)).toBe(true);
    expect(file).toMatchObject({
      filename: 'metrics.png',
      length: png.length,
      completed: true,
      title: 'Metrics of emergence-app',
      channels: [CHANNEL],
      threadTs: thread,
      initialComment: 'Latency histogram and rates',
    });
    const complete = emulator.calls.find((call) => call.method === 'files.completeUploadExternal');
    expect(complete?.params).toMatchObject({
      channel_id: CHANNEL,
      thread_ts: thread,
      files: [{ id, title: 'Metrics of emergence-app' }],
    });
    const shared = emulator.messages.find((message) => message.via === 'files.completeUploadExternal');
    expect(shared).toMatchObject({ channel: CHANNEL, thread_ts: thread, files: [id] });
  });

  it('shares in the channel itself without a thread, and sends the alt text as Slack spells it', async () => {
    const id = await uploadFile(client, {
      bytes: png,
      filename: 'metrics.png',
      altText: 'Bar chart of analysis durations',
      channelId: CHANNEL,
    });
    expect(emulator.files.get(id)).toMatchObject({
      altText: 'Bar chart of analysis durations',
      threadTs: undefined,
      channels: [CHANNEL],
    });
    const complete = emulator.calls.find((call) => call.method === 'files.completeUploadExternal');
    expect(complete?.params).not.toHaveProperty('thread_ts');
  });

  it('throws when files.getUploadURLExternal fails, having uploaded nothing', async () => {
    emulator.failNext('files.getUploadURLExternal', 'ratelimited');
    const error = await rejection(uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL }));
    expect(error).toBeInstanceOf(FileUploadError);
    expect(error).toMatchObject({
      step: 'files.getUploadURLExternal',
      code: 'slack_error',
      message: 'files.getUploadURLExternal failed: ratelimited',
    });
    expect(emulator.files.size).toBe(0);
    expect(emulator.calls.map((call) => call.method)).not.toContain('files.completeUploadExternal');
  });

  it('throws when the upload URL refuses the bytes, and shares nothing', async () => {
    const refusing: typeof fetch = () => Promise.resolve(new Response('upstream_error', { status: 502 }));
    const error = await rejection(
      uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL }, { fetch: refusing }),
    );
    expect(error).toMatchObject({
      step: 'upload',
      code: 'upload_rejected',
      message: 'the upload URL answered HTTP 502: upstream_error',
    });
    expect(emulator.calls.map((call) => call.method)).not.toContain('files.completeUploadExternal');
    expect(emulator.messages).toHaveLength(0);
  });

  it('throws when files.completeUploadExternal fails', async () => {
    emulator.failNext('files.completeUploadExternal', 'channel_not_found');
    const error = await rejection(uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL }));
    expect(error).toMatchObject({
      step: 'files.completeUploadExternal',
      code: 'slack_error',
      message: 'files.completeUploadExternal failed: channel_not_found',
    });
    expect(emulator.messages).toHaveLength(0);
  });

  it('refuses an empty file before asking Slack', async () => {
    const error = await rejection(
      uploadFile(client, { bytes: Buffer.alloc(0), filename: 'metrics.png', channelId: CHANNEL }),
    );
    expect(error).toMatchObject({ code: 'empty_file' });
    expect(emulator.calls).toHaveLength(0);
  });
});

describe('isAllowedUploadUrl', () => {
  it.each([
    ['https://files.slack.com/upload/v1/abc', true],
    ['http://127.0.0.1:4000/upload/v1/abc', true],
    ['http://localhost:4000/upload/v1/abc', true],
    ['http://[::1]:4000/upload/v1/abc', true],
    ['http://files.slack.com/upload/v1/abc', false],
    ['http://127.0.0.1.example.com/upload', false],
    ['https://user:secret@files.slack.com/upload', false],
    ['file:///etc/passwd', false],
    ['ftp://files.slack.com/upload', false],
  ])('%s → %s', (url, allowed) => {
    expect(isAllowedUploadUrl(new URL(url))).toBe(allowed);
  });
});
