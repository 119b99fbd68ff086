import { ConfigError } from './config.js';
import { runEntry, serveSlack } from './entry.js';

/**
 * The production entry point (the Docker image's CMD): Liftoff serving Slack, and nothing else. It never loads
 * the sandbox, which the image does not ship; `npm start` (sandbox/main.ts) is the entry that falls back to it.
 */
runEntry((config, logger) => {
  if (config.slack === undefined)
    throw new ConfigError([
      'SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are not set: this entry serves Slack only. ' +
        'Set both (see the README, "Running it in production"); the sandbox runs from a clone with `npm start`.',
    ]);
  return serveSlack(config, config.slack, logger);
});
