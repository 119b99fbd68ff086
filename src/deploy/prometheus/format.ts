/** How numbers, label sets and body lines are shown to people in verdicts and errors. */

/** A sample value as Prometheus writes it (`NaN`, `+Inf`, `-Inf`), otherwise JavaScript's shortest form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** `0.953` → `95.3 %`. */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}

/** Seconds with at most three decimals: `2.5 s`, `0.125 s`. */
export function formatSeconds(seconds: number): string {
  return Number.isFinite(seconds) ? `${Number(seconds.toFixed(3))} s` : formatValue(seconds);
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** `642252800` → `642252800 (612.5 MiB)`, for values of `_bytes` metrics. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return formatValue(bytes);
  const human = Math.abs(bytes) >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`;
  return `${formatValue(bytes)} (${human})`;
}

const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** `{a="1",b="x\"y"}` in the label order given; empty string for no labels. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** A body line quoted for a message, cut to keep messages readable. */
export function quoteLine(line: string, max = 120): string {
  const trimmed = line.trim();
  return JSON.stringify(trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed);
}

/** The first non-blank line of a body (what a person sees first when they curl it). */
export function firstLine(body: string): string {
  for (const line of body.split('\n', 50)) {
    if (line.trim() !== '') return line;
  }
  return body.trim() === '' ? '' : body.slice(0, 200);
}
