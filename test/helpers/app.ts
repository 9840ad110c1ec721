// An app over real components (SQLite file, sealed keys) exercised with app.handle(), no socket.
import { createHooks } from '../../src/adapter/hooks.ts';
import type { Adapter } from '../../src/adapter/types.ts';
import { createApp } from '../../src/app.ts';
import { createEvents } from '../../src/events/events.ts';
import type { LogFormat, SigningAlg } from '../../src/config/schema.ts';
import { createInitialKeys } from '../../src/keys/manage.ts';
import { createLogger } from '../../src/log.ts';
import type { Metrics } from '../../src/metrics/metrics.ts';
import { createCsrf } from '../../src/sessions/csrf.ts';
import { testEnv, type TestEnv } from './deps.ts';

export interface TestApp extends TestEnv {
  request(path: string, init?: RequestInit): Promise<Response>;
  logLines: string[];
}

export async function testApp(
  options: { settings?: Record<string, string | number>; alg?: SigningAlg; adapter?: Adapter; logFormat?: LogFormat; metrics?: Metrics } = {},
): Promise<TestApp> {
  const env = await testEnv(options.settings);
  await createInitialKeys({ store: env.store.keys, sealer: env.sealer, clock: env.clock, config: env.config }, options.alg ?? 'RS256');
  await env.keyring.reload();
  const logLines: string[] = [];
  const log = createLogger('debug', (line) => logLines.push(line), options.logFormat);
  const secret = new Uint8Array(32).fill(7);
  const hooks = createHooks({ adapter: options.adapter ?? {}, secret, config: env.config, log });
  const events = createEvents({ audit: env.store.audit, hooks, log, auditTokenEvents: env.config.audit_token_events });
  const app = createApp(
    { config: env.config, store: env.store, keyring: env.keyring, clock: env.clock, log, csrf: createCsrf(secret), hooks, events },
    { metrics: options.metrics },
  );
  return {
    ...env,
    logLines,
    request: (path, init) => app.handle(new Request(`http://127.0.0.1${path}`, init)),
  };
}
