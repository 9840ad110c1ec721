// GET /metrics in the Prometheus text format, and the hook that counts every request. Off unless
// `metrics = "on"`. With `metrics_token` set, a scraper must send `Authorization: Bearer <token>`
// (compared in constant time); without one, only a direct loopback peer may read it: a request that
// came through a proxy (X-Forwarded-For, Forwarded, X-Real-IP) is refused even from 127.0.0.1,
// because a reverse proxy on the same host makes every visitor a loopback peer.
import { Elysia } from 'elysia';
import type { Config } from '../config/schema.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.ts';
import { hashToken, matchesHash } from '../tokens/secret.ts';
import { isLoopbackAddress, type PeerAddress, peerAddress } from './client_ip.ts';
import { OAuthError } from './errors.ts';
import { requestContext, responseStatus } from './request_context.ts';

export const METRICS_PATH = '/metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Counts every answered request under its route pattern; a path no route matched is `unmatched`. */
export function httpMetrics(metrics: Metrics) {
  return new Elysia({ name: 'idp.http_metrics' }).onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
    // `route` is the pattern that matched (no ids, codes or tokens); undefined for a 404.
    const label = typeof route === 'string' && route !== '' ? route : 'unmatched';
    const method = METHODS.has(request.method) ? request.method : 'other';
    const status = String(responseStatus(responseValue, set.status));
    metrics.httpRequests.inc({ route: label, method, status });
    metrics.httpDuration.observe({ route: label }, (performance.now() - requestContext(request).startedAt) / 1000);
  });
}

const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/** The socket peer is loopback and no proxy says it forwarded the request for someone else. */
export function isDirectLoopback(server: PeerAddress | null | undefined, request: Request): boolean {
  if (PROXY_HEADERS.some((name) => request.headers.has(name))) return false;
  const address = peerAddress(server, request);
  return address !== null && isLoopbackAddress(address);
}

function bearerToken(header: string | null): string | null {
  const match = /^Bearer ([^\s]+)$/i.exec((header ?? '').trim());
  return match ? (match[1] as string) : null;
}

export function metricsEndpoint(config: Pick<Config, 'metrics' | 'metrics_token'>, metrics: Metrics) {
  const plugin = new Elysia({ name: 'idp.metrics' });
  if (config.metrics === 'off') return plugin;
  const tokenHash = config.metrics_token === '' ? null : hashToken(config.metrics_token);
  return plugin.get(METRICS_PATH, async ({ request, server }) => {
    if (tokenHash !== null) {
      const presented = bearerToken(request.headers.get('authorization'));
      // Digests of equal length, compared in constant time: neither the token nor its length leaks.
      if (presented === null || !matchesHash(presented, tokenHash)) {
        throw new OAuthError('invalid_token', 'A valid metrics bearer token is required.', 401, { 'www-authenticate': 'Bearer realm="metrics"' });
      }
    } else if (!isDirectLoopback(server, request)) {
      throw new OAuthError('access_denied', 'Without metrics_token, /metrics answers only direct loopback requests.', 403);
    }
    return new Response(await metrics.registry.render(), {
      headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' },
    });
  });
}
