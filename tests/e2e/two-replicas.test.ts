import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, escapeIdentifier } from 'pg';
import { createSlackRequestSender, startSlackEmulator, type SlackEmulator } from '../../sandbox/slack/index.js';
import { openPostgresStore } from '../../src/adapters/store/postgres-store.js';
import { startEmulators, GITHUB_TOKEN, type Emulators } from '../support/world.js';
import { CHANNEL, PHASE3_ENV, SIGNING_SECRET, USERS, waitFor } from '../support/liftoff-harness.js';

const adminUrl = process.env.LIFTOFF_TEST_DATABASE_URL ?? '';

/** Starts `npm start`'s entry point as its own process, as a second Cloud Run instance would be. */
function startReplica(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bot/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

(adminUrl === '' && process.env.CI !== 'true' ? describe.skip : describe)(
  'two Liftoff processes on one PostgreSQL database',
  () => {
    let admin: Client;
    let database: string;
    let emulator: SlackEmulator;
    // A Liftoff that cannot deploy refuses /deploy: the replicas get the emulated cloud, as production has one.
    let cloud: Emulators;
    let dataDir: string;
    const replicas: ReturnType<typeof startReplica>[] = [];

    beforeAll(async () => {
      if (adminUrl === '')
        throw new Error('LIFTOFF_TEST_DATABASE_URL is not set: run `eval "$(bash .ci/postgres.sh)"`');
      admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      database = `liftoff_replicas_${process.pid}_${Date.now().toString(36)}`;
      await admin.query(`CREATE DATABASE ${escapeIdentifier(database)} TEMPLATE template0`);
      emulator = await startSlackEmulator();
      cloud = await startEmulators();
      dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-replicas-'));
    });

    afterAll(async () => {
      for (const replica of replicas) replica.child.kill('SIGTERM');
      await Promise.all(
        replicas.map(
          (r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve))),
        ),
      );
      await emulator?.close();
      await cloud?.close();
      await admin?.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(database)} WITH (FORCE)`);
      await admin?.end();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('approves exactly once when the same approval reaches both at once', async () => {
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      const ports = [await freePort(), await freePort()];
      for (const port of ports) {
        replicas.push(
          startReplica({
            ...PHASE3_ENV,
            SLACK_SIGNING_SECRET: SIGNING_SECRET,
            SLACK_BOT_TOKEN: emulator.botToken,
            SLACK_API_URL: emulator.apiUrl,
            PORT: String(port),
            DATABASE_URL: url.toString(),
            LIFTOFF_DATA_DIR: dataDir,
            GCP_API_ENDPOINT: cloud.gcp.endpoint,
            GITHUB_TOKEN,
            GITHUB_API_URL: cloud.github.apiUrl,
          }),
        );
      }
      for (const [i, port] of ports.entries()) {
        await waitFor(
          async () =>
            (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined,
          `replica ${i} to answer /healthz (output: ${replicas[i]?.output() ?? ''})`,
          45_000,
        );
      }
      const [a, b] = ports.map((port) =>
        createSlackRequestSender({
          targetUrl: `http://127.0.0.1:${port}/slack/events`,
          signingSecret: SIGNING_SECRET,
          emulator,
        }),
      );
      await a!.slashCommand({ command: '/deploy', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
      const request = await waitFor(
        () => emulator.messages.find((m) => JSON.stringify(m.blocks ?? []).includes('liftoff_approve')),
        'the plan message',
        10_000,
      );

      // Slack delivers one click to one instance; a double click (or a retry after a lost answer) can land on both.
      const click = { actionId: 'liftoff_approve', userId: USERS.approver, channelId: CHANNEL, messageTs: request.ts };
      const answers = await Promise.all([a!.blockAction(click), b!.blockAction(click)]);
      expect(answers.map((r) => r.status)).toEqual([200, 200]);

      await waitFor(
        () => emulator.responses.find((r) => (r.text ?? '').includes('This request is already')),
        'the losing click answered',
        10_000,
      );
      const store = await openPostgresStore({ connectionString: url.toString() });
      try {
        const runs = await store.listRuns({});
        expect(runs).toHaveLength(1);
        // Approved once, then carried by the pipeline of whichever replica holds the run.
        expect(runs[0]?.state).not.toBe('requested');
        const approvals = (await store.journal(runs[0]!.id)).filter((t) => t.to === 'approved');
        expect(approvals).toHaveLength(1);
        // One plan edit for the decision (the pipeline edits its own thread messages, not the plan).
        expect(emulator.calls.filter((c) => c.method === 'chat.update' && c.params.ts === request.ts)).toHaveLength(1);
      } finally {
        await store.close();
      }
    });
  },
);
