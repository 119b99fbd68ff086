/**
 * A parser for what a service answers on its metrics endpoint: the Prometheus text format (0.0.4, and 1.0.0 with
 * its quoted UTF-8 names) and OpenMetrics 1.0. Sources: https://prometheus.io/docs/instrumenting/exposition_formats/
 * and the OpenMetrics 1.0 specification.
 *
 * Choices worth knowing:
 * - Samples are grouped under their family by the suffixes the family's type allows (`_total`, `_created`, `_bucket`,
 *   `_count`, `_sum`, `_gcount`, `_gsum`, `_info`). In the text formats Python's prometheus_client writes each
 *   `_created` series as a gauge family of its own after its counter or histogram; those are folded back into it, so
 *   the same service gives the same families in 0.0.4, 1.0.0 and OpenMetrics.
 * - A 200 with a body that is not an exposition (the ÉMERGENCE service's `# Metrics disabled. …` sentence, an HTML
 *   page, JSON) is refused, quoting the body's first line: a comment alone is a valid text exposition of nothing, and
 *   a check must not read it as "no metrics moved".
 * - Timestamps are milliseconds since the epoch in every format (OpenMetrics writes seconds).
 * - Ambiguous data is an error naming its line: a second HELP or TYPE for a family, a TYPE after the family's
 *   samples, a duplicated series, a histogram bucket without `le`; in OpenMetrics also a family split in two, a
 *   blank line, a missing `# EOF` (a cut body) or anything after it.
 */
import { firstLine, quoteLine } from './format.js';

export type ExpositionFormat = 'text-0.0.4' | 'text-1.0.0' | 'openmetrics';

export type MetricType =
  'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'info' | 'stateset' | 'gaugehistogram' | 'unknown';

/** An OpenMetrics exemplar (` # {trace_id="…"} 0.67 1520879607.789`); its timestamp in milliseconds. */
export interface Exemplar {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp: number | null;
}

export interface Sample {
  /** The sample's own name, suffix included (`memory_analysis_duration_seconds_bucket`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, or null when the exposition gives none (the usual case). */
  readonly timestamp: number | null;
  readonly exemplar?: Exemplar;
}

export interface MetricFamily {
  /** As declared: `memory_analysis_success_total` in Python's text output, `memory_analysis_success` in OpenMetrics. */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string | null;
  readonly unit: string | null;
  readonly samples: readonly Sample[];
}

export interface ParsedExposition {
  readonly format: ExpositionFormat;
  readonly families: readonly MetricFamily[];
}

export type ParseResult =
  | { readonly ok: true; readonly format: ExpositionFormat; readonly families: readonly MetricFamily[] }
  | { readonly ok: false; readonly reason: string };

// ---------------------------------------------------------------------------------------------------------------
// Content type

export type ContentTypeReading =
  | { readonly kind: 'exposition'; readonly format: ExpositionFormat }
  /** No Content-Type, or one that says nothing either way: the body decides. */
  | { readonly kind: 'unknown' }
  /** HTML, JSON, XML: never an exposition. */
  | { readonly kind: 'foreign'; readonly mediaType: string };

const FOREIGN_MEDIA = /^(?:text\/html|application\/xhtml\+xml|(?:application|text)\/(?:[\w.+-]+\+)?(?:json|xml))$/;

/** What a Content-Type header says about the body: `text/plain; version=1.0.0` → text-1.0.0, and so on. */
export function readContentType(contentType: string | null): ContentTypeReading {
  if (contentType === null || contentType.trim() === '') return { kind: 'unknown' };
  const [rawMedia = '', ...parameters] = contentType.split(';');
  const mediaType = rawMedia.trim().toLowerCase();
  const version = parameters
    .map((parameter) => parameter.split('=').map((part) => part.trim()))
    .find(([key]) => key?.toLowerCase() === 'version')?.[1];
  if (mediaType === 'application/openmetrics-text') return { kind: 'exposition', format: 'openmetrics' };
  if (mediaType === 'text/plain') {
    return { kind: 'exposition', format: version?.startsWith('1.') === true ? 'text-1.0.0' : 'text-0.0.4' };
  }
  if (FOREIGN_MEDIA.test(mediaType)) return { kind: 'foreign', mediaType };
  return { kind: 'unknown' };
}

/** Without a telling Content-Type: OpenMetrics if the body ends with `# EOF`, else the text format. */
function sniffFormat(body: string): ExpositionFormat {
  return /(?:^|\n)# EOF\s*$/.test(body) ? 'openmetrics' : 'text-0.0.4';
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

/**
 * A float as Prometheus reads one (Go's `strconv.ParseFloat` without hex and underscores): decimal or scientific,
 * `NaN`, `+Inf`, `-Inf`, `Inf`, `infinity`, case-insensitive. JavaScript's `Number()` would also take `0x10`, `''`
 * and `Infinity` only, so it is not used alone. Undefined when the text is not a number.
 */
export function parseFloatText(text: string): number | undefined {
  if (text.length === 0) return undefined;
  let decimal = true;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    // 0-9 . + - e E: within these, Number() reads exactly the decimal grammar Go's ParseFloat does.
    if (!((code >= 48 && code <= 57) || code === 46 || code === 43 || code === 45 || code === 101 || code === 69)) {
      decimal = false;
      break;
    }
  }
  if (decimal) {
    const value = Number(text);
    return Number.isNaN(value) ? undefined : value;
  }
  switch (text.toLowerCase()) {
    case 'nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

const INTEGER = /^[+-]?\d+$/;

// ---------------------------------------------------------------------------------------------------------------
// Families and suffixes

const TEXT_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const OPENMETRICS_TYPES: readonly MetricType[] = [
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'stateset',
  'info',
  'summary',
  'unknown',
];

/** The suffixes each type adds to its family's name in sample names. */
const TYPE_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  summary: ['_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  info: ['_info'],
  gauge: [],
  untyped: [],
  unknown: [],
  stateset: [],
};

const ALL_SUFFIXES: readonly string[] = [
  '_total',
  '_created',
  '_bucket',
  '_count',
  '_sum',
  '_gcount',
  '_gsum',
  '_info',
];

/** Whether a family's samples may carry its name unchanged. */
function allowsBareName(type: MetricType, name: string, format: ExpositionFormat): boolean {
  switch (type) {
    case 'counter':
      // Text: `# TYPE x_total counter` then `x_total 1`. OpenMetrics: `x_total` under family `x`, though some
      // exporters name the family `x_total` too.
      return format !== 'openmetrics' || name.endsWith('_total');
    case 'info':
      return name.endsWith('_info');
    case 'histogram':
    case 'gaugehistogram':
      return false;
    default:
      return true;
  }
}

interface FamilyBuilder {
  readonly name: string;
  type: MetricType;
  help: string | null;
  unit: string | null;
  /** Line numbers, 0 when absent. */
  typeLine: number;
  helpLine: number;
  unitLine: number;
  firstSampleLine: number;
  readonly samples: Sample[];
}

class ParseFailure extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly text: string,
    /** Whether metrics had been read before the failure (else the body is likely not an exposition at all). */
    readonly afterMetrics: boolean,
  ) {
    super(message);
    this.name = 'ParseFailure';
  }
}

// Character classes, by char code.
const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQUALS = 61;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

const isBlank = (code: number): boolean => code === SPACE || code === TAB;
const isLetterOrUnderscore = (code: number): boolean =>
  (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Sets a label on a plain object, so that a label named `__proto__` stays a label. */
function setLabel(labels: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    labels[name] = value;
  }
}

function unescapeLabelValue(raw: string): string {
  return raw.replace(/\\(.)/g, (escape, char: string) =>
    char === 'n' ? '\n' : char === '\\' ? '\\' : char === '"' ? '"' : escape,
  );
}

function unescapeHelp(raw: string, format: ExpositionFormat): string {
  // The text format escapes only `\\` and `\n` in HELP; OpenMetrics also `\"`.
  return raw.replace(/\\(.)/g, (escape, char: string) =>
    char === 'n' ? '\n' : char === '\\' ? '\\' : char === '"' && format === 'openmetrics' ? '"' : escape,
  );
}

function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = name;
  for (const label of names) key += `\u0000${label}\u0001${labels[label] ?? ''}`;
  return key;
}

/** One pass over the lines; throws {@link ParseFailure} at the first problem. */
class ExpositionParser {
  readonly #format: ExpositionFormat;
  readonly #openMetrics: boolean;
  readonly #families: FamilyBuilder[] = [];
  readonly #byName = new Map<string, FamilyBuilder>();
  /** Sample name → its family, once resolved. */
  readonly #resolved = new Map<string, FamilyBuilder>();
  /** Series key → the line that gave it. */
  readonly #series = new Map<string, number>();
  /** OpenMetrics: a family's lines must be contiguous. */
  readonly #closed = new Set<FamilyBuilder>();
  #current: FamilyBuilder | undefined;
  #eofLine = 0;

  // The line being read.
  #text = '';
  #pos = 0;
  #lineNo = 0;
  /** The next backslash in the line at or after the last place looked (-1: none left). */
  #backslash = -1;

  constructor(format: ExpositionFormat) {
    this.#format = format;
    this.#openMetrics = format === 'openmetrics';
  }

  parse(body: string): MetricFamily[] {
    const lines = body.split('\n');
    // A final line feed leaves an empty last element: it is not a line.
    const count = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    for (let index = 0; index < count; index += 1) {
      let line = lines[index] ?? '';
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.#text = line;
      this.#pos = 0;
      this.#lineNo = index + 1;
      this.#backslash = line.indexOf('\\');
      if (this.#eofLine > 0) this.#fail(`text after "# EOF" (line ${this.#eofLine})`);
      if (line.length === 0 || (isBlank(line.charCodeAt(0)) && line.trim() === '')) {
        if (this.#openMetrics) this.#fail('blank line (OpenMetrics allows none)');
        continue;
      }
      if (!this.#openMetrics && isBlank(line.charCodeAt(0))) {
        this.#text = line.trimStart();
        this.#backslash = this.#text.indexOf('\\');
      }
      if (this.#text.charCodeAt(0) === HASH) this.#comment();
      else this.#sample();
    }
    if (this.#openMetrics && this.#eofLine === 0) {
      this.#lineNo = count;
      this.#text = lines[count - 1] ?? '';
      this.#fail('no "# EOF" at the end: OpenMetrics requires it (was the body cut short?)');
    }
    return this.#build();
  }

  #fail(message: string): never {
    throw new ParseFailure(this.#lineNo, message, this.#text, this.#families.length > 0);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Metadata

  #comment(): void {
    const match = /^#[ \t]+(HELP|TYPE|UNIT|EOF)(?=[ \t]|$)[ \t]*/.exec(this.#text);
    const keyword = match?.[1];
    if (match === null || keyword === undefined || (keyword === 'UNIT' && !this.#openMetrics)) {
      if (this.#openMetrics) this.#fail('a comment OpenMetrics does not allow (only HELP, TYPE, UNIT and EOF)');
      return; // A plain comment in the text format.
    }
    if (keyword === 'EOF') {
      if (!this.#openMetrics) return;
      if (this.#text !== '# EOF') this.#fail('"# EOF" must stand alone');
      this.#eofLine = this.#lineNo;
      return;
    }
    this.#pos = match[0].length;
    const name = this.#readMetadataName(keyword);
    const rest = this.#text.slice(this.#pos);
    const family = this.#familyForMetadata(name, keyword);
    if (keyword === 'HELP') {
      if (family.helpLine > 0) this.#fail(`second HELP for ${name} (the first is on line ${family.helpLine})`);
      family.help = unescapeHelp(rest, this.#format);
      family.helpLine = this.#lineNo;
    } else if (keyword === 'TYPE') {
      this.#declareType(family, rest.trim());
    } else {
      if (family.unitLine > 0) this.#fail(`second UNIT for ${name} (the first is on line ${family.unitLine})`);
      family.unit = rest.trim();
      family.unitLine = this.#lineNo;
    }
  }

  #readMetadataName(keyword: string): string {
    let name: string;
    if (this.#text.charCodeAt(this.#pos) === QUOTE) {
      name = this.#readQuoted('metric name');
    } else {
      const start = this.#pos;
      while (this.#pos < this.#text.length && !isBlank(this.#text.charCodeAt(this.#pos))) this.#pos += 1;
      name = this.#text.slice(start, this.#pos);
      if (name === '') this.#fail(`${keyword} without a metric name`);
      if (!METRIC_NAME.test(name)) this.#fail(`${JSON.stringify(name)} is not a metric name`);
    }
    const afterName = this.#pos;
    while (this.#pos < this.#text.length && isBlank(this.#text.charCodeAt(this.#pos))) this.#pos += 1;
    if (this.#pos === afterName && this.#pos < this.#text.length)
      this.#fail(`${keyword}: a blank must follow the name`);
    return name;
  }

  #familyForMetadata(name: string, keyword: string): FamilyBuilder {
    let family = this.#byName.get(name);
    if (family === undefined) {
      family = this.#addFamily(name, this.#openMetrics ? 'unknown' : 'untyped');
    } else if (family.firstSampleLine > 0 && (this.#openMetrics || keyword === 'TYPE')) {
      this.#fail(`${keyword} for ${name} after its samples (the first is on line ${family.firstSampleLine})`);
    }
    this.#enter(family);
    return family;
  }

  #declareType(family: FamilyBuilder, type: string): void {
    if (family.typeLine > 0) this.#fail(`second TYPE for ${family.name} (the first is on line ${family.typeLine})`);
    const allowed = this.#openMetrics ? OPENMETRICS_TYPES : TEXT_TYPES;
    const known = allowed.find((candidate) => candidate === type);
    if (known === undefined) {
      this.#fail(`unknown type ${JSON.stringify(type)} (expected one of ${allowed.join(', ')})`);
    }
    family.type = known;
    family.typeLine = this.#lineNo;
    // Samples already read under a suffixed name would now belong to this family: the TYPE came too late.
    for (const suffix of TYPE_SUFFIXES[family.type]) {
      const early = this.#resolved.get(family.name + suffix);
      if (early !== undefined && early !== family) {
        this.#fail(`TYPE for ${family.name} after its sample ${family.name + suffix} (line ${early.firstSampleLine})`);
      }
    }
  }

  #addFamily(name: string, type: MetricType): FamilyBuilder {
    const family: FamilyBuilder = {
      name,
      type,
      help: null,
      unit: null,
      typeLine: 0,
      helpLine: 0,
      unitLine: 0,
      firstSampleLine: 0,
      samples: [],
    };
    this.#families.push(family);
    this.#byName.set(name, family);
    return family;
  }

  /** Makes `family` the one being read; in OpenMetrics a family left behind may not come back. */
  #enter(family: FamilyBuilder): void {
    if (this.#current === family) return;
    if (this.#openMetrics && this.#closed.has(family)) {
      this.#fail(`${family.name} continues after another family: OpenMetrics keeps a family's lines together`);
    }
    if (this.#current !== undefined) this.#closed.add(this.#current);
    this.#current = family;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Samples

  #sample(): void {
    const text = this.#text;
    let name: string | undefined;
    let labels: Record<string, string> = {};
    if (text.charCodeAt(0) !== OPEN_BRACE) name = this.#readName(true);
    let blanks = this.#skipBlanks();
    if (text.charCodeAt(this.#pos) === OPEN_BRACE) {
      this.#pos += 1;
      const read = this.#readLabels(name === undefined);
      labels = read.labels;
      name ??= read.name;
      blanks = this.#skipBlanks();
    }
    if (name === undefined) this.#fail('a sample without a metric name');
    if (blanks === 0 || this.#pos >= text.length) {
      this.#fail(this.#pos >= text.length ? 'no value' : 'a blank must precede the value');
    }
    const value = this.#readNumber('value');

    let timestamp: number | null = null;
    let exemplar: Exemplar | undefined;
    if (this.#skipBlanks() > 0 && this.#pos < text.length) {
      if (text.charCodeAt(this.#pos) !== HASH) {
        timestamp = this.#readTimestamp();
        if (this.#skipBlanks() > 0 && this.#pos < text.length && text.charCodeAt(this.#pos) === HASH) {
          exemplar = this.#readExemplar();
        }
      } else {
        exemplar = this.#readExemplar();
      }
    }
    if (this.#pos < text.length) this.#fail(`unexpected ${JSON.stringify(text.slice(this.#pos, this.#pos + 20))}`);

    const family = this.#resolve(name);
    this.#enter(family);
    if ((family.type === 'histogram' || family.type === 'gaugehistogram') && name.endsWith('_bucket')) {
      if (labels['le'] === undefined) this.#fail(`bucket ${name} without an le label`);
    }
    const key = seriesKey(name, labels);
    const seen = this.#series.get(key);
    if (seen !== undefined) this.#fail(`the same series as line ${seen}`);
    this.#series.set(key, this.#lineNo);
    const sample: Sample =
      exemplar === undefined ? { name, labels, value, timestamp } : { name, labels, value, timestamp, exemplar };
    family.samples.push(sample);
    if (family.firstSampleLine === 0) family.firstSampleLine = this.#lineNo;
  }

  /** The family a sample name belongs to, by the suffixes its type allows; a new untyped one if none. */
  #resolve(name: string): FamilyBuilder {
    const cached = this.#resolved.get(name);
    if (cached !== undefined) return cached;
    const exact = this.#byName.get(name);
    let family: FamilyBuilder | undefined;
    if (exact !== undefined && (exact.typeLine === 0 || allowsBareName(exact.type, name, this.#format))) family = exact;
    if (family === undefined) {
      for (const suffix of ALL_SUFFIXES) {
        if (!name.endsWith(suffix)) continue;
        const base = this.#byName.get(name.slice(0, -suffix.length));
        if (base !== undefined && base.typeLine > 0 && TYPE_SUFFIXES[base.type].includes(suffix)) {
          family = base;
          break;
        }
      }
    }
    if (family === undefined && exact !== undefined) {
      const suffixes = TYPE_SUFFIXES[exact.type].map((suffix) => name + suffix).join(', ');
      this.#fail(`a ${exact.type}'s samples are named ${suffixes}, not ${name}`);
    }
    family ??= this.#addFamily(name, this.#openMetrics ? 'unknown' : 'untyped');
    this.#resolved.set(name, family);
    return family;
  }

  #skipBlanks(): number {
    const start = this.#pos;
    while (this.#pos < this.#text.length && isBlank(this.#text.charCodeAt(this.#pos))) this.#pos += 1;
    return this.#pos - start;
  }

  #readName(metric: boolean): string {
    const text = this.#text;
    const start = this.#pos;
    const first = text.charCodeAt(start);
    if (!(isLetterOrUnderscore(first) || (metric && first === 58))) {
      this.#fail(metric ? 'a metric name must start the line' : 'a label name was expected');
    }
    let pos = start + 1;
    for (; pos < text.length; pos += 1) {
      const code = text.charCodeAt(pos);
      if (!(isLetterOrUnderscore(code) || isDigit(code) || (metric && code === 58))) break;
    }
    this.#pos = pos;
    return text.slice(start, pos);
  }

  /** A double-quoted string with `\\`, `\"` and `\n` escapes (other escapes are kept as written, as Prometheus does). */
  #readQuoted(what: string): string {
    const text = this.#text;
    if (text.charCodeAt(this.#pos) !== QUOTE) this.#fail(`${what} must be in double quotes`);
    const start = this.#pos + 1;
    let pos = start;
    let escaped = false;
    for (;;) {
      const quote = text.indexOf('"', pos);
      if (quote === -1) this.#fail(`unterminated ${what}`);
      // Most lines hold no backslash: look for one once per line, not once per value.
      if (this.#backslash !== -1 && this.#backslash < pos) this.#backslash = text.indexOf('\\', pos);
      if (this.#backslash !== -1 && this.#backslash < quote) {
        escaped = true;
        pos = this.#backslash + 2;
        if (pos > text.length) this.#fail(`unterminated ${what}`);
        continue;
      }
      this.#pos = quote + 1;
      const raw = text.slice(start, quote);
      return escaped ? unescapeLabelValue(raw) : raw;
    }
  }

  /** Reads after `{` up to and including `}`; `{"utf8.name", a="b"}` carries the metric name first. */
  #readLabels(nameMayBeInside: boolean): { labels: Record<string, string>; name: string | undefined } {
    const text = this.#text;
    const labels: Record<string, string> = {};
    let name: string | undefined;
    let first = true;
    for (;;) {
      this.#skipBlanks();
      const code = text.charCodeAt(this.#pos);
      if (code === CLOSE_BRACE) {
        this.#pos += 1;
        return { labels, name };
      }
      if (Number.isNaN(code)) this.#fail('unterminated label set: "}" expected');
      const labelName = code === QUOTE ? this.#readQuoted('label name') : this.#readName(false);
      this.#skipBlanks();
      if (text.charCodeAt(this.#pos) !== EQUALS) {
        if (first && nameMayBeInside && code === QUOTE) {
          name = labelName;
        } else {
          this.#fail(`"=" expected after label ${labelName}`);
        }
      } else {
        this.#pos += 1;
        this.#skipBlanks();
        const value = this.#readQuoted(`value of label ${labelName}`);
        if (Object.hasOwn(labels, labelName)) this.#fail(`label ${labelName} given twice`);
        setLabel(labels, labelName, value);
      }
      first = false;
      this.#skipBlanks();
      const next = text.charCodeAt(this.#pos);
      if (next === COMMA) this.#pos += 1;
      else if (next !== CLOSE_BRACE) this.#fail(`"," or "}" expected after label ${labelName}`);
    }
  }

  #readToken(): string {
    const text = this.#text;
    const start = this.#pos;
    let pos = start;
    while (pos < text.length && !isBlank(text.charCodeAt(pos))) pos += 1;
    this.#pos = pos;
    return text.slice(start, pos);
  }

  #readNumber(what: string): number {
    const token = this.#readToken();
    const value = parseFloatText(token);
    if (value === undefined) this.#fail(`${what} ${JSON.stringify(token)} is not a number`);
    return value;
  }

  /** Text format: integer milliseconds. OpenMetrics: seconds, possibly fractional. */
  #readTimestamp(): number {
    const token = this.#readToken();
    if (this.#openMetrics) {
      const seconds = parseFloatText(token);
      if (seconds === undefined || !Number.isFinite(seconds)) {
        this.#fail(`timestamp ${JSON.stringify(token)} is not a number of seconds`);
      }
      return Math.round(seconds * 1e6) / 1e3;
    }
    if (!INTEGER.test(token)) this.#fail(`timestamp ${JSON.stringify(token)} is not an integer of milliseconds`);
    return Number(token);
  }

  /** ` # {trace_id="abc"} 0.67 1520879607.789`, OpenMetrics only. */
  #readExemplar(): Exemplar {
    if (!this.#openMetrics) this.#fail('"#" after a value: exemplars exist only in OpenMetrics');
    const text = this.#text;
    this.#pos += 1;
    if (this.#skipBlanks() === 0 || text.charCodeAt(this.#pos) !== OPEN_BRACE) {
      this.#fail('an exemplar is written "# {labels} value [timestamp]"');
    }
    this.#pos += 1;
    const { labels } = this.#readLabels(false);
    const length = Object.entries(labels).reduce((sum, [name, value]) => sum + [...name].length + [...value].length, 0);
    if (length > 128) this.#fail(`exemplar labels are ${length} characters long (at most 128)`);
    if (this.#skipBlanks() === 0) this.#fail('an exemplar needs a value');
    const value = this.#readNumber('exemplar value');
    let timestamp: number | null = null;
    if (this.#skipBlanks() > 0 && this.#pos < text.length) timestamp = this.#readTimestamp();
    return { labels, value, timestamp };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Result

  #build(): MetricFamily[] {
    const dropped = new Set<FamilyBuilder>();
    if (!this.#openMetrics) {
      // Python's text output: `x_created` gauge families after counter `x_total` / histogram or summary `x`.
      for (const family of this.#families) {
        if (!family.name.endsWith('_created') || (family.type !== 'gauge' && family.type !== 'untyped')) continue;
        const base = family.name.slice(0, -'_created'.length);
        const counter = this.#byName.get(`${base}_total`);
        const other = this.#byName.get(base);
        const parent =
          counter?.type === 'counter'
            ? counter
            : other !== undefined && ['counter', 'histogram', 'summary'].includes(other.type)
              ? other
              : undefined;
        if (parent === undefined) continue;
        parent.samples.push(...family.samples);
        dropped.add(family);
      }
    }
    return this.#families
      .filter((family) => !dropped.has(family))
      .map(({ name, type, help, unit, samples }) => ({ name, type, help, unit, samples }));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Entry point

/**
 * Parses a metrics endpoint's body. `contentType` picks the format (`text/plain; version=0.0.4` or `=1.0.0`,
 * `application/openmetrics-text`); without one, a body ending in `# EOF` is OpenMetrics and anything else the text
 * format. Never throws: a body that is not an exposition, or a malformed one, gives `ok: false` with a reason that
 * quotes the body's first line or names the faulty line.
 */
export function parseExposition(text: string, contentType: string | null): ParseResult {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const shownType = contentType === null || contentType.trim() === '' ? '' : ` (Content-Type ${contentType.trim()})`;
  if (body.trim() === '') return { ok: false, reason: `empty body${shownType}: no metrics` };
  const first = quoteLine(firstLine(body));
  const reading = readContentType(contentType);
  if (reading.kind === 'foreign') {
    return { ok: false, reason: `not a Prometheus exposition${shownType}: its first line is ${first}` };
  }
  const format = reading.kind === 'exposition' ? reading.format : sniffFormat(body);
  try {
    const families = new ExpositionParser(format).parse(body);
    if (families.length === 0) {
      return { ok: false, reason: `not a Prometheus exposition: no metric in it; its first line is ${first}` };
    }
    return { ok: true, format, families };
  } catch (error: unknown) {
    if (!(error instanceof ParseFailure)) throw error;
    if (!error.afterMetrics) {
      return {
        ok: false,
        reason: `not a Prometheus exposition: its first line is ${first} (line ${error.line}: ${error.message})`,
      };
    }
    return { ok: false, reason: `line ${error.line}: ${error.message}: ${quoteLine(error.text)}` };
  }
}
