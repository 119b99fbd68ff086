import {
  ANALYSED_SESSION_ID,
  EMPTY_HISTORY_SESSION_ID,
  NO_CHANGES_SESSION_ID,
  SEED_RUNBOOK_SESSION_ID,
} from '../../../sandbox/emergence/index.js';
import { postAnalyze, scrape, startService, textLines, valueOf, type Started } from './helpers.js';

const neo = { provider: 'neo_analysis' };

async function counters(started: Started): Promise<Record<string, number | undefined>> {
  const text = await scrape(started);
  return {
    success: valueOf(text, 'memory_analysis_success_total', neo),
    misses: valueOf(text, 'memory_analysis_cache_misses_total'),
    hits: valueOf(text, 'memory_analysis_cache_hits_total'),
    size: valueOf(text, 'memory_analysis_cache_size'),
    durationCount: valueOf(text, 'memory_analysis_duration_seconds_count', neo),
  };
}

describe('POST /api/memory/analyze: the validation of the seed runbook (3.1–3.4)', () => {
  let started: Started;
  beforeAll(async () => {
    started = await startService();
  });
  afterAll(() => started.service.stop());

  it('completes a forced analysis through neo_analysis, moves success and duration, logs the MemoryAnalyzer line but not "Cache SAVED"', async () => {
    const before = await counters(started);
    expect(before).toEqual({ success: undefined, misses: 0, hits: 0, size: 0, durationCount: undefined });

    const startedAt = Date.now();
    const { status, body } = await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(15);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'completed',
      session_id: SEED_RUNBOOK_SESSION_ID,
      force: true,
      analysis: {
        summary: expect.any(String) as unknown,
        concepts: expect.any(Array) as unknown,
        entities: expect.any(Array) as unknown,
      },
    });
    const analysis = (body as { analysis: { summary: string; concepts: string[]; entities: string[] } }).analysis;
    expect(analysis.summary.length).toBeGreaterThan(0);
    expect(analysis.concepts).toContain('FastAPI');
    expect(analysis.entities).toContain('ChromaDB');

    // The real analyzer counts a cache miss only when it looked in the cache (not when forced).
    expect(await counters(started)).toEqual({ success: 1, misses: 0, hits: 0, size: 0, durationCount: 1 });
    const lines = textLines(started.logs);
    expect(
      lines.some((line) =>
        line.endsWith(`[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session ${SEED_RUNBOOK_SESSION_ID}`),
      ),
    ).toBe(true);
    expect(lines.some((line) => line.includes('Cache SAVED'))).toBe(false);
  });

  it('skips an analysed session without force in about 2 ms, before the analyzer: no counter moves', async () => {
    const before = await counters(started);
    const startedAt = performance.now();
    const { status, body } = await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID });
    expect(performance.now() - startedAt).toBeLessThan(100);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'skipped',
      reason: 'already_analyzed',
      session_id: SEED_RUNBOOK_SESSION_ID,
      metadata: { summary: expect.any(String) as unknown },
    });
    expect(await counters(started)).toEqual(before);
    const request = started.logs
      .filter((entry) => entry.httpRequest?.requestUrl.endsWith('/api/memory/analyze'))
      .at(-1);
    expect(request?.httpRequest?.status).toBe(200);
    expect(request?.httpRequest?.latency).toMatch(/^0\.0\d+s$/);
  });

  it('answers already_analyzed at once for a session analysed before the container started', async () => {
    expect(await postAnalyze(started, { session_id: ANALYSED_SESSION_ID })).toMatchObject({
      status: 200,
      body: { status: 'skipped', reason: 'already_analyzed' },
    });
  });

  it('makes the skip path slow under the slowCacheHitMs fault', async () => {
    started.service.faults.slowCacheHitMs = 120;
    const startedAt = performance.now();
    expect((await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID })).status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(110);
    started.service.faults.slowCacheHitMs = undefined;
  });

  it('skips a session with no history', async () => {
    expect(await postAnalyze(started, { session_id: EMPTY_HISTORY_SESSION_ID, force: true })).toEqual({
      status: 200,
      body: { status: 'skipped', reason: 'no_history', session_id: EMPTY_HISTORY_SESSION_ID, metadata: {} },
    });
  });

  it('answers no_changes when the analysis is empty, then serves that session from the in-memory cache', async () => {
    const before = await counters(started);
    const first = await postAnalyze(started, { session_id: NO_CHANGES_SESSION_ID });
    expect(first).toMatchObject({ status: 200, body: { status: 'skipped', reason: 'no_changes', force: false } });
    const afterFirst = await counters(started);
    expect(afterFirst.misses).toBe((before.misses ?? 0) + 1);
    expect(afterFirst.success).toBe((before.success ?? 0) + 1);
    expect(afterFirst.size).toBe(1);
    expect(
      textLines(started.logs).some((line) => line.includes(`Cache SAVED pour session ${NO_CHANGES_SESSION_ID}`)),
    ).toBe(true);

    const second = await postAnalyze(started, { session_id: NO_CHANGES_SESSION_ID });
    expect(second).toMatchObject({ status: 200, body: { status: 'skipped', reason: 'no_changes' } });
    const afterSecond = await counters(started);
    expect(afterSecond).toEqual({ ...afterFirst, hits: (afterFirst.hits ?? 0) + 1 });
    expect(
      textLines(started.logs).some((line) => line.includes(`Cache HIT pour session ${NO_CHANGES_SESSION_ID}`)),
    ).toBe(true);
  });
});

describe('POST /api/memory/analyze: errors and quirks of the real router', () => {
  let started: Started;
  beforeAll(async () => {
    started = await startService({
      env: {
        PYTHONPATH: '/app/src',
        CONCEPT_RECALL_METRICS_ENABLED: 'true',
        EMERGENCE_TEST_SESSION: 'liftoff-smoke-1',
      },
    });
  });
  afterAll(() => started.service.stop());

  it.each<[string, unknown, number, unknown]>([
    ['no session_id', { force: true }, 400, { detail: 'Session ID manquant ou invalide.' }],
    ['a blank session_id', { session_id: '   ' }, 400, { detail: 'Session ID manquant ou invalide.' }],
    ['an unknown session', { session_id: 'nope', force: true }, 404, { detail: 'Session introuvable' }],
    [
      'a list instead of an object',
      [1],
      422,
      { detail: [{ type: 'dict_type', loc: ['body'], msg: 'Input should be a valid dictionary', input: [1] }] },
    ],
  ])('answers %s with %i', async (_name, body, status, expected) => {
    expect(await postAnalyze(started, body)).toEqual({ status, body: expected });
  });

  it('answers 422 to a body that is not JSON, and 400 to an empty body', async () => {
    const broken = await fetch(started.url('/api/memory/analyze'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(broken.status).toBe(422);
    expect(await broken.json()).toMatchObject({ detail: [{ type: 'json_invalid', msg: 'JSON decode error' }] });
    const empty = await fetch(started.url('/api/memory/analyze'), { method: 'POST' });
    expect(empty.status).toBe(400);
  });

  it('takes the session from x-session-id or ?session_id= when the body has none', async () => {
    const viaHeader = await fetch(started.url('/api/memory/analyze'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-id': EMPTY_HISTORY_SESSION_ID },
      body: '{}',
    });
    expect(await viaHeader.json()).toMatchObject({ reason: 'no_history' });
    const viaQuery = await fetch(started.url(`/api/memory/analyze?session_id=${EMPTY_HISTORY_SESSION_ID}`), {
      method: 'POST',
    });
    expect(await viaQuery.json()).toMatchObject({ reason: 'no_history' });
  });

  it("knows the session named by EMERGENCE_TEST_SESSION, and reads force with Python's truthiness", async () => {
    const first = await postAnalyze(started, { session_id: 'liftoff-smoke-1', force: false });
    expect(first).toMatchObject({ status: 200, body: { status: 'completed', force: false } });
    // bool("false") is True in Python: the string forces a new analysis.
    const second = await postAnalyze(started, { session_id: 'liftoff-smoke-1', force: 'false' });
    expect(second).toMatchObject({ status: 200, body: { status: 'completed', force: true } });
  });

  it('answers 500 when every provider fails, counting each failure and logging the real lines', async () => {
    started.service.faults.analyzeFails = true;
    try {
      expect(await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true })).toEqual({
        status: 500,
        body: { detail: 'Analyse mémoire impossible pour cette session.' },
      });
      const text = await scrape(started);
      for (const provider of ['neo_analysis', 'nexus', 'anima']) {
        expect(valueOf(text, 'memory_analysis_failure_total', { provider, error_type: 'TimeoutError' })).toBe(1);
      }
      // The two analyses of the previous test succeeded; the failures add none.
      expect(valueOf(text, 'memory_analysis_success_total', neo)).toBe(2);
      const lines = textLines(started.logs);
      expect(lines.some((line) => line.includes('[MemoryAnalyzer] Analyse neo_analysis échouée (TimeoutError)'))).toBe(
        true,
      );
      const errors = started.logs.filter((entry) => entry.severity === 'ERROR').map((entry) => entry.textPayload ?? '');
      expect(
        errors.some((line) =>
          line.includes(`[MemoryAnalyzer] Tous fallbacks échoués pour session ${SEED_RUNBOOK_SESSION_ID}`),
        ),
      ).toBe(true);
      expect(
        errors.some((line) => line.includes(`[memory.analyze] Échec analyse session=${SEED_RUNBOOK_SESSION_ID}`)),
      ).toBe(true);
      const failedRequest = started.logs.filter((entry) => entry.httpRequest?.status === 500).at(-1);
      expect(failedRequest?.severity).toBe('ERROR');

      started.service.faults.analyzeFails = 'APIConnectionError';
      expect((await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true })).status).toBe(500);
      expect(
        valueOf(await scrape(started), 'memory_analysis_failure_total', {
          provider: 'anima',
          error_type: 'APIConnectionError',
        }),
      ).toBe(1);
    } finally {
      started.service.faults.analyzeFails = undefined;
    }
  });

  it('answers 503 while the unavailable fault is on', async () => {
    started.service.faults.unavailable = true;
    expect(await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID })).toEqual({
      status: 503,
      body: { detail: 'Service container indisponible.' },
    });
    started.service.faults.unavailable = false;
  });
});

describe('the middleware', () => {
  it('answers the 101st request of a minute from one IP with 429 and Retry-After: 60, then lets it through a minute later', async () => {
    let now = Date.UTC(2026, 10, 24, 10, 0, 0);
    const started = await startService({ clock: { now: () => new Date(now) }, skipPathMs: 0 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, () => fetch(started.url('/api/health')).then((r) => r.status)),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      const limited = await fetch(started.url('/api/health'));
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('60');
      expect(await limited.text()).toBe('Rate limit exceeded. Please try again later.');
      expect((await fetch(started.url('/api/metrics'))).status).toBe(429);
      expect(textLines(started.logs).some((line) => line.includes('"message": "Rate limit exceeded"'))).toBe(true);
      expect(
        started.logs
          .filter((entry) => entry.httpRequest?.status === 429)
          .every((entry) => entry.severity === 'WARNING'),
      ).toBe(true);
      now += 60_000;
      expect((await fetch(started.url('/api/health'))).status).toBe(200);
    } finally {
      await started.service.stop();
    }
  });

  it('answers 413 to a body over the limit', async () => {
    const started = await startService({ maxBodyBytes: 1024 });
    try {
      const response = await fetch(started.url('/api/memory/analyze'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: SEED_RUNBOOK_SESSION_ID, padding: 'x'.repeat(2048) }),
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toBe('Request too large');
      expect(textLines(started.logs).some((line) => line.includes('Oversized request blocked'))).toBe(true);
    } finally {
      await started.service.stop();
    }
  });

  it('writes a Cloud Run request log entry for every request', async () => {
    const started = await startService();
    try {
      await fetch(started.url('/api/health'));
      await fetch(started.url('/api/metrics'));
      await postAnalyze(started, { session_id: 'unknown' });
      const requests = started.logs.filter(
        (entry) => entry.logName === 'projects/emergence-469005/logs/run.googleapis.com%2Frequests',
      );
      expect(
        requests.map((entry) => [
          entry.httpRequest?.requestMethod,
          new URL(entry.httpRequest?.requestUrl ?? '').pathname,
          entry.httpRequest?.status,
          entry.severity,
        ]),
      ).toEqual([
        ['GET', '/api/health', 200, 'INFO'],
        ['GET', '/api/metrics', 200, 'INFO'],
        ['POST', '/api/memory/analyze', 404, 'WARNING'],
      ]);
      for (const entry of requests) expect(entry.httpRequest?.latency).toMatch(/^\d+(\.\d{3}|\.\d{6}|\.\d{9})?s$/);
    } finally {
      await started.service.stop();
    }
  });

  it('counts a forced analysis as a cache miss only when forceCountsCacheMiss is set (the seed runbook expects it)', async () => {
    const started = await startService({ forceCountsCacheMiss: true });
    try {
      await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true });
      const text = await scrape(started);
      expect(valueOf(text, 'memory_analysis_cache_misses_total')).toBe(1);
      expect(textLines(started.logs).some((line) => line.includes('Cache SAVED'))).toBe(false);
    } finally {
      await started.service.stop();
    }
  });
});
