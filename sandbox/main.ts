import { runEntry, serveSlack } from '../src/bot/entry.js';

/**
 * `npm start`: Liftoff against Slack when the Slack credentials are set, otherwise the sandbox. The sandbox is
 * imported only on that branch, so Liftoff serving Slack loads no emulator.
 */
runEntry(async (config, logger) => {
  if (config.slack !== undefined) return serveSlack(config, config.slack, logger);
  const { startSandbox } = await import('./start-sandbox.js');
  const sandbox = await startSandbox({ config, logger });
  logger.info(
    `Liftoff sandbox: open ${sandbox.consoleUrl} (no Slack credentials set: Slack, Google Cloud, GitHub and the ÉMERGENCE service are emulated)`,
  );
  return sandbox;
});
