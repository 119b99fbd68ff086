/**
 * The part of the Cloud Logging query language that Liftoff and the ÉMERGENCE runbook use,
 * compiled to a predicate over log entries held by the sandbox.
 *
 * Semantics follow Google's "Logging query language" page:
 * - `NOT` (or a leading `-`) binds tightest, then `OR`, then `AND`: `a OR NOT b AND c OR d`
 *   is `(a OR (NOT b)) AND (c OR d)`. Adjacent terms are joined by an implicit `AND`.
 *   Boolean operators are recognised in upper case only; `and`, `or`, `not` are search terms.
 * - Comparisons `=`, `!=`, `>`, `>=`, `<`, `<=`, `:` (has: substring), `=~`, `!~` (regular
 *   expression search). String comparisons ignore case; regular expressions do not (unless `(?i)`).
 * - The right-hand side may be a parenthesised boolean combination of values, applied to the
 *   same field: `resource.type = ("a" OR "b")`.
 * - A bare value (word or quoted string) is a global restriction: some field has it as a substring.
 * - `field:*` tests presence; `NULL_VALUE` matches a JSON null; comparisons on an array field
 *   hold when they hold for any element.
 * - `severity` compares by level (DEFAULT < DEBUG < INFO < NOTICE < WARNING < ERROR < CRITICAL
 *   < ALERT < EMERGENCY, or their numbers 0…800); `timestamp` and `receiveTimestamp` compare
 *   with RFC 3339 strings; `httpRequest.latency` compares as a duration ("0.5s").
 * - `log_id("run.googleapis.com/requests")` and `SEARCH("text")` are the only functions.
 * - `--` starts a comment that runs to the end of the line; queries are at most 20,000 characters.
 *
 * Choices where the documentation is silent: `!=` and `!~` are the negations of `=` and `=~`, so
 * they hold for a missing field; regular expressions are JavaScript RegExps after translating the
 * RE2 forms people use (`(?i)` leading flags, `(?P<name>…)`, `\A`, `\z`); `SEARCH` is a substring
 * search like a global restriction rather than a token search.
 */

/** A log entry as the sandbox stores it: the LogEntry fields a filter may name. */
export interface LogEntryForFilter {
  logName: string;
  timestamp: Date;
  severity: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  resource: { type: string; labels: Record<string, string> };
  labels?: Record<string, string>;
  httpRequest?: { status?: number; requestUrl?: string; latency?: string; requestMethod?: string };
}

/** A compiled filter, or why it could not be compiled (with the 0-based offset of the problem). */
export type CompiledLogFilter =
  | { readonly ok: true; matches(entry: LogEntryForFilter): boolean }
  | { readonly ok: false; readonly error: string; readonly position: number };

/** Severity levels and their numbers, as LogSeverity defines them. */
export const SEVERITY_LEVELS = {
  DEFAULT: 0,
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  ALERT: 700,
  EMERGENCY: 800,
} as const satisfies Record<string, number>;

export const MAX_FILTER_LENGTH = 20_000;

/** Top-level LogEntry fields; naming any other field is an error, as in Cloud Logging. */
const LOG_ENTRY_FIELDS = new Set([
  'logName',
  'resource',
  'timestamp',
  'receiveTimestamp',
  'severity',
  'insertId',
  'httpRequest',
  'labels',
  'metadata',
  'operation',
  'trace',
  'spanId',
  'traceSampled',
  'sourceLocation',
  'split',
  'textPayload',
  'jsonPayload',
  'protoPayload',
  'errorGroups',
]);

/** Compiles `filter`; never throws. An empty filter matches every entry. */
export function compileLogFilter(filter: string): CompiledLogFilter {
  if (filter.length > MAX_FILTER_LENGTH) {
    return {
      ok: false,
      error: `Invalid filter: longer than ${MAX_FILTER_LENGTH} characters (${filter.length})`,
      position: MAX_FILTER_LENGTH,
    };
  }
  try {
    const tokens = tokenize(filter);
    const predicate = new Parser(filter, tokens).parseQuery();
    return { ok: true, matches: predicate };
  } catch (error: unknown) {
    if (error instanceof FilterSyntaxError) return { ok: false, error: error.message, position: error.position };
    throw error;
  }
}

/**
 * The earliest time a filter admits, from its top-level `timestamp >= "…"` (or `>`) terms: where Cloud Logging's
 * time index lets a read start instead of at the oldest entry. Undefined when no such term bounds the whole filter
 * (none, negated, OR-ed with a neighbour, inside parentheses) or the filter does not parse.
 */
export function earliestTimestamp(filter: string): Date | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(filter);
  } catch {
    return undefined;
  }
  let depth = 0;
  let earliest: number | undefined;
  tokens.forEach((token, index) => {
    if (token.kind === 'lparen') depth += 1;
    if (token.kind === 'rparen') depth -= 1;
    if (depth !== 0 || token.kind !== 'word' || token.value !== 'timestamp') return;
    const [op, literal, after] = [tokens[index + 1], tokens[index + 2], tokens[index + 3]];
    const before = tokens[index - 1];
    if (op?.kind !== 'op' || (op.op !== '>=' && op.op !== '>')) return;
    if (literal?.kind !== 'string' && literal?.kind !== 'word') return;
    // NOT binds tightest, then OR, then AND: a negated or OR-ed term does not bound the whole filter.
    if (before?.kind === 'not' || before?.kind === 'minus' || before?.kind === 'or' || after?.kind === 'or') return;
    const text = literal.value.trim();
    const ms = RFC3339.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
    if (!Number.isNaN(ms)) earliest = Math.max(earliest ?? ms, ms);
  });
  return earliest === undefined ? undefined : new Date(earliest);
}

class FilterSyntaxError extends Error {
  constructor(
    source: string,
    readonly position: number,
    detail: string,
  ) {
    const { line, column } = lineAndColumn(source, position);
    super(`Unparseable filter: ${detail} at line ${line}, column ${column}`);
    this.name = 'FilterSyntaxError';
  }
}

function lineAndColumn(source: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < source.length; i += 1) {
    if (source[i] === '\n') {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

// ---------------------------------------------------------------------------------------------
// Tokens

type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | ':' | '=~' | '!~';

type Token =
  | { kind: 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus' | 'eof'; pos: number; end: number; text: string }
  | { kind: 'op'; op: ComparisonOperator; pos: number; end: number; text: string }
  | { kind: 'string'; value: string; pos: number; end: number; text: string }
  | { kind: 'word'; value: string; segments: string[]; pos: number; end: number; text: string };

const OPERATORS: readonly ComparisonOperator[] = ['>=', '<=', '!=', '=~', '!~', '=', '>', '<', ':'];
const WORD_STOP = new Set([' ', '\t', '\n', '\r', '\f', '\v', '(', ')', '"', '=', '!', '<', '>', ':']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const previousKind = (): Token['kind'] | undefined => tokens[tokens.length - 1]?.kind;
  while (i < source.length) {
    const ch = source[i] ?? '';
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '-' && source[i + 1] === '-') {
      while (i < source.length && source[i] !== '\n') i += 1;
      continue;
    }
    if (ch === '(' || ch === ')') {
      tokens.push({ kind: ch === '(' ? 'lparen' : 'rparen', pos: i, end: i + 1, text: ch });
      i += 1;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (op !== undefined) {
      tokens.push({ kind: 'op', op, pos: i, end: i + op.length, text: op });
      i += op.length;
      continue;
    }
    if (ch === '!') throw new FilterSyntaxError(source, i, "syntax error, token '!'");
    if (ch === '"') {
      const { value, end } = readString(source, i);
      tokens.push({ kind: 'string', value, pos: i, end, text: source.slice(i, end) });
      i = end;
      continue;
    }
    // A leading '-' negates the term that follows, except where a value is expected (`status > -1`).
    if (ch === '-' && previousKind() !== 'op') {
      tokens.push({ kind: 'minus', pos: i, end: i + 1, text: '-' });
      i += 1;
      continue;
    }
    const word = readWord(source, i);
    const keyword = keywordKind(word.value);
    tokens.push(keyword === undefined ? word : { kind: keyword, pos: word.pos, end: word.end, text: word.text });
    i = word.end;
  }
  tokens.push({ kind: 'eof', pos: source.length, end: source.length, text: '' });
  return tokens;
}

function readString(source: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i] ?? '';
    if (ch === '"') return { value, end: i + 1 };
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined) break;
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      const simple: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
      // Unknown escapes stay as written, so "\d+" reaches a regular expression intact.
      value += simple[next] ?? `\\${next}`;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  throw new FilterSyntaxError(source, start, 'unterminated string');
}

/** A bare word; a field path may quote a segment: `labels."compute.googleapis.com/resource_id"`. */
function readWord(source: string, start: number): Token & { kind: 'word' } {
  const segments: string[] = [];
  let current = '';
  let value = '';
  let i = start;
  while (i < source.length) {
    const ch = source[i] ?? '';
    if (ch === '"' && i > start && source[i - 1] === '.') {
      const quoted = readString(source, i);
      current += quoted.value;
      value += source.slice(i, quoted.end);
      i = quoted.end;
      continue;
    }
    if (WORD_STOP.has(ch)) break;
    if (ch === '.') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
    value += ch;
    i += 1;
  }
  segments.push(current);
  return { kind: 'word', value, segments, pos: start, end: i, text: value };
}

function keywordKind(word: string): 'and' | 'or' | 'not' | undefined {
  if (word === 'AND') return 'and';
  if (word === 'OR') return 'or';
  if (word === 'NOT') return 'not';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Parser: compiles straight to predicates, so every check (regex, severity, timestamp) happens once.

type Predicate = (entry: LogEntryForFilter) => boolean;
/** A literal on the right of a comparison, compiled against one field. */
type ValuePredicate = (entry: LogEntryForFilter) => boolean;

interface Literal {
  readonly value: string;
  readonly quoted: boolean;
  readonly pos: number;
}

class Parser {
  #index = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseQuery(): Predicate {
    if (this.#peek().kind === 'eof') return () => true;
    const predicate = this.#parseAnd(() => this.#parseUnary());
    const next = this.#peek();
    if (next.kind !== 'eof') this.#fail(next, next.kind === 'rparen' ? 'unbalanced parenthesis' : 'syntax error');
    return predicate;
  }

  /** and := or ( [AND] or )* — generic over terms so the value grammar reuses it. */
  #parseAnd(unary: () => Predicate): Predicate {
    const items = [this.#parseOr(unary)];
    for (;;) {
      const next = this.#peek();
      if (next.kind === 'and') {
        this.#advance();
        items.push(this.#parseOr(unary));
      } else if (startsTerm(next)) {
        items.push(this.#parseOr(unary));
      } else {
        break;
      }
    }
    return items.length === 1 ? (items[0] as Predicate) : (entry) => items.every((item) => item(entry));
  }

  #parseOr(unary: () => Predicate): Predicate {
    const items = [unary()];
    while (this.#peek().kind === 'or') {
      this.#advance();
      items.push(unary());
    }
    return items.length === 1 ? (items[0] as Predicate) : (entry) => items.some((item) => item(entry));
  }

  #parseUnary(): Predicate {
    const next = this.#peek();
    if (next.kind === 'not' || next.kind === 'minus') {
      this.#advance();
      const inner = this.#parseUnary();
      return (entry) => !inner(entry);
    }
    return this.#parsePrimary();
  }

  #parsePrimary(): Predicate {
    const token = this.#advance();
    switch (token.kind) {
      case 'lparen': {
        const inner = this.#parseAnd(() => this.#parseUnary());
        this.#expect('rparen', 'expected )');
        return inner;
      }
      case 'word': {
        const after = this.#peek();
        if (after.kind === 'op') {
          this.#advance();
          return this.#parseComparison(token, after.op, after);
        }
        if (after.kind === 'lparen' && after.pos === token.end) return this.#parseFunction(token);
        return globalRestriction({ value: token.value, quoted: false, pos: token.pos });
      }
      case 'string':
        if (this.#peek().kind === 'op') this.#fail(this.#peek(), 'a field name cannot be quoted');
        return globalRestriction({ value: token.value, quoted: true, pos: token.pos });
      default:
        return this.#fail(token, token.kind === 'eof' ? 'unexpected end of filter' : 'syntax error');
    }
  }

  #parseFunction(name: Token & { kind: 'word' }): Predicate {
    this.#advance(); // (
    const argument = this.#advance();
    if (argument.kind !== 'string' && argument.kind !== 'word')
      this.#fail(argument, `expected an argument to ${name.value}()`);
    this.#expect('rparen', 'expected )');
    const value = argument.kind === 'string' || argument.kind === 'word' ? argument.value : '';
    if (name.value === 'log_id') {
      const suffix = `/logs/${encodeURIComponent(value)}`;
      return (entry) => entry.logName.endsWith(suffix);
    }
    if (name.value.toUpperCase() === 'SEARCH') return globalRestriction({ value, quoted: true, pos: argument.pos });
    return this.#fail(name, `unknown function '${name.value}'`);
  }

  #parseComparison(field: Token & { kind: 'word' }, op: ComparisonOperator, opToken: Token): Predicate {
    const path = field.segments;
    const root = path[0] ?? '';
    if (path.some((segment) => segment === '')) this.#fail(field, `invalid field path '${field.value}'`);
    if (!LOG_ENTRY_FIELDS.has(root)) this.#fail(field, `unknown field '${root}'`);
    if ((root === 'severity' || root === 'timestamp' || root === 'receiveTimestamp') && path.length > 1) {
      this.#fail(field, `field '${root}' has no subfields`);
    }
    const leaf = (literal: Literal): ValuePredicate => compileComparison(this.source, path, op, literal);
    const next = this.#peek();
    if (next.kind === 'lparen') {
      this.#advance();
      const combined = this.#parseAnd(() => this.#parseValueUnary(leaf));
      this.#expect('rparen', 'expected )');
      return combined;
    }
    return this.#parseValuePrimary(leaf, opToken);
  }

  #parseValueUnary(leaf: (literal: Literal) => ValuePredicate): Predicate {
    const next = this.#peek();
    if (next.kind === 'not' || next.kind === 'minus') {
      this.#advance();
      const inner = this.#parseValueUnary(leaf);
      return (entry) => !inner(entry);
    }
    if (next.kind === 'lparen') {
      this.#advance();
      const inner = this.#parseAnd(() => this.#parseValueUnary(leaf));
      this.#expect('rparen', 'expected )');
      return inner;
    }
    return this.#parseValuePrimary(leaf, next);
  }

  #parseValuePrimary(leaf: (literal: Literal) => ValuePredicate, after: Token): Predicate {
    const token = this.#advance();
    if (token.kind === 'string') return leaf({ value: token.value, quoted: true, pos: token.pos });
    if (token.kind === 'word') {
      if (this.#peek().kind === 'op') this.#fail(this.#peek(), 'unquoted value contains a special character; quote it');
      return leaf({ value: token.value, quoted: false, pos: token.pos });
    }
    return this.#fail(token, `expected a value after '${after.text}'`);
  }

  #peek(): Token {
    return this.tokens[this.#index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  #advance(): Token {
    const token = this.#peek();
    if (this.#index < this.tokens.length - 1) this.#index += 1;
    return token;
  }

  #expect(kind: Token['kind'], detail: string): Token {
    const token = this.#advance();
    if (token.kind !== kind) this.#fail(token, detail);
    return token;
  }

  #fail(token: Token, detail: string): never {
    const shown = token.kind === 'eof' ? 'end of filter' : `'${token.text}'`;
    throw new FilterSyntaxError(this.source, token.pos, `${detail}, token ${shown}`);
  }
}

function startsTerm(token: Token): boolean {
  return (
    token.kind === 'lparen' ||
    token.kind === 'word' ||
    token.kind === 'string' ||
    token.kind === 'not' ||
    token.kind === 'minus'
  );
}

// ---------------------------------------------------------------------------------------------
// Field access

/** Every value at `path`, arrays flattened; empty when the field is missing. */
function valuesAt(entry: LogEntryForFilter, path: readonly string[]): unknown[] {
  const [root, ...rest] = path;
  if (root === 'severity') return [entry.severity === '' ? 'DEFAULT' : entry.severity];
  let current: unknown[] = [(entry as unknown as Record<string, unknown>)[root ?? '']];
  for (const segment of rest) {
    const next: unknown[] = [];
    for (const value of current.flatMap((item) => (Array.isArray(item) ? (item as unknown[]) : [item]))) {
      if (isPlainObject(value) && Object.hasOwn(value, segment)) next.push(value[segment]);
    }
    current = next;
  }
  return current.flatMap((item) => (Array.isArray(item) ? (item as unknown[]) : [item])).filter((v) => v !== undefined);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Every scalar inside `value`, as text, for has-searches over objects. */
function scalarTexts(value: unknown, out: string[] = []): string[] {
  if (value === null || value === undefined) return out;
  if (value instanceof Date) out.push(value.toISOString());
  else if (Array.isArray(value)) for (const item of value) scalarTexts(item, out);
  else if (typeof value === 'object') for (const item of Object.values(value)) scalarTexts(item, out);
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    out.push(String(value));
  return out;
}

/** A bare value: some field of the entry has it as a substring (case-insensitive). */
function globalRestriction(literal: Literal): Predicate {
  const needle = literal.value.toLowerCase();
  return (entry) => {
    const haystack = scalarTexts([
      entry.logName,
      entry.severity,
      entry.textPayload,
      entry.jsonPayload,
      entry.resource,
      entry.labels,
      entry.httpRequest,
    ]);
    return haystack.some((text) => text.toLowerCase().includes(needle));
  };
}

// ---------------------------------------------------------------------------------------------
// Comparisons

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DURATION = /^(\d+(?:\.\d+)?)s$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

function compileComparison(
  source: string,
  path: readonly string[],
  op: ComparisonOperator,
  literal: Literal,
): Predicate {
  const root = path[0];
  const fail = (detail: string): never => {
    throw new FilterSyntaxError(source, literal.pos, detail);
  };

  if (op === ':' && literal.value === '*' && !literal.quoted) {
    return (entry) => valuesAt(entry, path).length > 0;
  }
  if (op === '=~' || op === '!~') {
    const regex = compileRegex(literal.value, fail);
    const test: Predicate = (entry) =>
      valuesAt(entry, path).some((value) => {
        const text = scalarText(value);
        return text !== undefined && regex.test(text);
      });
    return op === '=~' ? test : (entry) => !test(entry);
  }

  let compare: (value: unknown) => boolean;
  if (root === 'severity') compare = severityComparison(op, literal, fail);
  else if (root === 'timestamp' || root === 'receiveTimestamp') compare = timestampComparison(op, literal, fail);
  else if (path.length === 2 && root === 'httpRequest' && path[1] === 'latency')
    compare = durationComparison(op, literal);
  else compare = genericComparison(op, literal);

  // For `!=` every comparator above tests equality; the negation covers missing fields too.
  if (op === '!=') return (entry) => !valuesAt(entry, path).some(compare);
  return (entry) => valuesAt(entry, path).some(compare);
}

function scalarText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function ordered(op: ComparisonOperator, difference: number): boolean {
  switch (op) {
    case '=':
    case '!=': // the caller negates
      return difference === 0;
    case '>':
      return difference > 0;
    case '>=':
      return difference >= 0;
    case '<':
      return difference < 0;
    case '<=':
      return difference <= 0;
    default:
      return false;
  }
}

function severityRank(name: string): number | undefined {
  const upper = name.trim().toUpperCase();
  if (Object.hasOwn(SEVERITY_LEVELS, upper)) return SEVERITY_LEVELS[upper as keyof typeof SEVERITY_LEVELS];
  if (NUMBER.test(upper)) return Number(upper);
  return undefined;
}

function severityComparison(
  op: ComparisonOperator,
  literal: Literal,
  fail: (detail: string) => never,
): (v: unknown) => boolean {
  if (op === ':') {
    const needle = literal.value.toLowerCase();
    return (value) => typeof value === 'string' && value.toLowerCase().includes(needle);
  }
  const wanted = severityRank(literal.value) ?? fail(`unknown severity '${literal.value}'`);
  return (value) => {
    const rank = typeof value === 'string' ? (severityRank(value) ?? 0) : 0;
    return ordered(op, rank - wanted);
  };
}

function timestampComparison(
  op: ComparisonOperator,
  literal: Literal,
  fail: (detail: string) => never,
): (v: unknown) => boolean {
  if (op === ':') {
    const needle = literal.value.toLowerCase();
    return (value) => value instanceof Date && value.toISOString().toLowerCase().includes(needle);
  }
  const text = literal.value.trim();
  const wanted = RFC3339.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
  if (Number.isNaN(wanted))
    fail(`invalid timestamp '${literal.value}' (expected RFC 3339, e.g. "2026-11-24T10:00:00Z")`);
  return (value) => {
    const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
    return !Number.isNaN(ms) && ordered(op, ms - wanted);
  };
}

function durationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (match) return Number(match[1]);
  return NUMBER.test(trimmed) ? Number(trimmed) : undefined;
}

function durationComparison(op: ComparisonOperator, literal: Literal): (v: unknown) => boolean {
  const wanted = durationSeconds(literal.value);
  if (op === ':' || wanted === undefined) return genericComparison(op, literal);
  return (value) => {
    const seconds = typeof value === 'string' ? durationSeconds(value) : typeof value === 'number' ? value : undefined;
    return seconds !== undefined && ordered(op, seconds - wanted);
  };
}

function genericComparison(op: ComparisonOperator, literal: Literal): (v: unknown) => boolean {
  const text = literal.value;
  const lower = text.toLowerCase();
  const numeric = NUMBER.test(text.trim()) ? Number(text) : undefined;
  const isNull = !literal.quoted && text === 'NULL_VALUE';

  if (op === ':') {
    return (value) => {
      if (isPlainObject(value)) {
        return (
          Object.keys(value).some((key) => key.toLowerCase() === lower) ||
          scalarTexts(value).some((t) => t.toLowerCase().includes(lower))
        );
      }
      const valueText = scalarText(value);
      return valueText !== undefined && valueText.toLowerCase().includes(lower);
    };
  }
  if (op === '=' || op === '!=') {
    return (value) => {
      if (isNull) return value === null;
      if (typeof value === 'number') return numeric !== undefined ? value === numeric : String(value) === text;
      if (typeof value === 'boolean') return String(value) === lower;
      if (typeof value === 'string') return value.toLowerCase() === lower;
      return false;
    };
  }
  // Ordering: numbers when both sides are numbers, otherwise the strings themselves.
  return (value) => {
    const valueNumber =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && NUMBER.test(value.trim())
          ? Number(value)
          : undefined;
    if (valueNumber !== undefined && numeric !== undefined) return ordered(op, valueNumber - numeric);
    const valueText = scalarText(value);
    if (valueText === undefined) return false;
    return ordered(op, valueText < text ? -1 : valueText > text ? 1 : 0);
  };
}

/** RE2 as people write it in filters, translated to a JavaScript RegExp. */
function compileRegex(pattern: string, fail: (detail: string) => never): RegExp {
  let body = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(body);
  if (leading) {
    const requested = leading[1] ?? '';
    if (requested.includes('U')) fail('unsupported regular expression flag U');
    flags = [...new Set(requested)].join('');
    body = body.slice(leading[0].length);
  }
  if (/\(\?[imsU-]+[:)]/.test(body)) fail('inline regular expression flags are only supported at the start');
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$');
  try {
    return new RegExp(body, flags);
  } catch (error: unknown) {
    return fail(`invalid regular expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}
