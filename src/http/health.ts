// Liveness: answers while the process serves requests.
import { Elysia } from 'elysia';

export function healthEndpoint() {
  return new Elysia({ name: 'idp.health' }).get(
    '/healthz',
    () => new Response('{"status":"ok"}', { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }),
  );
}
