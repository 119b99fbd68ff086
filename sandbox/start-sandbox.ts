import { randomBytes } from 'node:crypto';
import type { Logger } from '@slack/logger';
import type { Config } from '../src/bot/config.js';
import { startLiftoff, type RunningLiftoff } from '../src/bot/liftoff.js';
import { consoleRoutes, SANDBOX_CHANNEL, SANDBOX_USERS } from './console/console-routes.js';
import { createSlackRequestSender, startSlackEmulator } from './slack/index.js';
import path from 'node:path';
import { startEmulatedCloud } from './emulated-cloud.js';
import { worldRoutes } from './console/world-routes.js';
import { startTrafficGenerator } from './traffic/generator.js';

/** The sandbox's users: a steady rate on the service URL, so a canary is judged on real requests. */
const SANDBOX_USERS_PER_SECOND = 5;

/** What the sandbox sets for `runbooks/phase3.yml` when the operator has not. */
const SANDBOX_RUNBOOK_ENV = {
  GCP_PROJECT: 'emergence-sandbox',
  GCP_REGION: 'europe-west1',
  GITHUB_REPO: 'emergence/emergence-app',
  EMERGENCE_TEST_SESSION: 'aa327d90-3547-4396-a409-f565182db61a',
  LIFTOFF_DEPLOYERS: `${SANDBOX_USERS.requester.id},${SANDBOX_USERS.approver.id}`,
  LIFTOFF_APPROVERS: SANDBOX_USERS.approver.id,
} as const;

export interface RunningSandbox {
  readonly consoleUrl: string;
  readonly liftoff: RunningLiftoff;
  stop(): Promise<void>;
}

/**
 * Liftoff with nothing configured: an emulated Slack workspace, Liftoff wired to it with throwaway credentials,
 * and a console page on the same port that plays the Slack client.
 */
export async function startSandbox(options: {
  readonly config: Config;
  readonly logger: Logger;
}): Promise<RunningSandbox> {
  const emulator = await startSlackEmulator();
  for (const user of Object.values(SANDBOX_USERS))
    emulator.addUser({ id: user.id, name: user.name, realName: user.realName });
  emulator.addChannel({ id: SANDBOX_CHANNEL.id, name: SANDBOX_CHANNEL.name });
  const signingSecret = randomBytes(16).toString('hex');
  const runbookEnv = { ...SANDBOX_RUNBOOK_ENV, ...options.config.runbookEnv };
  const githubToken = `ghp_sandbox_${randomBytes(8).toString('hex')}`;
  // Timings a person can follow: a build takes a few seconds, a revision a second or two.
  const cloud = await startEmulatedCloud({
    project: runbookEnv.GCP_PROJECT ?? SANDBOX_RUNBOOK_ENV.GCP_PROJECT,
    region: runbookEnv.GCP_REGION ?? SANDBOX_RUNBOOK_ENV.GCP_REGION,
    githubToken,
    repoDir: path.resolve(options.config.dataDir, 'sandbox', 'emergence-app.git'),
    gcpTimings: { buildQueueMs: 800, buildStepMs: 2500, revisionReadyMs: 1500, trafficUpdateMs: 300 },
    // Every request through the emulated front door comes from 127.0.0.1: the users need more than 100 a minute.
    runtime: { analysisMs: 1500, rateLimitPerMinute: 10_000 },
    // Cloud Run's request metrics show up to 180 s late; the sandbox keeps that shape, shorter, so a person can watch.
    monitoring: { reportingDelayMs: 20_000 },
  });
  const serviceUrl = cloud.gcp.services().find((s) => String(s.name).endsWith('/services/emergence-app'))?.uri;
  const users =
    typeof serviceUrl === 'string' && serviceUrl !== ''
      ? startTrafficGenerator({ url: serviceUrl, requestsPerSecond: SANDBOX_USERS_PER_SECOND })
      : undefined;
  const config: Config = {
    ...options.config,
    gcpApiEndpoint: cloud.gcp.endpoint,
    github: { token: githubToken, apiUrl: cloud.github.apiUrl },
    runbookEnv,
  };
  // The console sends to Liftoff's own port, known only once it listens.
  const senderRef: { current?: ReturnType<typeof createSlackRequestSender> } = {};
  const liftoff = await startLiftoff({
    config,
    slack: { mode: 'http', signingSecret, botToken: emulator.botToken, apiUrl: emulator.apiUrl },
    logger: options.logger,
    host: '127.0.0.1',
    githubMode: 'test',
    pipelineTimings: { buildPollMs: 1000 },
    outboxIntervalMs: 2000,
    routes: [
      worldRoutes(cloud),
      consoleRoutes({
        emulator,
        sender: () => {
          if (senderRef.current === undefined) throw new Error('the console was used before Liftoff started');
          return senderRef.current;
        },
      }),
    ],
  });
  const consoleUrl = `http://127.0.0.1:${liftoff.port}/`;
  senderRef.current = createSlackRequestSender({ targetUrl: `${consoleUrl}slack/events`, signingSecret, emulator });
  return {
    consoleUrl,
    liftoff,
    async stop() {
      await users?.stop();
      await liftoff.stop();
      await emulator.close();
      await cloud.close();
    },
  };
}
