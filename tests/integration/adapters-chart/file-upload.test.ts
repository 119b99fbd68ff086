import { WebClient } from '@slack/web-api';

import { renderPng } from '../../../src/adapters/chart/png.js';
import { FileUploadError, uploadFile } from '../../../src/adapters/slack/file-upload.js';
import { metricsChartSvg } from '../../../src/ui/metrics-chart.js';
import { startSlackEmulator, type SlackEmulator } from '../../../sandbox/slack/index.js';
import { silentLogger, webClient } from '../sandbox-slack/helpers.js';
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

/** A client on the emulator whose every HTTP exchange goes through `fetch` (as a proxy or custom TLS would). */
function clientWith(fetchFn: typeof fetch): WebClient {
  return new WebClient(emulator.botToken, {
    slackApiUrl: emulator.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silentLogger,
    fetch: fetchFn,
  });
}

const urlOf = (input: Parameters<typeof fetch>[0]): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

describe('uploadFile', () => {
  it('uploads the exact PNG bytes and shares them in the thread, returning the file id', async () => {
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
    expect(file?.bytes?.subarray(1, 4).toString()).toBe('PNG');
    expect(file).toMatchObject({
      filename: 'metrics.png',
      length: png.length,
      completed: true,
      title: 'Metrics of emergence-app',
      channels: [CHANNEL],
      threadTs: thread,
      initialComment: 'Latency histogram and rates',
    });
    expect(emulator.calls.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    const complete = emulator.calls.find((call) => call.method === 'files.completeUploadExternal');
    expect(complete?.params).toMatchObject({
      channel_id: CHANNEL,
      thread_ts: thread,
      files: [{ id, title: 'Metrics of emergence-app' }],
    });
    const shared = emulator.messages.find((message) => message.via === 'files.completeUploadExternal');
    expect(shared).toMatchObject({ channel: CHANNEL, thread_ts: thread, files: [id] });
  });

  it('shares in the channel itself without a thread', async () => {
    const id = await uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL });
    expect(emulator.files.get(id)).toMatchObject({ threadTs: undefined, channels: [CHANNEL], completed: true });
    const complete = emulator.calls.find((call) => call.method === 'files.completeUploadExternal');
    expect(complete?.params).not.toHaveProperty('thread_ts');
  });

  it("sends the bytes through the client's own transport, as every other call", async () => {
    const seen: string[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(urlOf(input));
      return fetch(input, init);
    };
    const id = await uploadFile(clientWith(recording), { bytes: png, filename: 'metrics.png', channelId: CHANNEL });
    const uploadUrl = emulator.files.get(id)?.uploadUrl;
    expect(uploadUrl).toBeDefined();
    expect(seen).toContain(uploadUrl);
    expect(emulator.files.get(id)?.bytes?.equals(png)).toBe(true);
  });

  it('throws when files.getUploadURLExternal fails, having uploaded nothing', async () => {
    emulator.failNext('files.getUploadURLExternal', 'ratelimited');
    const error = await rejection(uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL }));
    expect(error).toBeInstanceOf(FileUploadError);
    expect(error).toMatchObject({ code: 'slack_error', message: 'files.uploadV2 failed: ratelimited' });
    expect(emulator.files.size).toBe(0);
    expect(emulator.calls.map((call) => call.method)).not.toContain('files.completeUploadExternal');
  });

  it('throws when the upload URL refuses the bytes, and shares nothing', async () => {
    const refusing: typeof fetch = (input, init) =>
      urlOf(input).includes('/upload/')
        ? Promise.resolve(new Response('upstream_error', { status: 502 }))
        : fetch(input, init);
    const error = await rejection(
      uploadFile(clientWith(refusing), { bytes: png, filename: 'metrics.png', channelId: CHANNEL }),
    );
    expect(error).toBeInstanceOf(FileUploadError);
    expect(error).toMatchObject({ code: 'http_error', message: 'files.uploadV2 failed: HTTP 502' });
    expect(emulator.calls.map((call) => call.method)).not.toContain('files.completeUploadExternal');
    expect(emulator.messages).toHaveLength(0);
  });

  it('throws when files.completeUploadExternal fails', async () => {
    emulator.failNext('files.completeUploadExternal', 'channel_not_found');
    const error = await rejection(uploadFile(client, { bytes: png, filename: 'metrics.png', channelId: CHANNEL }));
    expect(error).toMatchObject({ code: 'slack_error', message: 'files.uploadV2 failed: channel_not_found' });
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
