// One log line per request: method, path (never the query, which may carry codes), status, duration.
import { Elysia } from 'elysia';
import type { Logger } from '../log.ts';

export function requestLog(log: Logger) {
  const started = new WeakMap<Request, number>();
  return new Elysia({ name: 'idp.request_log' })
    .onRequest(({ request }) => {
      started.set(request, performance.now());
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
      const start = started.get(request);
      const status = responseValue instanceof Response ? responseValue.status : set.status;
      log.info('request', {
        method: request.method,
        path: new URL(request.url).pathname,
        status: typeof status === 'number' ? status : String(status),
        ms: start === undefined ? undefined : Number((performance.now() - start).toFixed(2)),
      });
    });
}
