/**
 * Reading series out of a parsed exposition: PromQL-style selectors (`name{label="value", other=~"re"}`), sums, and
 * which families are there.
 */
import type { MetricFamily, ParsedExposition, Sample } from './parse.js';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOperator;
  readonly value: string;
}

export interface SeriesSelector {
  /** The sample name, suffix included (`memory_analysis_success_total`). */
  readonly metric: string;
  readonly matchers: readonly LabelMatcher[];
}

export type SelectorParse =
  { readonly ok: true; readonly selector: SeriesSelector } | { readonly ok: false; readonly reason: string };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const OPERATOR = /^(=~|!~|!=|=)/;
const STRING_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  '"': '"',
  "'": "'",
};

/**
 * Parses `name` or `name{label="value",...}` with PromQL's four matchers. Values are PromQL double-quoted strings
 * (`\\`, `\"`, `\n`, `\t`, `\r`, `\uXXXX`); regular expressions are anchored at both ends, as in PromQL.
 */
export function parseSelector(text: string): SelectorParse {
  const source = text.trim();
  const fail = (message: string): SelectorParse => ({ ok: false, reason: `${JSON.stringify(text)}: ${message}` });
  const name = NAME.exec(source)?.[0];
  if (name === undefined) return fail('must start with a metric name');
  let rest = source.slice(name.length).trimStart();
  const matchers: LabelMatcher[] = [];
  if (rest === '') return { ok: true, selector: { metric: name, matchers } };
  if (!rest.startsWith('{')) return fail(`unexpected ${JSON.stringify(rest)} after the name`);
  rest = rest.slice(1).trimStart();
  while (!rest.startsWith('}')) {
    const label = LABEL.exec(rest)?.[0];
    if (label === undefined) return fail(`a label name was expected at ${JSON.stringify(rest)}`);
    rest = rest.slice(label.length).trimStart();
    const op = OPERATOR.exec(rest)?.[0];
    if (op !== '=' && op !== '!=' && op !== '=~' && op !== '!~') {
      return fail(`=, !=, =~ or !~ expected after ${label}`);
    }
    rest = rest.slice(op.length).trimStart();
    if (!rest.startsWith('"')) return fail(`the value of ${label} must be in double quotes`);
    let value = '';
    let index = 1;
    for (; index < rest.length && rest[index] !== '"'; index += 1) {
      const char = rest[index] ?? '';
      if (char !== '\\') {
        value += char;
        continue;
      }
      const next = rest[index + 1] ?? '';
      const hex = next === 'u' ? /^[0-9a-fA-F]{4}/.exec(rest.slice(index + 2))?.[0] : undefined;
      if (hex !== undefined) {
        value += String.fromCharCode(parseInt(hex, 16));
        index += 5;
        continue;
      }
      const unescaped = STRING_ESCAPES[next];
      if (unescaped === undefined) return fail(`unknown escape \\${next} in the value of ${label}`);
      value += unescaped;
      index += 1;
    }
    if (index >= rest.length) return fail(`unterminated value of ${label}`);
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(value);
      } catch {
        return fail(`the value of ${label} is not a regular expression`);
      }
    }
    matchers.push({ name: label, op, value });
    rest = rest.slice(index + 1).trimStart();
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
    else if (!rest.startsWith('}')) return fail(`"," or "}" expected after the value of ${label}`);
  }
  if (rest.slice(1).trim() !== '') return fail(`unexpected ${JSON.stringify(rest.slice(1).trim())} after "}"`);
  return { ok: true, selector: { metric: name, matchers } };
}

const escapeValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** The selector written back: `name{a="b",c=~"d"}`. */
export function formatSelector(selector: SeriesSelector): string {
  if (selector.matchers.length === 0) return selector.metric;
  const matchers = selector.matchers.map(({ name, op, value }) => `${name}${op}"${escapeValue(value)}"`);
  return `${selector.metric}{${matchers.join(',')}}`;
}

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (regex === undefined) {
    // PromQL anchors matchers at both ends and lets `.` match a line feed.
    regex = new RegExp(`^(?:${pattern})$`, 's');
    regexCache.set(pattern, regex);
  }
  return regex;
}

/** A label as PromQL sees it: an absent label is the empty string. */
export function labelValue(labels: Readonly<Record<string, string>>, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

/** A key equal for equal label sets, whatever their order. */
export function labelSetKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether a label set satisfies every matcher. */
export function matchesLabels(labels: Readonly<Record<string, string>>, matchers: readonly LabelMatcher[]): boolean {
  for (const { name, op, value } of matchers) {
    const actual = labelValue(labels, name);
    const matched = op === '=' || op === '!=' ? actual === value : anchored(value).test(actual);
    if (matched !== (op === '=' || op === '=~')) return false;
  }
  return true;
}

type Source = ParsedExposition | readonly MetricFamily[];

const familiesOf = (source: Source): readonly MetricFamily[] => ('families' in source ? source.families : source);

/** The samples a selector picks (by sample name and label matchers), in exposition order. */
export function selectSamples(source: Source, selector: SeriesSelector): Sample[] {
  const selected: Sample[] = [];
  for (const family of familiesOf(source)) {
    for (const sample of family.samples) {
      if (sample.name === selector.metric && matchesLabels(sample.labels, selector.matchers)) selected.push(sample);
    }
  }
  return selected;
}

/** The sum of the samples' values (NaN if one is NaN, as PromQL's `sum`); null when there is none. */
export function sumSamples(samples: readonly Sample[]): number | null {
  if (samples.length === 0) return null;
  let sum = 0;
  for (const sample of samples) sum += sample.value;
  return sum;
}

/** `sum by (label)`: the sum of the samples per value of `label` (an absent label groups under ''). */
export function sumBy(samples: readonly Sample[], label: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const sample of samples) {
    const key = labelValue(sample.labels, label);
    sums.set(key, (sums.get(key) ?? 0) + sample.value);
  }
  return sums;
}

/**
 * The names a family answers to: its own, and for counters and infos the sample name too, so that
 * `memory_analysis_success_total` finds the counter whether the exposition named the family with `_total`
 * (Python's text output) or without (OpenMetrics).
 */
export function familyNames(family: MetricFamily): string[] {
  if (family.type === 'counter' && !family.name.endsWith('_total')) return [family.name, `${family.name}_total`];
  if (family.type === 'info' && !family.name.endsWith('_info')) return [family.name, `${family.name}_info`];
  return [family.name];
}

/** The family named `name` (see {@link familyNames}), or undefined. */
export function findFamily(source: Source, name: string): MetricFamily | undefined {
  return familiesOf(source).find((family) => familyNames(family).includes(name));
}

export interface FamilyPresence {
  readonly name: string;
  readonly type: MetricFamily['type'];
  readonly samples: number;
}

export interface PresenceReport {
  /** Matching families that have at least one sample. */
  readonly present: readonly FamilyPresence[];
  /** Matching families declared (HELP/TYPE) without any sample yet, e.g. a labelled counter never incremented. */
  readonly empty: readonly FamilyPresence[];
}

/** Which families match a name (see {@link findFamily}) or a name prefix, with their sample counts. */
export function familyPresence(
  source: Source,
  query: { readonly name: string } | { readonly prefix: string },
): PresenceReport {
  const matches =
    'name' in query
      ? (family: MetricFamily) => familyNames(family).includes(query.name)
      : (family: MetricFamily) => familyNames(family).some((name) => name.startsWith(query.prefix));
  const present: FamilyPresence[] = [];
  const empty: FamilyPresence[] = [];
  for (const family of familiesOf(source)) {
    if (!matches(family)) continue;
    const entry = { name: family.name, type: family.type, samples: family.samples.length };
    (entry.samples > 0 ? present : empty).push(entry);
  }
  return { present, empty };
}
