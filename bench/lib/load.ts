// The load generator: N keep-alive connections, each running one operation after another (an
// operation is one request, or a short sequence such as authorize → token) for a fixed time.
import { cpuSeconds, machineBusySeconds, rssBytes } from './procs.ts';
import { HttpConnection } from './http_client.ts';

/** One operation on one connection; resolves to null on success or a short error text. */
export type Step<S> = (connection: HttpConnection, state: S) => Promise<string | null>;

export interface LoadOptions<S> {
  host: string;
  port: number;
  connections: number;
  durationMs: number;
  /** Per connection state (a refresh token chain, a PKCE pair pool index, …). */
  states: S[];
  step: Step<S>;
  /** Server pid, for CPU% and RSS sampling during the run. */
  serverPid?: number;
  /** Safety bound on operations per connection. */
  maxOpsPerConnection?: number;
}

export interface LoadResult {
  ops: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  /** Latency of every successful operation, ms. */
  latencies: Float64Array;
  /** Server CPU time used during the window / wall time (1.0 = one core busy). */
  serverCpu: number;
  /** Load generator CPU time used during the window / wall time. */
  clientCpu: number;
  /**
   * CPU used by everything else on the machine during the window, in cores: the machine's busy time
   * minus the server's and the load generator's. Near 0 on a quiet machine; other work running
   * meanwhile (a test suite, a build) makes every figure of the window unreliable.
   */
  foreignCpu: number;
  peakRss: number | null;
}

export async function runLoad<S>(options: LoadOptions<S>): Promise<LoadResult> {
  const { connections: count, durationMs, states, step } = options;
  const maxOps = options.maxOpsPerConnection ?? 5_000_000;
  const connections = await Promise.all(Array.from({ length: count }, () => HttpConnection.open(options.host, options.port)));
  const latencies: number[][] = connections.map(() => []);
  let ops = 0;
  let errors = 0;
  let firstError: string | null = null;
  let peakRss: number | null = null;
  const sampleRss = () => {
    if (options.serverPid === undefined) return;
    const rss = rssBytes(options.serverPid);
    if (rss !== null && (peakRss === null || rss > peakRss)) peakRss = rss;
  };
  const sampler = setInterval(sampleRss, 100);
  const cpuBefore = options.serverPid === undefined ? 0 : cpuSeconds(options.serverPid);
  const clientBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const deadline = started + durationMs;

  await Promise.all(
    connections.map(async (connection, index) => {
      const state = states[index % states.length]!;
      const mine = latencies[index]!;
      for (let n = 0; n < maxOps; n++) {
        const t0 = performance.now();
        if (t0 >= deadline) break;
        let error: string | null;
        try {
          error = await step(connection, state);
        } catch (thrown) {
          error = (thrown as Error).message;
        }
        const t1 = performance.now();
        if (error === null) {
          ops++;
          mine.push(t1 - t0);
        } else {
          errors++;
          firstError ??= error;
          // Do not spin on a broken target.
          if (errors > 1000 && errors > ops) break;
        }
      }
    }),
  );

  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sampleRss();
  const serverCpu = options.serverPid === undefined ? 0 : (cpuSeconds(options.serverPid) - cpuBefore) / seconds;
  const clientUsage = process.cpuUsage(clientBefore);
  const machine = (machineBusySeconds() - machineBefore) / seconds;
  for (const connection of connections) connection.close();
  const all = new Float64Array(latencies.reduce((sum, list) => sum + list.length, 0));
  let at = 0;
  for (const list of latencies) {
    all.set(list, at);
    at += list.length;
  }
  return {
    ops,
    errors,
    firstError,
    seconds,
    latencies: all,
    serverCpu,
    clientCpu: (clientUsage.user + clientUsage.system) / 1e6 / seconds,
    foreignCpu: Math.max(0, machine - serverCpu - (clientUsage.user + clientUsage.system) / 1e6 / seconds),
    peakRss,
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}
