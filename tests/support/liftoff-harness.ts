import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogLevel } from '@slack/logger';
import { readConfig } from '../../src/bot/config.js';
import { defaultLogger, startLiftoff, type RunningLiftoff } from '../../src/bot/liftoff.js';

import {
  createSlackRequestSender,
  startSlackEmulator,
  type EmulatedMessage,
  type SlackEmulator,
  type SlackRequestSender,
} from '../../sandbox/slack/index.js';
import { TestClock } from './test-clock.js';
import type { LiveFactsReader, PipelinePort } from '../../src/deploy/ports/index.js';

export const USERS = {
  requester: 'U0DEV',
  otherDeployer: 'U0DEV2',
  approver: 'U0LEAD',
  groupApprover: 'U0ONCALL',
  outsider: 'U0GUEST',
} as const;
export const CHANNEL = 'C0DEPLOYS';
export const SIGNING_SECRET = 'test-signing-secret';

/** The environment `runbooks/phase3.yml` needs, as an operator would set it. */
export const PHASE3_ENV = {
  GCP_PROJECT: 'emergence-prod',
  GCP_REGION: 'europe-west1',
  GITHUB_REPO: 'emergence/emergence-app',
  EMERGENCE_TEST_SESSION: 'aa327d90-3547-4396-a409-f565182db61a',
  LIFTOFF_DEPLOYERS: `${USERS.requester},${USERS.otherDeployer}`,
  LIFTOFF_APPROVERS: `${USERS.approver},S0ONCALL`,
} as const;

export interface HarnessOptions {
  readonly runbooksDir?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly dataDir?: string;
  readonly clock?: TestClock;
  readonly emulator?: SlackEmulator;
  readonly liveFacts?: LiveFactsReader;
  /**
   * Without GitHub access the harness stands in a pipeline that holds approved runs, so the request and
   * approval flow can be tested alone; 'none' gives Liftoff no pipeline at all, as in production without
   * GITHUB_TOKEN. With GITHUB_TOKEN in `env` the real pipeline runs.
   */
  readonly pipeline?: PipelinePort | 'none';
  readonly expirySweepMs?: number;
  /** Extra options for startLiftoff (pipeline timings, GitHub mode, outbox interval). */
  readonly liftoff?: Partial<
    Pick<Parameters<typeof startLiftoff>[0], 'githubMode' | 'pipelineTimings' | 'outboxIntervalMs' | 'sleep'>
  >;
}

export interface Harness {
  readonly emulator: SlackEmulator;
  readonly liftoff: RunningLiftoff;
  readonly sender: SlackRequestSender;
  readonly clock: TestClock;
  readonly dataDir: string;
  readonly url: string;
  /** Sends `/deploy <text>` as a user and returns the HTTP answer. */
  deploy(text: string, userId?: string): ReturnType<SlackRequestSender['slashCommand']>;
  /** The channel messages that carry an Approve button. */
  requestMessages(): EmulatedMessage[];
  /** Waits until a request message with buttons is posted, and returns it. */
  waitForRequest(count?: number): Promise<EmulatedMessage>;
  click(
    action: 'approve' | 'deny',
    message: EmulatedMessage,
    userId: string,
  ): ReturnType<SlackRequestSender['blockAction']>;
  /** Text of the ephemeral answers (response_url or ack body) a user got, newest last. */
  ephemeralTextsFor(userId: string): string[];
  /** Stops Liftoff (the emulator too unless it was given). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const hasApproveButton = (message: EmulatedMessage): boolean =>
  JSON.stringify(message.blocks ?? []).includes('"liftoff_approve"');

/** Approved runs stay approved: the request and approval tests stop there. */
const HOLDING_PIPELINE: PipelinePort = { start: () => undefined };

function pipelineOption(option: HarnessOptions['pipeline'], hasGitHub: boolean): { pipeline?: PipelinePort } {
  if (option === 'none') return {};
  if (option !== undefined) return { pipeline: option };
  return hasGitHub ? {} : { pipeline: HOLDING_PIPELINE };
}

/** The real Liftoff app over loopback, against the Slack emulator, with a temporary store. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock();
  const emulator = options.emulator ?? (await startSlackEmulator({ clock }));
  emulator.setUsergroup('S0ONCALL', [USERS.groupApprover]);
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'liftoff-test-'));
  const config = readConfig({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: emulator.botToken,
    SLACK_API_URL: emulator.apiUrl,
    PORT: '0',
    LIFTOFF_DATA_DIR: dataDir,
    LIFTOFF_RUNBOOKS: options.runbooksDir ?? 'runbooks',
    ...PHASE3_ENV,
    ...options.env,
  });
  if (config.slack === undefined) throw new Error('the harness always configures Slack');
  const liftoff = await startLiftoff({
    config,
    slack: config.slack,
    clock,
    logger: defaultLogger(LogLevel.ERROR),
    host: '127.0.0.1',
    expirySweepMs: options.expirySweepMs ?? 50,
    ...(options.liveFacts === undefined ? {} : { liveFacts: options.liveFacts }),
    ...pipelineOption(options.pipeline, config.github.token !== undefined),
    ...options.liftoff,
  });
  const url = `http://127.0.0.1:${liftoff.port}`;
  const sender = createSlackRequestSender({
    targetUrl: `${url}/slack/events`,
    signingSecret: SIGNING_SECRET,
    emulator,
    clock,
  });
  const acked: { userId: string; text: string }[] = [];
  const harness: Harness = {
    emulator,
    liftoff,
    sender,
    clock,
    dataDir,
    url,
    async deploy(text, userId = USERS.requester) {
      const response = await sender.slashCommand({ command: '/deploy', text, userId, channelId: CHANNEL });
      const body = response.body.trim();
      if (body.startsWith('{')) {
        const parsed = JSON.parse(body) as { text?: unknown };
        if (typeof parsed.text === 'string') acked.push({ userId, text: parsed.text });
      }
      return response;
    },
    requestMessages: () => emulator.messages.filter((m) => m.channel === CHANNEL && hasApproveButton(m)),
    async waitForRequest(count = 1) {
      return waitFor(() => harness.requestMessages()[count - 1], `request message #${count}`);
    },
    click(action, message, userId) {
      return sender.blockAction({
        actionId: `liftoff_${action}`,
        userId,
        channelId: message.channel,
        messageTs: message.ts,
      });
    },
    ephemeralTextsFor(userId) {
      const viaResponse = emulator.responses
        .filter((r) => r.context?.userId === userId)
        .map((r) => [r.text ?? '', JSON.stringify(r.blocks ?? [])].join('\n'));
      return [...acked.filter((a) => a.userId === userId).map((a) => a.text), ...viaResponse];
    },
    async close(closeOptions = {}) {
      await liftoff.stop();
      if (options.emulator === undefined) await emulator.close();
      if (closeOptions.keepData !== true && options.dataDir === undefined)
        rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
