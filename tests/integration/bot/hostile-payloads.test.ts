import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { EmulatedMessage } from '../../../sandbox/slack/index.js';
import { CHANNEL, USERS, waitFor } from '../../support/liftoff-harness.js';
import { startWorld, type World } from '../../support/world.js';

/**
 * Correctly signed Slack requests, mutated field by field from real payloads of every interaction Liftoff
 * answers, as someone holding a leaked signing secret could send them. Whatever the mutation: no 5xx, an answer
 * within a second, no write to Slack but an ephemeral refusal, no run or lock changed, and Liftoff still up.
 */

const SEED = Number(process.env.HOSTILE_SEED ?? 20_240_611);
const NUM_RUNS = Number(process.env.HOSTILE_RUNS ?? 4000);
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Web API methods that change what someone sees; chat.postEphemeral is a refusal's and allowed. */
const WRITES = new Set([
  'chat.postMessage',
  'chat.update',
  'chat.delete',
  'chat.scheduleMessage',
  'views.open',
  'views.push',
  'views.update',
  'files.getUploadURLExternal',
  'files.completeUploadExternal',
  'reactions.add',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

interface Base {
  readonly name: string;
  readonly kind: 'interaction' | 'command' | 'event';
  readonly payload: { [key: string]: Json };
  /** Paths that only take junk values, never a deletion or an empty value (which would be a valid request). */
  readonly keep?: readonly string[];
}

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

const nested: Json = { a: { b: [null, { c: -1, d: [[[]]] }], e: 1e308 }, f: '\u0000' };
/** What any field may become. */
const JUNK: readonly (Json | undefined)[] = [
  undefined,
  null,
  1e308,
  -1,
  0,
  -0.5,
  Number.MAX_SAFE_INTEGER,
  true,
  false,
  '',
  'x'.repeat(3000),
  '<!channel>',
  'null',
  '1e308',
  '-1',
  '../../etc/passwd',
  '\u202E\u0000',
  [],
  [null],
  [1e308],
  [-1, 'x'],
  {},
  { id: null },
  { id: 1e308 },
  { id: ['U0LEAD'] },
  nested,
];
const FOREIGN_TEAM = 'T0FOREIGN';
const RESPONSE_URLS = [
  'http://hooks.slack.com/commands/T0/1/abc',
  'https://evil.example/response/abc',
  'https://hooks.slack.com.evil.example/response/abc',
  'https://user:pass@hooks.slack.com/response/abc',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'http://127.0.0.1:9/response/abc',
  'not a url',
];

function paths(value: Json, prefix: Path = [], depth = 0): Path[] {
  if (depth > 4 || value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key], depth + 1)]);
}

function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Sets (or with undefined deletes) the value at `path`; a path through a non-object stops there. */
function setAt(root: { [key: string]: Json }, path: Path, value: Json | undefined): void {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, Json>)[key] ?? null;
  }
  const last = path.at(-1);
  if (last === undefined || node === null || typeof node !== 'object') return;
  const container = node as Record<string | number, Json>;
  if (value === undefined) {
    if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
    else delete container[last];
  } else container[last] = value;
}

interface Mutation {
  readonly path: Path;
  readonly value: Json | undefined;
}

function mutationsOf(base: Base): fc.Arbitrary<Mutation[]> {
  const all = paths(base.payload);
  const junk = fc.constantFrom(...JUNK);
  const kept = new Set(base.keep ?? []);
  const field = fc
    .constantFrom(...all)
    .chain((path) =>
      (kept.has(path.join('.'))
        ? junk.filter((v) => v !== undefined && v !== '' && v !== null && !(Array.isArray(v) && v.length === 0))
        : junk
      ).map((value) => ({ path, value })),
    );
  const targeted: fc.Arbitrary<Mutation>[] = [field];
  if (base.kind === 'interaction' || base.kind === 'command') {
    targeted.push(fc.constantFrom(...RESPONSE_URLS).map((value) => ({ path: ['response_url'], value })));
  }
  if (base.kind === 'interaction') {
    targeted.push(
      fc.constantFrom<Mutation>(
        { path: ['team'], value: { id: FOREIGN_TEAM, domain: 'elsewhere' } },
        { path: ['team', 'id'], value: FOREIGN_TEAM },
        { path: ['team'], value: null },
        { path: ['actions'], value: [] },
        { path: ['actions'], value: -1 },
        { path: ['actions'], value: 1e308 },
        { path: ['actions', 0], value: null },
        { path: ['actions', 0, 'action_id'], value: 'liftoff_not_a_button' },
        { path: ['actions', 0, 'value'], value: 'x'.repeat(2001) },
        { path: ['user'], value: null },
        { path: ['container'], value: 'message' },
        { path: ['function_data'], value: { execution_id: 'Fx1', inputs: {} } },
        { path: ['type'], value: 'view_submission' },
        { path: ['type'], value: 'block_suggestion' },
        { path: ['type'], value: 'shortcut' },
      ),
    );
  }
  if (base.kind === 'command') {
    targeted.push(
      fc.constantFrom<Mutation>(
        { path: ['team_id'], value: FOREIGN_TEAM },
        { path: ['command'], value: '/liftoff-unknown' },
        { path: ['command'], value: 'deploy' },
        { path: ['payload'], value: 'null' },
      ),
    );
  }
  if (base.kind === 'event') {
    targeted.push(
      fc.constantFrom<Mutation>(
        { path: ['team_id'], value: FOREIGN_TEAM },
        { path: ['authorizations', 0, 'team_id'], value: FOREIGN_TEAM },
        { path: ['event', 'type'], value: 'message' },
        { path: ['event', 'channel'], value: null },
        { path: ['event', 'item'], value: -1 },
        { path: ['event', 'subteam'], value: null },
        { path: ['event'], value: 1e308 },
        { path: ['type'], value: 'app_rate_limited' },
      ),
    );
  }
  return fc.array(fc.oneof(...targeted), { minLength: 1, maxLength: 3 });
}

interface Sent {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

describe('signed hostile payloads get a fast, clean answer and change nothing', () => {
  let w: World;
  const bases: Base[] = [];
  let brokenRevision = '';

  beforeAll(async () => {
    w = await startWorld({ revisions: 3 });
    for (const method of ['chat.postMessage', 'chat.postEphemeral', 'users.info', 'views.publish', 'auth.test'])
      w.emulator.setRateLimit(method, null);
    const record = async (name: string, send: () => Promise<unknown>, keep?: string[]): Promise<void> => {
      const sent = send();
      const payload = w.sender.lastPayload;
      await sent;
      if (payload === undefined) throw new Error(`no payload recorded for ${name}`);
      const kind =
        typeof payload.command === 'string' ? 'command' : payload.type === 'event_callback' ? 'event' : 'interaction';
      bases.push({
        name,
        kind,
        payload: clone(payload as { [key: string]: Json }),
        ...(keep === undefined ? {} : { keep }),
      });
    };
    // The outsider's clicks on the deployer's ephemeral messages are forged: Slack would never deliver them.
    const click = (actionId: string, message: { channel: string; ts: string }) =>
      w.sender.blockAction(
        { actionId, userId: USERS.outsider, channelId: message.channel, messageTs: message.ts },
        { forgeEphemeralClick: true },
      );

    // A deploy whose revision never becomes Ready: rolling back to it offers Redeploy of the last good image.
    w.gcp.faults.revisionNeverReady('The user-provided container failed the configured startup probe checks.');
    expect((await w.deployAndWait()).state).toBe('failed');
    const [failedRun] = await w.liftoff.store.listRuns({ limit: 1 });
    brokenRevision = String((failedRun?.data as { deploy?: { revision?: string } } | undefined)?.deploy?.revision);
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${brokenRevision}`,
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const offer = await waitFor(
      () => w.emulator.ephemerals.filter((e) => hasAction(e.blocks, 'liftoff_redeploy')).at(-1),
      'the offer to redeploy',
      10_000,
    );
    await record('redeploy', () => click('liftoff_redeploy', { channel: offer.channel, ts: offer.message_ts }));

    // A plan waiting for approval: Approve and Deny.
    await w.deploy('phase3');
    const plan = await waitFor(() => w.requestMessages().find((m) => hasAction(m.blocks, 'liftoff_deny')), 'a plan');
    await record('approve', () => click('liftoff_approve', plan));
    await record('deny', () => click('liftoff_deny', plan));

    // An emergency stop request in the channel.
    await w.sender.slashCommand({
      command: '/rollback',
      text: 'phase3 --stop',
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const stop: EmulatedMessage = await waitFor(
      () => w.emulator.messages.find((m) => hasAction(m.blocks, 'liftoff_emergency_stop')),
      'the stop request',
      10_000,
    );
    await record('emergency stop', () => click('liftoff_emergency_stop', stop));

    // The rollback list, its confirmation, and the report with Re-promote once the deployer confirms.
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const list = await waitFor(
      () => w.emulator.ephemerals.filter((e) => hasAction(e.blocks, 'liftoff_rollback_pick')).at(-1),
      'the rollback list',
      10_000,
    );
    await record('rollback pick', () => click('liftoff_rollback_pick', { channel: list.channel, ts: list.message_ts }));
    await w.sender.blockAction({
      actionId: 'liftoff_rollback_pick',
      userId: USERS.requester,
      channelId: list.channel,
      messageTs: list.message_ts,
    });
    const confirmation = await waitFor(
      () => w.emulator.ephemerals.filter((e) => hasAction(e.blocks, 'liftoff_rollback_confirm')).at(-1),
      'the rollback confirmation',
      10_000,
    );
    await record('rollback confirm', () =>
      click('liftoff_rollback_confirm', { channel: confirmation.channel, ts: confirmation.message_ts }),
    );
    await w.sender.blockAction({
      actionId: 'liftoff_rollback_confirm',
      userId: USERS.requester,
      channelId: confirmation.channel,
      messageTs: confirmation.message_ts,
    });
    const report = await waitFor(
      () => w.emulator.messages.find((m) => hasAction(m.blocks, 'liftoff_repromote')),
      'the report with Re-promote',
      15_000,
    );
    await record('repromote', () => click('liftoff_repromote', report));

    // A view submission as Slack sends one (Liftoff opens no modals: it must still be acknowledged at once).
    const actionPayload = bases.find((b) => b.name === 'approve')?.payload;
    bases.push({
      name: 'view_submission',
      kind: 'interaction',
      payload: {
        type: 'view_submission',
        team: actionPayload?.team ?? null,
        user: actionPayload?.user ?? null,
        api_app_id: actionPayload?.api_app_id ?? null,
        token: 'sandboxverificationtoken',
        trigger_id: '1.2.abc',
        view: {
          id: 'V0LIFTOFF',
          team_id: 'T0LIFTOFF',
          type: 'modal',
          callback_id: 'liftoff_modal',
          private_metadata: '',
          state: { values: { b: { a: { type: 'plain_text_input', value: 'phase3' } } } },
          app_installed_team_id: 'T0LIFTOFF',
        },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      },
    });

    await record('/deploy status', () =>
      w.sender.slashCommand({ command: '/deploy', text: 'status', userId: USERS.outsider, channelId: CHANNEL }),
    );
    await record('/rollback', () =>
      w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.outsider, channelId: CHANNEL }),
    );
    // An unknown runbook: the valid request is itself a refusal, so only the mutations are under test.
    await record(
      '/metrics',
      () => w.sender.slashCommand({ command: '/metrics', text: 'phase9', userId: USERS.outsider, channelId: CHANNEL }),
      ['text'],
    );
    await record('app_home_opened', () => w.sender.appHomeOpened({ userId: USERS.outsider }));
  }, 90_000);

  afterAll(async () => {
    await w?.closeWorld();
  });

  /** The body of one case: fresh trigger and response URL as Slack gives each delivery, then the mutations. */
  function bodyOf(base: Base, mutations: readonly Mutation[], whole: Json | undefined): { body: string; type: string } {
    const payload = clone(base.payload);
    if (base.kind !== 'event') {
      payload.trigger_id = `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;
      const container = base.payload.container;
      const from = container !== null && typeof container === 'object' && !Array.isArray(container) ? container : {};
      payload.response_url = w.emulator.createResponseUrl({
        channelId: CHANNEL,
        userId: USERS.outsider,
        ...(typeof from.message_ts === 'string' ? { messageTs: from.message_ts } : {}),
        // A command's answers and an ephemeral's replacement are seen by the one who asked alone.
        isEphemeral: base.kind === 'command' || from.is_ephemeral === true,
      });
    } else payload.event_id = `Ev${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`;
    for (const m of mutations) setAt(payload, m.path, m.value);
    if (base.kind === 'command') {
      const fields = Object.entries(payload).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : JSON.stringify(v),
      ]);
      return { body: new URLSearchParams(fields).toString(), type: FORM };
    }
    const json = JSON.stringify(whole === undefined ? payload : whole);
    if (base.kind === 'event') return { body: json, type: JSON_TYPE };
    return { body: new URLSearchParams({ payload: json }).toString(), type: FORM };
  }

  async function send(body: string, type: string): Promise<Sent> {
    const started = performance.now();
    const response = await w.sender.raw(body, type);
    return { status: response.status, ms: performance.now() - started, body: response.body };
  }

  /** Requests the receiver acknowledged and dropped, from Liftoff's own /metrics. */
  async function ignoredCount(): Promise<number> {
    const text = await (await fetch(`${w.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('liftoff_slack_requests_total{surface="malformed",outcome="ignored"}'));
    return Number(line?.split(' ').at(-1) ?? 0);
  }

  async function storeState(): Promise<string> {
    const runs = await w.liftoff.store.listRuns({});
    const locks = await w.liftoff.store.listLocks(w.clock.now());
    return JSON.stringify({
      runs: runs.map((r) => ({ id: r.id, state: r.state, data: r.data })),
      locks: locks.map((l) => ({ key: l.serviceKey, owner: l.ownerId, reason: l.reason })),
    });
  }

  it('answers every mutation of every interaction fast, without a 5xx, a write or a state change', async () => {
    expect(bases.map((b) => b.name).sort()).toEqual(
      [
        '/deploy status',
        '/metrics',
        '/rollback',
        'app_home_opened',
        'approve',
        'deny',
        'emergency stop',
        'redeploy',
        'repromote',
        'rollback confirm',
        'rollback pick',
        'view_submission',
      ].sort(),
    );
    // Let the setup's own work settle before taking the snapshot.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ignoredBefore = await ignoredCount();
    const before = await storeState();
    const callsBefore = w.emulator.calls.length;
    const responsesBefore = w.emulator.responses.length;
    const failures: string[] = [];
    let cases = 0;
    let maxMs = 0;
    const statuses = new Map<number, number>();
    const caseArb = fc.constantFrom(...bases).chain((base) =>
      fc.tuple(
        fc.constant(base),
        mutationsOf(base),
        fc.oneof(
          { weight: 19, arbitrary: fc.constant(undefined) },
          // Now and then the whole payload is not an object at all.
          { weight: 1, arbitrary: fc.constantFrom<Json>(null, -1, 1e308, [], 'x', [{}]) },
        ),
      ),
    );
    console.log(`hostile payloads: seed ${SEED}, ${NUM_RUNS} runs (HOSTILE_SEED / HOSTILE_RUNS to change)`);
    await fc.assert(
      fc.asyncProperty(caseArb, async ([base, mutations, whole]) => {
        const { body, type } = bodyOf(base, mutations, base.kind === 'command' ? undefined : whole);
        const sent = await send(body, type);
        cases += 1;
        maxMs = Math.max(maxMs, sent.ms);
        statuses.set(sent.status, (statuses.get(sent.status) ?? 0) + 1);
        if (sent.status >= 500 || sent.status === 404 || sent.ms > 1000) {
          failures.push(`${base.name} ${JSON.stringify(mutations)} → ${sent.status} in ${Math.round(sent.ms)} ms`);
          return false;
        }
        return true;
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
    );
    // Listeners go on after their ack: give any late write the time to land before looking.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ignored = (await ignoredCount()) - ignoredBefore;
    console.log(
      `hostile payloads: ${cases} cases, ${ignored} ignored by the shape check, max ${Math.round(maxMs)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(failures).toEqual([]);

    const writes = w.emulator.calls
      .slice(callsBefore)
      .filter((c) => WRITES.has(c.method) || (c.method === 'views.publish' && c.params.user_id !== USERS.outsider))
      .map((c) => `${c.method} ${JSON.stringify(c.params).slice(0, 200)}`);
    expect(writes).toEqual([]);
    const visible = w.emulator.responses
      .slice(responsesBefore)
      .filter(
        (r) =>
          r.response_type === 'in_channel' ||
          r.delete_original ||
          (r.replace_original && r.context?.isEphemeral !== true),
      )
      .map((r) => `${r.response_type ?? ''} ${(r.text ?? '').slice(0, 200)}`);
    expect(visible).toEqual([]);
    expect(await storeState()).toBe(before);
    expect((await fetch(`${w.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
