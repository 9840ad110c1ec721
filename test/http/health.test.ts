// Liveness and readiness: /healthz answers while the process serves; /readyz also needs the database
// to answer and the RS256 and default signing keys to be active, else 503 with the reasons.
import { afterEach, describe, expect, it } from 'bun:test';
import { epochSeconds } from '../../src/clock.ts';
import { testApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
afterEach(() => app.cleanup());

describe('/healthz and /readyz', () => {
  it('/healthz: 200 {"status":"ok"}, no-store', async () => {
    app = await testApp();
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz: 200 {"status":"ready"} when the database answers and the signing keys are active', async () => {
    app = await testApp({ settings: { signing_alg: 'ES256' }, alg: 'ES256' });
    const response = await app.request('/readyz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('/readyz: 503 naming the missing keys when no signing key is active; /healthz stays 200', async () => {
    app = await testApp();
    const now = epochSeconds(app.clock);
    for (const key of await app.store.keys.listSigningKeys()) await app.store.keys.retireSigningKey(key.kid, now);
    await app.keyring.reload();
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', reasons: ['no active RS256 signing key'] });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('/readyz: 503 when the configured signing_alg has no active key, even though RS256 has', async () => {
    app = await testApp({ settings: { signing_alg: 'EdDSA' } });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', reasons: ['no active EdDSA signing key'] });
  });

  it('/readyz: 503 when the database does not answer, with a reason that names no detail; the detail is logged', async () => {
    app = await testApp();
    await app.store.close();
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not_ready', reasons: ['the database does not answer'] });
    expect(app.logLines.some((line) => line.includes('readiness: the database does not answer'))).toBe(true);
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
