// GET /metrics: off by default; a bearer token when metrics_token is set; direct loopback only when
// it is not; and what it counts: requests by route pattern (never a raw path), tokens by grant type,
// login failures by reason, live sessions (cached), process facts.
import { afterEach, describe, expect, it } from 'bun:test';
import { isLoopbackAddress } from '../../src/http/client_ip.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { setDisabled } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  basicAuth,
  browse,
  codeRequestParams,
  hiddenFields,
  refreshRequest,
  signInForTokens,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let app: TestApp | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await app?.cleanup();
  await server?.stop();
  app = undefined;
  server = undefined;
});

/** Samples of an exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

async function scrape(on: TestApp): Promise<{ text: string; values: Map<string, number> }> {
  // Requests are counted once answered (onAfterResponse): let the previous ones finish.
  await Bun.sleep(20);
  const response = await on.request('/metrics', { headers: AUTH });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, values: samples(text) };
}

describe('access to /metrics', () => {
  it('is off by default: 404 like any unknown path', async () => {
    app = await testApp();
    const response = await app.request('/metrics', { headers: AUTH });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', error_description: 'No such endpoint.' });
  });

  it('with metrics_token: 401 and WWW-Authenticate without the token or with a wrong one; 200 in the text format with it', async () => {
    app = await testApp({ settings: { metrics: 'on', metrics_token: TOKEN } });
    const wrong: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of wrong) {
      const response = await app.request('/metrics', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
    const response = await app.request('/metrics', { headers: AUTH });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    for (const name of ['idp_http_requests_total', 'idp_http_request_duration_seconds', 'idp_tokens_issued_total', 'idp_login_failures_total', 'idp_active_sessions']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    const values = samples(text);
    expect(values.get('process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(values.get('process_uptime_seconds')).toBeGreaterThan(0);
    expect(values.get('process_start_time_seconds')).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('without metrics_token: refused (403) when the peer is unknown, as under app.handle()', async () => {
    app = await testApp({ settings: { metrics: 'on' } });
    const response = await app.request('/metrics');
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('access_denied');
  });

  it('without metrics_token, over a real socket: a direct loopback peer reads it, a proxied request (X-Forwarded-For, Forwarded, X-Real-IP) does not', async () => {
    server = await startTestServer({ settings: { metrics: 'on' } });
    const direct = await fetch(`${server.issuer}/metrics`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain('# TYPE idp_http_requests_total counter');
    const proxied: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.7' }, { forwarded: 'for=203.0.113.7' }, { 'x-real-ip': '203.0.113.7' }];
    for (const header of proxied) {
      expect((await fetch(`${server.issuer}/metrics`, { headers: header })).status).toBe(403);
    }
  });

  it('recognises loopback addresses, IPv4-mapped included, and nothing else', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect({ address, loopback: isLoopbackAddress(address) }).toEqual({ address, loopback: true });
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', '::2', '1127.0.0.1', 'localhost', '']) {
      expect({ address, loopback: isLoopbackAddress(address) }).toEqual({ address, loopback: false });
    }
  });
});

describe('what /metrics counts', () => {
  it('requests by route pattern, method and status; a duration histogram by route; never a raw path or query', async () => {
    app = await testApp({ settings: { metrics: 'on', metrics_token: TOKEN } });
    await app.request('/.well-known/openid-configuration');
    await app.request('/jwks');
    await app.request('/jwks');
    await app.request('/nope/secret-path-value?code=secret-query-value');
    await app.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nope' });
    const { text, values } = await scrape(app);
    expect(values.get('idp_http_requests_total{route="/jwks",method="GET",status="200"}')).toBe(2);
    expect(values.get('idp_http_requests_total{route="/.well-known/openid-configuration",method="GET",status="200"}')).toBe(1);
    expect(values.get('idp_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    // No client authentication: invalid_client.
    expect(values.get('idp_http_requests_total{route="/token",method="POST",status="401"}')).toBe(1);
    expect(values.get('idp_http_request_duration_seconds_count{route="/jwks"}')).toBe(2);
    expect(values.get('idp_http_request_duration_seconds_bucket{route="/jwks",le="+Inf"}')).toBe(2);
    expect(values.get('idp_http_request_duration_seconds_sum{route="/jwks"}')).toBeGreaterThan(0);
    expect(text).not.toContain('secret-path-value');
    expect(text).not.toContain('secret-query-value');
    for (const [key] of values) {
      const route = /route="([^"]*)"/.exec(key)?.[1];
      if (route !== undefined) expect(route === 'unmatched' || /^\/[a-z_./-]*$/.test(route)).toBe(true);
    }
  });

  it('tokens issued by grant type (a refresh counts as refresh_token), login failures by reason, and live sessions', async () => {
    app = await testApp({ settings: { metrics: 'on', metrics_token: TOKEN } });
    await addUser(app, 'alice');
    await addUser(app, 'bob');
    await setDisabled({ users: app.store.users, clock: app.clock }, 'bob', true);
    const rp = await addClient(app, { skipConsent: true });
    const machine = await addClient(app, { name: 'Machine', redirectUris: [], grantTypes: ['client_credentials'] });

    // Three failed sign-ins, one per reason, then a successful one.
    const browser = new TestBrowser(app);
    const login = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    const fields = hiddenFields(await login.response.text());
    for (const [username, password] of [['alice', 'wrong password!'], ['nobody', 'whatever'], ['bob', 'correct horse battery staple']]) {
      expect((await browser.post('/login', { ...fields, username: username as string, password: password as string })).status).toBe(401);
    }
    const { tokens } = await signInForTokens(app, browser, rp);
    expect((await refreshRequest(app, rp, tokens.refresh_token as string)).status).toBe(200);
    const credentials = await app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(machine.client.id, machine.secret as string) },
      body: 'grant_type=client_credentials',
    });
    expect(credentials.status).toBe(200);
    expect(((await credentials.json()) as TokenJson).access_token).toBeTruthy();

    const { values } = await scrape(app);
    expect(values.get('idp_tokens_issued_total{grant_type="authorization_code"}')).toBe(1);
    expect(values.get('idp_tokens_issued_total{grant_type="refresh_token"}')).toBe(1);
    expect(values.get('idp_tokens_issued_total{grant_type="client_credentials"}')).toBe(1);
    expect(values.get('idp_login_failures_total{reason="wrong_password"}')).toBe(1);
    expect(values.get('idp_login_failures_total{reason="unknown_user"}')).toBe(1);
    expect(values.get('idp_login_failures_total{reason="disabled"}')).toBe(1);
    expect(values.get('idp_events_total{type="login.succeeded"}')).toBe(1);
    expect(values.get('idp_active_sessions')).toBe(1);
    expect(values.get('idp_http_requests_total{route="/login",method="POST",status="401"}')).toBe(3);
  });

  it('idp_active_sessions is a cached store count: scrapes within the cache time cost one query', async () => {
    for (const [ttl, expected] of [
      [60_000, 1],
      [0, 3],
    ] as const) {
      let queries = 0;
      const holder: { app?: TestApp } = {};
      const metrics = createMetrics(
        {
          sessions: {
            countActiveSessions: (now) => {
              queries++;
              return (holder.app as TestApp).store.sessions.countActiveSessions(now);
            },
          },
          clock: () => Date.now(),
        },
        { sessionCountTtlMs: ttl },
      );
      const scraped = await testApp({ settings: { metrics: 'on', metrics_token: TOKEN }, metrics });
      holder.app = scraped;
      try {
        for (let count = 0; count < 3; count++) expect((await scrape(scraped)).values.get('idp_active_sessions')).toBe(0);
        expect({ ttl, queries }).toEqual({ ttl, queries: expected });
      } finally {
        await scraped.cleanup();
      }
    }
  });
});
