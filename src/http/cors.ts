// CORS (Fetch Standard §3.2) for the endpoints browser apps call directly (OAuth 2.0 for
// Browser-Based Apps): token, userinfo, revocation, introspection, and the public discovery and
// JWKS documents.
//
// Public documents (publicCors): `Access-Control-Allow-Origin: *` and never credentials; the
// endpoints set that header themselves, this answers their preflight.
//
// Client endpoints (clientCors): the response carries `Access-Control-Allow-Origin: <that origin>`
// only when the request's Origin is registered on a client (`cors_origins`, exact, or a one-label
// wildcard for clients with allow_wildcards); the token endpoint narrows that to the client making
// the request. Never `*`, never `Access-Control-Allow-Credentials`: tokens travel in headers and
// bodies, not cookies. `Vary: Origin` on every response, since the answer depends on Origin.
// A request without Origin gets no CORS headers.
//
// Applying it to an endpoint plugin is one line before its routes:
//   new Elysia({ name: 'idp.revoke' }).use(clientCors(deps, REVOKE_PATH)).post(REVOKE_PATH, ...)
import { Elysia } from 'elysia';
import type { Clock } from '../clock.ts';
import type { ClientMetadata } from '../clients/metadata.ts';
import { matchesRegistered } from '../clients/redirect_uri.ts';
import type { Deps } from '../deps.ts';
import type { ClientRecord, ClientStore } from '../store/store.ts';

/** How long the set of registered origins is reused before it is read again (ms). */
export const REGISTERED_ORIGINS_TTL_MS = 10_000;
/** How long a browser may cache a preflight answer (s). */
export const PREFLIGHT_MAX_AGE = 600;
/** Request headers a browser app may send cross-origin: credentials and the form body. */
export const ALLOWED_REQUEST_HEADERS = 'authorization, content-type';

/** `origin` is one of the client's registered CORS origins (wildcards only for allow_wildcards clients). */
export function originRegisteredOn(metadata: Pick<ClientMetadata, 'cors_origins' | 'allow_wildcards'>, origin: string): boolean {
  return matchesRegistered(metadata.cors_origins, origin, metadata.allow_wildcards, 'origin');
}

interface OriginSnapshot {
  exact: Set<string>;
  /** Wildcard patterns of allow_wildcards clients. */
  patterns: string[];
  loadedAt: number;
}

/**
 * The CORS origins of all clients, read with one listClients() and reused for
 * REGISTERED_ORIGINS_TTL_MS, so that a preflight or userinfo call does not list every client.
 * Each instance keeps its own copy and nothing invalidates it: a change made elsewhere (such as
 * `idp client update --cors-origin` from the CLI, or on another instance sharing the database) is
 * picked up on every instance within 10 seconds, at the first request after the copy expires.
 */
export class RegisteredOrigins {
  private snapshot: OriginSnapshot | null = null;
  private loading: Promise<OriginSnapshot> | null = null;

  constructor(
    private readonly clients: Pick<ClientStore, 'listClients'>,
    private readonly clock: Clock,
    private readonly ttlMs = REGISTERED_ORIGINS_TTL_MS,
  ) {}

  /** `origin` is registered on some client. */
  async has(origin: string): Promise<boolean> {
    const snapshot = await this.current();
    return snapshot.exact.has(origin) || matchesRegistered(snapshot.patterns, origin, true, 'origin');
  }

  private async current(): Promise<OriginSnapshot> {
    const now = this.clock();
    const snapshot = this.snapshot;
    // A clock that went backwards also counts as expired.
    if (snapshot && now >= snapshot.loadedAt && now - snapshot.loadedAt < this.ttlMs) return snapshot;
    // Concurrent requests share one read.
    this.loading ??= this.load(now).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(now: number): Promise<OriginSnapshot> {
    const exact = new Set<string>();
    const patterns: string[] = [];
    for (const { metadata } of await this.clients.listClients()) {
      for (const origin of metadata.cors_origins) {
        if (!origin.includes('*')) exact.add(origin);
        else if (metadata.allow_wildcards) patterns.push(origin);
      }
    }
    this.snapshot = { exact, patterns, loadedAt: now };
    return this.snapshot;
  }
}

/** One RegisteredOrigins per client store, shared by every endpoint plugin of an app. */
const sharedOrigins = new WeakMap<object, RegisteredOrigins>();

export function registeredOrigins(deps: Pick<Deps, 'store' | 'clock'>): RegisteredOrigins {
  let origins = sharedOrigins.get(deps.store.clients);
  if (!origins) {
    origins = new RegisteredOrigins(deps.store.clients, deps.clock);
    sharedOrigins.set(deps.store.clients, origins);
  }
  return origins;
}

/** Decides whether `origin` may read this (non-preflight) response. */
export type AllowOrigin = (origin: string, request: { request: Request; body: unknown }) => boolean | Promise<boolean>;

export interface ClientCorsOptions {
  /** Methods a preflight allows; POST by default. */
  methods?: readonly string[];
  /** Response headers scripts may read, such as WWW-Authenticate. */
  exposeHeaders?: readonly string[];
  /** Narrows who may read responses; by default any origin registered on some client. */
  allowOrigin?: AllowOrigin;
}

function addVaryOrigin(headers: Headers): void {
  const vary = headers.get('vary');
  if (vary === null) headers.set('vary', 'Origin');
  else if (!vary.split(',').some((name) => ['origin', '*'].includes(name.trim().toLowerCase()))) headers.append('vary', 'Origin');
}

/**
 * CORS for an endpoint at `path` called by registered browser apps: answers OPTIONS preflights and
 * adds the headers to every response of the routes registered after it in the same plugin, error
 * responses included. A preflight has no credentials, so it is allowed for an origin registered on
 * any client; `allowOrigin` decides for the actual response.
 */
export function clientCors(deps: Pick<Deps, 'store' | 'clock' | 'log'>, path: string, options: ClientCorsOptions = {}) {
  const origins = registeredOrigins(deps);
  const methods = (options.methods ?? ['POST']).join(', ');
  const expose = options.exposeHeaders?.join(', ');
  const allowOrigin: AllowOrigin = options.allowOrigin ?? ((origin) => origins.has(origin));

  const apply = (headers: Headers, origin: string | null, allowed: boolean) => {
    addVaryOrigin(headers);
    if (origin === null || !allowed) return;
    headers.set('access-control-allow-origin', origin);
    if (expose) headers.set('access-control-expose-headers', expose);
  };

  return new Elysia()
    .options(path, async ({ request }) => {
      const headers = new Headers({ allow: `${methods}, OPTIONS` });
      const origin = request.headers.get('origin');
      const allowed = origin !== null && (await origins.has(origin));
      apply(headers, origin, allowed);
      if (allowed) {
        headers.set('access-control-allow-methods', methods);
        headers.set('access-control-allow-headers', ALLOWED_REQUEST_HEADERS);
        headers.set('access-control-max-age', String(PREFLIGHT_MAX_AGE));
      }
      return new Response(null, { status: 204, headers });
    })
    .mapResponse({ as: 'scoped' }, async ({ request, body, responseValue }) => {
      // Runs after the handler and after the error handler has rendered an error.
      if (!(responseValue instanceof Response) || request.method === 'OPTIONS' || new URL(request.url).pathname !== path) return;
      const origin = request.headers.get('origin');
      let allowed = false;
      if (origin !== null) {
        try {
          allowed = await allowOrigin(origin, { request, body });
        } catch (error) {
          // Fail closed: the response goes out, unreadable by the script.
          deps.log.error('CORS origin check failed', { path, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      try {
        apply(responseValue.headers, origin, allowed);
      } catch {
        // Immutable headers (a Response from Response.redirect): answer with a copy.
        const copy = new Response(responseValue.body, responseValue);
        apply(copy.headers, origin, allowed);
        return copy;
      }
      return undefined;
    });
}

/** The client a token request names: the Basic user name, else the form's client_id; null when unclear. */
export function namedClientId(request: Request, body: unknown): string | null {
  const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const fromForm = typeof form.client_id === 'string' && form.client_id !== '' ? form.client_id : null;
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec((request.headers.get('authorization') ?? '').trim());
  if (!match) return fromForm;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  let fromBasic: string;
  try {
    fromBasic = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
  } catch {
    return null;
  }
  return fromForm === null || fromForm === fromBasic ? fromBasic : null;
}

/**
 * The token endpoint's rule: only the requesting client's own origins. The endpoint reports the
 * client once authenticated; a response sent before that (invalid_client, a malformed request)
 * uses the client the request names, if it exists, so its app can read the error.
 */
export function requestingClientOrigins(clients: Pick<ClientStore, 'getClient'>) {
  const authenticated = new WeakMap<Request, ClientRecord>();
  return {
    /** Call once client authentication succeeded. */
    authenticated(request: Request, client: ClientRecord): void {
      authenticated.set(request, client);
    },
    allowOrigin: (async (origin, { request, body }) => {
      let client = authenticated.get(request) ?? null;
      if (!client) {
        const id = namedClientId(request, body);
        client = id === null ? null : await clients.getClient(id);
      }
      return client !== null && originRegisteredOn(client.metadata, origin);
    }) satisfies AllowOrigin,
  };
}

/** Preflight answers for public documents (discovery, JWKS), readable from any origin without credentials. */
export function publicCors(paths: readonly string[], methods: readonly string[] = ['GET']) {
  const headers = {
    allow: `${methods.join(', ')}, OPTIONS`,
    'access-control-allow-origin': '*',
    'access-control-allow-methods': methods.join(', '),
    // The only reason to preflight a GET is a non-safelisted header; any is fine on a public document
    // (`*` does not cover Authorization, and no credentials are accepted).
    'access-control-allow-headers': '*',
    'access-control-max-age': String(PREFLIGHT_MAX_AGE),
  };
  const preflight = () => new Response(null, { status: 204, headers });
  const plugin = new Elysia();
  for (const path of paths) plugin.options(path, preflight);
  return plugin;
}
