/**
 * What Liftoff itself adds to a whole deploy: one `/deploy phase3` approved and carried to promotion over the
 * emulators, timed from the approval click. The emulated cloud's own durations (queueing and steps of the build,
 * revision readiness, traffic updates) are subtracted; waits (build polling, log polling) run on the test clock.
 * Prints a table and the Slack and GitHub calls Liftoff made. Run: npx tsx bench/deploy-overhead.ts [--runs 3]
 */
import { parseArgs } from 'node:util';
import { USERS } from '../tests/support/liftoff-harness.js';
import { startWorld } from '../tests/support/world.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const timings = { buildQueueMs: 200, buildStepMs: 500, revisionReadyMs: 500, trafficUpdateMs: 50 };

const rows: { total: number; emulated: number; virtualWaits: number; overhead: number }[] = [];
let calls: { slack: Map<string, number>; github: Map<string, number> } = { slack: new Map(), github: new Map() };
for (let i = 0; i < RUNS; i++) {
  const w = await startWorld({ gcpTimings: timings });
  await w.deploy('phase3');
  const request = await w.waitForRequest();
  const slackBefore = w.emulator.calls.length;
  const githubBefore = w.github.calls.length;
  const started = performance.now();
  await w.click('approve', request, USERS.approver);
  const run = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 120_000);
  const total = performance.now() - started;
  await w.liftoff.drainOutbox();
  const journal = await w.liftoff.store.journal(run.id);
  const at = (state: string): number => journal.find((t) => t.to === state)?.at.getTime() ?? Number.NaN;
  // The emulated cloud's own work, as configured: the build's queue and its one step, the revision's
  // readiness, two traffic updates (the 0 % tag, then the promotion).
  const emulated = timings.buildQueueMs + timings.buildStepMs + timings.revisionReadyMs + 2 * timings.trafficUpdateMs;
  rows.push({ total, emulated, virtualWaits: at('promoting') - at('verifying'), overhead: total - emulated });
  const count = (list: readonly string[]): Map<string, number> =>
    list.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
  calls = {
    slack: count(w.emulator.calls.slice(slackBefore).map((c) => c.method)),
    github: count(
      w.github.calls.slice(githubBefore).map(
        (c) =>
          `${c.method} ${c.path
            .replace(/[0-9a-f]{40}/g, ':sha')
            .replace(/deployments\/\d+/, 'deployments/:id')
            .replace(/contents\/.*/, 'contents/:path')}`,
      ),
    ),
  };
  if (run.state !== 'succeeded')
    console.log(`run ${i + 1} ended ${run.state}: ${JSON.stringify((run.data as { failure?: unknown }).failure)}`);
  await w.closeWorld();
}

const fmt = (ms: number): string => `${ms.toFixed(0).padStart(8)} ms`;
console.log(
  `\nA whole deploy over the emulators, ${RUNS} runs (build steps ${timings.buildStepMs} ms, revision ready ${timings.revisionReadyMs} ms)\n`,
);
console.log(
  '| run | approve → promoted (wall) | emulated cloud work | Liftoff overhead | verification on the test clock |',
);
console.log(
  '| --- | ------------------------- | ------------------- | ---------------- | ------------------------------ |',
);
rows.forEach((r, i) =>
  console.log(
    `| ${i + 1}   | ${fmt(r.total)}               | ${fmt(r.emulated)}         | ${fmt(r.overhead)}      | ${fmt(r.virtualWaits)} (log waits are virtual) |`,
  ),
);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
console.log(
  `\nmedian overhead ${median(rows.map((r) => r.overhead)).toFixed(0)} ms of ${median(rows.map((r) => r.total)).toFixed(0)} ms (ratio ${(median(rows.map((r) => r.overhead)) / median(rows.map((r) => r.total))).toFixed(2)})`,
);
console.log('\nSlack Web API calls (last run):', [...calls.slack].map(([k, v]) => `${k} ×${v}`).join(', '));
console.log('GitHub API calls (last run):', [...calls.github].map(([k, v]) => `${k} ×${v}`).join(', '));
