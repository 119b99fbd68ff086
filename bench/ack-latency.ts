/**
 * Ack latency of a signed `/deploy phase3` on loopback: Liftoff (signature check, retry guard, parse, ack,
 * then the plan is computed and posted after the ack) against a bare Bolt app that only acks, in the same
 * process so machine noise hits both. Run: npm run bench:ack [-- --requests 200 --concurrency 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import bolt from '@slack/bolt';
import { LogLevel } from '@slack/logger';
import { readConfig } from '../src/bot/config.js';
import { defaultLogger, startLiftoff } from '../src/bot/liftoff.js';
import { createSlackRequestSender, startSlackEmulator } from '../sandbox/slack/index.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '10' } },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const SECRET = 'bench-signing-secret';

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function measure(
  send: (i: number) => Promise<number>,
): Promise<{ p50: number; p99: number; max: number; failures: number }> {
  for (let i = 0; i < 20; i++) await send(-1 - i);
  const samples: number[] = [];
  let failures = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const started = process.hrtime.bigint();
        const status = await send(i);
        samples.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (status !== 200) failures++;
      }
    }),
  );
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1) ?? Number.NaN, failures };
}

const emulator = await startSlackEmulator();
emulator.setRateLimit('chat.postMessage', null);
const dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-bench-'));

// Baseline: a bare Bolt app whose /deploy only acks.
const baselineReceiver = new bolt.HTTPReceiver({ signingSecret: SECRET, endpoints: '/slack/events' });
const baseline = new bolt.App({
  token: emulator.botToken,
  receiver: baselineReceiver,
  tokenVerificationEnabled: false,
  botId: emulator.identity.botId,
  botUserId: emulator.identity.botUserId,
  logLevel: bolt.LogLevel.ERROR,
  clientOptions: { slackApiUrl: emulator.apiUrl },
});
baseline.command('/deploy', async ({ ack }) => {
  await ack();
});
const baselineServer = await baseline.start(0);
const baselinePort = (baselineServer.address() as { port: number }).port;

const config = readConfig({
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_BOT_TOKEN: emulator.botToken,
  SLACK_API_URL: emulator.apiUrl,
  PORT: '0',
  LIFTOFF_DATA_DIR: dataDir,
  GCP_PROJECT: 'bench-project',
  GITHUB_REPO: 'bench/app',
  EMERGENCE_TEST_SESSION: 'bench-session',
});
if (config.slack === undefined) throw new Error('unreachable: Slack is configured');
const liftoff = await startLiftoff({
  config,
  slack: config.slack,
  logger: defaultLogger(LogLevel.ERROR),
  host: '127.0.0.1',
});

const sender = (port: number) =>
  createSlackRequestSender({ targetUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET, emulator });
const channel = (i: number): string => `CBENCH${String(Math.abs(i)).padStart(4, '0')}`;
const toBaseline = sender(baselinePort);
const toLiftoff = sender(liftoff.port);
const send = (s: ReturnType<typeof sender>) => async (i: number) =>
  (await s.slashCommand({ command: '/deploy', text: 'phase3', userId: 'U0BENCH', channelId: channel(i) })).status;

const base = await measure(send(toBaseline));
const ours = await measure(send(toLiftoff));
await new Promise((resolve) => setTimeout(resolve, 500));
const runs = await liftoff.store.listRuns({});

const row = (name: string, r: typeof base): string =>
  `| ${name.padEnd(26)} | ${r.p50.toFixed(2).padStart(8)} | ${r.p99.toFixed(2).padStart(8)} | ${r.max.toFixed(2).padStart(8)} | ${String(r.failures).padStart(8)} |`;
console.log(`\n${REQUESTS} signed /deploy phase3 requests, ${CONCURRENCY} at a time, loopback (ms)\n`);
console.log('| app                        |      p50 |      p99 |      max | failures |');
console.log('| -------------------------- | -------- | -------- | -------- | -------- |');
console.log(row('bare Bolt (ack only)', base));
console.log(row('Liftoff', ours));
console.log(
  `\nratio Liftoff / baseline: p50 ×${(ours.p50 / base.p50).toFixed(2)}, p99 ×${(ours.p99 / base.p99).toFixed(2)}`,
);
console.log(`runs recorded: ${runs.length} (every request became one run with its plan posted)`);

await liftoff.stop();
await baseline.stop();
await emulator.close();
rmSync(dataDir, { recursive: true, force: true });
