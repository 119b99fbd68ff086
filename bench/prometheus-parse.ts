/**
 * Liftoff's exposition parser (src/deploy/prometheus/parse.ts) against the npm parsers that could replace it, in
 * one process so machine noise hits all of them:
 *   (a) correctness on the fixtures the unit tests use (tests/unit/prometheus/fixtures.ts);
 *   (b) speed on a realistic exposition of about 200 families written by the sample service's prometheus_client
 *       copy (counters with their `_created` families, gauges, labelled histograms).
 * Candidates are optional: install one with `npm install --no-save parse-prometheus-text-format`; when it is
 * missing, only ours is measured. Run: npx tsx bench/prometheus-parse.ts [--iterations 300] [--rounds 5] [--scale 40]
 */
import { parseArgs } from 'node:util';

import { Counter, Gauge, Histogram, Registry } from '../sandbox/emergence/prometheus.js';
import { parseExposition, parseFloatText } from '../src/deploy/prometheus/parse.js';
import {
  canonicalSample,
  judgeFixture,
  PARSER_FIXTURES,
  TEXT_004,
  type FixtureReading,
} from '../tests/unit/prometheus/fixtures.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    /** Multiplies the families: `--scale 40` gives an exposition of about 5 MB. */
    scale: { type: 'string', default: '1' },
  },
});
const ITERATIONS = Number(values.iterations);
const ROUNDS = Number(values.rounds);
const SCALE = Math.max(1, Number(values.scale));

interface Candidate {
  readonly name: string;
  /** Parses in the candidate's own terms (what would be timed). */
  parse(body: string, contentType: string | null): unknown;
  /** Its output in the fixtures' terms. */
  read(body: string, contentType: string | null): FixtureReading;
}

// ---------------------------------------------------------------------------------------------------------------
// Ours

const ours: Candidate = {
  name: 'liftoff (ours)',
  parse: (body, contentType) => parseExposition(body, contentType),
  read(body, contentType) {
    const result = parseExposition(body, contentType);
    if (!result.ok) return { rejected: true, families: [], samples: [] };
    return {
      rejected: false,
      families: result.families,
      samples: result.families.flatMap((family) => family.samples.map(canonicalSample)),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// parse-prometheus-text-format (prom2json's output shape: string values, histograms folded into `buckets`)

type Strings = Record<string, string>;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const strings = (value: unknown): Strings => {
  const out: Strings = {};
  if (isRecord(value)) for (const [key, item] of Object.entries(value)) if (typeof item === 'string') out[key] = item;
  return out;
};
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Its families turned back into samples, the way a caller would have to. */
function readProm2Json(output: unknown): FixtureReading {
  if (!Array.isArray(output)) return { rejected: true, families: [], samples: [] };
  const families: { name: string; type: string; help: string | null }[] = [];
  const samples: string[] = [];
  const number = (raw: string | undefined): number => (raw === undefined ? NaN : (parseFloatText(raw) ?? NaN));
  for (const family of output as unknown[]) {
    if (!isRecord(family)) continue;
    const name = text(family['name']) ?? '';
    const type = (text(family['type']) ?? '').toLowerCase();
    families.push({ name, type, help: text(family['help']) ?? null });
    const metrics = Array.isArray(family['metrics']) ? (family['metrics'] as unknown[]) : [];
    for (const metric of metrics) {
      if (!isRecord(metric)) continue;
      const labels = strings(metric['labels']);
      const push = (sampleName: string, extra: Strings, raw: string | undefined, ts?: string): void => {
        const timestamp = ts === undefined ? null : Number(ts);
        samples.push(
          canonicalSample({ name: sampleName, labels: { ...labels, ...extra }, value: number(raw), timestamp }),
        );
      };
      if (type === 'histogram' || type === 'summary') {
        const group = type === 'histogram' ? 'buckets' : 'quantiles';
        const key = type === 'histogram' ? 'le' : 'quantile';
        for (const [bound, raw] of Object.entries(strings(metric[group]))) {
          push(type === 'histogram' ? `${name}_bucket` : name, { [key]: bound }, raw);
        }
        if (metric['count'] !== undefined) push(`${name}_count`, {}, text(metric['count']));
        if (metric['sum'] !== undefined) push(`${name}_sum`, {}, text(metric['sum']));
      } else {
        push(name, {}, text(metric['value']), text(metric['timestamp_ms']));
      }
    }
  }
  return { rejected: false, families, samples };
}

async function loadProm2JsonParser(): Promise<Candidate | string> {
  const specifier: string = 'parse-prometheus-text-format';
  let module: unknown;
  try {
    module = await import(specifier);
  } catch {
    return `${specifier} is not installed (npm install --no-save ${specifier}): measuring ours only`;
  }
  const parse: unknown = isRecord(module) ? module['default'] : undefined;
  if (typeof parse !== 'function') return `${specifier} has no default export function`;
  const call = (body: string): unknown => (parse as (body: string) => unknown)(body);
  return {
    name: specifier,
    parse: (body) => call(body),
    read(body) {
      try {
        return readProm2Json(call(body));
      } catch {
        return { rejected: true, families: [], samples: [] };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A realistic exposition: about 200 families as prometheus_client writes them

function realisticExposition(): { body: string; families: number; lines: number } {
  let seconds = 1_759_948_627.25;
  const now = (): number => (seconds += 0.001);
  const registry = new Registry();
  const providers = ['neo_analysis', 'nexus', 'anima', 'openai'];
  for (let i = 0; i < 50 * SCALE; i += 1) {
    const counter = registry.register(
      new Counter(`app_requests_${i}_total`, `Requests of kind ${i}`, ['provider'], now),
    );
    providers.forEach((provider, n) => counter.inc({ provider }, (i + 1) * (n + 3)));
  }
  for (let i = 0; i < 50 * SCALE; i += 1) {
    const gauge = registry.register(new Gauge(`app_queue_${i}_size`, `Queue ${i} "size" in items`, ['zone'], now));
    gauge.set(i * 1.5, { zone: 'europe-west1-b' });
    gauge.set(i * 2.25, { zone: 'europe-west1-c' });
  }
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  for (let i = 0; i < 25 * SCALE; i += 1) {
    const histogram = registry.register(
      new Histogram(`app_step_${i}_duration_seconds`, `Duration of step ${i}`, ['provider'], bounds, now),
    );
    for (const provider of providers.slice(0, 3)) {
      for (let n = 0; n < 40; n += 1) histogram.observe(((n * 7919 + i * 104729) % 4000) / 100, { provider });
    }
  }
  const body = registry.render();
  return {
    body,
    families: body.split('\n').filter((line) => line.startsWith('# TYPE ')).length,
    lines: body.split('\n').length - 1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Run

function timeRound(candidate: Candidate, body: string, iterations: number): number {
  const started = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < iterations; i += 1) if (candidate.parse(body, TEXT_004) !== undefined) sink += 1;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (sink !== iterations) throw new Error(`${candidate.name} returned nothing`);
  return elapsed / iterations;
}

const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const pad = (cells: readonly string[], widths: readonly number[]): string =>
  cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');

function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  rows.forEach((row, index) => {
    console.log(pad(row, widths));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

const loaded = await loadProm2JsonParser();
const candidates: Candidate[] = [ours];
if (typeof loaded === 'string') console.log(loaded);
else candidates.push(loaded);

console.log("\n(a) Correctness on the unit tests' fixtures\n");
const correctness: string[][] = [['fixture', ...candidates.map((candidate) => candidate.name)]];
const rightCounts = candidates.map(() => 0);
const why: string[] = [];
for (const fixture of PARSER_FIXTURES) {
  const row = [fixture.name];
  candidates.forEach((candidate, index) => {
    const verdict = judgeFixture(fixture, candidate.read(fixture.body, fixture.contentType));
    if (verdict.ok) rightCounts[index] = (rightCounts[index] ?? 0) + 1;
    else why.push(`  ${candidate.name} on ${fixture.name} (${fixture.what}): ${verdict.why}`);
    row.push(verdict.ok ? 'right' : 'WRONG');
  });
  correctness.push(row);
}
correctness.push(['total right', ...rightCounts.map((count) => `${count}/${PARSER_FIXTURES.length}`)]);
printTable(correctness);
if (why.length > 0) console.log(`\nWhy:\n${why.join('\n')}`);

const realistic = realisticExposition();
console.log(
  `\n(b) Speed: ${realistic.families} families (# TYPE lines), ${realistic.lines} lines, ${(realistic.body.length / 1024).toFixed(0)} KiB; ${ROUNDS} rounds of ${ITERATIONS} parses, median round\n`,
);
for (const candidate of candidates) {
  try {
    for (let i = 0; i < 50; i += 1) candidate.parse(realistic.body, TEXT_004); // warm-up
  } catch (error: unknown) {
    console.log(`${candidate.name} fails on it: ${error instanceof Error ? error.message : String(error)}`);
  }
}
const perRound = candidates.map((): number[] => []);
for (let round = 0; round < ROUNDS; round += 1) {
  candidates.forEach((candidate, index) => {
    try {
      perRound[index]?.push(timeRound(candidate, realistic.body, Math.max(1, Math.floor(ITERATIONS / ROUNDS))));
    } catch {
      perRound[index]?.push(NaN);
    }
  });
}
const oursMs = median(perRound[0] ?? []);
printTable([
  ['parser', 'ms / parse', 'parses / s', 'time vs ours'],
  ...candidates.map((candidate, index) => {
    const ms = median(perRound[index] ?? []);
    return [
      candidate.name,
      ms.toFixed(3),
      Number.isFinite(ms) ? Math.round(1000 / ms).toString() : '-',
      `${(ms / oursMs).toFixed(2)}×`,
    ];
  }),
]);
console.log(
  '\nNotes: ours returns numbers, checked floats and timestamps, families with their _created series; ' +
    'parse-prometheus-text-format returns strings (a caller converts them) and is timed on its own output only.',
);
