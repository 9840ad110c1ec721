// The metrics idp exposes at /metrics: HTTP traffic by route pattern (never a raw path), tokens issued
// and login failures (counted from events, so no endpoint has to remember), live sessions (a store
// count, cached a few seconds so scrapes stay cheap) and process facts.
import { type Clock, epochSeconds } from '../clock.ts';
import type { EventSink } from '../events/types.ts';
import type { SessionStore } from '../store/store.ts';
import { VERSION } from '../version.ts';
import { Collected, Counter, Histogram, InfoGauge, Registry } from './registry.ts';

/** Seconds; from fast JSON endpoints to an argon2id sign-in on a busy machine. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long a session count is reused: several Prometheus servers scraping cost one query. */
const SESSION_COUNT_TTL_MS = 5_000;

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route'>;
  readonly tokensIssued: Counter<'grant_type'>;
  readonly loginFailures: Counter<'reason'>;
  readonly events: Counter<'type'>;
}

export interface MetricsDeps {
  sessions: Pick<SessionStore, 'countActiveSessions'>;
  clock: Clock;
}

export function createMetrics(deps: MetricsDeps, options: { sessionCountTtlMs?: number } = {}): Metrics {
  const registry = new Registry();
  const metrics: Metrics = {
    registry,
    httpRequests: registry.register(
      new Counter('idp_http_requests_total', 'HTTP requests answered, by route pattern, method and status.', ['route', 'method', 'status']),
    ),
    httpDuration: registry.register(
      new Histogram('idp_http_request_duration_seconds', 'Time to answer an HTTP request, by route pattern.', ['route'], DURATION_BUCKETS),
    ),
    tokensIssued: registry.register(
      new Counter('idp_tokens_issued_total', 'Token responses issued, by grant type (refresh_token for a refresh).', ['grant_type']),
    ),
    loginFailures: registry.register(
      new Counter('idp_login_failures_total', 'Failed sign-ins, by reason: unknown_user, wrong_password or disabled.', ['reason']),
    ),
    events: registry.register(new Counter('idp_events_total', 'Audit events emitted, by type.', ['type'])),
  };
  registry.register(
    new Collected('idp_active_sessions', 'Browser sessions that have not expired (refreshed every few seconds).', 'gauge', cachedSessionCount(deps, options.sessionCountTtlMs ?? SESSION_COUNT_TTL_MS)),
  );
  registry.register(new InfoGauge('idp_build_info', 'The running idp version.', { version: VERSION }));
  const startTime = Date.now() / 1000 - process.uptime();
  registry.register(new Collected('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', () => process.memoryUsage().rss));
  registry.register(
    new Collected('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', 'counter', () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    }),
  );
  registry.register(new Collected('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', 'gauge', () => startTime));
  registry.register(new Collected('process_uptime_seconds', 'Seconds since the process started.', 'gauge', () => process.uptime()));
  return metrics;
}

/** The live session count, reused for `ttlMs`; concurrent scrapes share one query; null when the store fails. */
function cachedSessionCount(deps: MetricsDeps, ttlMs: number): () => Promise<number | null> {
  let cached: { value: number; at: number } | null = null;
  let pending: Promise<number | null> | null = null;
  return () => {
    if (cached && performance.now() - cached.at < ttlMs) return Promise.resolve(cached.value);
    pending ??= deps.sessions
      .countActiveSessions(epochSeconds(deps.clock))
      .then(
        (value) => {
          cached = { value, at: performance.now() };
          return value;
        },
        () => null,
      )
      .finally(() => {
        pending = null;
      });
    return pending;
  };
}

/** The one event sink, counting token and sign-in events on their way to the audit log and the adapter. */
export function countingEvents(sink: EventSink, metrics: Metrics): EventSink {
  return {
    emit(event) {
      metrics.events.inc({ type: event.type });
      if (event.type === 'token.issued') metrics.tokensIssued.inc({ grant_type: event.details.grant_type });
      else if (event.type === 'token.refreshed') metrics.tokensIssued.inc({ grant_type: 'refresh_token' });
      else if (event.type === 'login.failed') metrics.loginFailures.inc({ reason: event.details.reason });
      return sink.emit(event);
    },
  };
}
