import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/replica.js';

/** A module hook that names on stderr every file of `sandbox/` the process loads. */
const SANDBOX_LOAD_HOOK = `data:text/javascript,${encodeURIComponent(
  "import { register } from 'node:module';" +
    `register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/sandbox/')) process.stderr.write('loaded ' + r.url + '\\\\n'); return r; }"));`,
)}`;

interface Exited {
  readonly code: number | null;
  readonly output: string;
}

/** Runs an entry point until it exits, or until `until` appears in its output (then stops it with SIGTERM). */
function runEntry(entry: string, env: Record<string, string>, until?: string): Promise<Exited> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', SANDBOX_LOAD_HOOK, entry], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const read = (d: Buffer): void => {
      output += d.toString();
      if (until !== undefined && output.includes(until)) child.kill('SIGTERM');
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('entry points', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-entry-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('the production entry refuses to start without Slack credentials, in words, and loads no sandbox', async () => {
    const { code, output } = await runEntry('src/bot/main.ts', { LIFTOFF_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toContain('Liftoff cannot start.');
    expect(output).toContain('SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN are not set: this entry serves Slack only.');
    expect(output).not.toContain('loaded ');
  });

  it("`npm start`'s entry with Slack credentials serves Slack and loads no emulator", async () => {
    const port = await freePort();
    const { output } = await runEntry(
      'sandbox/main.ts',
      {
        LIFTOFF_DATA_DIR: dataDir,
        PORT: String(port),
        SLACK_SIGNING_SECRET: 'entry-test-secret',
        SLACK_BOT_TOKEN: 'xoxb-entry-test',
        // Nothing listens there: Liftoff carries on without auth.test.
        SLACK_API_URL: `http://127.0.0.1:${await freePort()}/api/`,
      },
      'Liftoff serving Slack (http mode)',
    );
    expect(output).toContain(`Liftoff serving Slack (http mode) on port ${port}`);
    const loaded = output.split('\n').filter((line) => line.startsWith('loaded '));
    expect(loaded).toEqual([expect.stringMatching(/\/sandbox\/main\.ts$/)]);
  });
});
