import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { httpProber, joinProbeUrl } from '../../../src/adapters/http/http-prober.js';
import type { HttpProbeResult } from '../../../src/deploy/ports/index.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

interface TestServer {
  readonly baseUrl: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

/** A local server answering every request with `handler`, recording what it received. */
async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    baseUrl: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function expectOk(result: HttpProbeResult): Extract<HttpProbeResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected an answer, got: ${result.error}`);
  return result;
}

function expectError(result: HttpProbeResult): Extract<HttpProbeResult, { ok: false }> {
  if (result.ok) throw new Error(`expected a failure, got HTTP ${result.status}`);
  return result;
}

const HEALTH = JSON.stringify({ status: 'ok', message: 'Emergence Backend is running.' });

describe('httpProber', () => {
  it('answers status, body and content type of GET /api/health', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(HEALTH);
    });
    const result = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/api/health', timeoutMs: 2000 }),
    );
    expect(result).toMatchObject({ status: 200, contentType: 'application/json', body: HEALTH });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(server.seen).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/api/health',
        headers: expect.objectContaining({ 'user-agent': 'liftoff-probe' }) as object,
      }),
    ]);
  });

  it('answers any status, a 500 included, as an answer: the checks judge it', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('Service Unavailable');
    });
    const result = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/', timeoutMs: 2000 }),
    );
    expect(result).toMatchObject({
      status: 503,
      contentType: 'text/plain; charset=utf-8',
      body: 'Service Unavailable',
    });
    expect(server.seen).toHaveLength(1);
  });

  it('sends a JSON body with its content type, and the probe’s headers', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"skipped","reason":"no_history"}');
    });
    const result = expectOk(
      await httpProber({ userAgent: 'liftoff/1.0 (verify)' }).request({
        baseUrl: server.baseUrl,
        method: 'post',
        path: '/api/memory/analyze',
        body: { session_id: 'liftoff-smoke', force: false },
        headers: { 'x-liftoff-run': 'run-42' },
        timeoutMs: 2000,
      }),
    );
    expect(result.body).toBe('{"status":"skipped","reason":"no_history"}');
    const [seen] = server.seen;
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['x-liftoff-run']).toBe('run-42');
    expect(seen?.headers['user-agent']).toBe('liftoff/1.0 (verify)');
    expect(JSON.parse(seen?.body ?? '')).toEqual({ session_id: 'liftoff-smoke', force: false });
  });

  it('keeps a content type the probe sets itself', async () => {
    const server = await serve((_request, response) => response.end());
    await httpProber().request({
      baseUrl: server.baseUrl,
      method: 'POST',
      path: '/x',
      body: { a: 1 },
      headers: { 'Content-Type': 'application/merge-patch+json' },
      timeoutMs: 2000,
    });
    expect(server.seen[0]?.headers['content-type']).toBe('application/merge-patch+json');
  });

  it('joins the path under the base URL: one slash, the base path and the query kept', async () => {
    const server = await serve((_request, response) => response.end('ok'));
    const prober = httpProber();
    await prober.request({ baseUrl: `${server.baseUrl}/`, method: 'GET', path: '/api/health', timeoutMs: 2000 });
    await prober.request({
      baseUrl: `${server.baseUrl}/v1/`,
      method: 'GET',
      path: 'metrics?format=text',
      timeoutMs: 2000,
    });
    await prober.request({ baseUrl: server.baseUrl, method: 'GET', path: '//other.example/x', timeoutMs: 2000 });
    expect(server.seen.map((seen) => seen.url)).toEqual(['/api/health', '/v1/metrics?format=text', '/other.example/x']);
  });

  it('measures latency to the end of the body: a body finished 200 ms late measures at least 200 ms', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first part, ');
      setTimeout(() => response.end('then the rest'), 220);
    });
    const result = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/slow', timeoutMs: 5000 }),
    );
    expect(result.body).toBe('first part, then the rest');
    expect(result.latencyMs).toBeGreaterThanOrEqual(200);

    const fast = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/slow', timeoutMs: 5000 }),
    );
    expect(fast.latencyMs).toBeGreaterThanOrEqual(200);
  });

  it('times out a server that does not answer, and one that stalls in the body', async () => {
    const silent = await serve(() => undefined);
    const started = performance.now();
    const result = expectError(
      await httpProber().request({ baseUrl: silent.baseUrl, method: 'GET', path: '/', timeoutMs: 150 }),
    );
    expect(result.error).toBe('timed out after 150 ms');
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
    expect(performance.now() - started).toBeLessThan(5000);

    const stalling = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const stalled = expectError(
      await httpProber().request({ baseUrl: stalling.baseUrl, method: 'GET', path: '/', timeoutMs: 150 }),
    );
    expect(stalled.error).toBe('timed out after 150 ms');
  });

  it('aborts a request in flight when the signal fires, headers or body not yet arrived, and sends none once fired', async () => {
    let closed = 0;
    const silent = await serve((request) => request.socket.on('close', () => (closed += 1)));
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error("the check's deadline (100 ms) passed")), 100);
    const result = expectError(
      await httpProber().request(
        { baseUrl: silent.baseUrl, method: 'GET', path: '/', timeoutMs: 10_000 },
        controller.signal,
      ),
    );
    expect(result.error).toBe("aborted: the check's deadline (100 ms) passed");
    expect(performance.now() - started).toBeLessThan(2000);
    // The connection is closed, not left to the server.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(1);

    const stalling = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const inBody = new AbortController();
    setTimeout(() => inBody.abort(), 100);
    const stalled = expectError(
      await httpProber().request(
        { baseUrl: stalling.baseUrl, method: 'GET', path: '/', timeoutMs: 10_000 },
        inBody.signal,
      ),
    );
    expect(stalled.error).toMatch(/^aborted: /);

    expectError(
      await httpProber().request(
        { baseUrl: stalling.baseUrl, method: 'GET', path: '/again', timeoutMs: 10_000 },
        inBody.signal,
      ),
    );
    expect(stalling.seen.map((seen) => seen.url)).toEqual(['/']);
  });

  it('reports a refused connection with its code', async () => {
    const server = await serve(() => undefined);
    const baseUrl = server.baseUrl;
    await server.close();
    const result = expectError(await httpProber().request({ baseUrl, method: 'GET', path: '/', timeoutMs: 2000 }));
    expect(result.error).toMatch(/ECONNREFUSED/);
    expect(result.error).toContain(baseUrl.replace('http://', ''));
  });

  it('cuts the body at the limit, says so, and does not read an endless body to its end', async () => {
    const server = await serve((request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      if (request.url === '/endless') {
        const chunk = 'x'.repeat(16 * 1024);
        const pump = (): void => {
          while (response.write(chunk));
          response.once('drain', pump);
        };
        pump();
        return;
      }
      // 'é' is two bytes: the limit of 1001 bytes falls inside the 501st.
      response.end('é'.repeat(3000));
    });
    const cut = expectOk(
      await httpProber({ maxBodyBytes: 1001 }).request({
        baseUrl: server.baseUrl,
        method: 'GET',
        path: '/',
        timeoutMs: 2000,
      }),
    );
    expect(cut.body).toBe(`${'é'.repeat(500)}\n[… body cut by Liftoff at 1001 bytes]`);

    const endless = expectOk(
      await httpProber({ maxBodyBytes: 64 * 1024 }).request({
        baseUrl: server.baseUrl,
        method: 'GET',
        path: '/endless',
        timeoutMs: 5000,
      }),
    );
    expect(endless.body.startsWith('x'.repeat(64 * 1024))).toBe(true);
    expect(endless.body).toMatch(/body cut by Liftoff at 65536 bytes\]$/);
  });

  it('keeps a body under the default 1 MiB limit whole', async () => {
    const body = 'a'.repeat(1024 * 1024);
    const server = await serve((_request, response) => response.end(body));
    const result = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/', timeoutMs: 5000 }),
    );
    expect(result.body).toBe(body);
  });

  it('does not follow a redirect: the probe sees what the service answered', async () => {
    const server = await serve((request, response) => {
      if (request.url === '/login') response.end('login page');
      else response.writeHead(302, { location: '/login' }).end();
    });
    const result = expectOk(
      await httpProber().request({ baseUrl: server.baseUrl, method: 'GET', path: '/api/health', timeoutMs: 2000 }),
    );
    expect(result.status).toBe(302);
    expect(server.seen.map((seen) => seen.url)).toEqual(['/api/health']);
  });

  it('refuses any scheme but http and https, and a path that is a URL, without sending anything', async () => {
    const calls: string[] = [];
    const spy: typeof fetch = (input) => {
      calls.push(input instanceof Request ? input.url : input.toString());
      return Promise.resolve(new Response('no'));
    };
    const prober = httpProber({ fetch: spy });
    for (const baseUrl of ['file:///etc', 'ftp://example.com', 'javascript:alert(1)', 'not a url']) {
      const result = expectError(await prober.request({ baseUrl, method: 'GET', path: '/passwd', timeoutMs: 1000 }));
      expect(result.error).toMatch(/^(refused|not a URL)/);
    }
    const absolute = expectError(
      await prober.request({
        baseUrl: 'https://x.a.run.app',
        method: 'GET',
        path: 'http://169.254.169.254/',
        timeoutMs: 1000,
      }),
    );
    expect(absolute.error).toMatch(/^refused path/);
    expect(calls).toEqual([]);
  });

  it('measures with the injected clock and sends through the injected fetch', async () => {
    let now = 1000;
    const fake: typeof fetch = (input, init) => {
      now += 42;
      expect(input instanceof Request ? input.url : input.toString()).toBe(
        'https://emergence-app-abc-ew.a.run.app/api/health?verbose=1',
      );
      expect(init?.method).toBe('GET');
      return Promise.resolve(new Response('{"status":"ok"}', { headers: { 'content-type': 'application/json' } }));
    };
    const result = await httpProber({ fetch: fake, clock: { now: () => now } }).request({
      baseUrl: 'https://emergence-app-abc-ew.a.run.app',
      method: 'GET',
      path: '/api/health?verbose=1',
      timeoutMs: 1000,
    });
    expect(result).toEqual({
      ok: true,
      status: 200,
      contentType: 'application/json',
      body: '{"status":"ok"}',
      latencyMs: 42,
    });
  });
});

describe('joinProbeUrl', () => {
  it.each([
    ['https://h.run.app', '/api/health', 'https://h.run.app/api/health'],
    ['https://h.run.app/', '/api/health', 'https://h.run.app/api/health'],
    ['https://h.run.app//', 'api/health', 'https://h.run.app/api/health'],
    ['https://h.run.app/prefix', '/metrics', 'https://h.run.app/prefix/metrics'],
    ['https://h.run.app/prefix/', '//metrics', 'https://h.run.app/prefix/metrics'],
    ['https://h.run.app', '/q?a=1&b=two%20words', 'https://h.run.app/q?a=1&b=two%20words'],
    ['https://h.run.app/?key=k', '/q?a=1', 'https://h.run.app/q?key=k&a=1'],
    ['https://h.run.app', '/x#frag', 'https://h.run.app/x'],
    ['https://h.run.app/base', '', 'https://h.run.app/base'],
    ['http://127.0.0.1:8080', '/', 'http://127.0.0.1:8080/'],
  ])('%s + %s → %s', (base, path, expected) => {
    const joined = joinProbeUrl(base, path);
    expect(joined.ok && joined.url.href).toBe(expected);
  });
});
