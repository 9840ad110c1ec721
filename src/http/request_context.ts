// Per-request facts every other plugin may read: the request id (an incoming X-Request-Id when it
// is a sane token, else a fresh one; echoed on the response) and when the request started. It also
// sets the headers every response carries, JSON and redirects included.
import { Elysia, StatusMap } from 'elysia';
import type { Config } from '../config/schema.ts';

export interface RequestContext {
  /** Logged as `request_id` and returned as `X-Request-Id`. */
  id: string;
  /** performance.now() when the request arrived. */
  startedAt: number;
  /**
   * The path, read when the request arrived: after the response Bun may have released the request,
   * and its url can then be empty (seen with Connection: close), which must not break the log line.
   */
  path: string;
}

/** At most 128 characters of [A-Za-z0-9._-]: safe in a header, a log line and a JSON string. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

const contexts = new WeakMap<Request, RequestContext>();

/** The request's context; a request that skipped onRequest (a unit test's bare app) gets one on first use. */
export function requestContext(request: Request): RequestContext {
  let context = contexts.get(request);
  if (!context) {
    context = {
      id: requestIdFrom(request.headers.get('x-request-id')),
      startedAt: performance.now(),
      path: URL.parse(request.url)?.pathname ?? '',
    };
    contexts.set(request, context);
  }
  return context;
}

/** The caller's id when it is a sane token (a proxy or client correlating logs), else a new one. */
export function requestIdFrom(incoming: string | null): string {
  return incoming !== null && SANE_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/** The response status a lifecycle hook sees: the Response's own, else what the handler set. */
export function responseStatus(responseValue: unknown, setStatus: unknown): number {
  if (responseValue instanceof Response) return responseValue.status;
  if (typeof setStatus === 'number') return setStatus;
  return typeof setStatus === 'string' && setStatus in StatusMap ? StatusMap[setStatus as keyof typeof StatusMap] : 200;
}

export function requestContextPlugin(config: Pick<Config, 'issuer'>) {
  // RFC 6797: HSTS is only meaningful over https; the issuer says whether clients reach us that way.
  const hsts = config.issuer.startsWith('https:');
  return new Elysia({ name: 'idp.request_context' }).onRequest(({ request, set }) => {
    const { id } = requestContext(request);
    // A Response's own headers win over these (Elysia merges set.headers under them).
    set.headers['x-request-id'] = id;
    set.headers['x-content-type-options'] = 'nosniff';
    set.headers['referrer-policy'] = 'no-referrer';
    if (hsts) set.headers['strict-transport-security'] = 'max-age=31536000';
  });
}
