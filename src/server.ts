// Runs the HTTP server over an opened installation: loads the keys, keeps them fresh, purges expired
// rows, listens, and shuts down gracefully (stop accepting, finish in-flight requests, close the store).
import { createHooks } from './adapter/hooks.ts';
import { loadAdapter } from './adapter/load.ts';
import { type App, createApp } from './app.ts';
import type { Config } from './config/schema.ts';
import type { Deps } from './deps.ts';
import { createEvents } from './events/events.ts';
import type { Installation } from './installation.ts';
import { Keyring } from './keys/keyring.ts';
import type { Logger } from './log.ts';
import { startPurging } from './maintenance/purge.ts';
import { createCsrf } from './sessions/csrf.ts';
import { listenTls, type ReloadTrigger } from './tls/listener.ts';
import { prepareCredentialChecks } from './users/users.ts';

export interface RunningServer {
  /** The address actually bound (the port is resolved when 0 was asked). */
  url: string;
  deps: Deps;
  /** With tls_cert/tls_key: re-reads the certificate files (SIGHUP); false when the old pair keeps serving. */
  reloadTls?: (trigger: ReloadTrigger) => Promise<boolean>;
  /** Stops accepting connections, waits for in-flight requests, closes the store. */
  stop(): Promise<void>;
}

interface Listener {
  url: string;
  reload?: (trigger: ReloadTrigger) => Promise<boolean>;
  stop(): Promise<void>;
}

export async function startServer(installation: Installation, log: Logger): Promise<RunningServer> {
  const { config, store, sealer, secret, clock } = installation;
  // Before anything listens: a broken adapter stops the start with a sentence naming the file.
  const adapter = await loadAdapter(config.adapter);
  if (config.adapter !== '') log.info('adapter loaded', { path: config.adapter, hooks: Object.keys(adapter).join(',') });
  const hooks = createHooks({ adapter, secret, config, log });
  const keyring = new Keyring({ store: store.keys, sealer, clock, log });
  // Not awaited: it must not delay the first answer; a sign-in that comes sooner waits for it.
  void prepareCredentialChecks();
  await keyring.reload();
  const events = createEvents({ audit: store.audit, hooks, log, auditTokenEvents: config.audit_token_events });
  const deps: Deps = { config, store, keyring, clock, log, csrf: createCsrf(secret), hooks, events };
  const app = createApp(deps);
  const listener =
    config.tls_cert === ''
      ? listenPlain(app, config)
      : listenTls(app, { host: config.host, port: config.port, files: { cert: config.tls_cert, key: config.tls_key }, log });
  const stopReloading = keyring.startReloading(config.key_reload_interval);
  const stopPurging = startPurging(deps);
  let stopping: Promise<void> | undefined;
  return {
    url: listener.url,
    deps,
    ...(listener.reload ? { reloadTls: listener.reload } : {}),
    stop() {
      stopping ??= (async () => {
        stopReloading();
        stopPurging();
        await listener.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}

function listenPlain(app: App, config: Config): Listener {
  // Bun shares a port between listeners by default (SO_REUSEPORT); a second idp on a taken port must fail instead.
  const server = app.listen({ hostname: config.host, port: config.port, reusePort: false, development: false }).server;
  if (!server) throw new Error('the HTTP server did not start');
  return { url: `http://${server.hostname}:${server.port}`, stop: () => server.stop(false) };
}
