import { snapshotAgainstTargets } from '../../../src/deploy/prometheus/evaluate.js';
import { parseExposition, type ParsedExposition } from '../../../src/deploy/prometheus/parse.js';
import type { Targets } from '../../../src/deploy/runbook/schema/index.js';
import {
  bucketLabel,
  escapeXml,
  metricsChartData,
  metricsChartSvg,
  type MetricsChartData,
} from '../../../src/ui/metrics-chart.js';

const BOUNDS = ['0.5', '1.0', '2.0', '4.0', '6.0', '10.0', '15.0', '20.0', '30.0', '+Inf'];

/** A child of the duration histogram with these cumulative counts, in prometheus_client's text format. */
function durationChild(provider: string, cumulative: readonly number[], sum: number): string {
  const buckets = BOUNDS.map(
    (le, index) =>
      `memory_analysis_duration_seconds_bucket{le="${le}",provider="${provider}"} ${cumulative[index] ?? 0}`,
  );
  const count = cumulative[cumulative.length - 1] ?? 0;
  return [
    ...buckets,
    `memory_analysis_duration_seconds_count{provider="${provider}"} ${count}`,
    `memory_analysis_duration_seconds_sum{provider="${provider}"} ${sum}`,
  ].join('\n');
}

const EXPOSITION = [
  '# HELP memory_analysis_success_total Nombre total d analyses réussies',
  '# TYPE memory_analysis_success_total counter',
  'memory_analysis_success_total{provider="neo_analysis"} 95.0',
  '# HELP memory_analysis_failure_total Nombre total d analyses échouées',
  '# TYPE memory_analysis_failure_total counter',
  'memory_analysis_failure_total{error_type="timeout",provider="neo_analysis"} 5.0',
  '# HELP memory_analysis_cache_hits_total Nombre total de cache hits',
  '# TYPE memory_analysis_cache_hits_total counter',
  'memory_analysis_cache_hits_total 30.0',
  '# HELP memory_analysis_cache_misses_total Nombre total de cache misses',
  '# TYPE memory_analysis_cache_misses_total counter',
  'memory_analysis_cache_misses_total 70.0',
  '# HELP memory_analysis_duration_seconds Durée des analyses mémoire',
  '# TYPE memory_analysis_duration_seconds histogram',
  durationChild('neo_analysis', [2, 5, 9, 10, 10, 10, 10, 10, 10, 10], 14.5),
  durationChild('nexus', [1, 1, 3, 4, 4, 4, 4, 4, 4, 4], 6.25),
  '',
].join('\n');

const TARGETS: Targets = { successRate: 0.9, p95Seconds: 3, cacheHitRate: [0.2, 0.6] };

function parsed(text: string): ParsedExposition {
  const result = parseExposition(text, 'text/plain; version=0.0.4; charset=utf-8');
  if (!result.ok) throw new Error(result.reason);
  return result;
}

function chartData(text: string, targets: Targets = TARGETS): MetricsChartData {
  const exposition = parsed(text);
  return metricsChartData(exposition, snapshotAgainstTargets(exposition, targets), targets);
}

/** The character data of every `<text>` element, as written in the SVG. */
const textNodes = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

describe('metricsChartData', () => {
  it('turns the cumulative buckets, added over every provider, into per-bucket counts', () => {
    const data = chartData(EXPOSITION);
    expect(data.histogram).toEqual({
      kind: 'bars',
      observations: 14,
      bars: [
        { label: '≤0.5s', upperBound: 0.5, count: 3 },
        { label: '≤1s', upperBound: 1, count: 3 },
        { label: '≤2s', upperBound: 2, count: 6 },
        { label: '≤4s', upperBound: 4, count: 2 },
        { label: '≤6s', upperBound: 6, count: 0 },
        { label: '≤10s', upperBound: 10, count: 0 },
        { label: '≤15s', upperBound: 15, count: 0 },
        { label: '≤20s', upperBound: 20, count: 0 },
        { label: '≤30s', upperBound: 30, count: 0 },
        { label: '+Inf', upperBound: Infinity, count: 0 },
      ],
    });
  });

  it('carries the p95 and the rates as the snapshot judged them, with the targets', () => {
    const data = chartData(EXPOSITION);
    // rank 0.95 × 14 = 13.3 lands in (2, 4] holding 12 → 14: 2 + 2 × 1.3 / 2.
    expect(data.p95).toMatchObject({
      value: expect.closeTo(3.3, 9) as number,
      inInfBucket: false,
      target: 3,
      ok: false,
    });
    expect(data.rates).toEqual([
      expect.objectContaining({ label: 'success rate', value: 0.95, ok: true, band: [0.9, 1] }),
      expect.objectContaining({ label: 'cache hit rate', value: 0.3, ok: true, band: [0.2, 0.6] }),
    ]);
  });

  it('has no bands and no target without targets', () => {
    const data = chartData(EXPOSITION, {});
    expect(data.p95.target).toBeNull();
    expect(data.rates.map((rate) => rate.band)).toEqual([null, null]);
    expect(data.rates.map((rate) => rate.ok)).toEqual(['no target', 'no target']);
  });

  it('says "no data" when nothing was observed, rather than counting zeros', () => {
    const empty = chartData(
      '# HELP memory_analysis_cache_size Taille\n# TYPE memory_analysis_cache_size gauge\nmemory_analysis_cache_size 0.0\n',
    );
    expect(empty.histogram).toEqual({ kind: 'no data', reason: 'no analysis observed' });
    expect(empty.p95.value).toBeNull();
    expect(empty.rates.map((rate) => rate.value)).toEqual([null, null]);

    const zeros = chartData(durationChild('neo_analysis', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0));
    expect(zeros.histogram).toEqual({ kind: 'no data', reason: 'no analysis observed' });
  });

  it('never draws a negative bar for a cumulative count that falls', () => {
    const data = chartData(durationChild('neo_analysis', [3, 2, 4, 4, 4, 4, 4, 4, 4, 4], 5));
    expect(data.histogram.kind === 'bars' && data.histogram.bars.slice(0, 3).map((bar) => bar.count)).toEqual([
      3, 0, 1,
    ]);
  });

  it('labels buckets as people write them', () => {
    expect([0.005, 0.1 + 0.2, 1, 2.5, 30, Infinity].map(bucketLabel)).toEqual([
      '≤0.005s',
      '≤0.3s',
      '≤1s',
      '≤2.5s',
      '≤30s',
      '+Inf',
    ]);
  });
});

describe('metricsChartSvg', () => {
  it('is a fixed-size SVG with a bar per non-empty bucket, the p95 and its target, and the rates over their bands', () => {
    const svg = metricsChartSvg(chartData(EXPOSITION), { title: 'Metrics · seed → emergence-app' });
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="400" viewBox="0 0 800 400"/,
    );
    expect(svg).toContain('font-family="DejaVu Sans, Arial, sans-serif"');
    expect(svg.match(/class="bucket"/g)).toHaveLength(4);
    expect(svg.match(/class="rate"/g)).toHaveLength(2);
    expect(svg.match(/class="band"/g)).toHaveLength(2);
    const texts = textNodes(svg);
    expect(texts).toEqual(
      expect.arrayContaining([
        'Metrics · seed → emergence-app',
        '≤0.5s',
        '+Inf',
        'p95 3.3 s',
        'target &lt; 3 s',
        '95 %',
        '30 %',
      ]),
    );
    expect(svg).not.toMatch(/href|<script|<image|@import/);
  });

  it('writes "no data" instead of drawing empty bars', () => {
    const svg = metricsChartSvg(chartData('memory_analysis_cache_size 0\n'), { title: 'Metrics' });
    expect(svg).not.toContain('class="bucket"');
    expect(svg).not.toContain('class="rate"');
    const texts = textNodes(svg);
    expect(texts).toContain('no data: no analysis observed');
    expect(texts.filter((t) => t === 'no data')).toHaveLength(2);
    expect(texts).toContain('no analysis counted');
    expect(texts).toContain('analysis latency p95: no data (no analysis observed) · target &lt; 3 s');
  });

  it('escapes every text it writes', () => {
    const data = chartData(EXPOSITION);
    const hostile: MetricsChartData = {
      ...data,
      rates: data.rates.map((rate) => ({ ...rate, label: 'rate <&> "x"', bound: "> 'y'" })),
    };
    const svg = metricsChartSvg(hostile, { title: 'Metrics <script>&amp;</script>\u0007' });
    expect(svg).toContain('Metrics &lt;script&gt;&amp;amp;&lt;/script&gt;\uFFFD');
    expect(svg).toContain('rate &lt;&amp;&gt; &quot;x&quot;');
    expect(svg).toContain('target &gt; &apos;y&apos;');
    expect(svg).not.toContain('<&>');
    expect(svg).not.toContain('<script>');
    for (const content of textNodes(svg)) expect(content).not.toMatch(/&(?!(?:amp|lt|gt|quot|apos);)|[<>]/);
  });
});

describe('escapeXml', () => {
  it('writes entities for markup and U+FFFD for characters XML cannot hold', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\u001Fc\uD800d😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd😀');
  });
});
