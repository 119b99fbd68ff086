import { SlackTokenRejected } from '../adapters/slack/bot-identity.js';
import { ConfigError, readConfig } from './config.js';
import { defaultLogger, startLiftoff, type RunningLiftoff } from './liftoff.js';
import { startSandbox } from '../../sandbox/start-sandbox.js';

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const logger = defaultLogger();
  let running: { stop(): Promise<void> };
  if (config.slack === undefined) {
    const sandbox = await startSandbox({ config, logger });
    running = sandbox;
    logger.info(
      `Liftoff sandbox: open ${sandbox.consoleUrl} (no Slack credentials set: Slack, Google Cloud, GitHub and the ÉMERGENCE service are emulated)`,
    );
  } else {
    const liftoff: RunningLiftoff = await startLiftoff({ config, slack: config.slack, logger });
    running = liftoff;
    logger.info(`Liftoff serving Slack (${config.slack.mode} mode) on port ${liftoff.port}`);
  }
  const shutdown = (signal: string): void => {
    logger.info(`${signal}: finishing the requests in flight, then stopping`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof SlackTokenRejected) {
    console.error(`Liftoff cannot start.\n${error.message}`);
  } else {
    console.error(`Liftoff cannot start: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
