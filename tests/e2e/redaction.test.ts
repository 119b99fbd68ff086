import { execFileSync } from 'node:child_process';

import { FAKE } from '../unit/ui/hostile.js';
import { waitFor } from '../support/liftoff-harness.js';
import { REPO, startWorld, type World } from '../support/world.js';

/** A service that logs credentials in an error line: the deploy fails on it, and says so, without repeating them. */
describe('a secret in the service logs', () => {
  let w: World;
  afterEach(async () => {
    await w?.closeWorld();
  });

  it('never reaches Slack nor the git history of the deploy log', async () => {
    w = await startWorld({
      phase3Edits: { 'EMERGENCE_ENV: production': `EMERGENCE_ENV: production\n    PARTNER_API_KEY: ${FAKE.envValue}` },
    });
    w.newRevisionFaults = {
      errorLogLine: `partner refused key ${FAKE.envValue}; retry with Bearer ${FAKE.bearer} and ${FAKE.openai}`,
    };
    const run = await w.deployAndWait();
    expect(run.state).toBe('rolled_back');
    expect(JSON.stringify(run.data)).toContain(FAKE.envValue); // the store keeps the raw line; only outputs are redacted

    await waitFor(
      () => (w.gitLog().some((m) => m.startsWith('docs: deploy log phase3')) ? true : undefined),
      'the deploy log commit',
      10_000,
    );
    const day = w.clock.now().toISOString().slice(0, 10);
    const deployLog = w.gitShow(`docs/deployments/${day}-deploy-phase3.md`);
    expect(deployLog).toContain('partner refused key \\[redacted\\]');

    const secrets = [FAKE.envValue, FAKE.bearer, FAKE.openai];
    // Every commit's message and diff, on every ref of the emulated repository.
    const history = execFileSync('git', ['-C', w.github.repoDir(REPO.owner, REPO.name), 'log', '-p', '--all'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const slack = JSON.stringify([w.emulator.calls, w.emulator.messages]);
    for (const secret of secrets) {
      expect(history).not.toContain(secret);
      expect(slack).not.toContain(secret);
    }
    expect(await w.threadText()).toContain('partner refused key [redacted]');
  });
});
