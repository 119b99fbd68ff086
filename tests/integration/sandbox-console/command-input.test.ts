import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LogLevel } from '@slack/logger';
import { readConfig } from '../../../src/bot/config.js';
import { defaultLogger } from '../../../src/bot/liftoff.js';
import { startSandbox, type RunningSandbox } from '../../../sandbox/start-sandbox.js';

describe('the console refuses a command it cannot send, in words', () => {
  let sandbox: RunningSandbox;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-console-input-'));
    sandbox = await startSandbox({
      config: readConfig({ PORT: '0', LIFTOFF_DATA_DIR: dataDir }),
      logger: defaultLogger(LogLevel.ERROR),
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = async (body: unknown) => {
    const response = await fetch(`${sandbox.consoleUrl}sandbox/command`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  };

  it('a command over 4,000 characters says how long it is and what the limit is', async () => {
    const answer = await send({ userId: 'U0DEV', text: `/deploy ${'x'.repeat(4100)}` });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(
      'That command is 4,108 characters long; a command is at most 4,000. Shorten it and send it again.',
    );
  });

  it('a body without a user says what to do, not the shape it expected', async () => {
    const answer = await send({ text: '/deploy help' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^Pick who you are/);
    expect(answer.body.error).not.toContain('{');
  });
});
