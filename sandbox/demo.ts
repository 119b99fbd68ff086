/**
 * `npm run demo`: a scripted tour of the sandbox without a browser. It drives the console's own HTTP API, as the
 * console page does, and prints the channel as text: a deploy, a deploy rolled back by a failing check, /metrics and
 * /rollback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LogLevel, type Logger } from '@slack/logger';
import { z } from 'zod';
import { readConfig } from '../src/bot/config.js';
import { defaultLogger } from '../src/bot/liftoff.js';
import { SANDBOX_USERS } from './console/console-routes.js';
import { startSandbox } from './start-sandbox.js';

const REQUESTER = SANDBOX_USERS.requester.id;
const APPROVER = SANDBOX_USERS.approver.id;
const RUNBOOK = 'phase3';
const POLL_MS = 250;
/** The sandbox's timings make a deploy take about 25 s; this leaves room for a slow machine. */
const DEPLOY_TIMEOUT_MS = 120_000;
const REPLY_TIMEOUT_MS = 15_000;

const stateSchema = z.object({
  users: z.array(z.object({ id: z.string(), name: z.string() })),
  messages: z.array(
    z.object({ ts: z.string(), threadTs: z.string().nullable(), text: z.string(), blocks: z.unknown() }),
  ),
  ephemerals: z.array(
    // `ts` is not sent by the console today; it is used when it is.
    z.object({ at: z.string(), ts: z.string().optional(), text: z.string(), blocks: z.unknown() }),
  ),
});
type ConsoleState = z.infer<typeof stateSchema>;
type Message = ConsoleState['messages'][number];
type Ephemeral = ConsoleState['ephemerals'][number];

/** A failure the tour reports in one readable line. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

// ---- Block Kit as text ---------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const records = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isRecord) : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const EMOJI: Readonly<Record<string, string>> = {
  rocket: '🚀',
  white_check_mark: '✅',
  heavy_check_mark: '✔',
  x: '❌',
  rewind: '⏪',
  warning: '⚠️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  no_entry: '⛔',
  lock: '🔒',
  unlock: '🔓',
  mag: '🔍',
  label: '🏷',
  hammer_and_wrench: '🛠',
  package: '📦',
  arrows_counterclockwise: '🔄',
  memo: '📝',
  wastebasket: '🗑',
  large_green_circle: '🟢',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
  white_circle: '⚪',
  black_right_pointing_double_triangle_with_vertical_bar: '⏭',
  bar_chart: '📊',
  chart_with_upwards_trend: '📈',
  information_source: 'ℹ️',
  grey_question: '❔',
  grey_exclamation: '❕',
  white_check_mark_button: '✅',
};

const emoji = (text: string): string => text.replace(/:([a-z0-9_+-]+):/g, (all, name: string) => EMOJI[name] ?? all);

/** Slack mrkdwn, lightly: tokens resolved, emphasis markers and code ticks dropped, entities decoded. */
export function plainMrkdwn(text: string, users: ReadonlyMap<string, string> = new Map()): string {
  return emoji(text)
    .replace(/<([^<>]*)>/g, (_all, token: string) => {
      const [target = '', label] = token.split('|');
      if (target.startsWith('@')) return `@${users.get(target.slice(1)) ?? target.slice(1)}`;
      if (target.startsWith('!subteam^')) return `@${label ?? target.slice(9)}`;
      if (target.startsWith('!date^')) return token.split('|').slice(1).join('|');
      if (target.startsWith('!')) return `@${target.slice(1)}`;
      return label ?? target;
    })
    .replace(/`([^`\n]+)`/g, '$1')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1$2')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textObject(value: unknown, users: ReadonlyMap<string, string>): string {
  if (!isRecord(value)) return '';
  return value['type'] === 'mrkdwn' ? plainMrkdwn(str(value['text']), users) : emoji(str(value['text']));
}

const buttonText = (element: Json): string => `[${str(isRecord(element['text']) ? element['text']['text'] : '')}]`;

/** One line per row of text a person would read in Slack; buttons as `[Label]`. */
export function blocksToLines(blocks: unknown, users: ReadonlyMap<string, string> = new Map()): string[] {
  const lines: string[] = [];
  for (const block of records(blocks)) {
    switch (block['type']) {
      case 'header':
        lines.push(`## ${textObject(block['text'], users)}`);
        break;
      case 'divider':
        lines.push('----');
        break;
      case 'context':
        lines.push(
          records(block['elements'])
            .map((e) => (e['type'] === 'image' ? '' : textObject(e, users)))
            .filter((t) => t !== '')
            .join('  '),
        );
        break;
      case 'image':
        lines.push(`[image: ${str(block['alt_text']) || str(block['image_url'])}]`);
        break;
      case 'section': {
        const text = textObject(block['text'], users);
        if (text !== '') lines.push(...text.split('\n'));
        const fields = records(block['fields']).map((f) => textObject(f, users));
        if (fields.length > 0) lines.push(...fields.join('\n').split('\n'));
        const accessory = block['accessory'];
        if (isRecord(accessory) && accessory['type'] === 'button') lines.push(buttonText(accessory));
        break;
      }
      case 'actions': {
        const buttons = records(block['elements']).filter((e) => e['type'] === 'button');
        if (buttons.length > 0) lines.push(buttons.map(buttonText).join(' '));
        break;
      }
      default:
        break;
    }
  }
  return lines;
}

/** The action buttons of some blocks, in reading order. */
function buttons(blocks: unknown): Array<{ actionId: string; label: string; value: string | undefined }> {
  const found: Array<{ actionId: string; label: string; value: string | undefined }> = [];
  const add = (e: Json): void => {
    if (e['type'] !== 'button') return;
    const value = e['value'];
    found.push({
      actionId: str(e['action_id']),
      label: buttonText(e).slice(1, -1),
      value: typeof value === 'string' ? value : undefined,
    });
  };
  for (const block of records(blocks)) {
    if (isRecord(block['accessory'])) add(block['accessory']);
    if (block['type'] === 'actions') records(block['elements']).forEach(add);
  }
  return found;
}

// ---- The console's HTTP API ------------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class ConsoleClient {
  constructor(private readonly baseUrl: string) {}

  async state(userId: string): Promise<ConsoleState> {
    const res = await fetch(new URL(`/sandbox/state?user=${encodeURIComponent(userId)}`, this.baseUrl));
    if (res.status !== 200) throw new DemoError(`GET /sandbox/state answered HTTP ${res.status}`);
    const parsed = stateSchema.safeParse(await res.json());
    if (!parsed.success)
      throw new DemoError(`GET /sandbox/state answered an unexpected shape: ${parsed.error.message}`);
    return parsed.data;
  }

  private async post(route: string, body: unknown): Promise<{ status: number; body: string }> {
    const res = await fetch(new URL(route, this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.text() };
  }

  async command(userId: string, text: string): Promise<void> {
    const answer = await this.post('/sandbox/command', { userId, text });
    if (answer.status !== 200)
      throw new DemoError(`${text} was refused by the console: HTTP ${answer.status} ${answer.body}`);
    const status = z.object({ status: z.number() }).safeParse(JSON.parse(answer.body));
    if (status.success && status.data.status >= 400)
      throw new DemoError(`${text}: Liftoff answered HTTP ${status.data.status}`);
  }

  /** Clicks a button. Resolves false when the console has no message `messageTs` with that button (HTTP 500). */
  async click(userId: string, actionId: string, messageTs: string, value: string | undefined): Promise<boolean> {
    const answer = await this.post('/sandbox/action', {
      userId,
      actionId,
      messageTs,
      ...(value === undefined ? {} : { value }),
    });
    if (answer.status === 500) return false;
    if (answer.status !== 200) throw new DemoError(`clicking ${actionId} failed: HTTP ${answer.status} ${answer.body}`);
    return true;
  }

  async fault(name: string, on: boolean): Promise<void> {
    const answer = await this.post('/sandbox/fault', { name, on });
    if (answer.status !== 200)
      throw new DemoError(`turning the ${name} fault ${on ? 'on' : 'off'} failed: ${answer.body}`);
  }
}

// ---- The tour ------------------------------------------------------------------------------------------------

interface Tour {
  readonly api: ConsoleClient;
  readonly print: (line: string) => void;
  readonly progress: (mark: string) => void;
}

async function waitFor<T>(
  tour: Tour,
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  dots = false,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastDot = Date.now();
  try {
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new DemoError(`gave up after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
      if (dots && Date.now() - lastDot >= 1000) {
        tour.progress('.');
        lastDot = Date.now();
      }
      await sleep(POLL_MS);
    }
  } finally {
    if (dots) tour.progress('\n');
  }
}

const userNames = (state: ConsoleState): Map<string, string> => new Map(state.users.map((u) => [u.id, u.name]));

function messageLines(message: { text: string; blocks: unknown }, users: ReadonlyMap<string, string>): string[] {
  const lines = blocksToLines(message.blocks, users);
  return lines.length > 0 ? lines : plainMrkdwn(message.text, users).split('\n');
}

function printMessage(tour: Tour, who: string, lines: readonly string[], indent = ''): void {
  const [first = '', ...rest] = lines;
  tour.print(`${indent}${who}: ${first}`);
  const pad = ' '.repeat(indent.length + who.length + 2);
  for (const line of rest) tour.print(line === '' ? '' : `${pad}${line}`);
}

/** Ephemerals shown since `since`, once each (the console lists a response_url answer twice). */
function ephemeralsSince(state: ConsoleState, since: string): Ephemeral[] {
  const seen = new Set<string>();
  return state.ephemerals.filter((e) => {
    const key = `${e.at} ${e.text} ${JSON.stringify(e.blocks)}`;
    if (e.at < since || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function printEphemeral(tour: Tour, state: ConsoleState, e: Ephemeral): void {
  printMessage(tour, 'liftoff (only visible to you)', messageLines(e, userNames(state)));
}

/** Runs a command as the requester and prints the answer only the requester sees. */
async function ephemeralCommand(tour: Tour, text: string, expect: (e: Ephemeral) => boolean): Promise<Ephemeral> {
  const since = new Date().toISOString();
  tour.print(`dana: ${text}`);
  await tour.api.command(REQUESTER, text);
  let state: ConsoleState | undefined;
  const answer = await waitFor(tour, `the answer to ${text}`, REPLY_TIMEOUT_MS, async () => {
    state = await tour.api.state(REQUESTER);
    return ephemeralsSince(state, since).find(expect);
  });
  if (state !== undefined) printEphemeral(tour, state, answer);
  return answer;
}

const FINAL_REPLY = / is live: | was rolled back: | failed\.$| was cancelled;/;

/**
 * `/deploy phase3` as the requester, approved by the approver; waits for the thread's last reply and prints the
 * plan and the thread. Returns the thread's final reply and all its replies as text.
 */
async function deployAndApprove(tour: Tour): Promise<{ final: string; thread: string }> {
  const before = new Set((await tour.api.state(REQUESTER)).messages.map((m) => m.ts));
  const since = new Date().toISOString();
  const text = `/deploy ${RUNBOOK}`;
  tour.print(`dana: ${text}`);
  await tour.api.command(REQUESTER, text);
  const outcome = await waitFor(tour, 'the plan message', REPLY_TIMEOUT_MS, async () => {
    const state = await tour.api.state(REQUESTER);
    const plan = state.messages.find(
      (m) =>
        !before.has(m.ts) && m.threadTs === null && buttons(m.blocks).some((b) => b.actionId === 'liftoff_approve'),
    );
    if (plan !== undefined) return { kind: 'plan' as const, plan };
    // A refusal (a lock, a run in flight) comes back to the requester alone.
    const refusal = ephemeralsSince(state, since)[0];
    return refusal === undefined ? undefined : { kind: 'refused' as const, refusal, state };
  });
  if (outcome.kind === 'refused') {
    printEphemeral(tour, outcome.state, outcome.refusal);
    throw new DemoError(`${text} was refused: ${plainMrkdwn(outcome.refusal.text).split('\n')[0] ?? ''}`);
  }
  const planTs = outcome.plan.ts;
  const posted = messageLines(outcome.plan, userNames(await tour.api.state(REQUESTER)));
  tour.print('');
  printMessage(tour, 'liftoff', posted);
  tour.print('');
  tour.print(`sam clicks [Approve]`);
  if (!(await tour.api.click(APPROVER, 'liftoff_approve', planTs, undefined)))
    throw new DemoError('the console could not click Approve on the plan message');

  tour.progress('  deploying ');
  const thread = (state: ConsoleState): Message[] =>
    state.messages.filter((m) => m.threadTs === planTs && m.ts !== planTs).sort((a, b) => Number(a.ts) - Number(b.ts));
  await waitFor(
    tour,
    "the deploy thread's final reply",
    DEPLOY_TIMEOUT_MS,
    async () => thread(await tour.api.state(REQUESTER)).find((m) => FINAL_REPLY.test(m.text)),
    true,
  );
  // Replies posted in the same breath as the final one (a failed check's details) settle first.
  await sleep(1000);
  const state = await tour.api.state(REQUESTER);
  const users = userNames(state);
  const plan = state.messages.find((m) => m.ts === planTs);
  // The plan is edited in place as the run moves: its changed lines, then the thread.
  const edits = plan === undefined ? [] : messageLines(plan, users).filter((line) => !posted.includes(line));
  if (edits.length > 0) printMessage(tour, 'liftoff (edited the plan)', edits);
  const replies = thread(state).map((reply) => messageLines(reply, users));
  for (const lines of replies) {
    tour.print('');
    printMessage(tour, 'liftoff', lines, '    ↳ ');
  }
  const final = replies.find((lines) => FINAL_REPLY.test(lines[0] ?? ''));
  return { final: final?.[0] ?? '', thread: replies.map((lines) => lines.join('\n')).join('\n') };
}

/**
 * The console does not send an ephemeral's ts, which a click on its buttons needs. The emulator stamps a
 * response_url ephemeral just after the `at` the console shows (its clock in µs, +100 per message), so the few
 * nearest stamps are tried; a wrong one is refused by the console before anything reaches Liftoff.
 */
async function clickOnEphemeral(
  tour: Tour,
  ephemeral: Ephemeral,
  knownTs: string | undefined,
  button: { actionId: string; value: string | undefined },
): Promise<string> {
  const candidates: string[] = [];
  if (ephemeral.ts !== undefined) candidates.push(ephemeral.ts);
  if (knownTs !== undefined) candidates.push(knownTs);
  const atMs = Date.parse(ephemeral.at);
  for (let ms = atMs; ms <= atMs + 50; ms++)
    for (let step = 1; step <= 4; step++) {
      const micros = ms * 1000 + step * 100;
      candidates.push(`${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`);
    }
  for (const ts of candidates) if (await tour.api.click(REQUESTER, button.actionId, ts, button.value)) return ts;
  throw new DemoError(`the console could not click ${button.actionId}: it found no message to click it on`);
}

/** What the console's request sender throws when a click names a ts it has no message for (a probe's miss). */
const PROBE_MISS = /^no message \d+\.\d+ in C[A-Z0-9]+: Slack cannot send an action from it$/;

/** Liftoff's logger, minus the misses of `clickOnEphemeral`, which are expected and would read as failures. */
function withoutProbeMisses(logger: Logger): Logger {
  return {
    debug: (...msg: unknown[]) => logger.debug(...msg),
    info: (...msg: unknown[]) => logger.info(...msg),
    warn: (...msg: unknown[]) => logger.warn(...msg),
    error: (...msg: unknown[]) => {
      if (!msg.some((m) => m instanceof Error && PROBE_MISS.test(m.message))) logger.error(...msg);
    },
    setLevel: (level) => logger.setLevel(level),
    getLevel: () => logger.getLevel(),
    setName: (name) => logger.setName(name),
  };
}

export interface DemoOptions {
  /** Progress marks (dots while a deploy runs); none by default. */
  readonly progress?: (mark: string) => void;
}

/** The whole tour: starts the sandbox, prints the transcripts, stops the sandbox. Throws DemoError on failure. */
export async function runDemo(print: (line: string) => void, options: DemoOptions = {}): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-demo-'));
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  try {
    sandbox = await startSandbox({
      config: readConfig({ PORT: '0', LIFTOFF_DATA_DIR: dataDir }),
      logger: withoutProbeMisses(defaultLogger(LogLevel.ERROR)),
    });
    const tour: Tour = { api: new ConsoleClient(sandbox.consoleUrl), print, progress: options.progress ?? (() => {}) };
    const heading = (title: string): void => {
      print('');
      print(`=== ${title} ${'='.repeat(Math.max(3, 76 - title.length))}`);
      print('');
    };
    print(`Liftoff sandbox at ${sandbox.consoleUrl} (emulated Slack, Google Cloud and GitHub)`);

    heading('1. A deploy: dana asks, sam approves');
    const { final: first } = await deployAndApprove(tour);
    if (!first.includes(' is live: ')) throw new DemoError(`the first deploy did not go live: ${first}`);

    heading('2. A deploy rolled back by a failing check (fault: new revisions are unhealthy)');
    await ephemeralCommand(tour, '/deploy status', (e) => e.text.includes('Locks'));
    print('');
    await tour.api.fault('unhealthy', true);
    print('[world] fault on: new revisions are unhealthy');
    let second: { final: string; thread: string };
    try {
      second = await deployAndApprove(tour);
    } finally {
      await tour.api.fault('unhealthy', false);
      print('');
      print('[world] fault off: new revisions are healthy again');
    }
    if (!second.final.includes(' was rolled back: '))
      throw new DemoError(`the second deploy was not rolled back: ${second.final}`);

    heading(`3. /metrics ${RUNBOOK} --compare`);
    {
      const before = new Set((await tour.api.state(REQUESTER)).messages.map((m) => m.ts));
      const text = `/metrics ${RUNBOOK} --compare`;
      print(`dana: ${text}`);
      await tour.api.command(REQUESTER, text);
      const snapshot = await waitFor(tour, 'the metrics snapshot', 30_000, async () => {
        const state = await tour.api.state(REQUESTER);
        const message = state.messages.find((m) => !before.has(m.ts) && m.text.startsWith('Metrics of'));
        return message === undefined ? undefined : { message, state };
      });
      printMessage(tour, 'liftoff', messageLines(snapshot.message, userNames(snapshot.state)));
    }

    // The revision part 2 built is still unhealthy: rolling back to it would break the service.
    const brokenRevision = /Revision (\S+) is Ready/.exec(second.thread)?.[1];
    heading(`4. /rollback ${RUNBOOK}: dana picks the first revision offered (not part 2's broken one)`);
    {
      const list = await ephemeralCommand(tour, `/rollback ${RUNBOOK}`, (e) =>
        buttons(e.blocks).some((b) => b.actionId === 'liftoff_rollback_pick'),
      );
      const picks = buttons(list.blocks).filter((b) => b.actionId === 'liftoff_rollback_pick');
      const pick =
        picks.find((b) => brokenRevision === undefined || b.value?.split(' ')[1] !== brokenRevision) ?? picks[0];
      if (pick === undefined) throw new DemoError('the rollback list offers no revision');
      print('');
      print(`dana clicks [${pick.label}]${pick.value === undefined ? '' : ` for ${pick.value.split(' ')[1] ?? ''}`}`);
      const listTs = await clickOnEphemeral(tour, list, undefined, pick);
      const confirmAnswer = await waitFor(tour, 'the rollback confirmation', REPLY_TIMEOUT_MS, async () => {
        const state = await tour.api.state(REQUESTER);
        // The confirmation replaces the list in place (replace_original), keeping its time: look at them all.
        const e = state.ephemerals.find((x) =>
          buttons(x.blocks).some((b) => b.actionId === 'liftoff_rollback_confirm'),
        );
        return e === undefined ? undefined : { e, state };
      });
      printEphemeral(tour, confirmAnswer.state, confirmAnswer.e);
      const confirm = buttons(confirmAnswer.e.blocks).find((b) => b.actionId === 'liftoff_rollback_confirm');
      if (confirm === undefined) throw new DemoError('the confirmation has no confirm button');
      print('');
      print(`dana clicks [${confirm.label}]`);
      const before = new Set((await tour.api.state(REQUESTER)).messages.map((m) => m.ts));
      const confirmedAt = new Date().toISOString();
      // The pick replaced the list in place, so the confirmation keeps the list's ts.
      await clickOnEphemeral(tour, confirmAnswer.e, listTs, confirm);
      const result = await waitFor(tour, 'the rollback result', 30_000, async () => {
        const state = await tour.api.state(REQUESTER);
        const message = state.messages.find((m) => !before.has(m.ts) && m.threadTs === null);
        if (message !== undefined) return { lines: messageLines(message, userNames(state)), inChannel: true };
        const refusal = ephemeralsSince(state, confirmedAt).find((e) => e.text !== '');
        return refusal === undefined ? undefined : { lines: messageLines(refusal, userNames(state)), inChannel: false };
      });
      printMessage(tour, result.inChannel ? 'liftoff' : 'liftoff (only visible to you)', result.lines);
      if (!result.inChannel) throw new DemoError(`the rollback was refused: ${result.lines.join(' ')}`);
    }
    print('');
    print('Tour complete.');
  } finally {
    await sandbox?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const started = Date.now();
  runDemo((line) => console.log(line), { progress: (mark) => process.stdout.write(mark) }).then(
    () => {
      console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
    },
    (error: unknown) => {
      console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!(error instanceof DemoError) && error instanceof Error && error.stack !== undefined)
        console.error(error.stack);
      process.exitCode = 1;
    },
  );
}
