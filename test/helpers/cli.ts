// Runs the idp CLI (from source or a built binary) as a child process: exit code, stdout, stderr;
// owns the temp dirs and servers a test file creates and removes them after its tests.
import { afterAll, expect } from 'bun:test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dir, '../..');

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** IDP_* (or other) variables for the child; the parent's IDP_* variables are never passed on. */
  env?: Record<string, string>;
  /** Defaults to the repository root. */
  cwd?: string;
  /** The child is killed after this long, so a hanging command fails the test instead of blocking it. */
  timeoutMs?: number;
  /** Piped to the child's stdin (still not a terminal); stdin is empty when left out. */
  stdin?: string;
}

/** The parent's environment without any IDP_* variable, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('IDP_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs any command to completion (stdin is not a terminal). */
export async function runCommand(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = Bun.spawn(argv, {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdin: options.stdin === undefined ? 'ignore' : new TextEncoder().encode(options.stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (timedOut) throw new Error(`${argv.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** The CLI from source: `bun cli/main.ts ...args` in the repository root. */
export function idpCommand(...args: string[]): string[] {
  return [process.execPath, 'cli/main.ts', ...args];
}

export function runIdp(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(idpCommand(...args), options);
}

/** Builds the single binary (`bun build.ts --outfile DIR/idp`) and returns its path; throws with the build's output if it fails. */
export async function buildBinary(dir: string): Promise<string> {
  const binary = join(dir, 'idp');
  const built = await runCommand([process.execPath, 'build.ts', '--outfile', binary], { timeoutMs: 120_000 });
  if (built.exitCode !== 0 || !existsSync(binary)) throw new Error(`bun build.ts failed: ${built.stderr}${built.stdout}`);
  return binary;
}

/** Arguments of `idp serve` on loopback; port 0 lets the server pick a free port. */
export function serveArgs(dataDir: string, port = 0, extra: string[] = []): string[] {
  return ['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), ...extra];
}

/**
 * SPEC: a user mistake is one clear sentence on stderr, a non-zero exit code and no stack trace.
 * Returns the sentence so the caller can check what it names.
 */
export function expectCleanFailure(result: RunResult): string {
  expect(result.exitCode).not.toBe(0);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

/** Asserts success and returns stdout parsed as one JSON document (the whole of stdout). */
export function expectJson(result: RunResult): unknown {
  if (result.exitCode !== 0) throw new Error(`exit code ${result.exitCode}; stderr: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`expected a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

export function asStringArray(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new Error(`expected an array of strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A signing key as `idp keys ... --json` prints it. */
export interface KeyJson {
  kid: string;
  alg: string;
  state: string;
  published_at: string;
  activates_at: string;
  superseded_at: string | null;
  retired_at: string | null;
}

export function asKey(value: unknown): KeyJson {
  const key = asRecord(value);
  const { kid, alg, state, published_at, activates_at, superseded_at, retired_at } = key;
  const timeOrNull = (time: unknown): time is string | null => time === null || typeof time === 'string';
  if (
    typeof kid !== 'string' ||
    typeof alg !== 'string' ||
    typeof state !== 'string' ||
    typeof published_at !== 'string' ||
    typeof activates_at !== 'string' ||
    !timeOrNull(superseded_at) ||
    !timeOrNull(retired_at)
  ) {
    throw new Error(`not a signing key: ${JSON.stringify(value)}`);
  }
  return { kid, alg, state, published_at, activates_at, superseded_at, retired_at };
}

export function asKeys(value: unknown): KeyJson[] {
  if (!Array.isArray(value)) throw new Error(`expected an array of keys, got ${JSON.stringify(value)}`);
  return value.map(asKey);
}

export async function listKeys(dataDir: string): Promise<KeyJson[]> {
  return asKeys(expectJson(await runIdp(['keys', 'list', '--json', '--data-dir', dataDir])));
}

export async function rotateKey(dataDir: string, args: string[] = [], options: RunOptions = {}): Promise<KeyJson> {
  return asKey(expectJson(await runIdp(['keys', 'rotate', '--json', '--data-dir', dataDir, ...args], options)));
}

/** GET a JSON document from a loopback server, with a timeout. */
export async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const body: unknown = await response.json();
  return body;
}

/** The keys of the JWK Set at `url`. */
export async function fetchJwks(url: string): Promise<Record<string, unknown>[]> {
  const jwks = asRecord(await fetchJson(url));
  if (!Array.isArray(jwks.keys)) throw new Error(`${url} has no keys array`);
  return jwks.keys.map(asRecord);
}

/** Waits (bounded) until the JWK Set at `url` publishes `kid`; returns the published kids. */
export function waitForPublishedKid(url: string, kid: string, timeoutMs = 3_000): Promise<unknown[]> {
  return eventually(
    `kid ${kid} in ${url}`,
    async () => {
      const kids = (await fetchJwks(url)).map((key) => key.kid);
      return kids.includes(kid) ? kids : undefined;
    },
    timeoutMs,
  );
}

/** Polls `probe` until it returns a value, failing after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await Bun.sleep(100);
  }
}

/** Waits until the wall clock has just entered a new second (key times are whole seconds). */
export async function waitForNextSecond(): Promise<void> {
  await Bun.sleep(1_000 - (Date.now() % 1_000) + 20);
}

/** A free loopback port right now (for commands that must know the port before they start). */
export function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
}

export interface RunningServer {
  /** The URL from the first stdout line, `idp <version> listening on http(s)://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** The child's process id, for signals other than the SIGTERM of stop() (SIGHUP reloads TLS files). */
  pid: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code; SIGKILL and an error if it does not exit within 10 s. */
  stop(): Promise<number>;
}

function collect(stream: ReadableStream<Uint8Array>): { text: () => string; done: Promise<void> } {
  let text = '';
  const decoder = new TextDecoder();
  const done = (async () => {
    const reader = stream.getReader();
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  })().catch(() => {});
  return { text: () => text, done };
}

async function startServer(argv: string[], options: RunOptions): Promise<RunningServer> {
  const child = Bun.spawn(argv, {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  let stopping: Promise<number> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => undefined)]);
      if (code === undefined) {
        child.kill('SIGKILL');
        await child.exited;
        throw new Error(`${argv.join(' ')} did not exit within 10 s of SIGTERM`);
      }
      await Promise.all([stdout.done, stderr.done]);
      return code;
    })());

  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    const text = stdout.text();
    const newline = text.indexOf('\n');
    if (newline >= 0) {
      const first = text.slice(0, newline);
      const match = /^idp \S+ listening on (https?:\/\/127\.0\.0\.1:(\d+))$/.exec(first);
      if (!match?.[1] || !match[2]) {
        await stop().catch(() => {});
        throw new Error(`unexpected first line from ${argv.join(' ')}: ${first}`);
      }
      return { url: match[1], port: Number(match[2]), pid: child.pid, stdout: stdout.text, stderr: stderr.text, stop };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await Promise.all([stdout.done, stderr.done]);
      throw new Error(`${argv.join(' ')} exited with ${child.exitCode ?? child.signalCode}: ${stderr.text()}`);
    }
    if (Date.now() > deadline) {
      await stop().catch(() => {});
      throw new Error(`${argv.join(' ')} did not print its URL in time; stderr: ${stderr.text()}`);
    }
    await Bun.sleep(25);
  }
}

export interface Sandbox {
  /** A fresh empty directory under the OS temp dir. */
  tempDir(): Promise<string>;
  /** A data dir path that does not exist yet (its parent is a fresh temp dir). */
  dataDir(): Promise<string>;
  /** A data dir set up by `idp init --yes ...args`. */
  initDataDir(args?: string[]): Promise<string>;
  /** Starts `idp serve` from source on 127.0.0.1. */
  serve(dataDir: string, options?: RunOptions & { port?: number; args?: string[] }): Promise<RunningServer>;
  /** Starts any command that prints the serve banner (the built binary). */
  spawnServer(argv: string[], options?: RunOptions): Promise<RunningServer>;
}

/** Call once per test file: everything it creates is stopped and removed after the file's tests. */
export function useSandbox(): Sandbox {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop().catch(() => {})));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idp-test-'));
    dirs.push(dir);
    return dir;
  };
  const dataDir = async () => join(await tempDir(), 'data');
  const spawnServer = async (argv: string[], options: RunOptions = {}) => {
    const server = await startServer(argv, options);
    servers.push(server);
    return server;
  };
  return {
    tempDir,
    dataDir,
    async initDataDir(args = []) {
      const dir = await dataDir();
      expectJson(await runIdp(['init', '--yes', '--json', '--data-dir', dir, ...args]));
      return dir;
    },
    serve: (dir, options = {}) => spawnServer(idpCommand(...serveArgs(dir, options.port, options.args)), options),
    spawnServer,
  };
}
