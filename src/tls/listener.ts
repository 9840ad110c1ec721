// Serves HTTPS with Bun's own TLS and swaps the certificate without dropping requests.
// Bun 1.4.5 cannot change the certificate of a running server: server.reload({ tls }) is accepted and
// ignored (oven-sh/bun#43815, #8872), and Bun.serve has no setSecureContext. So a reload starts a second
// listener on the same address with the new certificate (SO_REUSEPORT), makes it the app's server, and
// stops the old one gracefully: it accepts nothing more, finishes the requests it has, then closes its
// idle keep-alive connections, and clients reconnect to the new one (as nginx does on reload).
import type { App } from '../app.ts';
import type { Logger } from '../log.ts';
import { loadTlsMaterial, type TlsFiles, type TlsMaterial } from './material.ts';
import { watchFiles } from './watch.ts';

export type ReloadTrigger = 'SIGHUP' | 'file change';

export interface TlsListenOptions {
  host: string;
  port: number;
  files: TlsFiles;
  log: Logger;
  /** How often the files are checked for changes (tests shorten it). */
  pollIntervalMs?: number;
}

export interface TlsListener {
  /** `https://HOST:PORT`, the address actually bound. */
  url: string;
  /**
   * Re-reads the certificate and key. True when the new pair serves new connections (or the files did not
   * change); false when they could not be used, in which case the previous pair keeps serving.
   */
  reload(trigger: ReloadTrigger): Promise<boolean>;
  /** Stops watching, stops accepting, and waits for the in-flight requests of every listener. */
  stop(): Promise<void>;
}

type Server = NonNullable<App['server']>;

/** Throws TlsError (one sentence naming the file) when the pair cannot be served, before anything listens. */
export function listenTls(app: App, options: TlsListenOptions): TlsListener {
  const { host, files, log } = options;
  let material = loadTlsMaterial(files);
  warnIfExpired(material, log);
  const port = claimPort(host, options.port);
  let current = serve(app, host, port, material, true);
  const draining = new Set<Promise<void>>();

  const swap = async (trigger: ReloadTrigger): Promise<boolean> => {
    // Whatever changes on disk from here on is seen by a later poll.
    watch.markSeen();
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(files);
    } catch (error) {
      log.error('TLS certificate not reloaded; the previous one still serves', { trigger, reason: (error as Error).message });
      return false;
    }
    if (next.digest === material.digest) {
      log.info('TLS certificate files unchanged', { trigger });
      return true;
    }
    const previous = current;
    try {
      current = serve(app, host, port, next, false);
    } catch (error) {
      log.error('TLS certificate not reloaded; the previous one still serves', { trigger, reason: (error as Error).message });
      return false;
    }
    material = next;
    const drained = previous.stop(false).then(
      () => {},
      (error: unknown) => log.warn('the previous TLS listener did not stop cleanly', { reason: (error as Error).message }),
    );
    draining.add(drained);
    void drained.finally(() => draining.delete(drained));
    log.info('TLS certificate reloaded', {
      trigger,
      subject: material.subject,
      sha256: material.fingerprint,
      not_after: material.notAfter.toISOString(),
    });
    warnIfExpired(material, log);
    return true;
  };

  // One reload at a time: a SIGHUP and a file change arriving together run one after the other.
  let queue: Promise<unknown> = Promise.resolve();
  const reload = (trigger: ReloadTrigger): Promise<boolean> => {
    const run = queue.then(() => swap(trigger));
    queue = run.catch(() => {});
    return run;
  };
  const watch = watchFiles([files.cert, files.key], {
    intervalMs: options.pollIntervalMs,
    onChange: () => void reload('file change'),
  });

  return {
    url: `https://${current.hostname}:${port}`,
    reload,
    async stop() {
      watch.stop();
      await queue;
      await Promise.all([current.stop(false), ...draining]);
    },
  };
}

/**
 * The listeners share the port through SO_REUSEPORT, which would also let a second idp on the same port
 * start silently. A plain bind first keeps "the port is already in use" an error, and resolves port 0.
 */
function claimPort(hostname: string, port: number): number {
  const probe = Bun.serve({ hostname, port, reusePort: false, development: false, fetch: () => new Response(null, { status: 503 }) });
  const bound = probe.port;
  void probe.stop(true);
  if (bound === undefined) throw new Error(`could not bind ${hostname}:${port}`);
  return bound;
}

function serve(app: App, hostname: string, port: number, material: TlsMaterial, first: boolean): Server {
  const handlers = new Set(process.listeners('beforeExit'));
  app.listen({ hostname, port, reusePort: true, development: false, tls: { cert: material.cert, key: material.key } });
  // Elysia adds a beforeExit handler (stop app.server) on every listen(); the first one is enough.
  if (!first) for (const handler of process.listeners('beforeExit')) if (!handlers.has(handler)) process.off('beforeExit', handler);
  const server = app.server;
  if (!server) throw new Error('the HTTPS server did not start');
  return server;
}

function warnIfExpired(material: TlsMaterial, log: Logger): void {
  if (material.notAfter.getTime() <= Date.now()) {
    log.warn('the TLS certificate has expired; clients will refuse it', { subject: material.subject, not_after: material.notAfter.toISOString() });
  }
}
