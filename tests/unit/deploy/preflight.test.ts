import type { CloudRunPort, RepoPort } from '../../../src/deploy/ports/index.js';
import { blockingPreflight, preflightFromPorts } from '../../../src/deploy/preflight.js';
import { loadRunbooks } from '../../../src/deploy/runbook/loader.js';
import type { Runbook } from '../../../src/deploy/runbook/schema/index.js';

const ENV = {
  GCP_PROJECT: 'emergence-prod',
  GCP_REGION: 'europe-west1',
  GITHUB_REPO: 'emergence/emergence-app',
  EMERGENCE_TEST_SESSION: 'aa327d90-3547-4396-a409-f565182db61a',
};

/** A port whose every call hangs, as gRPC does while it retries a refused connection. */
function hanging<T extends object>(): T {
  return new Proxy({} as T, { get: () => () => new Promise(() => undefined) });
}

describe('preflight through the ports', () => {
  let runbook: Runbook;
  beforeAll(async () => {
    const catalog = await loadRunbooks({ dir: 'runbooks', env: ENV });
    const phase3 = catalog.runbooks.find((r) => r.runbook.name === 'phase3');
    if (phase3 === undefined) throw new Error('no phase3 runbook');
    runbook = phase3.runbook;
  });

  // Without the deadline the hanging ports never answer and the test times out.
  it('fails a check GitHub or Cloud Run does not answer within the deadline, without waiting for them', async () => {
    const run = preflightFromPorts({ repo: hanging<RepoPort>(), cloudRun: hanging<CloudRunPort>(), deadlineMs: 50 });
    const results = await run(runbook);
    expect(results.map((r) => r.name)).toEqual(runbook.preflight.map((p) => p.name));
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, measured: 'could not check: no answer within 0.05 s' });
    }
    expect(blockingPreflight(results)?.severity).toBe('required');
  });
});
