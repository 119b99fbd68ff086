import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHANNEL, SIGNING_SECRET, USERS, startHarness, waitFor, type Harness } from '../../support/liftoff-harness.js';

describe('bad input never crashes Liftoff and always gets a clear answer', () => {
  let h: Harness;
  let runbooksDir: string;
  beforeAll(async () => {
    runbooksDir = mkdtempSync(path.join(tmpdir(), 'liftoff-runbooks-'));
    cpSync('runbooks', runbooksDir, { recursive: true });
    const broken = readFileSync('runbooks/phase3.yml', 'utf8')
      .replace(/^name: phase3$/m, 'name: broken')
      .replace(/timeoutSeconds: 300/, 'timeoutSeconds: 120000');
    writeFileSync(path.join(runbooksDir, 'broken.yml'), broken);
    h = await startHarness({ runbooksDir });
  });
  afterAll(async () => {
    await h.close();
    rmSync(runbooksDir, { recursive: true, force: true });
  });

  const ackText = async (text: string, user: string = USERS.requester): Promise<string> => {
    const before = h.emulator.responses.length;
    const response = await h.deploy(text, user);
    expect(response.status).toBe(200);
    const body = response.body.trim() === '' ? undefined : (response.json() as { text?: string; blocks?: unknown });
    if (body?.text !== undefined) return `${body.text}\n${JSON.stringify(body.blocks ?? [])}`;
    return waitFor(() => {
      const latest = h.emulator.responses
        .slice(before)
        .filter((r) => r.context?.userId === user)
        .at(-1);
      return latest === undefined ? undefined : `${latest.text ?? ''}\n${JSON.stringify(latest.blocks ?? [])}`;
    }, `an answer to ${text}`);
  };

  it.each([
    ['an unknown runbook', 'phase9', /no runbook `phase9`.*phase3/s],
    ['an unknown flag', 'phase3 --yolo', /unknown option `--yolo`/],
    ['4,000 characters', 'x'.repeat(4000), /at most 500/],
    ['a right-to-left override', 'phase\u202E3', /U\+202E/],
  ])('%s', async (_name, text, expected) => {
    expect(await ackText(text)).toMatch(expected);
    expect(h.requestMessages()).toHaveLength(0);
  });

  it('escapes <!channel> when echoing it, so nobody is notified', async () => {
    const text = await ackText('<!channel> deploy now');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
  });

  it('answers empty text with the help', async () => {
    expect(await ackText('')).toContain('/deploy list');
  });

  it('lists an invalid runbook with its file, key path and why, and keeps the others working', async () => {
    const list = await ackText('list');
    expect(list).toContain('broken.yml');
    expect(list).toContain('deploy.timeoutSeconds');
    expect(list).toContain('phase3');
    const refusal = await ackText('broken');
    expect(refusal).toMatch(/broken.*is invalid/s);
    expect(refusal).toContain('deploy.timeoutSeconds');
    await h.deploy('phase3');
    await h.waitForRequest();
  });

  it('refuses forged, unsigned, stale and future-dated requests with 401 before any handler runs', async () => {
    const signer = 'U0SIGCHECK';
    const audited = async (): Promise<number> =>
      (await h.liftoff.store.listAudit(1000)).filter((e) => e.actorId === signer).length;
    const command = { command: '/deploy', text: 'help', userId: signer, channelId: CHANNEL };
    expect((await h.sender.slashCommand(command, { signingSecret: 'not-the-secret' })).status).toBe(401);
    expect((await h.sender.slashCommand(command, { omitSignature: true })).status).toBe(401);
    expect((await h.sender.slashCommand(command, { timestampSkewSeconds: -360 })).status).toBe(401);
    expect((await h.sender.slashCommand(command, { timestampSkewSeconds: 600 })).status).toBe(401);
    expect((await h.sender.slashCommand(command, { timestampSkewSeconds: -240 })).status).toBe(200);
    expect(await audited()).toBe(1);
    expect(SIGNING_SECRET).not.toBe('not-the-secret');
  });

  it('answers 400 to signed bodies Bolt could not read, and stays up', async () => {
    expect((await h.sender.raw('null', 'application/json')).status).toBe(400);
    expect((await h.sender.raw('payload=%7Bnot-json', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await h.sender.raw('payload=null', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('acknowledges a button press on a run that does not exist with a clear message', async () => {
    await h.deploy('phase3', USERS.otherDeployer);
    const message = await waitFor(() => h.requestMessages().at(-1), 'a request');
    await h.sender.blockAction({
      actionId: 'liftoff_approve',
      value: 'run-doesnotexist',
      userId: USERS.approver,
      channelId: CHANNEL,
      messageTs: message.ts,
    });
    await waitFor(() => h.emulator.responses.find((r) => (r.text ?? '').includes('does not exist')), 'the answer');
  });
});
