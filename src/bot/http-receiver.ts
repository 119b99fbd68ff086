import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPResponseAck, type App, type Logger, type Receiver } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../deploy/ports/index.js';
import { ACTION_IDS } from '../ui/action-ids.js';
import type { BotMetrics } from './bot-metrics.js';
import { parseSlackBody, type SlackBodyPolicy } from './slack-body.js';
import { verifySlackSignature } from './slack-signature.js';

export const SLACK_EVENTS_PATH = '/slack/events';
const MAX_BODY_BYTES = 1024 * 1024;
const authTestTeam = z.object({ team_id: z.string().min(1) });

/** Answers a request that is not Slack's (health, metrics, the sandbox console); false if it is not one of its. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface LiftoffHttpReceiverOptions {
  readonly signingSecret: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: BotMetrics;
  readonly routes: readonly RouteHandler[];
}

/**
 * Moves bytes between HTTP and Bolt: verifies Slack's signature (both directions of clock skew), checks the
 * body's shape, hands it to the app and writes the acknowledgement. Behaviour lives in the listeners.
 */
export class LiftoffHttpReceiver implements Receiver {
  private app: App | undefined;
  private readonly server: http.Server;
  private readonly inFlight = new Set<Promise<unknown>>();
  private policy: SlackBodyPolicy = { responseOrigins: [], actionIds: new Set(Object.values(ACTION_IDS)) };

  constructor(private readonly options: LiftoffHttpReceiverOptions) {
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        options.logger.error('request failed', error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  init(app: App): void {
    this.app = app;
  }

  async start(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    this.policy = await bodyPolicy(this.app, this.options.logger);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** Stops taking requests and waits for the ones being handled. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.allSettled([...this.inFlight]);
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === SLACK_EVENTS_PATH) {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const work = this.handleSlack(req, res);
      this.inFlight.add(work);
      try {
        await work;
      } finally {
        this.inFlight.delete(work);
      }
      return;
    }
    for (const handler of this.options.routes) {
      if (await handler(req, res)) return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
  }

  private async handleSlack(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const rawBody = await readBody(req);
    if (rawBody === undefined) {
      res.writeHead(413).end();
      return;
    }
    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      rawBody,
      timestampHeader: header(req, 'x-slack-request-timestamp'),
      signatureHeader: header(req, 'x-slack-signature'),
      nowMs: this.options.clock.now().getTime(),
    });
    if (!check.ok) {
      this.options.metrics.countRequest('unverified', check.reason);
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      return;
    }
    const parsed = parseSlackBody(rawBody, header(req, 'content-type'), this.policy);
    if (parsed.kind === 'ignored') {
      this.options.metrics.countRequest('malformed', 'ignored');
      this.options.logger.warn(`ignored a signed Slack request: ${parsed.why}`);
      res.writeHead(200).end();
      return;
    }
    if (parsed.kind === 'invalid') {
      this.options.metrics.countRequest('malformed', 'refused');
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`Bad request: ${parsed.why}`);
      return;
    }
    if (parsed.kind === 'url_verification') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: parsed.challenge }));
      return;
    }
    if (parsed.kind === 'ssl_check') {
      res.writeHead(200).end();
      return;
    }
    const surface = surfaceOf(parsed.body);
    res.once('finish', () => {
      this.options.metrics.observeAck(surface, Number(process.hrtime.bigint() - started) / 1e9);
    });
    const app = this.app;
    if (app === undefined) throw new Error('the receiver was started before Bolt initialised it');
    const bound = new HTTPResponseAck({
      logger: this.options.logger,
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: parsed.body,
      httpResponse: res,
    }).bind();
    let acked = false;
    const ack = (response?: Parameters<typeof bound>[0]): Promise<void> => {
      acked = true;
      return bound(response);
    };
    const retryNum = Number(header(req, 'x-slack-retry-num'));
    const retryReason = header(req, 'x-slack-retry-reason');
    try {
      await app.processEvent({
        body: parsed.body,
        ack,
        ...(Number.isSafeInteger(retryNum) ? { retryNum } : {}),
        ...(retryReason === undefined ? {} : { retryReason: retryReason.slice(0, 64) }),
      });
    } catch (error) {
      this.options.logger.error('a Slack request failed in Bolt', error);
    } finally {
      // Bolt returns without acknowledging what no listener matched (an unknown command, a view, a type it
      // cannot route): Slack would wait 3 s and show an error. Every listener acks first, so this is only those.
      if (!acked && !res.headersSent) await ack();
    }
  }
}

/** What a body may point at and where it must come from: Slack's hooks host or the configured Web API's, the installed team. */
async function bodyPolicy(app: App | undefined, logger: Logger): Promise<SlackBodyPolicy> {
  const actionIds = new Set<string>(Object.values(ACTION_IDS));
  if (app === undefined) return { responseOrigins: [], actionIds };
  const responseOrigins = [new URL(app.client.slackApiUrl).origin];
  try {
    const { team_id: teamId } = authTestTeam.parse(await app.client.auth.test());
    return { responseOrigins, actionIds, teamId };
  } catch (error) {
    logger.warn(`could not learn the installed workspace from auth.test (${String(error)}); any team is accepted`);
    return { responseOrigins, actionIds };
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A low-cardinality label for a Slack request: the command, or the interaction or event type. */
export function surfaceOf(body: Record<string, unknown>): string {
  if (typeof body.command === 'string') return body.command.slice(0, 32);
  if (typeof body.type === 'string') return body.type.slice(0, 32);
  return 'unknown';
}
