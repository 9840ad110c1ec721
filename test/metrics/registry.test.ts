// The Prometheus text exposition format (0.0.4): HELP/TYPE lines, label escaping, cumulative
// histogram buckets with +Inf, _sum and _count, and scrape-time values.
import { describe, expect, it } from 'bun:test';
import { Collected, Counter, Histogram, InfoGauge, Registry } from '../../src/metrics/registry.ts';

describe('Prometheus text format 0.0.4', () => {
  it('renders a counter per label set, with HELP and TYPE, ending in a newline', async () => {
    const registry = new Registry();
    const counter = registry.register(new Counter('demo_total', 'Demo things.', ['kind']));
    counter.inc({ kind: 'a' });
    counter.inc({ kind: 'a' }, 2);
    counter.inc({ kind: 'b' });
    expect(await registry.render()).toBe(
      ['# HELP demo_total Demo things.', '# TYPE demo_total counter', 'demo_total{kind="a"} 3', 'demo_total{kind="b"} 1', ''].join('\n'),
    );
    expect(counter.value({ kind: 'a' })).toBe(3);
    expect(counter.value({ kind: 'never' })).toBe(0);
    // Reading a value creates no series.
    expect(await registry.render()).not.toContain('never');
  });

  it('escapes backslash, double quote and newline in label values, and backslash and newline in HELP', async () => {
    const registry = new Registry();
    registry.register(new Counter('esc_total', 'Line one\nback\\slash', ['v'])).inc({ v: 'a"b\\c\nd' });
    const text = await registry.render();
    expect(text).toContain('# HELP esc_total Line one\\nback\\\\slash\n');
    expect(text).toContain('esc_total{v="a\\"b\\\\c\\nd"} 1\n');
  });

  it('refuses a counter decrease, invalid names and the reserved le label', () => {
    expect(() => new Counter('x_total', 'x').inc({}, -1)).toThrow('only go up');
    expect(() => new Counter('bad-name', 'x')).toThrow('invalid metric name');
    expect(() => new Counter('x_total', 'x', ['le'])).toThrow('invalid label name');
    const registry = new Registry();
    registry.register(new Counter('twice_total', 'x'));
    expect(() => registry.register(new Counter('twice_total', 'x'))).toThrow('registered twice');
  });

  it('renders a histogram with cumulative buckets, +Inf, _sum and _count', async () => {
    const registry = new Registry();
    const histogram = registry.register(new Histogram('latency_seconds', 'Latency.', ['route'], [0.1, 0.5, 1]));
    for (const value of [0.05, 0.1, 0.3, 2]) histogram.observe({ route: '/token' }, value);
    expect(await registry.render()).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/token",le="0.1"} 2',
        'latency_seconds_bucket{route="/token",le="0.5"} 3',
        'latency_seconds_bucket{route="/token",le="1"} 3',
        'latency_seconds_bucket{route="/token",le="+Inf"} 4',
        'latency_seconds_sum{route="/token"} 2.45',
        'latency_seconds_count{route="/token"} 4',
        '',
      ].join('\n'),
    );
  });

  it('reads collected values at scrape time and leaves out a sample whose source failed', async () => {
    let value: number | null = 1;
    const registry = new Registry();
    registry.register(new Collected('things', 'Things now.', 'gauge', () => value));
    registry.register(new Collected('work_seconds_total', 'Work.', 'counter', async () => 2.5));
    registry.register(new InfoGauge('demo_build_info', 'Build.', { version: '1.2.3' }));
    expect(await registry.render()).toContain('# TYPE things gauge\nthings 1\n');
    value = 7;
    expect(await registry.render()).toContain('\nthings 7\n');
    value = null;
    const text = await registry.render();
    expect(text).toContain('# TYPE things gauge\n# HELP work_seconds_total');
    expect(text).toContain('# TYPE work_seconds_total counter\nwork_seconds_total 2.5\n');
    expect(text).toContain('demo_build_info{version="1.2.3"} 1\n');
  });
});
