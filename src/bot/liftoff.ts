import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver } from '@slack/bolt';
import { ConsoleLogger, LogLevel, type Logger } from '@slack/logger';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { openStore } from '../adapters/store/open-store.js';
import { resolveBotIdentity } from '../adapters/slack/bot-identity.js';
import { slackRequestNotifier } from '../adapters/slack/request-notifier.js';
import { slackThreadReporter } from '../adapters/slack/thread-reporter.js';
import { DeployPipeline } from '../deploy/pipeline/deploy-pipeline.js';
import type { PipelineTimings } from '../deploy/pipeline/step-context.js';
import { drainOutbox } from '../deploy/pipeline/outbox-worker.js';
import { recordFilesFromRun, trafficMoveIndexFile } from '../ui/deploy-log.js';
import { pipelineText } from '../ui/pipeline-text.js';
import { canaryCardMessage } from '../ui/canary-card.js';
import { decidedMessage, requestMessage } from '../ui/plan-message.js';
import { finalMessage, progressMessage, stepMessage } from '../ui/run-thread.js';
import { appendDeployIndexRow } from '../ui/deploy-index.js';
import { liveMetrics } from '../deploy/live-metrics.js';
import { RollbackDesk } from '../deploy/rollback.js';
import { EmergencyStop } from '../deploy/emergency-stop.js';
import { homeOverview } from '../deploy/home-overview.js';
import { renderPng } from '../adapters/chart/png.js';
import { uploadFile } from '../adapters/slack/file-upload.js';
import { metricsChartData, metricsChartSvg } from '../ui/metrics-chart.js';
import { preflightFromPorts } from '../deploy/preflight.js';
import { createCloudPorts, type CloudPorts } from './cloud-wiring.js';
import { slackUserGroupDirectory } from '../adapters/slack/usergroup-directory.js';
import { DeployDesk } from '../deploy/deploy-desk.js';
import { unreadLiveFacts } from '../deploy/plan.js';
import { systemClock, type Clock, type Store } from '../deploy/ports/index.js';
import { loadRunbooks, formatRunbookErrors, type RunbookCatalog } from '../deploy/runbook/loader.js';
import { registerHandlers } from '../handlers/register.js';
import { createBotMetrics, type BotMetrics } from './bot-metrics.js';
import type { Config, SlackConfig } from './config.js';
import { LiftoffHttpReceiver, type RouteHandler } from './http-receiver.js';
import { catalogSecrets, redactingLogger, redactingReporter } from './redaction.js';
import type { LiveFactsReader, PipelinePort } from '../deploy/ports/index.js';

export interface LiftoffOptions {
  readonly config: Config;
  /** Slack credentials; the config's own unless the sandbox supplies them. */
  readonly slack: SlackConfig;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly liveFacts?: LiveFactsReader;
  readonly pipeline?: PipelinePort;
  /** Extra HTTP routes (the sandbox console), tried after /healthz and /metrics. */
  readonly routes?: readonly RouteHandler[];
  /** How often waiting requests are checked for expiry. */
  readonly expirySweepMs?: number;
  /** Host to listen on (default all interfaces; tests use 127.0.0.1). */
  readonly host?: string;
  /** The cloud and GitHub adapters; by default built from the config when GITHUB_TOKEN is set. */
  readonly cloud?: CloudPorts;
  readonly githubMode?: 'production' | 'test';
  readonly pipelineTimings?: Partial<PipelineTimings>;
  /** How often the outbox is offered to GitHub again. */
  readonly outboxIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often runs left by a dead process are looked for. */
  readonly resumeIntervalMs?: number;
}

export interface RunningLiftoff {
  readonly port: number;
  readonly store: Store;
  readonly desk: DeployDesk;
  readonly metrics: BotMetrics;
  readonly catalog: RunbookCatalog;
  readonly pipeline: DeployPipeline | undefined;
  /** Offers the outbox to GitHub now (tests). */
  drainOutbox(): Promise<number>;
  /** Finishes the requests in flight, stops the timers and closes the store. */
  stop(): Promise<void>;
}

export function defaultLogger(level: LogLevel = LogLevel.INFO): Logger {
  const logger = new ConsoleLogger();
  logger.setLevel(level);
  logger.setName('liftoff');
  return logger;
}

function opsRoutes(metrics: BotMetrics, catalog: RunbookCatalog): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: 'ok', runbooks: catalog.runbooks.length, invalidRunbooks: catalog.invalid.length }),
      );
      return true;
    }
    if (path === '/metrics') {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      return true;
    }
    return false;
  };
}

/** Builds every piece, wires them and starts serving. The only place that knows them all. */
export async function startLiftoff(options: LiftoffOptions): Promise<RunningLiftoff> {
  const { config, slack } = options;
  const clock = options.clock ?? systemClock;
  let secrets: readonly string[] = [];
  // Every line, Bolt's and the WebClient's included, is redacted: known token shapes and the runbooks' env values.
  const logger = redactingLogger(options.logger ?? defaultLogger(), () => secrets);
  const catalog = await loadRunbooks({ dir: config.runbooksDir, env: config.runbookEnv });
  secrets = catalogSecrets(catalog);
  for (const invalid of catalog.invalid)
    logger.warn(`runbook ${invalid.file} is invalid:\n  ${formatRunbookErrors(invalid).join('\n  ')}`);
  for (const loaded of catalog.runbooks)
    for (const warning of loaded.warnings) logger.warn(`runbook ${loaded.file}: ${warning}`);

  const store = await openStore({
    dataDir: config.dataDir,
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
  });
  const metrics = createBotMetrics(() => store.countRunsByState());
  // Retries could post a message twice when an answer is lost (FACTS.md); rate limits are still waited out.
  const clientOptions: WebClientOptions = {
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger,
    ...(slack.apiUrl === undefined ? {} : { slackApiUrl: slack.apiUrl }),
  };
  const client = new WebClient(slack.botToken, clientOptions);
  const directory = slackUserGroupDirectory(client, clock);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const cloud =
    options.cloud ??
    (config.github.token === undefined
      ? undefined
      : createCloudPorts({
          config,
          clock,
          logger,
          ...(options.githubMode === undefined ? {} : { githubMode: options.githubMode }),
        }));
  const reporter = redactingReporter(
    slackThreadReporter(client, {
      clock,
      logger,
      sleep,
      render: { progress: progressMessage, step: stepMessage, canary: canaryCardMessage, final: finalMessage },
    }),
    (run) => catalogSecrets(catalog, run.runbook),
  );
  const pipeline =
    cloud === undefined
      ? undefined
      : new DeployPipeline({
          store,
          clock,
          sleep,
          catalog: () => catalog,
          repo: cloud.repo,
          build: cloud.build,
          cloudRun: cloud.cloudRun,
          logs: cloud.logs,
          prober: cloud.prober,
          ...(cloud.canaryMeasurements === undefined ? {} : { canaryMeasurements: cloud.canaryMeasurements }),
          reporter,
          text: pipelineText,
          renderRecord: recordFilesFromRun,
          instanceId: cloud.instanceId,
          logger: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m, e) => logger.error(m, e) },
          ...(options.pipelineTimings === undefined ? {} : { timings: options.pipelineTimings }),
          onRunEnded: () => startQueued(),
        });
  // Kept so that stopping waits for a start in flight (its preflight may take seconds) before the store closes.
  const queueing = new Set<Promise<void>>();
  let acceptingWork = true;
  const startQueued = (): void => {
    if (!acceptingWork) return;
    const pass = desk
      .startQueued()
      .then(() => undefined)
      .catch((error: unknown) => logger.error('starting queued runs failed', error))
      .finally(() => queueing.delete(pass));
    queueing.add(pass);
  };
  const desk = new DeployDesk({
    store,
    clock,
    directory,
    catalog: () => catalog,
    liveFacts:
      options.liveFacts ??
      cloud?.liveFacts ??
      unreadLiveFacts('GITHUB_TOKEN is not set, so Liftoff reads neither the repository nor the service'),
    notifier: slackRequestNotifier(client, { request: requestMessage, decided: decidedMessage }),
    pipeline: options.pipeline ?? pipeline,
    ...(cloud === undefined ? {} : { preflight: preflightFromPorts({ repo: cloud.repo, cloudRun: cloud.cloudRun }) }),
  });
  const outboxOwner = cloud?.instanceId ?? 'liftoff';
  const drain = (): Promise<number> =>
    cloud === undefined
      ? Promise.resolve(0)
      : drainOutbox({
          store,
          repo: cloud.repo,
          clock,
          owner: outboxOwner,
          logger: { warn: (m) => logger.warn(m) },
          appendIndexRow: appendDeployIndexRow,
        });

  const routes = [opsRoutes(metrics, catalog), ...(options.routes ?? [])];
  let receiver: LiftoffHttpReceiver | SocketModeReceiver;
  let opsServer: http.Server | undefined;
  if (slack.mode === 'socket') {
    receiver = new SocketModeReceiver({ appToken: slack.appToken, logger });
  } else {
    receiver = new LiftoffHttpReceiver({ signingSecret: slack.signingSecret, clock, logger, metrics, routes });
  }
  const identity = await resolveBotIdentity(client, logger);
  const app = new App({
    token: slack.botToken,
    receiver,
    logger,
    // Bolt resets a given logger to INFO unless told its level.
    logLevel: logger.getLevel(),
    clientOptions,
    ...identity,
    tokenVerificationEnabled: false,
  });
  app.error((error) => {
    logger.error('unhandled error in a Slack listener', error);
    return Promise.resolve();
  });
  registerHandlers(
    app,
    {
      desk,
      emergencyStop:
        cloud === undefined
          ? undefined
          : new EmergencyStop({ store, clock, directory, catalog: () => catalog, cloudRun: cloud.cloudRun, sleep }),
      catalog: () => catalog,
      audit: (entry) => store.appendAudit({ ...entry, at: clock.now() }),
      metrics,
      logger,
      liveMetrics:
        cloud === undefined
          ? undefined
          : (input) => liveMetrics({ cloudRun: cloud.cloudRun, prober: cloud.prober, catalog: () => catalog }, input),
      async postMetricsChart(channelId, result) {
        const scraped = result.targets.find((t) => t.result.ok);
        if (scraped === undefined || !scraped.result.ok) return;
        const data = metricsChartData(scraped.result.exposition, scraped.result.snapshot, result.goals);
        const png = renderPng(metricsChartSvg(data, { title: `${result.service} · ${scraped.label}` }));
        await uploadFile(client, {
          bytes: png,
          filename: `${result.service}-metrics.png`,
          title: `Metrics of ${result.service}`,
          channelId,
        });
      },
    },
    { store, clock },
    cloud === undefined
      ? undefined
      : new RollbackDesk({
          store,
          clock,
          directory,
          catalog: () => catalog,
          cloudRun: cloud.cloudRun,
          prober: cloud.prober,
          indexFile: trafficMoveIndexFile,
        }),
    () => homeOverview({ store, clock, catalog: () => catalog, cloudRun: cloud?.cloudRun }),
  );

  let port: number;
  const host = options.host ?? '0.0.0.0';
  if (receiver instanceof LiftoffHttpReceiver) {
    port = (await receiver.start(config.port, host)).port;
  } else {
    await receiver.start();
    opsServer = http.createServer((req, res) => {
      void (async () => {
        for (const route of routes) if (await route(req, res)) return;
        res.writeHead(404).end();
      })();
    });
    await new Promise<void>((resolve) => opsServer?.listen(config.port, host, resolve));
    port = (opsServer.address() as AddressInfo).port;
  }

  const sweep = (): void => {
    desk.expireDue().catch((error: unknown) => logger.error('expiring requests failed', error));
    // A lock may have run out, or been freed by another replica, since the last look at the line.
    startQueued();
  };
  sweep();
  const sweeper = setInterval(sweep, options.expirySweepMs ?? 15_000);
  sweeper.unref();
  let draining: Promise<number> | undefined;
  const outboxTimer = setInterval(() => {
    draining ??= drain()
      .catch((error: unknown) => {
        logger.error('the outbox worker failed', error);
        return 0;
      })
      .finally(() => (draining = undefined));
  }, options.outboxIntervalMs ?? 5_000);
  outboxTimer.unref();
  // Runs left by a process that died are picked up once its lease on them lapses.
  const resume = (): void => {
    pipeline?.resumeAll().catch((error: unknown) => logger.error('resuming runs failed', error));
  };
  resume();
  const resumer = setInterval(resume, options.resumeIntervalMs ?? 10_000);
  resumer.unref();

  let stopping: Promise<void> | undefined;
  return {
    port,
    store,
    desk,
    metrics,
    catalog,
    pipeline,
    drainOutbox: drain,
    stop() {
      stopping ??= (async () => {
        clearInterval(sweeper);
        clearInterval(outboxTimer);
        clearInterval(resumer);
        await receiver.stop();
        await pipeline?.stop();
        acceptingWork = false;
        await Promise.all(queueing);
        await draining;
        await reporter.flush();
        if (options.cloud === undefined) await cloud?.close();
        if (opsServer !== undefined) await new Promise<void>((resolve) => opsServer?.close(() => resolve()));
        await store.close();
      })();
      return stopping;
    },
  };
}
