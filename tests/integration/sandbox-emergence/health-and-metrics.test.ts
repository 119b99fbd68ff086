import {
  ANALYSIS_DURATION_BUCKETS,
  METRICS_DISABLED_BODY,
  SEED_RUNBOOK_SESSION_ID,
} from '../../../sandbox/emergence/index.js';
import {
  BASE_ENV,
  parseSamples,
  postAnalyze,
  scrape,
  startService,
  steppingClock,
  textLines,
  valueOf,
  type Started,
} from './helpers.js';

describe('GET /api/health', () => {
  let started: Started;
  beforeAll(async () => {
    started = await startService();
  });
  afterAll(() => started.service.stop());

  it('answers 200 with the real body and checks nothing else', async () => {
    const response = await fetch(started.url('/api/health'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"status":"ok","message":"Emergence Backend is running."}');
    expect(response.headers.get('x-ratelimit-limit')).toBe('100');
  });

  it('answers 503 and logs an ERROR while the unhealthy fault is on, and recovers when it is off', async () => {
    started.service.faults.unhealthy = true;
    const sick = await fetch(started.url('/api/health'));
    expect(sick.status).toBe(503);
    expect(await sick.json()).toEqual({ detail: 'Service Unavailable' });
    expect(
      started.logs.some((entry) => entry.severity === 'ERROR' && entry.textPayload?.includes('Health check failed')),
    ).toBe(true);
    started.service.faults.unhealthy = false;
    expect((await fetch(started.url('/api/health'))).status).toBe(200);
  });

  it('answers like FastAPI for unknown paths, wrong methods and a trailing slash', async () => {
    const missing = await fetch(started.url('/health'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    const wrongMethod = await fetch(started.url('/api/health'), { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toEqual({ detail: 'Method Not Allowed' });
    const slash = await fetch(started.url('/api/health/'), { redirect: 'manual' });
    expect(slash.status).toBe(307);
    expect(slash.headers.get('location')).toBe('/api/health');
  });
});

describe('GET /api/metrics', () => {
  it('answers 200 with the "disabled" sentence when CONCEPT_RECALL_METRICS_ENABLED is not true: a 200 is no proof', async () => {
    for (const flag of [undefined, 'false', '1', 'yes']) {
      const env: Record<string, string> = { PYTHONPATH: '/app/src' };
      if (flag !== undefined) env['CONCEPT_RECALL_METRICS_ENABLED'] = flag;
      const started = await startService({ env });
      try {
        const response = await fetch(started.url('/api/metrics'));
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        expect(await response.text()).toBe(METRICS_DISABLED_BODY);
      } finally {
        await started.service.stop();
      }
    }
    expect(METRICS_DISABLED_BODY).toBe('# Metrics disabled. Set CONCEPT_RECALL_METRICS_ENABLED=true to enable.\n');
  });

  it('reads the flag like Python (.lower() == "true") and can be forced off by the metricsDisabled fault', async () => {
    const started = await startService({ env: { PYTHONPATH: '/app/src', CONCEPT_RECALL_METRICS_ENABLED: 'TRUE' } });
    try {
      expect(await scrape(started)).toContain('# TYPE memory_analysis_success_total counter');
      started.service.faults.metricsDisabled = true;
      expect(await scrape(started)).toBe(METRICS_DISABLED_BODY);
      started.service.faults.metricsDisabled = undefined;
      expect(await scrape(started)).toContain('memory_analysis_cache_hits_total 0.0');
    } finally {
      await started.service.stop();
    }
  });

  it('sends the exposition with HELP/TYPE once per family, _created series, and the families beside memory_analysis_*', async () => {
    const started = await startService();
    try {
      const response = await fetch(started.url('/api/metrics'));
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await response.text();
      const typeLines = text.split('\n').filter((line) => line.startsWith('# TYPE '));
      const typed = typeLines.map((line) => line.split(' ')[2]);
      expect(new Set(typed).size).toBe(typed.length);
      expect(typed.slice(0, 4)).toEqual([
        'python_gc_objects_collected_total',
        'python_gc_objects_uncollectable_total',
        'python_gc_collections_total',
        'python_info',
      ]);
      for (const family of [
        'memory_analysis_success_total counter',
        'memory_analysis_failure_total counter',
        'memory_analysis_cache_hits_total counter',
        'memory_analysis_cache_misses_total counter',
        'memory_analysis_cache_size gauge',
        'memory_analysis_duration_seconds histogram',
        'concept_recall_detections_total counter',
        'concept_recall_similarity_score histogram',
        'concept_recall_system_info gauge',
        'process_resident_memory_bytes gauge',
        'memory_analysis_cache_hits_created gauge',
      ]) {
        expect(typeLines).toContain(`# TYPE ${family}`);
      }
      // A labelled family exists before its first sample; unlabelled ones start at 0 with a _created.
      expect(valueOf(text, 'memory_analysis_success_total', { provider: 'neo_analysis' })).toBeUndefined();
      expect(valueOf(text, 'memory_analysis_cache_misses_total')).toBe(0);
      expect(valueOf(text, 'memory_analysis_cache_misses_created')).toBeGreaterThan(1.7e9);
      expect(text).toContain('memory_analysis_cache_size 0.0\n');
      expect(text).toContain(
        'concept_recall_system_info{collection_name="emergence_knowledge",max_recalls_per_message="3",similarity_threshold="0.75",version="1.0"} 1.0\n',
      );
      expect(text).toContain(
        'python_info{implementation="CPython",major="3",minor="11",patchlevel="13",version="3.11.13"} 1.0\n',
      );
      expect(text).toContain('process_max_fds 1.048576e+06\n');
      const resident = valueOf(text, 'process_resident_memory_bytes') ?? NaN;
      expect(resident).toBeGreaterThan(256 * 1024 * 1024);
      expect(resident).toBeLessThan(2 * 1024 ** 3);
      // The virtual size is over 2 GiB, as in the real process: a memory check must read the resident size.
      expect(valueOf(text, 'process_virtual_memory_bytes')).toBeGreaterThan(2 * 1024 ** 3);
      expect(text.endsWith('\n')).toBe(true);
    } finally {
      await started.service.stop();
    }
  });

  it('uses version=1.0.0 when asked, and reports the memoryBytes fault', async () => {
    const started = await startService({ exposition: '1.0.0' });
    try {
      const response = await fetch(started.url('/api/metrics'));
      expect(response.headers.get('content-type')).toBe('text/plain; version=1.0.0; charset=utf-8');
      started.service.faults.memoryBytes = 2.5 * 1024 ** 3;
      const text = await scrape(started);
      expect(text).toContain('process_resident_memory_bytes 2.68435456e+09\n');
    } finally {
      await started.service.stop();
    }
  });

  it('keeps histograms consistent: cumulative buckets never decrease and +Inf equals _count', async () => {
    const time = steppingClock();
    const started = await startService({ clock: time.clock, sleep: time.sleep, analysisMs: 5000 });
    try {
      for (let i = 0; i < 2; i += 1) {
        expect((await postAnalyze(started, { session_id: SEED_RUNBOOK_SESSION_ID, force: true })).status).toBe(200);
      }
      const text = await scrape(started);
      const buckets = parseSamples(text).filter(
        (series) =>
          series.name === 'memory_analysis_duration_seconds_bucket' && series.labels['provider'] === 'neo_analysis',
      );
      expect(buckets.map((series) => series.labels['le'])).toEqual([
        ...ANALYSIS_DURATION_BUCKETS.map((b) => b.toFixed(1)),
        '+Inf',
      ]);
      const counts = buckets.map((series) => series.value);
      expect(counts).toEqual([0, 0, 0, 0, 2, 2, 2, 2, 2, 2]);
      for (let i = 1; i < counts.length; i += 1) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1] ?? 0);
      const count = valueOf(text, 'memory_analysis_duration_seconds_count', { provider: 'neo_analysis' });
      expect(counts[counts.length - 1]).toBe(count);
      expect(valueOf(text, 'memory_analysis_duration_seconds_sum', { provider: 'neo_analysis' })).toBe(10);

      for (const family of ['concept_recall_similarity_score', 'concept_recall_detection_latency_seconds']) {
        const series = parseSamples(text).filter((s) => s.name === `${family}_bucket`);
        expect(series[series.length - 1]?.labels['le']).toBe('+Inf');
        expect(series[series.length - 1]?.value).toBe(valueOf(text, `${family}_count`));
      }
    } finally {
      await started.service.stop();
    }
  });

  it('counts nothing extra for the scrape itself', async () => {
    const started = await startService({ env: BASE_ENV });
    try {
      const first = await scrape(started);
      const second = await scrape(started);
      expect(valueOf(second, 'memory_analysis_cache_hits_total')).toBe(
        valueOf(first, 'memory_analysis_cache_hits_total'),
      );
      expect(
        textLines(started.logs).some((line) => line.includes('[ConceptRecallMetrics] Metrics collection enabled')),
      ).toBe(true);
    } finally {
      await started.service.stop();
    }
  });
});
