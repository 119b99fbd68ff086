import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { RouteHandler } from '../../src/bot/http-receiver.js';
import type { SlackEmulator, SlackRequestSender } from '../slack/index.js';
import { CONSOLE_PAGE } from './console-page.js';

export const SANDBOX_USERS = {
  requester: { id: 'U0REQUESTER', name: 'dana', realName: 'Dana (deployer)' },
  approver: { id: 'U0APPROVER', name: 'sam', realName: 'Sam (approver)' },
  visitor: { id: 'U0VISITOR', name: 'alex', realName: 'Alex (no rights)' },
} as const;
export const SANDBOX_CHANNEL = { id: 'C0DEPLOYS', name: 'deploys' } as const;

const MAX_COMMAND_LENGTH = 4000;

const commandInput = z.object({
  userId: z.string().regex(/^U[A-Z0-9]+$/),
  text: z.string().max(MAX_COMMAND_LENGTH),
});
/** A console command the sandbox cannot send, in words a newcomer reads. */
function commandInputProblem(body: unknown): string {
  const text = typeof body === 'object' && body !== null && 'text' in body ? body.text : undefined;
  if (typeof text === 'string' && text.length > MAX_COMMAND_LENGTH)
    return `That command is ${text.length.toLocaleString('en-US')} characters long; a command is at most ${MAX_COMMAND_LENGTH.toLocaleString('en-US')}. Shorten it and send it again.`;
  return 'Pick who you are and type a command (for example /deploy help), then send it.';
}

const actionInput = z.object({
  userId: z.string().regex(/^U[A-Z0-9]+$/),
  actionId: z.string().max(255),
  messageTs: z.string().regex(/^\d+\.\d+$/),
  value: z.string().max(2000).optional(),
});

interface AckEphemeral {
  readonly userId: string;
  readonly at: string;
  readonly text: string;
  readonly blocks: unknown;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  if (raw.length > 64_000) throw new Error('body too large');
  return JSON.parse(raw) as unknown;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(JSON.stringify(body));
}

const ackBody = z.object({ text: z.string().optional(), blocks: z.unknown().optional() }).passthrough();

/**
 * The sandbox console: a page that plays the Slack client against the emulator. Commands and clicks go to
 * Liftoff as signed Slack requests, exactly as Slack would send them.
 */
export function consoleRoutes(deps: {
  readonly emulator: SlackEmulator;
  readonly sender: () => SlackRequestSender;
}): RouteHandler {
  const { emulator } = deps;
  const ackEphemerals: AckEphemeral[] = [];
  const listeners = new Set<ServerResponse>();
  const notify = (): void => {
    for (const res of listeners) res.write('event: changed\ndata: {}\n\n');
  };
  for (const event of ['message', 'ephemeral', 'response', 'call'] as const) emulator.events.on(event, notify);

  const state = (userId: string): unknown => ({
    users: Object.values(SANDBOX_USERS),
    channel: SANDBOX_CHANNEL,
    messages: emulator.messages
      .filter((m) => m.channel === SANDBOX_CHANNEL.id && !m.deleted)
      .map((m) => ({
        ts: m.ts,
        threadTs: m.thread_ts ?? null,
        text: m.text,
        blocks: m.blocks ?? null,
        edited: m.edited !== undefined,
      })),
    ephemerals: [
      ...emulator.ephemerals
        .filter((e) => e.user === userId && !e.deleted)
        // The ts lets the page click the buttons of an ephemeral message (the /rollback list and confirmation).
        .map((e) => ({ at: e.at.toISOString(), ts: e.message_ts, text: e.text, blocks: e.blocks ?? null })),
      ...ackEphemerals.filter((a) => a.userId === userId),
    ].sort((a, b) => a.at.localeCompare(b.at)),
  });

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(CONSOLE_PAGE);
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/sandbox/state') {
      json(res, 200, state(url.searchParams.get('user') ?? SANDBOX_USERS.requester.id));
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/sandbox/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 1000\n\n');
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      return true;
    }
    if (req.method === 'POST' && url.pathname === '/sandbox/home') {
      const input = z
        .object({ userId: z.string().regex(/^U[A-Z0-9]+$/) })
        .safeParse(await readJson(req).catch(() => undefined));
      if (!input.success) return (json(res, 400, { error: 'expected {userId}' }), true);
      const before = emulator.views.get(input.data.userId)?.publishedAt.getTime() ?? 0;
      await deps.sender().appHomeOpened({ userId: input.data.userId });
      // Liftoff publishes the tab after acknowledging the event: wait briefly for it.
      for (let i = 0; i < 50 && (emulator.views.get(input.data.userId)?.publishedAt.getTime() ?? 0) <= before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      json(res, 200, { view: emulator.views.get(input.data.userId)?.view ?? null });
      return true;
    }
    if (req.method === 'POST' && (url.pathname === '/sandbox/command' || url.pathname === '/sandbox/action')) {
      let body: unknown;
      try {
        body = await readJson(req);
      } catch {
        json(res, 400, { error: 'the body is not JSON' });
        return true;
      }
      if (url.pathname === '/sandbox/command') {
        const input = commandInput.safeParse(body);
        if (!input.success) return (json(res, 400, { error: commandInputProblem(body) }), true);
        const [command = '', ...rest] = input.data.text.trim().split(/\s+/);
        if (!['/deploy', '/rollback', '/metrics'].includes(command)) {
          json(res, 400, { error: `unknown command ${command.slice(0, 40)}: try /deploy, /rollback or /metrics` });
          return true;
        }
        const sent = await deps
          .sender()
          .slashCommand({ command, text: rest.join(' '), userId: input.data.userId, channelId: SANDBOX_CHANNEL.id });
        const parsed = sent.body.trim().startsWith('{') ? ackBody.safeParse(sent.json()) : undefined;
        if (parsed?.success === true && parsed.data.text !== undefined) {
          ackEphemerals.push({
            userId: input.data.userId,
            at: new Date().toISOString(),
            text: parsed.data.text,
            blocks: parsed.data.blocks ?? null,
          });
          notify();
        }
        json(res, 200, { status: sent.status });
        return true;
      }
      const input = actionInput.safeParse(body);
      if (!input.success) return (json(res, 400, { error: 'expected {userId, actionId, messageTs}' }), true);
      const sent = await deps.sender().blockAction({
        actionId: input.data.actionId,
        userId: input.data.userId,
        channelId: SANDBOX_CHANNEL.id,
        messageTs: input.data.messageTs,
        ...(input.data.value === undefined ? {} : { value: input.data.value }),
      });
      json(res, 200, { status: sent.status });
      return true;
    }
    return false;
  };
}
