// The HTTP application: one Elysia plugin per endpoint group, composed over the same deps.
import { Elysia } from 'elysia';
import type { Deps } from './deps.ts';
import { discoveryEndpoints } from './http/discovery.ts';
import { errorHandler } from './http/errors.ts';
import { healthEndpoint } from './http/health.ts';
import { jwksEndpoint } from './http/jwks.ts';
import { pages } from './http/pages.ts';
import { requestLog } from './http/request_log.ts';

export function createApp(deps: Deps) {
  return new Elysia({ name: 'idp' })
    .use(errorHandler(deps.log))
    .use(requestLog(deps.log))
    .use(healthEndpoint())
    .use(discoveryEndpoints(deps))
    .use(jwksEndpoint(deps))
    .use(pages(deps));
}

export type App = ReturnType<typeof createApp>;
