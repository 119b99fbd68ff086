/**
 * The `/metrics` chart: the analysis latency histogram with its p95 and target, and the success and cache hit rates
 * against their targets, drawn as a self-contained SVG (no script, no external reference, no web font) that a
 * renderer without a browser turns into a PNG. Pure: the numbers come from the scrape and the snapshot the text
 * message shows, so the chart never says something the message does not.
 */
import { ANALYSIS_METRICS, type MetricsSnapshot, type TargetOutcome } from '../deploy/prometheus/evaluate.js';
import { aggregateHistogram, histogramSeries } from '../deploy/prometheus/histogram.js';
import type { ParsedExposition } from '../deploy/prometheus/parse.js';
import type { Targets } from '../deploy/runbook/schema/index.js';

/** One bucket of the histogram: the observations in it alone (not cumulative). */
export interface HistogramBar {
  /** `≤0.5s`, `≤1s`, …, `+Inf`. */
  readonly label: string;
  /** The bucket's `le`; `Infinity` for `+Inf`. */
  readonly upperBound: number;
  readonly count: number;
}

export type ChartHistogram =
  | { readonly kind: 'bars'; readonly bars: readonly HistogramBar[]; readonly observations: number }
  | { readonly kind: 'no data'; readonly reason: string };

export interface ChartQuantile {
  readonly label: string;
  /** Seconds; null when there is no data. With `inInfBucket`, the highest finite bound (a floor). */
  readonly value: number | null;
  readonly inInfBucket: boolean;
  /** The runbook's `p95Seconds`; null when it sets none. */
  readonly target: number | null;
  readonly ok: TargetOutcome;
  readonly measured: string;
  readonly bound: string;
}

export interface ChartRate {
  readonly label: string;
  /** A ratio in [0, 1]; null when there is no data. */
  readonly value: number | null;
  readonly ok: TargetOutcome;
  readonly measured: string;
  readonly bound: string;
  /** The ratios that meet the target, `[low, high]`; null when the runbook sets none. */
  readonly band: readonly [number, number] | null;
}

export interface MetricsChartData {
  readonly histogram: ChartHistogram;
  readonly p95: ChartQuantile;
  /** The success rate, then the cache hit rate. */
  readonly rates: readonly ChartRate[];
}

/** `0.5` → `0.5`, `1` → `1`, `0.1 + 0.2` → `0.3`: a bound as people write it. */
function formatBound(bound: number): string {
  return Number.isFinite(bound) ? String(Number(bound.toPrecision(6))) : bound > 0 ? '+Inf' : String(bound);
}

/** A bucket's label: `≤0.5s`, `+Inf`. */
export function bucketLabel(upperBound: number): string {
  return upperBound === Infinity ? '+Inf' : `≤${formatBound(upperBound)}s`;
}

function chartHistogram(exposition: ParsedExposition): ChartHistogram {
  const series = histogramSeries(exposition, ANALYSIS_METRICS.duration);
  if (series.length === 0) return { kind: 'no data', reason: 'no analysis observed' };
  const { buckets } = aggregateHistogram(series);
  if (buckets.length === 0) return { kind: 'no data', reason: 'no bucket sample' };
  if (buckets.some((bucket) => !Number.isFinite(bucket.count))) {
    return { kind: 'no data', reason: 'a bucket counts NaN or an infinity' };
  }
  let previous = 0;
  const bars = buckets.map((bucket): HistogramBar => {
    // A cumulative count that falls is broken data (checkHistogram reports it); a bar below 0 would only hide it.
    const count = Math.max(0, bucket.count - previous);
    previous = Math.max(previous, bucket.count);
    return { label: bucketLabel(bucket.upperBound), upperBound: bucket.upperBound, count };
  });
  const observations = bars.reduce((sum, bar) => sum + bar.count, 0);
  if (observations === 0) return { kind: 'no data', reason: 'no analysis observed' };
  return { kind: 'bars', bars, observations };
}

/**
 * What the chart shows: the per-bucket counts of `memory_analysis_duration_seconds` added over every label set (as
 * `sum by (le)`), the p95 and the rates as the snapshot judged them, with the runbook's targets.
 */
export function metricsChartData(
  exposition: ParsedExposition,
  snapshot: MetricsSnapshot,
  targets: Targets,
): MetricsChartData {
  const { p95, successRate, cacheHitRate } = snapshot;
  return {
    histogram: chartHistogram(exposition),
    p95: {
      label: p95.label,
      value: p95.value,
      inInfBucket: p95.inInfBucket,
      target: targets.p95Seconds ?? null,
      ok: p95.ok,
      measured: p95.measured,
      bound: p95.bound,
    },
    rates: [
      {
        label: successRate.label,
        value: successRate.value,
        ok: successRate.ok,
        measured: successRate.measured,
        bound: successRate.bound,
        band: targets.successRate === undefined ? null : [targets.successRate, 1],
      },
      {
        label: cacheHitRate.label,
        value: cacheHitRate.value,
        ok: cacheHitRate.ok,
        measured: cacheHitRate.measured,
        bound: cacheHitRate.bound,
        band: targets.cacheHitRate ?? null,
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// SVG

export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;

const FONT = 'DejaVu Sans, Arial, sans-serif';
const COLOURS = {
  text: '#1f2933',
  muted: '#616e7c',
  grid: '#e4e7eb',
  bar: '#4a78c2',
  track: '#eef1f4',
  band: '#3f9142',
  marker: '#7b3fb5',
  target: '#d9822b',
  ok: '#2f8132',
  failed: '#c23030',
  neutral: '#52606d',
} as const;

// Characters XML 1.0 forbids (a renderer refuses the whole document for one of them), and lone surrogates.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text as XML character data or attribute value: entities for `& < > " '`, U+FFFD for what XML cannot hold. */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A coordinate as an attribute: finite, one decimal at most. */
const n = (value: number): string => (Number.isFinite(value) ? String(Math.round(value * 10) / 10) : '0');

interface TextOptions {
  readonly size?: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly fill?: string;
  readonly bold?: boolean;
  readonly rotate?: number;
  readonly max?: number;
}

function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const { size = 12, anchor = 'start', fill = COLOURS.text, bold = false, rotate, max = 90 } = options;
  const transform = rotate === undefined ? '' : ` transform="rotate(${n(rotate)} ${n(x)} ${n(y)})"`;
  return (
    `<text x="${n(x)}" y="${n(y)}" font-size="${n(size)}" text-anchor="${anchor}" fill="${fill}"` +
    `${bold ? ' font-weight="bold"' : ''}${transform}>${escapeXml(cut(content, max))}</text>`
  );
}

function rect(x: number, y: number, width: number, height: number, fill: string, extra = ''): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, width))}" height="${n(Math.max(0, height))}" fill="${fill}"${extra}/>`;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ''): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}"${extra}/>`;
}

const outcomeColour = (ok: TargetOutcome): string =>
  ok === true ? COLOURS.ok : ok === false ? COLOURS.failed : COLOURS.neutral;

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above `value`. */
function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

const formatCount = (count: number): string => String(Number(count.toPrecision(4)));
const formatPercentShort = (ratio: number): string => `${Number((ratio * 100).toFixed(1))} %`;
const formatSecondsShort = (seconds: number): string => `${formatBound(seconds)} s`;

/** The histogram's plot area; the marker labels sit in the strip above it, clear of the bars. */
const PLOT = { left: 62, right: 470, top: 114, bottom: 300, markerTop: 72, markerLabels: 86 } as const;
const RATES = { left: 530, right: 770, top: 84, spacing: 96 } as const;

/**
 * Where a duration falls on the histogram's bucket axis: within its bucket's slot, in proportion between the
 * bucket's bounds (the `+Inf` bucket's slot starts at the highest finite bound).
 */
function xOfSeconds(bars: readonly HistogramBar[], seconds: number): number {
  const slot = (PLOT.right - PLOT.left) / bars.length;
  const index = bars.findIndex((bar) => bar.upperBound >= seconds);
  if (index === -1) return PLOT.right;
  const upper = bars[index]?.upperBound ?? Infinity;
  const lower = index === 0 ? Math.min(0, upper) : (bars[index - 1]?.upperBound ?? 0);
  const fraction =
    upper === Infinity ? 0 : upper === lower ? 1 : Math.min(1, Math.max(0, (seconds - lower) / (upper - lower)));
  return PLOT.left + slot * (index + fraction);
}

function histogramPanel(histogram: ChartHistogram, p95: ChartQuantile): string[] {
  const parts = [
    text(PLOT.left - 40, 64, 'Analysis duration: analyses per bucket', { size: 14, bold: true }),
    line(PLOT.left, PLOT.bottom, PLOT.right, PLOT.bottom, COLOURS.muted),
    line(PLOT.left, PLOT.top, PLOT.left, PLOT.bottom, COLOURS.muted),
  ];
  if (histogram.kind === 'no data') {
    parts.push(
      text((PLOT.left + PLOT.right) / 2, (PLOT.top + PLOT.bottom) / 2, `no data: ${histogram.reason}`, {
        size: 15,
        anchor: 'middle',
        fill: COLOURS.muted,
        max: 60,
      }),
    );
    return parts;
  }
  const { bars } = histogram;
  const height = PLOT.bottom - PLOT.top;
  const top = niceCeiling(Math.max(...bars.map((bar) => bar.count)));
  // Counts are whole numbers: no tick at 1.5 when the tallest bar counts 3.
  const ticks = Number.isInteger(top / 2) || top > 10 ? [0, top / 2, top] : [0, top];
  for (const tick of ticks) {
    const y = PLOT.bottom - (tick / top) * height;
    if (tick > 0) parts.push(line(PLOT.left, y, PLOT.right, y, COLOURS.grid));
    parts.push(text(PLOT.left - 6, y + 4, formatCount(tick), { size: 11, anchor: 'end', fill: COLOURS.muted }));
  }
  const slot = (PLOT.right - PLOT.left) / bars.length;
  const barWidth = slot * 0.72;
  const tilt = slot < 40;
  bars.forEach((bar, index) => {
    const centre = PLOT.left + slot * (index + 0.5);
    // A bucket with a few observations among thousands still shows as a sliver.
    const barHeight = bar.count === 0 ? 0 : Math.max(1, (bar.count / top) * height);
    if (barHeight > 0) {
      parts.push(
        rect(centre - barWidth / 2, PLOT.bottom - barHeight, barWidth, barHeight, COLOURS.bar, ' class="bucket"'),
      );
    }
    parts.push(
      text(centre, PLOT.bottom - barHeight - 4, formatCount(bar.count), {
        size: 10,
        anchor: 'middle',
        fill: COLOURS.muted,
      }),
      tilt
        ? text(centre + 3, PLOT.bottom + 14, bar.label, { size: 10, anchor: 'end', rotate: -40, max: 12 })
        : text(centre, PLOT.bottom + 16, bar.label, { size: 10, anchor: 'middle', max: 12 }),
    );
  });
  const markers: { x: number; colour: string; label: string; dash: string }[] = [];
  if (p95.value !== null && Number.isFinite(p95.value)) {
    markers.push({
      x: xOfSeconds(bars, p95.value),
      colour: COLOURS.marker,
      label: p95.inInfBucket ? `p95 > ${formatSecondsShort(p95.value)}` : `p95 ${formatSecondsShort(p95.value)}`,
      dash: ' stroke-dasharray="5 3"',
    });
  }
  if (p95.target !== null) {
    markers.push({
      x: xOfSeconds(bars, p95.target),
      colour: COLOURS.target,
      label: `target < ${formatSecondsShort(p95.target)}`,
      dash: '',
    });
  }
  // Labels go right of their line, except the left one of two markers (so neither label crosses the other line)
  // and a line too close to the right edge.
  const [first, second] = markers;
  const leftOfTwo = first === undefined || second === undefined ? -1 : first.x <= second.x ? 0 : 1;
  markers.forEach((marker, index) => {
    const toLeft = marker.x > PLOT.right - 90 || (index === leftOfTwo && marker.x > PLOT.left + 90);
    parts.push(
      line(marker.x, PLOT.markerTop, marker.x, PLOT.bottom, marker.colour, ` stroke-width="2"${marker.dash}`),
      text(toLeft ? marker.x - 5 : marker.x + 5, PLOT.markerLabels + index * 14, marker.label, {
        size: 11,
        anchor: toLeft ? 'end' : 'start',
        fill: marker.colour,
        bold: true,
      }),
    );
  });
  return parts;
}

function ratePanel(rates: readonly ChartRate[]): string[] {
  const parts = [text(RATES.left, 64, 'Rates', { size: 14, bold: true })];
  const width = RATES.right - RATES.left;
  const xOf = (ratio: number): number => RATES.left + Math.min(1, Math.max(0, ratio)) * width;
  rates.forEach((rate, index) => {
    const y = RATES.top + index * RATES.spacing;
    const track = { y: y + 10, height: 24 };
    parts.push(
      text(RATES.left, y + 2, rate.label, { size: 12, bold: true, max: 26 }),
      text(RATES.right, y + 2, rate.value === null ? 'no data' : formatPercentShort(rate.value), {
        size: 12,
        anchor: 'end',
        fill: outcomeColour(rate.ok),
        bold: true,
      }),
      rect(RATES.left, track.y, width, track.height, COLOURS.track),
    );
    if (rate.band !== null) {
      const [low, high] = rate.band;
      parts.push(
        rect(xOf(low), track.y, xOf(high) - xOf(low), track.height, COLOURS.band, ' class="band" fill-opacity="0.22"'),
        line(xOf(low), track.y - 3, xOf(low), track.y + track.height + 3, COLOURS.band, ' stroke-width="2"'),
        line(xOf(high), track.y - 3, xOf(high), track.y + track.height + 3, COLOURS.band, ' stroke-width="2"'),
      );
    }
    if (rate.value === null) {
      parts.push(
        text(RATES.left + width / 2, track.y + 16, rate.measured, {
          size: 10,
          anchor: 'middle',
          fill: COLOURS.muted,
          max: 42,
        }),
      );
    } else {
      parts.push(
        rect(RATES.left, track.y + 7, xOf(rate.value) - RATES.left, 10, outcomeColour(rate.ok), ' class="rate"'),
      );
    }
    parts.push(
      text(RATES.left, track.y + track.height + 16, `target ${rate.bound}`, { size: 11, fill: COLOURS.muted, max: 40 }),
    );
  });
  const scaleY = RATES.top + rates.length * RATES.spacing - 30;
  parts.push(
    text(RATES.left, scaleY, '0 %', { size: 10, fill: COLOURS.muted }),
    text((RATES.left + RATES.right) / 2, scaleY, '50 %', { size: 10, anchor: 'middle', fill: COLOURS.muted }),
    text(RATES.right, scaleY, '100 %', { size: 10, anchor: 'end', fill: COLOURS.muted }),
  );
  return parts;
}

/**
 * The chart as a self-contained SVG of {@link CHART_WIDTH} × {@link CHART_HEIGHT}: the histogram as bars with the p95
 * (dashed) and its target marked, the rates as horizontal bars over their target bands, the p95 and its target in
 * words underneath. Missing data is written, never drawn as an empty bar. Every text is escaped.
 */
export function metricsChartSvg(data: MetricsChartData, options: { readonly title: string }): string {
  const { p95 } = data;
  const footer =
    p95.value === null
      ? `${p95.label}: no data (${p95.measured}) · target ${p95.bound}`
      : `${p95.label}: ${p95.measured} · target ${p95.bound}`;
  const observations =
    data.histogram.kind === 'bars'
      ? `${formatCount(data.histogram.observations)} analyses, all providers · counters since each instance started`
      : 'counters since each instance started';
  const body = [
    rect(0, 0, CHART_WIDTH, CHART_HEIGHT, '#ffffff'),
    text(20, 32, options.title, { size: 18, bold: true, max: 70 }),
    ...histogramPanel(data.histogram, p95),
    ...ratePanel(data.rates),
    text(20, 362, footer, { size: 13, fill: outcomeColour(p95.ok), bold: true, max: 110 }),
    text(20, 384, observations, { size: 11, fill: COLOURS.muted, max: 120 }),
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" font-family="${FONT}">`,
    ...body.map((part) => `  ${part}`),
    '</svg>',
    '',
  ].join('\n');
}
