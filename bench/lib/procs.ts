// Child processes of the benchmark: started pinned to a core, tracked, and always ended on exit,
// error or Ctrl-C. Also /proc readings (RSS, CPU time) and small helpers (free ports, waiting).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Subprocess } from 'bun';

const children = new Set<Subprocess>();
const exitHooks: (() => void)[] = [];
let cleanupInstalled = false;

/** A synchronous clean-up (removing a temp dir) that also runs on Ctrl-C and on exit. */
export function onExit(hook: () => void): void {
  installCleanup();
  exitHooks.push(hook);
}

export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

export interface StartOptions {
  /** The command, without taskset; it is prefixed with `taskset -c SERVER_CORE` when `core` is set. */
  cmd: string[];
  core?: string | null;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Where the child's stdout/stderr go: "ignore" (default), "inherit", or `{ file: PATH }`. */
  stdout?: 'ignore' | 'inherit' | { file: string };
  stderr?: 'ignore' | 'inherit' | { file: string };
}

/** Starts a tracked child. `taskset` execs the command, so the pid is the command's own. */
export function start(options: StartOptions): Subprocess {
  installCleanup();
  const cmd = options.core ? ['taskset', '-c', options.core, ...options.cmd] : options.cmd;
  const child = Bun.spawn(cmd, {
    cwd: options.cwd,
    env: cleanEnv(options.env ?? {}),
    stdin: 'ignore',
    stdout: output(options.stdout),
    stderr: output(options.stderr),
  });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

function output(where: StartOptions['stdout']): 'ignore' | 'inherit' | ReturnType<typeof Bun.file> {
  if (where === undefined || where === 'ignore') return 'ignore';
  if (where === 'inherit') return 'inherit';
  return Bun.file(where.file);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stop(child: Subprocess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  children.delete(child);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)));
}

function killAllNow(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const hook of exitHooks.splice(0)) {
    try {
      hook();
    } catch {
      // best effort
    }
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started\n`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** The environment for a child: ours without any IDP_* variable, plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('IDP_')) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Pins this process (every thread) to one core, so the load generator never competes with the server. */
export function pinSelf(core: string): boolean {
  const result = Bun.spawnSync(['taskset', '-a', '-c', '-p', core, String(process.pid)], { stdout: 'ignore', stderr: 'pipe' });
  return result.exitCode === 0;
}

export function allowedCpus(pid: number | 'self' = 'self'): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?';
}

/** Resident set size in bytes (VmRSS of /proc/PID/status), or null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s*(\d+)\s*kB/.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the process has used so far, all threads. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq, steal), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `url` until it answers 200; returns the milliseconds from `since` to that answer.
 * Bounded: gives up after `timeoutMs` or when `child` exits.
 */
export async function waitForHttp(url: string, since: number, timeoutMs: number, child?: Subprocess): Promise<number> {
  const deadline = since + timeoutMs;
  let lastError = '';
  while (performance.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the process exited (code ${child.exitCode}) before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - since;
      lastError = `status ${response.status}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(2);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError})`);
}

/** Runs a command to completion (not pinned); throws with its stderr on failure. */
export async function run(cmd: string[], options: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {}): Promise<string> {
  const child = Bun.spawn(cmd, {
    cwd: options.cwd,
    env: cleanEnv(options.env ?? {}),
    stdin: options.stdin === undefined ? 'ignore' : new Blob([options.stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  children.add(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  children.delete(child);
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  return stdout;
}
