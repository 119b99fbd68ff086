/**
 * A sample ÉMERGENCE backend with the real service's HTTP contract, metrics and log lines,
 * served on 127.0.0.1 so Liftoff's verification can run against something that behaves (and
 * misbehaves) like production. Behaviour mirrors the public source (DrKz36/emergencev8):
 * `main.py` (health), `features/memory/router.py` and `analyzer.py` (analyze), `features/metrics/
 * router.py` (metrics) and `core/middleware.py` (rate limit, body size).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAnalyzePayload, resolveSessionId, type ParsedRequest } from './analyze-request.js';
import { DEFAULT_ANALYSIS_ERROR_TYPE, type EmergenceFaults } from './faults.js';
import { createEmergenceMetrics, initialProcessState, type EmergenceMetrics, type ProcessState } from './metrics.js';
import { PROMETHEUS_CONTENT_TYPES, type ExpositionVersion } from './prometheus.js';
import {
  durationJson,
  pythonJsonDumps,
  pythonLogLine,
  pythonTruthy,
  uvicornLine,
  type PythonLogLevel,
} from './python-format.js';
import {
  analyzeConversation,
  EmergenceSessionStore,
  type EmergenceSessionSeed,
  type SessionAnalysis,
  type SessionRecord,
} from './sessions.js';
import { TrafficFaults } from './traffic-faults.js';

export type EmergenceSeverity = 'DEFAULT' | 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** One entry as the container's logs reach Cloud Logging (the emulator adds resource and labels). */
export interface EmergenceLogEntry {
  timestamp: Date;
  severity: EmergenceSeverity;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: { requestMethod: string; requestUrl: string; status: number; latency: string };
  logName?: string;
}

export interface EmergenceServiceOptions {
  readonly revision: string;
  /** The revision's environment: `PYTHONPATH`, `CONCEPT_RECALL_METRICS_ENABLED`, `EMERGENCE_TEST_SESSION`… */
  readonly env: Readonly<Record<string, string>>;
  /** Read on every request; mutate it to flip faults on the running service. */
  readonly faults?: EmergenceFaults;
  writeLog(entry: EmergenceLogEntry): void;
  readonly clock?: { now(): Date };
  readonly sleep?: (ms: number) => Promise<void>;
  /** Project in the log names (`projects/<project>/logs/run.googleapis.com%2Frequests`). */
  readonly project?: string;
  /** How long a neo_analysis call takes (production: 4.6–6.3 s). Default 1500. */
  readonly analysisMs?: number;
  /** How long the `already_analyzed` skip path takes (production: about 2 ms). Default 2. */
  readonly skipPathMs?: number;
  /** Application startup time before the port opens. Default 0. */
  readonly startupMs?: number;
  /** prometheus_client's text format version in the Content-Type. Default '0.0.4'. */
  readonly exposition?: ExpositionVersion;
  /** Requests a minute per client IP before 429 (the real middleware: 100). */
  readonly rateLimitPerMinute?: number;
  /** Largest accepted request body (the real middleware: 10 MiB). */
  readonly maxBodyBytes?: number;
  /** The sessions in the database; ignored when `store` is given. */
  readonly sessions?: readonly EmergenceSessionSeed[];
  /** A database shared with other revisions of the same service. */
  readonly store?: EmergenceSessionStore;
  /**
   * Count a forced analysis as a cache miss, as the seed runbook's expected output shows. The real
   * analyzer does not (`if persist and not force: CACHE_MISSES_TOTAL.inc()`), so this is off by default.
   */
  readonly forceCountsCacheMiss?: boolean;
  /**
   * Severity given to the application's plain-text lines. By default each line gets its Python
   * level; set 'DEFAULT' to see what unstructured stderr looks like to severity filters.
   */
  readonly plainTextSeverity?: EmergenceSeverity;
}

export interface EmergenceService {
  readonly url: string;
  readonly port: number;
  /** The live faults object the server reads on every request. */
  readonly faults: EmergenceFaults;
  readonly metrics: EmergenceMetrics;
  readonly store: EmergenceSessionStore;
  stop(): Promise<void>;
}

/** The container exited during startup; `message` is the last line it printed. */
export class EmergenceStartupError extends Error {
  readonly code = 'container_crashed';
  constructor(message: string) {
    super(message);
    this.name = 'EmergenceStartupError';
  }
}

export const HEALTH_BODY = { status: 'ok', message: 'Emergence Backend is running.' } as const;
export const METRICS_DISABLED_BODY = '# Metrics disabled. Set CONCEPT_RECALL_METRICS_ENABLED=true to enable.\n';
export const MISSING_PYTHONPATH_ERROR = "ModuleNotFoundError: No module named 'backend'";
export const ANALYSIS_PROVIDER = 'neo_analysis';

const MISSING_PYTHONPATH_TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "<frozen runpy>", line 198, in _run_module_as_main',
  '  File "<frozen runpy>", line 88, in _run_code',
  '  File "/usr/local/lib/python3.11/site-packages/uvicorn/__main__.py", line 4, in <module>',
  '    uvicorn.main()',
  '  File "/usr/local/lib/python3.11/site-packages/uvicorn/importer.py", line 19, in import_from_string',
  '    module = importlib.import_module(module_str)',
  '  File "/usr/local/lib/python3.11/importlib/__init__.py", line 126, in import_module',
  '    return _bootstrap._gcd_import(name[level:], package, level)',
  '  File "<frozen importlib._bootstrap>", line 1204, in _gcd_import',
  '  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load',
  '  File "<frozen importlib._bootstrap>", line 1140, in _find_and_load_unlocked',
  MISSING_PYTHONPATH_ERROR,
].join('\n');

/**
 * Starts the sample backend on 127.0.0.1 (a free port). Rejects with {@link EmergenceStartupError}
 * when the container would crash at import (no `PYTHONPATH`), after logging what it prints.
 */
export async function startEmergenceService(options: EmergenceServiceOptions): Promise<EmergenceService> {
  const app = new EmergenceApp(options);
  return app.start();
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
// Starlette's bare Response(content=...) sends no Content-Type at all.
const bare = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({ status, headers, body });

interface Route {
  readonly method: 'GET' | 'POST';
  handle(request: ParsedRequest): Promise<Reply>;
}

class AnalysisFailedError extends Error {}

class EmergenceApp {
  readonly #options: EmergenceServiceOptions;
  readonly #faults: EmergenceFaults;
  readonly #clock: { now(): Date };
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #store: EmergenceSessionStore;
  readonly #metrics: EmergenceMetrics;
  readonly #process: ProcessState;
  readonly #stderrLog: string;
  readonly #requestsLog: string;
  readonly #rateLimit: number;
  readonly #maxBodyBytes: number;
  readonly #metricsEnabledByEnv: boolean;
  readonly #hitsByIp = new Map<string, number[]>();
  /** The analyzer's in-memory cache: key → analysis and when it was saved (TTL 1 h, 100 entries). */
  readonly #analysisCache = new Map<string, { analysis: SessionAnalysis; savedAtMs: number }>();
  readonly #routes: Record<string, Route>;
  readonly #trafficFaults: TrafficFaults;
  #server: Server | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: EmergenceServiceOptions) {
    this.#options = options;
    this.#faults = options.faults ?? {};
    this.#clock = options.clock ?? { now: () => new Date() };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#store = options.store ?? new EmergenceSessionStore(options.sessions);
    const testSession = options.env['EMERGENCE_TEST_SESSION']?.trim();
    if (testSession) this.#store.ensure(testSession);
    this.#trafficFaults = new TrafficFaults({
      faults: this.#faults,
      revision: options.revision,
      testSession,
      sleep: this.#sleep,
    });
    const project = options.project ?? 'sandbox-project';
    this.#stderrLog = `projects/${project}/logs/run.googleapis.com%2Fstderr`;
    this.#requestsLog = `projects/${project}/logs/run.googleapis.com%2Frequests`;
    this.#rateLimit = options.rateLimitPerMinute ?? 100;
    this.#maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
    this.#metricsEnabledByEnv = (options.env['CONCEPT_RECALL_METRICS_ENABLED'] ?? 'false').toLowerCase() === 'true';
    this.#process = initialProcessState(this.#seconds());
    this.#metrics = createEmergenceMetrics({
      now: () => this.#seconds(),
      process: () => ({ ...this.#process, residentBytes: this.#faults.memoryBytes ?? this.#process.residentBytes }),
      metricsEnabled: this.#metricsEnabledByEnv,
    });
    this.#routes = {
      '/api/health': { method: 'GET', handle: () => this.#health() },
      '/api/metrics': { method: 'GET', handle: () => Promise.resolve(this.#metricsReply()) },
      '/api/memory/analyze': { method: 'POST', handle: (request) => this.#analyze(request) },
    };
  }

  async start(): Promise<EmergenceService> {
    if (!this.#options.env['PYTHONPATH']?.trim()) {
      // The import fails before uvicorn logs anything; Cloud Run then reports the container exit.
      this.#write('ERROR', MISSING_PYTHONPATH_TRACEBACK);
      throw new EmergenceStartupError(MISSING_PYTHONPATH_ERROR);
    }
    this.#uvicorn('INFO', 'Started server process [1]');
    this.#uvicorn('INFO', 'Waiting for application startup.');
    for (const prefix of ['/api/documents', '/api/debate', '/api/dashboard', '/api/threads', '/api/memory']) {
      this.#log('backend.main', 'INFO', `Router monté: ${prefix}`);
    }
    this.#log('backend.features.memory.analyzer', 'INFO', 'MemoryAnalyzer V3.4 initialisé. Prêt: True');
    if (this.#metricsEnabledByEnv) {
      this.#log(
        'backend.features.memory.concept_recall_metrics',
        'INFO',
        '[ConceptRecallMetrics] Metrics collection enabled',
      );
    }
    const startupMs = this.#options.startupMs ?? 0;
    if (startupMs > 0) await this.#sleep(startupMs);
    this.#uvicorn('INFO', 'Application startup complete.');

    const server = createServer((req, res) => {
      this.#serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#uvicorn('INFO', 'Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)');
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      faults: this.#faults,
      metrics: this.#metrics,
      store: this.#store,
      stop: () => this.#stop(),
    };
  }

  #stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const server = this.#server;
      this.#uvicorn('INFO', 'Shutting down');
      this.#uvicorn('INFO', 'Waiting for application shutdown.');
      this.#log('backend.main', 'INFO', 'Arrêt backend Émergence terminé.');
      this.#uvicorn('INFO', 'Application shutdown complete.');
      this.#uvicorn('INFO', 'Finished server process [1]');
      if (server === undefined) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return this.#stopping;
  }

  // ------------------------------------------------------------------------------------------
  // Middleware: rate limit, body size, routing, request log.

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = this.#clock.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let reply: Reply;
    try {
      reply = await this.#middleware(req, method, url);
    } catch (error: unknown) {
      this.#log(
        'uvicorn.error',
        'ERROR',
        `Exception in ASGI application\n${error instanceof Error ? error.stack : String(error)}`,
      );
      reply = bare(500, 'Internal Server Error', { 'content-type': 'text/plain; charset=utf-8' });
    }
    const body = method === 'HEAD' ? '' : reply.body;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
    res.end(body);
    const latencyMs = Math.max(0, this.#clock.now().getTime() - started.getTime());
    this.#process.cpuSeconds += 0.003;
    this.#options.writeLog({
      timestamp: started,
      // Cloud Run's request log: INFO below 400, WARNING for 4xx, ERROR for 5xx.
      severity: reply.status >= 500 ? 'ERROR' : reply.status >= 400 ? 'WARNING' : 'INFO',
      logName: this.#requestsLog,
      httpRequest: {
        requestMethod: method,
        requestUrl: `http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`,
        status: reply.status,
        latency: durationJson(latencyMs),
      },
    });
  }

  async #middleware(req: IncomingMessage, method: string, url: URL): Promise<Reply> {
    const clientIp = normaliseIp(req.socket.remoteAddress);
    const nowMs = this.#clock.now().getTime();
    const recent = (this.#hitsByIp.get(clientIp) ?? []).filter((at) => nowMs - at < 60_000);
    if (recent.length >= this.#rateLimit) {
      this.#hitsByIp.set(clientIp, recent);
      this.#structured('warning', 'Rate limit exceeded', {
        client_ip: clientIp,
        requests_count: recent.length,
        limit: this.#rateLimit,
      });
      return bare(429, 'Rate limit exceeded. Please try again later.', { 'retry-after': '60' });
    }
    recent.push(nowMs);
    this.#hitsByIp.set(clientIp, recent);
    const rateHeaders = {
      'x-ratelimit-limit': String(this.#rateLimit),
      'x-ratelimit-remaining': String(Math.max(0, this.#rateLimit - recent.length)),
    };

    const declaredLength = Number(req.headers['content-length'] ?? '0');
    if (declaredLength > this.#maxBodyBytes) {
      this.#structured('warning', 'Oversized request blocked', {
        size_bytes: declaredLength,
        endpoint: url.pathname,
        client_ip: clientIp,
      });
      req.resume();
      return bare(413, 'Request too large');
    }
    const body = await readBody(req, this.#maxBodyBytes);
    if (body === undefined) return bare(413, 'Request too large');

    const reply = await this.#route({ method, url, headers: req.headers, body });
    return { ...reply, headers: { ...reply.headers, ...rateHeaders } };
  }

  async #route(request: ParsedRequest): Promise<Reply> {
    const path = request.url.pathname;
    const route = this.#routes[path];
    if (route === undefined) {
      // FastAPI's redirect_slashes: `/api/health/` → 307 to `/api/health`.
      const trimmed = path.replace(/\/+$/, '');
      if (trimmed !== path && this.#routes[trimmed] !== undefined) {
        return bare(307, '', { location: `${trimmed}${request.url.search}` });
      }
      return json(404, { detail: 'Not Found' });
    }
    const allowed = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
    if (!allowed.includes(request.method)) return json(405, { detail: 'Method Not Allowed' }, { allow: route.method });
    await this.#trafficFaults.beforeRoute();
    return route.handle(request);
  }

  // ------------------------------------------------------------------------------------------
  // GET /api/health — checks nothing, like the real one.

  #health(): Promise<Reply> {
    if (this.#faults.errorLogLine !== undefined) this.#log('backend.main', 'ERROR', this.#faults.errorLogLine);
    if (this.#faults.unhealthy) {
      this.#log('backend.main', 'ERROR', 'Health check failed: Database connection is not available');
      return Promise.resolve(json(503, { detail: 'Service Unavailable' }));
    }
    return Promise.resolve(json(200, HEALTH_BODY));
  }

  // ------------------------------------------------------------------------------------------
  // GET /api/metrics

  #metricsReply(): Reply {
    const contentType = PROMETHEUS_CONTENT_TYPES[this.#options.exposition ?? '0.0.4'];
    if (!this.#metricsEnabledByEnv || this.#faults.metricsDisabled) {
      return bare(200, METRICS_DISABLED_BODY, { 'content-type': contentType });
    }
    return bare(200, this.#metrics.registry.render(), { 'content-type': contentType });
  }

  // ------------------------------------------------------------------------------------------
  // POST /api/memory/analyze — router.py's analyze_session_endpoint, then analyzer.py's _analyze.

  async #analyze(request: ParsedRequest): Promise<Reply> {
    if (this.#faults.unavailable) return json(503, { detail: 'Service container indisponible.' });
    const parsed = parseAnalyzePayload(request);
    if (!parsed.ok) return json(422, { detail: [parsed.error] });
    const payload = parsed.payload;
    const force = pythonTruthy(payload['force']);
    const sessionId = resolveSessionId(payload['session_id'], request);
    if (sessionId === undefined) return json(400, { detail: 'Session ID manquant ou invalide.' });

    const session = this.#store.get(sessionId);
    if (session === undefined) return json(404, { detail: 'Session introuvable' });
    this.#trafficFaults.beforeAnalysis(sessionId);

    // The skip path returns here, before the analyzer: no cache counter moves.
    if (session.metadata.summary && !force) {
      await this.#sleep(this.#faults.slowCacheHitMs ?? this.#options.skipPathMs ?? 2);
      return json(200, {
        status: 'skipped',
        reason: 'already_analyzed',
        session_id: sessionId,
        metadata: session.metadata,
      });
    }
    if (session.messages.length === 0) {
      return json(200, { status: 'skipped', reason: 'no_history', session_id: sessionId, metadata: session.metadata });
    }

    let analysis: SessionAnalysis;
    try {
      analysis = await this.#runAnalyzer(session, force);
    } catch (error: unknown) {
      if (!(error instanceof AnalysisFailedError)) throw error;
      this.#log(
        'backend.features.memory.router',
        'ERROR',
        `[memory.analyze] Échec analyse session=${sessionId}: ${error.message}`,
      );
      return json(500, { detail: 'Analyse mémoire impossible pour cette session.' });
    }
    const metadata = session.metadata;
    const hasSummary = Boolean(analysis.summary) || Boolean(metadata.summary);
    const response: Record<string, unknown> = {
      status: hasSummary ? 'completed' : 'skipped',
      session_id: sessionId,
      force,
      analysis,
      metadata,
    };
    if (!hasSummary) response['reason'] = 'no_changes';
    return json(200, response);
  }

  async #runAnalyzer(session: SessionRecord, force: boolean): Promise<SessionAnalysis> {
    const analyzer = 'backend.features.memory.analyzer';
    const sessionId = session.id;
    this.#log(analyzer, 'INFO', `Lancement de l'analyse sémantique (persist=True) pour ${sessionId}`);
    const conversation = session.messages.map((message) => `${message.role}: ${message.content}`).join('\n');

    let cacheKey: string | undefined;
    if (!force) {
      const historyHash = createHash('md5').update(conversation).digest('hex').slice(0, 8);
      cacheKey = `memory_analysis:${sessionId}:${historyHash}`;
      const cached = this.#analysisCache.get(cacheKey);
      if (cached !== undefined) {
        if (this.#clock.now().getTime() - cached.savedAtMs < 3_600_000) {
          this.#log(analyzer, 'INFO', `[MemoryAnalyzer] Cache HIT pour session ${sessionId} (hash=${historyHash})`);
          this.#metrics.cacheHits.inc();
          return cached.analysis;
        }
        this.#analysisCache.delete(cacheKey);
        this.#log(analyzer, 'DEBUG', `[MemoryAnalyzer] Cache EXPIRED pour session ${sessionId}`);
      }
    }
    if (!force || this.#options.forceCountsCacheMiss) this.#metrics.cacheMisses.inc();

    const started = this.#clock.now().getTime();
    await this.#sleep(this.#options.analysisMs ?? 1500);
    const failure = this.#faults.analyzeFails;
    if (failure) {
      const errorType = typeof failure === 'string' ? failure : DEFAULT_ANALYSIS_ERROR_TYPE;
      // asyncio's TimeoutError has an empty message; other provider errors say something.
      const message = errorType === 'TimeoutError' ? '' : 'Connection error.';
      this.#metrics.analysisFailure.inc({ provider: ANALYSIS_PROVIDER, error_type: errorType });
      this.#log(
        analyzer,
        'WARNING',
        `[MemoryAnalyzer] Analyse neo_analysis échouée (${errorType}) pour session ${sessionId} — fallback Nexus`,
      );
      this.#metrics.analysisFailure.inc({ provider: 'nexus', error_type: errorType });
      this.#log(analyzer, 'WARNING', `[MemoryAnalyzer] Fallback Nexus échoué (${errorType}) — tentative Anima`);
      this.#metrics.analysisFailure.inc({ provider: 'anima', error_type: errorType });
      this.#log(analyzer, 'ERROR', `[MemoryAnalyzer] Tous fallbacks échoués pour session ${sessionId}: ${message}`);
      throw new AnalysisFailedError(message);
    }

    const analysis = analyzeConversation(session);
    const seconds = (this.#clock.now().getTime() - started) / 1000;
    this.#metrics.analysisDuration.observe(seconds, { provider: ANALYSIS_PROVIDER });
    this.#metrics.analysisSuccess.inc({ provider: ANALYSIS_PROVIDER });
    this.#log(analyzer, 'INFO', `[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session ${sessionId}`);
    session.metadata = { summary: analysis.summary, concepts: analysis.concepts, entities: analysis.entities };
    this.#process.residentBytes += 262_144;
    this.#process.cpuSeconds += seconds * 0.15;
    this.#process.gcCollections[0] += 3;

    // A forced analysis has no cache key, so nothing is saved and "Cache SAVED" is not logged.
    if (cacheKey !== undefined) {
      this.#analysisCache.set(cacheKey, { analysis, savedAtMs: this.#clock.now().getTime() });
      this.#log(analyzer, 'INFO', `[MemoryAnalyzer] Cache SAVED pour session ${sessionId} (key=${cacheKey})`);
      if (this.#analysisCache.size > 100) {
        const oldest = [...this.#analysisCache.entries()].sort((a, b) => a[1].savedAtMs - b[1].savedAtMs)[0];
        if (oldest !== undefined) this.#analysisCache.delete(oldest[0]);
      }
      this.#metrics.cacheSize.set(this.#analysisCache.size);
    }
    this.#log(analyzer, 'INFO', `Analyse sémantique terminée (persist=True, provider=neo_analysis) pour ${sessionId}.`);
    return analysis;
  }

  // ------------------------------------------------------------------------------------------
  // Logs

  #seconds(): number {
    return this.#clock.now().getTime() / 1000;
  }

  #write(severity: EmergenceSeverity, textPayload: string): void {
    this.#options.writeLog({ timestamp: this.#clock.now(), severity, textPayload, logName: this.#stderrLog });
  }

  /** A line from Python's `logging` with the app's basicConfig format, on stderr. */
  #log(logger: string, level: PythonLogLevel, message: string): void {
    const severity = this.#options.plainTextSeverity ?? level;
    this.#write(severity, pythonLogLine(this.#clock.now(), logger, level, message));
  }

  #uvicorn(level: PythonLogLevel, message: string): void {
    this.#write(this.#options.plainTextSeverity ?? level, uvicornLine(level, message));
  }

  /** `log_structured()` from core/monitoring.py: a JSON string inside an ordinary log line. */
  #structured(level: 'info' | 'warning' | 'error', message: string, fields: Record<string, unknown>): void {
    const upper = level.toUpperCase() as PythonLogLevel;
    const data = { timestamp: isoWithMicros(this.#clock.now()), level: upper, message, ...fields };
    this.#log('backend.core.monitoring', upper, pythonJsonDumps(data));
  }
}

/** Reads the body, or returns undefined past `limit` bytes (a chunked upload with no length). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function normaliseIp(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** `datetime.now(timezone.utc).isoformat()`: microseconds and `+00:00`. */
function isoWithMicros(at: Date): string {
  return `${at.toISOString().slice(0, 23)}000+00:00`;
}
