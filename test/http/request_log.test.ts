// Request ids and the request log: an incoming X-Request-Id is kept when it is a sane token, else one
// is generated; it is echoed on the response and logged with the request line and with any error of
// that request, in both log formats.
import { afterEach, describe, expect, it } from 'bun:test';
import { testApp, type TestApp } from '../helpers/app.ts';
import { basicAuth } from '../helpers/oidc.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let app: TestApp;
afterEach(() => app.cleanup());

/** The request log runs once the response is answered. */
const settle = () => Bun.sleep(20);

describe('X-Request-Id', () => {
  it('keeps a sane incoming id (at most 128 of A-Z a-z 0-9 . _ -) and echoes it', async () => {
    app = await testApp();
    for (const id of ['abc', 'Req.2026-01-01_42', 'x'.repeat(128), 'f47ac10b-58cc-4372-a567-0e02b2c3d479']) {
      const response = await app.request('/healthz', { headers: { 'x-request-id': id } });
      expect(response.headers.get('x-request-id')).toBe(id);
    }
  });

  it('replaces an absent, too long or unsafe id with a fresh UUID, different for every request', async () => {
    app = await testApp();
    const seen = new Set<string>();
    for (const id of [null, '', 'x'.repeat(129), 'has space', 'a,b', 'quote"', 'semi;colon', 'ünïcode', '<script>']) {
      const response = await app.request('/healthz', id === null ? {} : { headers: { 'x-request-id': id } });
      const answered = response.headers.get('x-request-id') as string;
      expect({ id, answered: UUID.test(answered) }).toEqual({ id, answered: true });
      seen.add(answered);
    }
    expect(seen.size).toBe(9);
  });

  it('is on error responses, 404s and pages too', async () => {
    app = await testApp();
    for (const path of ['/nope', '/token', '/', '/login?interaction=unknown']) {
      const response = await app.request(path, { headers: { 'x-request-id': 'trace-1' } });
      expect({ path, id: response.headers.get('x-request-id') }).toEqual({ path, id: 'trace-1' });
    }
  });
});

describe('the request log', () => {
  it('pretty: one line per request with request_id, method, path (no query) and status', async () => {
    app = await testApp();
    const response = await app.request('/nope?code=secret-code', { headers: { 'x-request-id': 'trace-pretty' } });
    expect(response.status).toBe(404);
    await settle();
    const line = app.logLines.find((entry) => entry.includes('request_id=trace-pretty'));
    expect(line).toMatch(/ INFO  request request_id=trace-pretty method=GET path=\/nope status=404 ms=[\d.]+\n$/);
    expect(app.logLines.join('')).not.toContain('secret-code');
  });

  it('json: one JSON object per line with time, level, msg and the same fields', async () => {
    app = await testApp({ logFormat: 'json' });
    await app.request('/jwks?x=1', { headers: { 'x-request-id': 'trace-json' } });
    await settle();
    const entries = app.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const entry = entries.find((candidate) => candidate.request_id === 'trace-json');
    expect(entry).toMatchObject({ level: 'info', msg: 'request', request_id: 'trace-json', method: 'GET', path: '/jwks', status: 200 });
    expect(typeof entry?.ms).toBe('number');
    expect(typeof entry?.time).toBe('string');
  });

  it('successful probes and scrapes are logged at debug, failed ones at info', async () => {
    app = await testApp({ logFormat: 'json', settings: { metrics: 'on', metrics_token: 'metrics-token-0123456789' } });
    await app.request('/healthz', { headers: { 'x-request-id': 'probe-ok' } });
    await app.request('/metrics', { headers: { 'x-request-id': 'scrape-denied' } });
    await app.store.close();
    await app.request('/readyz', { headers: { 'x-request-id': 'probe-failed' } });
    await settle();
    const levelOf = (id: string) => app.logLines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.request_id === id)?.level;
    expect(levelOf('probe-ok')).toBe('debug');
    expect(levelOf('scrape-denied')).toBe('info');
    expect(levelOf('probe-failed')).toBe('info');
  });

  it('an unexpected failure is logged with the request id the client got back, in both formats', async () => {
    for (const logFormat of ['pretty', 'json'] as const) {
      app = await testApp({ logFormat });
      // A closed database makes client authentication fail unexpectedly: server_error.
      await app.store.close();
      const response = await app.request('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth('some-client', 'some-secret') },
        body: 'grant_type=client_credentials',
      });
      expect(response.status).toBe(500);
      const id = response.headers.get('x-request-id') as string;
      expect(id).toMatch(UUID);
      await settle();
      const failure = app.logLines.find((line) => line.includes('request failed'));
      expect(failure).toBeDefined();
      if (logFormat === 'json') expect(JSON.parse(failure as string)).toMatchObject({ level: 'error', msg: 'request failed', request_id: id, path: '/token' });
      else expect(failure).toContain(`request_id=${id}`);
      expect(app.logLines.filter((line) => line.includes(id)).length).toBe(2);
      expect(app.logLines.join('')).not.toContain('some-secret');
      await app.cleanup();
    }
    app = await testApp();
  });
});
