// One log line per request: request id, method, path (never the query, which may carry codes or
// tokens), status, duration. Bodies and headers (Authorization, Location, cookies) are never logged.
import { Elysia } from 'elysia';
import type { Logger } from '../log.ts';
import { requestContext, responseStatus } from './request_context.ts';

/** Probes and scrapes that succeed are logged at debug: a load balancer or Prometheus would drown the rest. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function requestLog(log: Logger) {
  return new Elysia({ name: 'idp.request_log' }).onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
    const { id, startedAt, path } = requestContext(request);
    const status = responseStatus(responseValue, set.status);
    const write = QUIET_PATHS.has(path) && status < 400 ? log.debug : log.info;
    write('request', {
      request_id: id,
      method: request.method,
      path,
      status,
      ms: Number((performance.now() - startedAt).toFixed(2)),
    });
  });
}
