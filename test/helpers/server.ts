// A real idp server in this process: a fresh temp data dir (SQLite file, sealed keys, secret file)
// initialised like `idp serve` does, listening on 127.0.0.1 with an issuer that names its port.
// Users and clients are added through the domain functions, as the CLI adds them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import { type ClientInput, type ClientWithSecret, createClient } from '../../src/clients/clients.ts';
import type { SettingKey, SigningAlg } from '../../src/config/schema.ts';
import { initialiseInstallation } from '../../src/installation.ts';
import { createLogger } from '../../src/log.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import type { Store, UserRecord } from '../../src/store/store.ts';
import { createUser, type UserFields } from '../../src/users/users.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface ServerOptions {
  /** The algorithm of the installation's default signing key (RS256 keys always exist too). */
  signingAlg?: SigningAlg;
  /** Other settings, given as flags (they win over any IDP_* variable of this process). */
  settings?: Partial<Record<SettingKey, string | number | boolean>>;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT`, the configured issuer and the address actually bound. */
  issuer: string;
  port: number;
  dataDir: string;
  store: Store;
  clock: Clock;
  /** Log lines the server wrote (warn and above), for failure messages. */
  logLines: string[];
  addUser(username?: string, fields?: UserFields & { password?: string }): Promise<UserRecord>;
  addClient(input?: ClientInput): Promise<ClientWithSecret & { clientId: string }>;
  /** Stops the server, closes the store and removes the data dir; safe to call twice. */
  stop(): Promise<void>;
}

/** A loopback port that was free a moment ago. */
export function freeLoopbackPort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const root = await mkdtemp(join(tmpdir(), 'idp-e2e-'));
  const dataDir = join(root, 'data');
  const logLines: string[] = [];
  const log = createLogger('warn', (line) => logLines.push(line));
  try {
    // The port is chosen before the server starts because the issuer must name it; another process
    // may take it in between, so a taken port is retried with a fresh one (first start only).
    for (let attempt = 1; ; attempt++) {
      const port = freeLoopbackPort();
      const issuer = `http://127.0.0.1:${port}`;
      const installation = await initialiseInstallation({
        dataDir,
        env: {},
        flags: { ...options.settings, host: '127.0.0.1', port, issuer },
        settings: attempt === 1 ? { issuer, ...(options.signingAlg ? { signing_alg: options.signingAlg } : {}) } : {},
        ifAlreadyInitialised: 'open',
      });
      let running: RunningServer;
      try {
        running = await startServer(installation, log);
      } catch (error) {
        await installation.store.close();
        if (attempt < 3 && /EADDRINUSE|in use/i.test(String(error))) continue;
        throw error;
      }
      if (running.url !== issuer) {
        await running.stop();
        throw new Error(`the server listens on ${running.url}, not on its issuer ${issuer}`);
      }
      const { store, clock } = installation;
      let stopping: Promise<void> | undefined;
      return {
        issuer,
        port,
        dataDir,
        store,
        clock,
        logLines,
        addUser: (username = 'alice', fields = {}) =>
          createUser(
            { users: store.users, clock },
            {
              username,
              password: TEST_PASSWORD,
              email: `${username}@example.test`,
              emailVerified: true,
              profile: { name: 'Alice Liddell' },
              ...fields,
            },
          ),
        addClient: async (input = {}) => {
          const created = await createClient({ clients: store.clients, clock }, { name: 'Test RP', ...input });
          return { ...created, clientId: created.client.id };
        },
        stop: () =>
          (stopping ??= (async () => {
            try {
              await running.stop();
            } finally {
              await rm(root, { recursive: true, force: true });
            }
          })()),
      };
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

export interface RecordedCallback {
  method: string;
  url: URL;
  /** The query (GET) or the form body (POST). */
  params: URLSearchParams;
}

export interface TestRp {
  /** `http://127.0.0.1:PORT/callback` */
  redirectUri: string;
  /** Every request that reached the callback, oldest first. */
  received: RecordedCallback[];
  /** Waits (bounded) for the next callback after `count` were received. */
  nextCallback(count: number, timeoutMs?: number): Promise<RecordedCallback>;
  stop(): void;
}

/** A tiny relying party on 127.0.0.1 that records its callback (GET query or POSTed form) and answers "ok". */
export function startTestRp(): TestRp {
  const received: RecordedCallback[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname !== '/callback') return new Response('not found', { status: 404 });
      const params = request.method === 'POST' ? new URLSearchParams(await request.text()) : url.searchParams;
      received.push({ method: request.method, url, params });
      return new Response('ok', { headers: { 'content-type': 'text/plain' } });
    },
  });
  return {
    redirectUri: `http://127.0.0.1:${server.port}/callback`,
    received,
    async nextCallback(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length <= count) {
        if (Date.now() > deadline) throw new Error(`the RP callback was not reached within ${timeoutMs} ms`);
        await Bun.sleep(20);
      }
      return received[count] as RecordedCallback;
    },
    stop: () => {
      server.stop(true);
    },
  };
}
