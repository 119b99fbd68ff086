import type { Logger } from '@slack/logger';
import { SlackTokenRejected } from '../adapters/slack/bot-identity.js';
import { ConfigError, readConfig, type Config, type SlackConfig } from './config.js';
import { defaultLogger, startLiftoff } from './liftoff.js';

/** Something an entry point started and stops on SIGTERM or SIGINT. */
export interface Running {
  stop(): Promise<void>;
}

/** What an entry point starts from the parsed configuration. */
export type Starter = (config: Config, logger: Logger) => Promise<Running>;

/** Liftoff serving Slack with the given credentials: no emulator is loaded on this path. */
export async function serveSlack(config: Config, slack: SlackConfig, logger: Logger): Promise<Running> {
  const liftoff = await startLiftoff({ config, slack, logger });
  logger.info(`Liftoff serving Slack (${slack.mode} mode) on port ${liftoff.port}`);
  return liftoff;
}

/**
 * Runs an entry point: parses the environment once, starts what `start` builds, stops it gracefully on SIGTERM
 * (Cloud Run) or SIGINT, and exits non-zero with a readable message when anything before serving fails.
 */
export function runEntry(start: Starter, env: NodeJS.ProcessEnv = process.env): void {
  const logger = defaultLogger();
  const main = async (): Promise<void> => {
    const running = await start(readConfig(env), logger);
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
  };
  main().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof SlackTokenRejected) {
      console.error(`Liftoff cannot start.\n${error.message}`);
    } else {
      console.error(`Liftoff cannot start: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exit(1);
  });
}
