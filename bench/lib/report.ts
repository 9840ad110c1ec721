// Turning measurements into figures: medians, ratios, targets, and the Markdown tables.
import type { Alg, TargetKey } from './scenarios.ts';

export interface TargetFigures {
  /** Median over rounds of operations per second. */
  rate: number;
  /** Every round's rate, in round order. */
  rates: number[];
  p50: number;
  p99: number;
  ops: number;
  errors: number;
  firstError: string | null;
  /** Mean server CPU use during the rounds (1 = one core busy, as the guest sees it). */
  serverCpu: number;
  clientCpu: number;
  /** Mean CPU (in cores) that other processes on the machine used during the rounds. */
  foreignCpu: number;
  /** Median over rounds of this target's rate / the bare server's rate in the same round. */
  rateVsBare: number | null;
  /** Median over rounds of this target's rate / oidc-provider's rate in the same round. */
  rateVsOidc: number | null;
  p50VsBare: number | null;
  p50VsOidc: number | null;
  p99VsBare: number | null;
  p99VsOidc: number | null;
  /**
   * Share of the one-core signing ceiling that this rate's signatures alone take (rate × signatures
   * per op / ceiling), against jose in Bun for idp and jose in Node.js for oidc-provider.
   */
  ceilingShare: number | null;
}

export interface ScenarioFigures {
  id: string;
  title: string;
  unit: string;
  signature: { alg: Alg; perOp: number } | null;
  targets: Partial<Record<TargetKey, TargetFigures>>;
}

export interface MemoryFigures {
  idle: number | null;
  peakUnderLoad: number | null;
  afterLoad: number | null;
}

export interface StartupFigures {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export interface TargetCheck {
  target: string;
  goal: string;
  /** What was measured, per idp build. */
  values: Record<string, string>;
  met: boolean;
  /** A check that could not be made (a target server failed, say). */
  unknown?: boolean;
}

/** Signatures per second jose makes on one core, under Bun (idp) and Node.js (oidc-provider). */
export interface SignCeiling {
  bun: Record<Alg, number>;
  node: Record<Alg, number>;
}

export interface Results {
  meta: Record<string, unknown>;
  scenarios: ScenarioFigures[];
  memory: Partial<Record<TargetKey, MemoryFigures>>;
  startup: Partial<Record<TargetKey, StartupFigures>>;
  binaryBytes: number | null;
  signCeiling: SignCeiling | null;
  checks: TargetCheck[];
}

export const TARGET_LABELS: Record<TargetKey, string> = {
  bare: 'bare Bun.serve',
  src: 'idp (source)',
  bin: 'idp (binary)',
  oidc: 'oidc-provider',
};

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const mb = (bytes: number | null | undefined) => (bytes == null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

export function fmtRate(rate: number | undefined): string {
  if (rate === undefined || !Number.isFinite(rate)) return 'n/a';
  if (rate >= 10_000) return `${(rate / 1000).toFixed(1)}k`;
  if (rate >= 100) return rate.toFixed(0);
  return rate.toFixed(1);
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function fmtRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return ratio >= 10 ? `${ratio.toFixed(1)}×` : `${ratio.toFixed(2)}×`;
}

const pct = (share: number | null | undefined) => (share == null || !Number.isFinite(share) ? '–' : `${(share * 100).toFixed(0)}%`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function scenarioTable(results: Results): string {
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    for (const key of ['bare', 'src', 'bin', 'oidc'] as TargetKey[]) {
      const f = scenario.targets[key];
      if (!f) continue;
      rows.push([
        key === 'bare' ? `**${scenario.title}** (${scenario.unit})` : '',
        TARGET_LABELS[key],
        fmtRate(f.rate),
        fmtRatio(f.rateVsBare),
        fmtRatio(f.rateVsOidc),
        fmtMs(f.p50),
        fmtRatio(f.p50VsBare),
        fmtRatio(f.p50VsOidc),
        fmtMs(f.p99),
        fmtRatio(f.p99VsBare),
        fmtRatio(f.p99VsOidc),
        f.serverCpu.toFixed(2),
        f.foreignCpu.toFixed(2),
        f.errors === 0 ? '0' : `${f.errors} (${(f.firstError ?? '').slice(0, 60)})`,
      ]);
    }
  }
  return table(
    ['Scenario', 'Target', 'rate/s', '×bare', '×oidc', 'p50 ms', '×bare', '×oidc', 'p99 ms', '×bare', '×oidc', 'srv CPU', 'other CPU', 'errors'],
    rows,
  );
}

export function ceilingTable(results: Results): string {
  if (!results.signCeiling) return '(the signing ceiling was not measured)';
  const { bun, node } = results.signCeiling;
  const line = (c: Record<Alg, number>) => `RS256 ${fmtRate(c.RS256)}/s, ES256 ${fmtRate(c.ES256)}/s, EdDSA ${fmtRate(c.EdDSA)}/s`;
  const head = `jose on one core — in Bun (idp's runtime): **${line(bun)}**; in Node.js (oidc-provider's): **${line(node)}**.\n\n`;
  const rows = results.scenarios
    .filter((s) => s.signature)
    .map((s) => [
      s.title,
      `${s.signature!.perOp} ${s.signature!.alg}`,
      ...(['src', 'bin', 'oidc'] as TargetKey[]).map((k) => {
        const f = s.targets[k];
        return f ? `${fmtRate(f.rate)} (${pct(f.ceilingShare)})` : 'n/a';
      }),
    ]);
  return head + table(['Flow', 'signatures/op', 'idp (source)', 'idp (binary)', 'oidc-provider'], rows);
}

export function resourceTable(results: Results): string {
  const rows = (['src', 'bin', 'oidc', 'bare'] as TargetKey[]).map((key) => {
    const m = results.memory[key];
    const s = results.startup[key];
    return [
      TARGET_LABELS[key],
      mb(m?.idle),
      mb(m?.peakUnderLoad),
      mb(m?.afterLoad),
      s ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)}, n=${s.samples.length})` : 'n/a',
    ];
  });
  const table1 = table(['Target', 'idle RSS', 'peak RSS under load', 'RSS after load', 'start-up to first answer, median ms (min–max)'], rows);
  return `${table1}\n\nBinary size: ${results.binaryBytes === null ? 'n/a' : mb(results.binaryBytes)} (${results.binaryBytes ?? '?'} bytes).`;
}

export function checksTable(results: Results): string {
  const rows = results.checks.map((c) => [
    c.goal,
    Object.entries(c.values).map(([k, v]) => `${k} ${v}`).join(', '),
    c.unknown ? '? (not measured)' : c.met ? 'met' : '**not met**',
  ]);
  return table(['Target', 'measured', ''], rows).replace('| --- | --- | ---: |', '| --- | --- | --- |');
}

export function markdown(results: Results): string {
  const m = results.meta;
  return [
    `# idp benchmark — ${m.date}`,
    '',
    `Mode **${m.mode}**: ${m.rounds} rounds of ${m.durationMs} ms per target and scenario (after ${m.warmupMs} ms of warm-up), ` +
      `${m.connections} keep-alive connections, servers on core ${m.serverCore}, load generator on core ${m.loadCore}. ` +
      `${m.machine}. Bun ${m.bun}, Node.js ${m.node}, oidc-provider ${m.oidcProvider}. idp log level: ${m.logLevel}.`,
    '',
    'Ratios: **×bare** = this rate ÷ the bare server\'s in the same round (median over rounds); **×oidc** = this rate ÷ oidc-provider\'s. ' +
      'For latencies the ratio is this latency ÷ the other\'s (below 1 is faster). srv CPU = server CPU seconds per second during the rounds; ' +
      'other CPU = cores used meanwhile by processes that are not part of the benchmark (should be near 0).',
    '',
    ...(typeof m.foreignCpu === 'number' && m.foreignCpu > 0.15
      ? [`**Warning: other processes used ${m.foreignCpu.toFixed(2)} cores on average during the rounds; this run's figures are unreliable. Run it again on a quiet machine.**`, '']
      : []),
    '',
    '## Throughput and latency',
    '',
    scenarioTable(results),
    '',
    '## Memory, start-up, binary',
    '',
    resourceTable(results),
    '',
    '## Signing ceiling',
    '',
    ceilingTable(results),
    '',
    'The percentage is the share of one core\'s signing capacity (jose in Bun for idp, in Node.js for oidc-provider) that the flow\'s signatures alone take at the measured rate.',
    '',
    '## Targets',
    '',
    checksTable(results),
    '',
    ...(Array.isArray(m.notes) ? ['## Notes', '', ...(m.notes as string[]).map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
