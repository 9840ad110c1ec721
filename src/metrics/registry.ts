// A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
// fixed label names, plus gauges collected at scrape time. No dependency; label values are escaped.

export type Labels<Name extends string> = Readonly<Record<Name, string>>;

interface Metric {
  readonly name: string;
  /** The `# HELP`, `# TYPE` and sample lines, without a trailing newline. */
  render(): Promise<string> | string;
}

/** Prometheus text format §"Comments, help text, and type information": \ and newline in HELP. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

/** Label values escape \, " and newline. */
function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((name, index) => `${name}="${escapeLabelValue(values[index] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Go's strconv-style number text that Prometheus parses: +Inf, -Inf, NaN, else the shortest decimal. */
function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkNames(name: string, labelNames: readonly string[]): void {
  if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__') || label === 'le') throw new Error(`invalid label name ${label} of ${name}`);
  }
}

/** Series of one metric, keyed by their label values in label-name order. */
class Series<T> {
  private readonly byKey = new Map<string, { values: string[]; state: T }>();
  constructor(
    private readonly labelNames: readonly string[],
    private readonly initial: () => T,
  ) {}

  get(labels: Readonly<Record<string, string>>): T {
    const values = this.labelNames.map((name) => labels[name] ?? '');
    const key = JSON.stringify(values);
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { values, state: this.initial() };
      this.byKey.set(key, entry);
    }
    return entry.state;
  }

  /** The state of one series without creating it. */
  peek(labels: Readonly<Record<string, string>>): T | undefined {
    return this.byKey.get(JSON.stringify(this.labelNames.map((name) => labels[name] ?? '')))?.state;
  }

  entries(): { values: string[]; state: T }[] {
    return [...this.byKey.values()];
  }
}

export class Counter<Name extends string = never> implements Metric {
  private readonly series: Series<{ value: number }>;
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly Name[] = [],
  ) {
    checkNames(name, labelNames);
    this.series = new Series(labelNames, () => ({ value: 0 }));
  }

  inc(labels: Labels<Name>, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} can only go up`);
    this.series.get(labels).value += by;
  }

  /** The current value of one series (0 when never incremented). */
  value(labels: Labels<Name>): number {
    return this.series.peek(labels)?.value ?? 0;
  }

  render(): string {
    const lines = [header(this.name, this.help, 'counter')];
    for (const { values, state } of this.series.entries()) {
      lines.push(`${this.name}${labelText(this.labelNames, values)} ${numberText(state.value)}`);
    }
    return lines.join('\n');
  }
}

export class Histogram<Name extends string = never> implements Metric {
  private readonly series: Series<{ counts: number[]; sum: number; count: number }>;
  private readonly buckets: readonly number[];
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labelNames: readonly Name[],
    buckets: readonly number[],
  ) {
    checkNames(name, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
    this.series = new Series(labelNames, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
  }

  observe(labels: Labels<Name>, value: number): void {
    const state = this.series.get(labels);
    // Each bucket counts observations ≤ its bound; the buckets are cumulative when rendered.
    const index = this.buckets.findIndex((bound) => value <= bound);
    if (index >= 0) state.counts[index] = (state.counts[index] ?? 0) + 1;
    state.sum += value;
    state.count += 1;
  }

  render(): string {
    const lines = [header(this.name, this.help, 'histogram')];
    for (const { values, state } of this.series.entries()) {
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += state.counts[index] ?? 0;
        lines.push(`${this.name}_bucket${labelText(this.labelNames, values, ['le', numberText(bound)])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${state.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, values)} ${numberText(state.sum)}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, values)} ${state.count}`);
    }
    return lines.join('\n');
  }
}

/**
 * A value read when scraped (memory, CPU time, a cached database count): a gauge, or a counter kept
 * elsewhere. A collector that answers null (its source is down) leaves the sample out.
 */
export class Collected implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'gauge' | 'counter',
    private readonly collect: () => Promise<number | null> | number | null,
  ) {
    checkNames(name, []);
  }

  async render(): Promise<string> {
    const value = await this.collect();
    const head = header(this.name, this.help, this.type);
    return value === null ? head : `${head}\n${this.name} ${numberText(value)}`;
  }
}

/** A gauge of constant labels and value 1, such as build information. */
export class InfoGauge<Name extends string> implements Metric {
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly labels: Labels<Name>,
  ) {
    checkNames(name, Object.keys(labels));
  }

  render(): string {
    const names = Object.keys(this.labels) as Name[];
    return `${header(this.name, this.help, 'gauge')}\n${this.name}${labelText(names, names.map((name) => this.labels[name]))} 1`;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  register<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  /** The whole exposition, one metric family after another, ending with a newline. */
  async render(): Promise<string> {
    const families = await Promise.all([...this.metrics.values()].map((metric) => metric.render()));
    return `${families.join('\n')}\n`;
  }
}

/** Content-Type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
