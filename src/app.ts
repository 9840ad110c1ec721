// The HTTP application: one Elysia plugin per endpoint group, composed over the same deps. Events
// pass through the metrics counters on their way to the sink.
import { Elysia } from 'elysia';
import type { Deps } from './deps.ts';
import { authorizeEndpoints } from './http/authorize.ts';
import { consentEndpoints } from './http/consent.ts';
import { deviceEndpoints } from './http/device.ts';
import { discoveryEndpoints } from './http/discovery.ts';
import { errorHandler } from './http/errors.ts';
import { healthEndpoint } from './http/health.ts';
import { introspectionEndpoint } from './http/introspect.ts';
import { jwksEndpoint } from './http/jwks.ts';
import { loginEndpoints } from './http/login.ts';
import { httpMetrics, metricsEndpoint } from './http/metrics.ts';
import { logoutEndpoints } from './http/logout.ts';
import { pages } from './http/pages.ts';
import { requestContextPlugin } from './http/request_context.ts';
import { requestLog } from './http/request_log.ts';
import { revocationEndpoint } from './http/revoke.ts';
import { tokenEndpoint } from './http/token.ts';
import { userinfoEndpoint } from './http/userinfo.ts';
import { countingEvents, createMetrics, type Metrics } from './metrics/metrics.ts';

export interface AppOptions {
  /** The metrics to count into and serve; a fresh set by default. */
  metrics?: Metrics;
}

export function createApp(given: Deps, options: AppOptions = {}) {
  const metrics = options.metrics ?? createMetrics({ sessions: given.store.sessions, clock: given.clock });
  const deps: Deps = { ...given, events: countingEvents(given.events, metrics) };
  return new Elysia({ name: 'idp' })
    .use(requestContextPlugin(deps.config))
    .use(errorHandler(deps.log))
    .use(requestLog(deps.log))
    .use(httpMetrics(metrics))
    .use(healthEndpoint(deps))
    .use(metricsEndpoint(deps.config, metrics))
    .use(discoveryEndpoints(deps))
    .use(jwksEndpoint(deps))
    .use(authorizeEndpoints(deps))
    .use(loginEndpoints(deps))
    .use(consentEndpoints(deps))
    .use(logoutEndpoints(deps))
    .use(tokenEndpoint(deps))
    .use(deviceEndpoints(deps))
    .use(userinfoEndpoint(deps))
    .use(revocationEndpoint(deps))
    .use(introspectionEndpoint(deps))
    .use(pages(deps));
}

export type App = ReturnType<typeof createApp>;
