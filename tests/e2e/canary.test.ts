import { seededRandom } from '../../sandbox/seeded-random.js';
import { startTrafficGenerator, type TrafficGenerator } from '../../sandbox/traffic/generator.js';
import { canaryProgressSchema } from '../../src/deploy/canary/progress.js';
import { ACTION_IDS } from '../../src/ui/action-ids.js';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { TestClock } from '../support/test-clock.js';
import { OLD_REVISION, SERVICE, servingNow, startWorld, type World } from '../support/world.js';

/**
 * Canary on real traffic, over the emulators with the real clients: users' requests go through the emulated front
 * door by the split, Cloud Monitoring (1 s reporting delay) counts them per revision and minute, and Liftoff judges.
 * Liftoff's waits move the shared test clock; a wait of a second or more also lets real time pass (1/50 of it) so
 * the users' requests fill the emulated minutes.
 */
const SPEEDUP = 50;
const RATE = 150;

/**
 * Margins for a test-sized sample: 20 requests a revision cannot show a p95 below a bound (0.95^n must fall under
 * passAlpha: n ≥ 72), so the bound is on p75 here; the error-rate and latency margins are wide for the same reason.
 */
const JUDGE =
  '{ horizonRequests: 60, errorRate: { margin: 0.3 }, latencyShift: { margin: 3 }, latencyTail: { margin: 0.45 }, latencyBound: { quantile: 0.75 } }';

function canaryEdits(extra = ''): Record<string, string> {
  return {
    // The revision knows its test session, so the synthetic checks' requests are told from the users' ones.
    'EMERGENCE_ENV: production': 'EMERGENCE_ENV: production\n    EMERGENCE_TEST_SESSION: ${EMERGENCE_TEST_SESSION}',
    'strategy: verify-then-promote': `strategy: canary\n  canary: { steps: [10, 50], minRequests: 20, interval: 1m, maxHold: 4m${extra}, judgeOverrides: ${JUDGE} }`,
  };
}

interface CanaryWorld {
  readonly w: World;
  readonly users: TrafficGenerator;
  stop(): Promise<void>;
}

/**
 * The users arrive with the canary: the synthetic checks before it run on a quiet machine (two shared cores), as
 * their latency bounds assume; from the canary on, waits let real time pass for the users' requests.
 */
async function startCanaryWorld(extra = '', rate = RATE): Promise<CanaryWorld> {
  const clock = new TestClock();
  let usersOn = false;
  const sleep = async (ms: number): Promise<void> => {
    if (usersOn && ms >= 1000) await new Promise((resolve) => setTimeout(resolve, ms / SPEEDUP));
    clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
  };
  const w = await startWorld({
    phase3Edits: canaryEdits(extra),
    monitoring: { reportingDelayMs: 1000 },
    routingRandom: seededRandom('canary-e2e'),
    rateLimitPerMinute: 1_000_000,
    harness: { clock, liftoff: { sleep } },
  });
  const service = w.gcp.services().find((s) => String(s.name).endsWith(`/services/${SERVICE.name}`));
  const url = String(service?.uri ?? '');
  if (url === '') throw new Error('the service has no URL');
  const users = startTrafficGenerator({ url, requestsPerSecond: 0, timeoutMs: 10_000 });
  const watch = setInterval(() => {
    void w.liftoff.store.listRuns({ limit: 1 }).then(([run]) => {
      const on = run?.state === 'canary';
      if (on !== usersOn) users.setRate(on ? rate : 0);
      usersOn = on;
    });
  }, 20);
  return {
    w,
    users,
    async stop() {
      clearInterval(watch);
      await users.stop();
      await w.closeWorld();
    },
  };
}

async function approve(w: World): Promise<void> {
  await w.deploy('phase3');
  await w.click('approve', await w.waitForRequest(), USERS.approver);
}

async function progressOf(w: World) {
  const [run] = await w.liftoff.store.listRuns({ limit: 1 });
  const parsed = canaryProgressSchema.safeParse(run?.data['canary']);
  return parsed.success ? parsed.data : undefined;
}

/** The canary card's latest text (the card is edited in place: one message). */
function cardText(w: World): string {
  const cards = w.emulator.messages.filter((m) => m.channel === CHANNEL && m.text.startsWith('Canary of '));
  expect(cards).toHaveLength(1);
  return JSON.stringify(cards[0]?.blocks ?? []);
}

async function clickHeld(w: World, actionId: string, userId: string, value?: string) {
  const held = await waitFor(
    () =>
      w.emulator.messages.find(
        (m) => m.channel === CHANNEL && JSON.stringify(m.blocks ?? []).includes(ACTION_IDS.canaryPromote),
      ),
    'the held question on the canary card',
    60_000,
  );
  const [run] = await w.liftoff.store.listRuns({ limit: 1 });
  return w.sender.blockAction({
    actionId,
    userId,
    channelId: held.channel,
    messageTs: held.ts,
    value: value ?? `${run?.id ?? ''} 0`,
  });
}

describe('canary on real traffic', () => {
  let cw: CanaryWorld | undefined;
  afterEach(async () => {
    await cw?.stop();
    cw = undefined;
  });

  it('passes every step on identical revisions and is promoted, each step on the card and in the log', async () => {
    cw = await startCanaryWorld();
    const { w } = cw;
    await approve(w);
    const seen = new Set<string>();
    const run = await waitFor(
      async () => {
        for (const s of servingNow(w)) seen.add(s);
        const [r] = await w.liftoff.store.listRuns({ limit: 1 });
        return r !== undefined && ['succeeded', 'rolled_back', 'failed'].includes(r.state) ? r : undefined;
      },
      'the canary to end',
      150_000,
    );
    expect(run.state).toBe('succeeded');
    const revision = (await progressOf(w))?.steps[0]?.traffic.find((t) => t.percent === 10)?.revision ?? '';
    // Both steps served with the old revision at the rest, then 100 %.
    expect([...seen]).toEqual(expect.arrayContaining([`${OLD_REVISION}=90`, `${revision}=10`, `${revision}=50`]));
    expect(servingNow(w)).toEqual([`${revision}=100`]);
    const progress = await progressOf(w);
    expect(progress?.steps.map((s) => s.ended?.how)).toEqual(['pass', 'pass']);
    for (const step of progress?.steps ?? []) {
      expect(step.last?.metrics.find((m) => m.metric === 'error_rate')?.n.canary).toBeGreaterThanOrEqual(20);
    }
    const thread = await w.threadText();
    expect(thread).toContain('Canary step 1 (10 %) passed');
    expect(thread).toContain('Canary step 2 (50 %) passed');
    expect(cardText(w)).toContain('error rate');
    // The deploy log has a section per step with the card's numbers.
    const logPath = typeof run.data['deployLogPath'] === 'string' ? run.data['deployLogPath'] : '';
    const log = await waitFor(
      () => {
        try {
          return w.gitShow(logPath);
        } catch {
          return undefined;
        }
      },
      'the deploy log commit',
      20_000,
    );
    expect(log).toContain('## Canary');
    expect(log).toMatch(/### Step 1: 10 % — passed/);
    expect(log).toMatch(/### Step 2: 50 % — passed/);
    expect(log).toContain('| error rate |');
  }, 180_000);

  it('rolls back at the first step an error regression only users meet, with the evidence in the thread', async () => {
    cw = await startCanaryWorld();
    const { w } = cw;
    w.newRevisionFaults = { userErrorRate: 0.3 };
    await approve(w);
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 90_000);
    expect(run.state).toBe('rolled_back');
    // The synthetic checks all passed on the tag URL: only the users' requests showed it.
    const progress = await progressOf(w);
    expect(progress?.index).toBe(0);
    expect(progress?.steps[0]?.ended?.how).toBe('fail');
    expect(progress?.steps[1]?.startedAt).toBeNull();
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    const thread = await w.threadText();
    expect(thread).toContain('Canary step 1 (10 %) failed');
    expect(thread).toMatch(/error_rate canary \d+\.\d\d % vs baseline 0\.00 %/);
    // Frozen, as after any automatic rollback.
    const lock = await w.liftoff.store.getLock(run.serviceKey, w.clock.now());
    expect(lock?.reason).toContain('automatic rollback');
  }, 120_000);

  it('holds the traffic when too few requests arrive, asks, and an approver promotes anyway', async () => {
    cw = await startCanaryWorld('', 5);
    const { w } = cw;
    await approve(w);
    // A deployer who is not an approver is refused; a forged step index is refused with why.
    await clickHeld(w, ACTION_IDS.canaryPromote, USERS.requester);
    await waitFor(
      () => (w.ephemeralTextsFor(USERS.requester).some((t) => t.includes('Only an approver')) ? true : undefined),
      'the refusal of a non-approver',
    );
    const [held] = await w.liftoff.store.listRuns({ limit: 1 });
    await clickHeld(w, ACTION_IDS.canaryPromote, USERS.approver, `${held?.id ?? ''} 1`);
    await waitFor(
      () =>
        w.ephemeralTextsFor(USERS.approver).some((t) => t.includes('the question was about step 2')) ? true : undefined,
      'the refusal of a stale step',
    );
    expect(held?.state).toBe('canary');
    const before = servingNow(w);
    expect(before).toEqual(expect.arrayContaining([`${OLD_REVISION}=90`]));
    await clickHeld(w, ACTION_IDS.canaryPromote, USERS.approver);
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 60_000);
    expect(run.state).toBe('succeeded');
    expect((await progressOf(w))?.steps[0]?.ended).toEqual(
      expect.objectContaining({ how: 'promote_anyway', by: USERS.approver }),
    );
    expect(await w.threadText()).toContain('is held: approvers, decide on the canary card');
    // The card is still one message, and after the answer it offers no buttons.
    await waitFor(
      () => (cardText(w).includes(ACTION_IDS.canaryPromote) ? undefined : true),
      'the card without buttons',
    );
    expect(cardText(w)).toContain('too few requests');
  }, 120_000);

  it('holds on too little traffic and an approver rolls back', async () => {
    cw = await startCanaryWorld('', 5);
    const { w } = cw;
    await approve(w);
    await clickHeld(w, ACTION_IDS.canaryRollBack, USERS.approver);
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 60_000);
    expect(run.state).toBe('rolled_back');
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    expect((await progressOf(w))?.steps[0]?.ended?.how).toBe('roll_back');
    expect(await w.threadText()).toContain('rolled back by an approver');
  }, 120_000);

  it('judge: advise reports a failing canary and acts on nothing: it moves on at maxHold and is promoted', async () => {
    cw = await startCanaryWorld(', judge: advise');
    const { w } = cw;
    w.newRevisionFaults = { userErrorRate: 0.3 };
    await approve(w);
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 110_000);
    expect(run.state).toBe('succeeded');
    const progress = await progressOf(w);
    expect(progress?.steps.map((s) => s.ended?.how)).toEqual(['max_hold', 'max_hold']);
    expect(progress?.steps[0]?.advisedFails).toBeGreaterThan(0);
    expect(progress?.steps[0]?.last?.verdict).toBe('fail');
    expect(cardText(w)).toContain('judge advise');
    expect(await w.threadText()).toContain('maxHold reached (advise: moved on)');
  }, 150_000);

  it('/deploy cancel during a step puts back the split that served before', async () => {
    cw = await startCanaryWorld('', 5);
    const { w } = cw;
    await approve(w);
    await w.waitForState(['canary'], 60_000);
    await waitFor(async () => ((await progressOf(w))?.steps[0]?.startedAt ? true : undefined), 'the first step');
    expect(servingNow(w)).toEqual(expect.arrayContaining([`${OLD_REVISION}=90`]));
    await w.deploy('cancel');
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed', 'cancelled'], 30_000);
    expect(run.state).toBe('rolled_back');
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    // A cancel is the requester's own choice: no freeze.
    expect(await w.liftoff.store.getLock(run.serviceKey, w.clock.now())).toBeUndefined();
  }, 90_000);
});
