/**
 * The URLs a Cloud Run service answers on: one HTTP listener on 127.0.0.1 per service URL and
 * per traffic tag URL, each proxying to the runtime of the revision its route picks.
 * A listener only exists while its URL does, and `close()` ends its connections.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteDecision =
  | { kind: 'proxy'; target: string; revision: string }
  | { kind: 'forbidden' }
  | { kind: 'unavailable'; revision: string; message: string };

export interface ServedRequest {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly userAgent: string;
  readonly remoteIp: string;
  readonly responseSize: number;
  /** The revision the request was for, '' when it was refused before routing. */
  readonly revision: string;
  /**
   * True when the platform answered itself (IAM refusal, nothing to route to, instance
   * unreachable); false when the revision's container answered.
   */
  readonly byPlatform: boolean;
  readonly note?: string;
}

export interface FrontDoorHandlers {
  route(request: IncomingMessage): RouteDecision;
  served(request: ServedRequest): void;
}

/** What Google's front end answers when IAM refuses the caller (the page production served). */
const FORBIDDEN_PAGE = (path: string): string =>
  '<html><head>\n<meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>403 Forbidden</title>\n</head>\n' +
  '<body text=#000000 bgcolor=#ffffff>\n<h1>Error: Forbidden</h1>\n' +
  `<h2>Your client does not have permission to get URL <code>${escapeHtml(path)}</code> from this server.</h2>\n<h2></h2>\n</body></html>\n`;

export const UNAUTHENTICATED_LOG_TEXT =
  'The request was not authenticated. Either allow unauthenticated invocations or set the proper Authorization header. ' +
  'Read more at https://cloud.google.com/run/docs/securing/authenticating ' +
  'Additional troubleshooting documentation can be found at: https://cloud.google.com/run/docs/troubleshooting#unauthorized-client';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

export class FrontDoor {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async open(handlers: FrontDoorHandlers): Promise<FrontDoor> {
    const server = createServer((request, response) => serve(handlers, request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return new FrontDoor(server, `http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

function serve(handlers: FrontDoorHandlers, request: IncomingMessage, response: ServerResponse): void {
  const started = process.hrtime.bigint();
  const base = {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    userAgent: request.headers['user-agent'] ?? '',
    remoteIp: request.socket.remoteAddress ?? '',
  };
  const latencyMs = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  const decision = handlers.route(request);

  if (decision.kind === 'forbidden') {
    const body = FORBIDDEN_PAGE(base.url);
    request.resume();
    response.writeHead(403, { 'content-type': 'text/html; charset=UTF-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
    handlers.served({
      ...base,
      status: 403,
      latencyMs: latencyMs(),
      responseSize: Buffer.byteLength(body),
      revision: '',
      byPlatform: true,
      note: UNAUTHENTICATED_LOG_TEXT,
    });
    return;
  }
  if (decision.kind === 'unavailable') {
    request.resume();
    response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`Service Unavailable: ${decision.message}\n`);
    handlers.served({
      ...base,
      status: 503,
      latencyMs: latencyMs(),
      responseSize: 0,
      revision: decision.revision,
      byPlatform: true,
      note: decision.message,
    });
    return;
  }

  const target = new URL(base.url, decision.target);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  // The container sees the Host the caller used (the service or tag URL), as on Cloud Run.
  headers['x-forwarded-for'] = base.remoteIp;
  headers['x-forwarded-proto'] = 'https';
  let size = 0;
  const upstream = httpRequest(target, { method: base.method, headers }, (answer) => {
    const status = answer.statusCode ?? 502;
    const answerHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) answerHeaders[name] = value;
    }
    response.writeHead(status, answerHeaders);
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    answer.pipe(response);
    answer.on('end', () => {
      handlers.served({
        ...base,
        status,
        latencyMs: latencyMs(),
        responseSize: size,
        revision: decision.revision,
        byPlatform: false,
      });
    });
  });
  upstream.on('error', (error) => {
    if (!response.headersSent) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Service Unavailable\n');
    } else {
      response.destroy();
    }
    handlers.served({
      ...base,
      status: 503,
      latencyMs: latencyMs(),
      responseSize: 0,
      revision: decision.revision,
      byPlatform: true,
      note: `The request failed because the instance could not be reached: ${error.message}`,
    });
  });
  request.pipe(upstream);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}
