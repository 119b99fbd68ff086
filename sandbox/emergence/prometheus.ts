/**
 * A small metrics registry whose text output matches Python's prometheus_client
 * `generate_latest()` byte for byte: HELP/TYPE once per family, labels sorted by name,
 * floats as `1.0`, `_created` series moved into their own gauge family after each counter or
 * histogram, `le="+Inf"` buckets. prom-client differs on all of these, hence this file.
 */
import { goFloatString } from './python-format.js';

/** Content types prometheus_client has sent: 0.0.4 until 0.21, `version=1.0.0` since. */
export const PROMETHEUS_CONTENT_TYPES = {
  '0.0.4': 'text/plain; version=0.0.4; charset=utf-8',
  '1.0.0': 'text/plain; version=1.0.0; charset=utf-8',
} as const satisfies Record<string, string>;

export type ExpositionVersion = keyof typeof PROMETHEUS_CONTENT_TYPES;

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One family as a collector reports it; counters are named without `_total`, as in Python. */
export interface MetricFamily {
  readonly name: string;
  readonly documentation: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'info' | 'untyped';
  readonly samples: readonly Sample[];
}

export interface Collector {
  collect(): MetricFamily[];
}

/** Seconds since the epoch, as Python's `time.time()`. */
export type SecondsClock = () => number;

type LabelSet = Readonly<Record<string, string>>;

/** A labelled metric's children, in creation order (Python keeps dict insertion order). */
abstract class Metric<Child> implements Collector {
  readonly #children = new Map<string, { values: readonly string[]; child: Child }>();

  protected constructor(
    readonly name: string,
    readonly documentation: string,
    readonly labelNames: readonly string[],
    protected readonly now: SecondsClock,
  ) {}

  /** Subclasses call this last: an unlabelled metric is exported (at 0) from its declaration. */
  protected declared(): void {
    if (this.labelNames.length === 0) this.child({});
  }

  protected child(labels: LabelSet): Child {
    const values = this.labelNames.map((labelName) => {
      const value = labels[labelName];
      if (value === undefined) throw new Error(`${this.name}: missing label ${labelName}`);
      return value;
    });
    if (Object.keys(labels).length !== this.labelNames.length) throw new Error(`${this.name}: unexpected labels`);
    const key = JSON.stringify(values);
    let entry = this.#children.get(key);
    if (entry === undefined) {
      entry = { values, child: this.createChild() };
      this.#children.set(key, entry);
    }
    return entry.child;
  }

  protected eachChild(): { labels: Record<string, string>; child: Child }[] {
    return [...this.#children.values()].map(({ values, child }) => ({
      labels: Object.fromEntries(this.labelNames.map((labelName, i) => [labelName, values[i] ?? ''])),
      child,
    }));
  }

  protected abstract createChild(): Child;
  abstract collect(): MetricFamily[];
}

interface CounterChild {
  value: number;
  readonly created: number;
}

export class Counter extends Metric<CounterChild> {
  constructor(name: string, documentation: string, labelNames: readonly string[], now: SecondsClock) {
    // prometheus_client strips `_total` from a counter's name and adds it back to the sample.
    super(name.replace(/_total$/, ''), documentation, labelNames, now);
    this.declared();
  }

  inc(labels: LabelSet = {}, amount = 1): void {
    if (amount < 0) throw new Error('Counters can only be incremented by non-negative amounts.');
    this.child(labels).value += amount;
  }

  get(labels: LabelSet = {}): number {
    return this.child(labels).value;
  }

  protected createChild(): CounterChild {
    return { value: 0, created: this.now() };
  }

  collect(): MetricFamily[] {
    const samples = this.eachChild().flatMap(({ labels, child }) => [
      { name: `${this.name}_total`, labels, value: child.value },
      { name: `${this.name}_created`, labels, value: child.created },
    ]);
    return [{ name: this.name, documentation: this.documentation, type: 'counter', samples }];
  }
}

export class Gauge extends Metric<{ value: number }> {
  constructor(name: string, documentation: string, labelNames: readonly string[], now: SecondsClock) {
    super(name, documentation, labelNames, now);
    this.declared();
  }

  set(value: number, labels: LabelSet = {}): void {
    this.child(labels).value = value;
  }

  get(labels: LabelSet = {}): number {
    return this.child(labels).value;
  }

  protected createChild(): { value: number } {
    return { value: 0 };
  }

  collect(): MetricFamily[] {
    const samples = this.eachChild().map(({ labels, child }) => ({ name: this.name, labels, value: child.value }));
    return [{ name: this.name, documentation: this.documentation, type: 'gauge', samples }];
  }
}

interface HistogramChild {
  readonly buckets: number[];
  sum: number;
  readonly created: number;
}

export class Histogram extends Metric<HistogramChild> {
  readonly upperBounds: readonly number[];

  constructor(
    name: string,
    documentation: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    now: SecondsClock,
  ) {
    super(name, documentation, labelNames, now);
    const bounds = [...buckets];
    if (bounds[bounds.length - 1] !== Infinity) bounds.push(Infinity);
    this.upperBounds = bounds;
    this.declared();
  }

  observe(value: number, labels: LabelSet = {}): void {
    const child = this.child(labels);
    child.sum += value;
    const index = this.upperBounds.findIndex((bound) => value <= bound);
    const bucket = index === -1 ? this.upperBounds.length - 1 : index;
    child.buckets[bucket] = (child.buckets[bucket] ?? 0) + 1;
  }

  protected createChild(): HistogramChild {
    return { buckets: this.upperBounds.map(() => 0), sum: 0, created: this.now() };
  }

  collect(): MetricFamily[] {
    const samples = this.eachChild().flatMap(({ labels, child }) => {
      let cumulative = 0;
      const buckets = this.upperBounds.map((bound, i) => {
        cumulative += child.buckets[i] ?? 0;
        return { name: `${this.name}_bucket`, labels: { ...labels, le: goFloatString(bound) }, value: cumulative };
      });
      return [
        ...buckets,
        { name: `${this.name}_count`, labels, value: cumulative },
        { name: `${this.name}_sum`, labels, value: child.sum },
        { name: `${this.name}_created`, labels, value: child.created },
      ];
    });
    return [{ name: this.name, documentation: this.documentation, type: 'histogram', samples }];
  }
}

/** prometheus_client's Info: one `<name>_info` sample at 1.0 carrying the labels. */
export class Info implements Collector {
  #labels: Record<string, string> = {};

  constructor(
    readonly name: string,
    readonly documentation: string,
  ) {}

  info(labels: Record<string, string>): void {
    this.#labels = { ...labels };
  }

  collect(): MetricFamily[] {
    return [
      {
        name: this.name,
        documentation: this.documentation,
        type: 'info',
        samples: [{ name: `${this.name}_info`, labels: this.#labels, value: 1 }],
      },
    ];
  }
}

/** Collectors in registration order, rendered like `generate_latest(REGISTRY)`. */
export class Registry {
  readonly #collectors: Collector[] = [];

  register<C extends Collector>(collector: C): C {
    this.#collectors.push(collector);
    return collector;
  }

  collect(): MetricFamily[] {
    return this.#collectors.flatMap((collector) => collector.collect());
  }

  render(): string {
    return renderPrometheusText(this.collect());
  }
}

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (text: string): string =>
  text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function sampleLine(sample: Sample): string {
  const labels = Object.entries(sample.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  const labelText = labels.length > 0 ? `{${labels.join(',')}}` : '';
  return `${sample.name}${labelText} ${goFloatString(sample.value)}\n`;
}

/** The text exposition format exactly as prometheus_client's `generate_latest` writes it. */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const output: string[] = [];
  for (const family of families) {
    let exposedName = family.name;
    let exposedType: string = family.type;
    if (family.type === 'counter') exposedName = `${family.name}_total`;
    if (family.type === 'info') {
      exposedName = `${family.name}_info`;
      exposedType = 'gauge';
    }
    output.push(`# HELP ${exposedName} ${escapeHelp(family.documentation)}\n`);
    output.push(`# TYPE ${exposedName} ${exposedType}\n`);
    const created: string[] = [];
    for (const sample of family.samples) {
      if (sample.name === `${family.name}_created`) created.push(sampleLine(sample));
      else output.push(sampleLine(sample));
    }
    if (created.length > 0) {
      output.push(`# HELP ${family.name}_created ${escapeHelp(family.documentation)}\n`);
      output.push(`# TYPE ${family.name}_created gauge\n`);
      output.push(...created);
    }
  }
  return output.join('');
}
