/**
 * The Cloud Monitoring filter language as ListTimeSeries reads it
 * (https://cloud.google.com/monitoring/api/v3/filters): restrictions `field = value`, `field != value`,
 * `field : value` (has substring) and `field = one_of(…) | starts_with(…) | ends_with(…) | has_substring(…) |
 * monitoring.regex.full_match(…)`, joined by AND, OR, NOT and parentheses, OR binding tighter than AND as in every
 * Google filter language (AIP-160). Fields: `project`, `metric.type`, `metric.label(s).NAME`, `resource.type`,
 * `resource.label(s).NAME`.
 *
 * As strict as the API: the filter must name exactly one metric type, with `metric.type = "…"` at its top level; an
 * unknown field, label, function or a syntax error is INVALID_ARGUMENT. Implicit AND by juxtaposition is refused.
 */
import { CLOUD_RUN_REVISION, METRICS, REVISION_RESOURCE_LABELS } from './metrics.js';

/** What a restriction is tested on: one series' identity. */
export interface SeriesIdentity {
  readonly project: string;
  readonly metricType: string;
  readonly metricLabels: Readonly<Record<string, string>>;
  readonly resourceType: string;
  readonly resourceLabels: Readonly<Record<string, string>>;
}

export type CompiledMonitoringFilter =
  | { readonly ok: true; readonly metricType: string; matches(series: SeriesIdentity): boolean }
  | { readonly ok: false; readonly error: string };

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'symbol'; readonly text: '(' | ')' | ',' | '=' | '!=' | ':' };

type Node =
  | { readonly kind: 'and' | 'or'; readonly children: readonly Node[] }
  | { readonly kind: 'not'; readonly child: Node }
  | {
      readonly kind: 'restriction';
      readonly field: Field;
      /** The value of `field = "value"`, the one form a metric type may be selected with. */
      readonly exact: string | undefined;
      readonly test: (value: string | undefined) => boolean;
    };

type Field =
  | { readonly kind: 'project' | 'metric.type' | 'resource.type' }
  | { readonly kind: 'metric.label' | 'resource.label'; readonly name: string };

class FilterError extends Error {}

const FUNCTIONS: Readonly<Record<string, (args: readonly string[]) => (value: string) => boolean>> = {
  one_of: (args) => (value) => args.includes(value),
  starts_with: (args) => (value) => value.startsWith(one(args)),
  ends_with: (args) => (value) => value.endsWith(one(args)),
  has_substring: (args) => (value) => value.includes(one(args)),
  'monitoring.regex.full_match': (args) => {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${one(args)})$`, 'u');
    } catch {
      throw new FilterError(`invalid regular expression ${JSON.stringify(args[0])}`);
    }
    return (value) => pattern.test(value);
  },
};

function one(args: readonly string[]): string {
  if (args.length !== 1 || args[0] === undefined) throw new FilterError('the function takes exactly one argument');
  return args[0];
}

/** Compiles a ListTimeSeries filter, or says why it is not valid. */
export function compileMonitoringFilter(filter: string): CompiledMonitoringFilter {
  try {
    const tokens = tokenize(filter);
    if (tokens.length === 0) throw new FilterError('the filter is empty; it must name a metric type');
    const parser = new Parser(tokens);
    const root = parser.parse();
    const metricType = singleMetricType(root);
    return { ok: true, metricType, matches: (series) => evaluate(root, series) };
  } catch (error: unknown) {
    if (error instanceof FilterError) return { ok: false, error: error.message };
    throw error;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at] ?? '';
    if (/\s/.test(char)) {
      at += 1;
    } else if (char === '"') {
      let value = '';
      at += 1;
      for (;;) {
        const next = text[at];
        if (next === undefined) throw new FilterError('unterminated string');
        at += 1;
        if (next === '"') break;
        if (next === '\\') {
          const escaped = text[at];
          if (escaped === undefined) throw new FilterError('unterminated string');
          value += escaped;
          at += 1;
        } else {
          value += next;
        }
      }
      tokens.push({ kind: 'string', text: value });
    } else if (text.startsWith('!=', at)) {
      tokens.push({ kind: 'symbol', text: '!=' });
      at += 2;
    } else if (char === '(' || char === ')' || char === ',' || char === '=' || char === ':') {
      tokens.push({ kind: 'symbol', text: char });
      at += 1;
    } else {
      const match = /^[A-Za-z0-9_.\-/]+/.exec(text.slice(at));
      if (!match) throw new FilterError(`unexpected character '${char}' at position ${at}`);
      tokens.push({ kind: 'word', text: match[0] });
      at += match[0].length;
    }
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Node {
    const node = this.conjunction();
    const rest = this.tokens[this.at];
    if (rest !== undefined) {
      throw new FilterError(`unexpected '${rest.text}': restrictions must be joined with AND or OR`);
    }
    return node;
  }

  private conjunction(): Node {
    const children = [this.disjunction()];
    while (this.keyword('AND')) children.push(this.disjunction());
    return children.length === 1 && children[0] ? children[0] : { kind: 'and', children };
  }

  private disjunction(): Node {
    const children = [this.unary()];
    while (this.keyword('OR')) children.push(this.unary());
    return children.length === 1 && children[0] ? children[0] : { kind: 'or', children };
  }

  private unary(): Node {
    if (this.keyword('NOT')) return { kind: 'not', child: this.unary() };
    if (this.symbol('(')) {
      const inner = this.conjunction();
      if (!this.symbol(')')) throw new FilterError("missing ')'");
      return inner;
    }
    return this.restriction();
  }

  private restriction(): Node {
    const token = this.tokens[this.at];
    if (token?.kind !== 'word')
      throw new FilterError(`expected a field, found ${token ? `'${token.text}'` : 'the end'}`);
    this.at += 1;
    const field = parseField(token.text);
    const operator = this.tokens[this.at];
    if (operator?.kind !== 'symbol' || !['=', '!=', ':'].includes(operator.text)) {
      throw new FilterError(`expected =, != or : after ${token.text}`);
    }
    this.at += 1;
    const literal = this.tokens[this.at];
    const after = this.tokens[this.at + 1];
    const isCall = literal?.kind === 'word' && after?.kind === 'symbol' && after.text === '(';
    const exact = operator.text === '=' && literal?.kind !== 'symbol' && !isCall ? literal?.text : undefined;
    return { kind: 'restriction', field, exact, test: this.value(operator.text) };
  }

  private value(operator: string): (value: string | undefined) => boolean {
    const token = this.tokens[this.at];
    if (token === undefined || token.kind === 'symbol') throw new FilterError(`expected a value after ${operator}`);
    this.at += 1;
    const next = this.tokens[this.at];
    if (token.kind === 'word' && next?.kind === 'symbol' && next.text === '(') {
      const make = FUNCTIONS[token.text];
      if (make === undefined) throw new FilterError(`unknown function ${token.text}`);
      if (operator !== '=') throw new FilterError(`${token.text}(…) goes with =`);
      this.at += 1;
      const args: string[] = [];
      while (!this.symbol(')')) {
        const arg = this.tokens[this.at];
        if (arg === undefined || arg.kind === 'symbol') throw new FilterError(`bad argument list of ${token.text}`);
        args.push(arg.text);
        this.at += 1;
        if (!this.symbol(',') && this.tokens[this.at]?.text !== ')') {
          throw new FilterError(`expected , or ) in ${token.text}(…)`);
        }
      }
      const test = make(args);
      return (value) => value !== undefined && test(value);
    }
    const expected = token.text;
    if (operator === '=') return (value) => value === expected;
    if (operator === '!=') return (value) => value !== expected;
    return (value) => value !== undefined && value.includes(expected);
  }

  private keyword(word: 'AND' | 'OR' | 'NOT'): boolean {
    return this.accept('word', word);
  }

  private symbol(text: '(' | ')' | ','): boolean {
    return this.accept('symbol', text);
  }

  /** Consumes the next token if it is `text` of `kind`. */
  private accept(kind: Token['kind'], text: string): boolean {
    const token = this.tokens[this.at];
    if (token?.kind !== kind || token.text !== text) return false;
    this.at += 1;
    return true;
  }
}

const KNOWN_METRIC_LABELS = new Set(Object.values(METRICS).flatMap((metric) => metric.labels));
const KNOWN_RESOURCE_LABELS = new Set<string>(REVISION_RESOURCE_LABELS);

function parseField(path: string): Field {
  if (path === 'project' || path === 'metric.type' || path === 'resource.type') return { kind: path };
  const match = /^(metric|resource)\.labels?\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(path);
  if (match?.[1] === undefined || match[2] === undefined) throw new FilterError(`unknown field ${path}`);
  const name = match[2];
  if (match[1] === 'metric') {
    if (!KNOWN_METRIC_LABELS.has(name)) throw new FilterError(`the metric has no label ${name}`);
    return { kind: 'metric.label', name };
  }
  if (!KNOWN_RESOURCE_LABELS.has(name))
    throw new FilterError(`the resource type ${CLOUD_RUN_REVISION} has no label ${name}`);
  return { kind: 'resource.label', name };
}

/** The one metric type the filter selects: `metric.type = "…"` among its top-level conjuncts, and nowhere else. */
function singleMetricType(root: Node): string {
  const conjuncts = root.kind === 'and' ? root.children : [root];
  let found: string | undefined;
  let total = 0;
  const visit = (node: Node): void => {
    if (node.kind === 'restriction') {
      if (node.field.kind === 'metric.type') total += 1;
    } else if (node.kind === 'not') visit(node.child);
    else node.children.forEach(visit);
  };
  visit(root);
  for (const node of conjuncts) {
    if (node.kind !== 'restriction' || node.field.kind !== 'metric.type' || node.exact === undefined) continue;
    if (METRICS[node.exact] === undefined) {
      throw new FilterError(
        'The metric referenced by the provided filter is unknown. Check the metric name and labels.',
      );
    }
    found = node.exact;
  }
  if (found === undefined || total !== 1) throw new FilterError('the filter must specify exactly one metric type');
  return found;
}

function evaluate(node: Node, series: SeriesIdentity): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => evaluate(child, series));
    case 'or':
      return node.children.some((child) => evaluate(child, series));
    case 'not':
      return !evaluate(node.child, series);
    case 'restriction':
      return node.test(fieldValue(node.field, series));
  }
}

function fieldValue(field: Field, series: SeriesIdentity): string | undefined {
  switch (field.kind) {
    case 'project':
      return series.project;
    case 'metric.type':
      return series.metricType;
    case 'resource.type':
      return series.resourceType;
    case 'metric.label':
      return series.metricLabels[field.name];
    case 'resource.label':
      return series.resourceLabels[field.name];
  }
}
