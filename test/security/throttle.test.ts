// Brute-force limits through the real pages and endpoints (SQLite store, movable clock): sign-in
// back-off per username and per address, the same answer for known and unknown usernames, client
// authentication back-off, and the token endpoint's per-client limit.
import { afterEach, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { isLoopbackAddress as isLoopback } from '../../src/http/client_ip.ts';
import { backOffDelay, tooManyAttemptsMessage } from '../../src/security/throttle.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  basicAuth,
  browse,
  codeRequestParams,
  hiddenFields,
  PASSWORD,
  type RegisteredClient,
  TestBrowser,
  tokenRequest,
} from '../helpers/oidc.ts';

const SESSION_COOKIE = '__Host-idp_session';
const WRONG = 'not the password';

// Each test checks dozens of argon2id passwords; `bun test` alone would give it only 5 seconds.
setDefaultTimeout(60_000);

let app: TestApp;
afterEach(() => app?.cleanup());

async function setUp(settings: Record<string, string | number> = {}) {
  app = await testApp({ settings });
  const user = await addUser(app);
  const rp = await addClient(app);
  return { user, rp, browser: new TestBrowser(app) };
}

/** Opens the login page of a new authorization request; returns its hidden form fields. */
async function loginFields(browser: TestBrowser, rp: RegisteredClient): Promise<Record<string, string>> {
  const { response, path } = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
  expect(path).toStartWith('/login?');
  return hiddenFields(await response.text());
}

function errorMessage(html: string): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
}

async function signIn(browser: TestBrowser, fields: Record<string, string>, username: string, password: string, ip?: string) {
  const body = new URLSearchParams({ ...fields, username, password }).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (ip) headers['x-forwarded-for'] = ip;
  return browser.request('/login', { method: 'POST', headers, body });
}

async function failTimes(browser: TestBrowser, fields: Record<string, string>, username: string, times: number, ip?: string) {
  for (let i = 0; i < times; i++) expect((await signIn(browser, fields, username, WRONG, ip)).status).toBe(401);
}

describe('the back-off schedule', () => {
  it('free failures cost nothing; then 1, 2, 4 ... seconds, capped; 0 free turns it off', () => {
    const policy = { free: 5, maxDelay: 900 };
    expect([0, 4, 5, 6, 7, 14, 15, 100].map((failures) => backOffDelay(failures, policy))).toEqual([0, 0, 1, 2, 4, 512, 900, 900]);
    expect(backOffDelay(1000, { free: 0, maxDelay: 900 })).toBe(0);
  });

  it('says how long to wait in words people read', () => {
    expect(tooManyAttemptsMessage(1)).toBe('Too many attempts. Try again in 1 second.');
    expect(tooManyAttemptsMessage(64)).toBe('Too many attempts. Try again in 64 seconds.');
    expect(tooManyAttemptsMessage(900)).toBe('Too many attempts. Try again in 15 minutes.');
  });
});

describe('sign-in back-off per username', () => {
  it('after 5 failures each attempt waits 1, 2, 4 seconds after the last failure: 429, Retry-After and a clear message', async () => {
    const { rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 5);
    for (const wait of [1, 2, 4]) {
      const refused = await signIn(browser, fields, 'alice', WRONG);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe(String(wait));
      expect(refused.headers.get('content-type')).toContain('text/html');
      expect(errorMessage(await refused.text())).toBe(tooManyAttemptsMessage(wait));
      // One second short is still too early, and does not make the wait longer.
      app.clock.advance(wait - 1);
      if (wait > 1) expect((await signIn(browser, fields, 'alice', WRONG)).headers.get('retry-after')).toBe('1');
      app.clock.advance(1);
      expect((await signIn(browser, fields, 'alice', WRONG)).status).toBe(401);
    }
  });

  it('a throttled correct password is refused too, without a session; once the wait is over it signs in', async () => {
    const { rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 5);
    const refused = await signIn(browser, fields, 'alice', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('location')).toBeNull();
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    app.clock.advance(1);
    expect((await signIn(browser, fields, 'alice', PASSWORD)).status).toBe(303);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it('a success forgets the username\'s failures: 5 free failures again', async () => {
    const { rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 4);
    expect((await signIn(browser, fields, 'alice', PASSWORD)).status).toBe(303);
    const other = new TestBrowser(app);
    const otherFields = await loginFields(other, rp);
    await failTimes(other, otherFields, 'alice', 5);
    expect((await signIn(other, otherFields, 'alice', WRONG)).status).toBe(429);
  });

  it('counts a username case-insensitively (as it is looked up), and other usernames are not affected', async () => {
    const { rp, browser } = await setUp();
    await addUser(app, 'bob');
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'Alice', 3);
    await failTimes(browser, fields, ' alice', 2);
    expect((await signIn(browser, fields, 'ALICE', PASSWORD)).status).toBe(429);
    expect((await signIn(browser, fields, 'bob', WRONG)).status).toBe(401);
  });

  it('failures are forgotten 30 minutes after the last one', async () => {
    const { rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 5);
    app.clock.advance(29 * 60);
    // The wait is over, but the count is not: the next failure makes the next wait 2 seconds.
    expect((await signIn(browser, fields, 'alice', WRONG)).status).toBe(401);
    expect((await signIn(browser, fields, 'alice', WRONG)).headers.get('retry-after')).toBe('2');
    app.clock.advance(30 * 60);
    const fresh = await loginFields(browser, rp);
    await failTimes(browser, fresh, 'alice', 5);
  });

  it('requests racing on one username when a wait ends get one guess between them', async () => {
    const { rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 5);
    app.clock.advance(1);
    const answers = await Promise.all(Array.from({ length: 6 }, () => signIn(browser, fields, 'alice', PASSWORD)));
    const statuses = answers.map((response) => response.status).sort();
    expect(statuses).toEqual([303, 429, 429, 429, 429, 429]);
  });

  it('login_max_failures = 0 turns the username back-off off', async () => {
    const { rp, browser } = await setUp({ login_max_failures: 0 });
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 8);
    expect((await signIn(browser, fields, 'alice', PASSWORD)).status).toBe(303);
  });
});

describe('no account enumeration while throttled', () => {
  it('a known and an unknown username get the same status, headers and page, and the audit log says throttled', async () => {
    const { user, rp, browser } = await setUp();
    const fields = await loginFields(browser, rp);
    await failTimes(browser, fields, 'alice', 5);
    await failTimes(browser, fields, 'mallory', 5);
    const known = await signIn(browser, fields, 'alice', WRONG);
    const unknown = await signIn(browser, fields, 'mallory', WRONG);
    expect(known.status).toBe(429);
    expect(unknown.status).toBe(known.status);
    // Every header but the request's own id.
    const headers = (response: Response) => [...response.headers].filter(([name]) => name !== 'x-request-id');
    expect(headers(unknown)).toEqual(headers(known));
    expect((await unknown.text()).replaceAll('mallory', 'alice')).toBe(await known.text());

    const throttled = (await app.store.audit.list({ limit: 100 })).filter((row) => row.type === 'login.failed').slice(-2);
    expect(throttled.map((row) => [row.userId, row.details])).toEqual([
      [user.id, { username: 'alice', reason: 'throttled', ip: null }],
      [null, { username: 'mallory', reason: 'throttled', ip: null }],
    ]);
  });
});

describe('sign-in back-off per address', () => {
  it('trust_proxy: 20 failures from one X-Forwarded-For address, whatever the usernames, throttle that address only', async () => {
    const { rp, browser } = await setUp({ trust_proxy: 'true' });
    const fields = await loginFields(browser, rp);
    for (let i = 0; i < 20; i++) {
      // Only the last entry (the one our proxy appended) counts; the client wrote the first.
      expect((await signIn(browser, fields, `user${i}`, WRONG, `198.51.100.${i}, 203.0.113.7`)).status).toBe(401);
    }
    const refused = await signIn(browser, fields, 'alice', PASSWORD, '203.0.113.7');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    // Another address is not affected, and a success there does not clear the first address.
    expect((await signIn(browser, fields, 'alice', PASSWORD, '192.0.2.1')).status).toBe(303);
    const other = new TestBrowser(app);
    expect((await signIn(other, await loginFields(other, rp), 'alice', PASSWORD, '203.0.113.7')).status).toBe(429);
    const events = (await app.store.audit.list({ limit: 100 })).filter((row) => row.type === 'login.failed');
    expect(events.at(-1)?.details).toEqual({ username: 'alice', reason: 'throttled', ip: '203.0.113.7' });
  });

  it('without trust_proxy, X-Forwarded-For is not believed (app.handle has no peer address: nothing is counted per address)', async () => {
    const { rp, browser } = await setUp({ login_max_failures: 0 });
    const fields = await loginFields(browser, rp);
    for (let i = 0; i < 22; i++) expect((await signIn(browser, fields, `user${i}`, WRONG, '203.0.113.7')).status).toBe(401);
    expect((await signIn(browser, fields, 'alice', PASSWORD, '203.0.113.7')).status).toBe(303);
  });

  it('a loopback address (a proxy on the same machine) is not counted per address: its users do not all wait', async () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('1270::1')).toBe(false);
    expect(isLoopback('203.0.113.7')).toBe(false);
    const { rp, browser } = await setUp({ trust_proxy: 'true', login_ip_max_failures: 2 });
    const fields = await loginFields(browser, rp);
    for (let i = 0; i < 4; i++) expect((await signIn(browser, fields, `user${i}`, WRONG, '127.0.0.1')).status).toBe(401);
    expect((await signIn(browser, fields, 'alice', PASSWORD, '127.0.0.1')).status).toBe(303);
  });
});

describe('the device page sign-in form', () => {
  it('has the same back-off: 429, Retry-After and the sign-in form with the message', async () => {
    const { browser } = await setUp();
    const page = await browser.get('/device');
    const fields = hiddenFields(await page.text());
    const post = (password: string) => browser.post('/device', { ...fields, username: 'alice', password, user_code: '' });
    for (let i = 0; i < 5; i++) expect((await post(WRONG)).status).toBe(401);
    const refused = await post(PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    const html = await refused.text();
    expect(html).toContain('name="password"');
    expect(html).toContain(tooManyAttemptsMessage(1));
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    // The login page shares the count: it is the same username.
    app.clock.advance(1);
    expect((await post(WRONG)).status).toBe(401);
    expect((await post(PASSWORD)).headers.get('retry-after')).toBe('2');
  });
});

describe('client authentication back-off (invalid_client)', () => {
  async function machine(settings: Record<string, string | number> = {}) {
    await setUp(settings);
    const { client, secret } = await addClient(app, { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'] });
    return { client, good: basicAuth(client.id, secret as string), bad: basicAuth(client.id, 'wrong') };
  }

  it('after 10 invalid_client answers the client waits (429, Retry-After) even with the right secret; then it works and is forgotten', async () => {
    const { good, bad } = await machine();
    for (let i = 0; i < 10; i++) expect((await tokenRequest(app, { grant_type: 'client_credentials' }, bad)).status).toBe(401);
    const refused = await tokenRequest(app, { grant_type: 'client_credentials' }, good);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });
    // The same count at the other endpoints that authenticate clients.
    const revoke = await app.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: good },
      body: 'token=x',
    });
    expect(revoke.status).toBe(429);
    app.clock.advance(1);
    expect((await tokenRequest(app, { grant_type: 'client_credentials' }, good)).status).toBe(200);
    expect((await tokenRequest(app, { grant_type: 'client_credentials' }, bad)).status).toBe(401);
  });

  it('grows to at most a minute, and is counted per address: another address is not locked out', async () => {
    const { good, bad } = await machine({ trust_proxy: 'true' });
    const from = (ip: string, authorization: string) =>
      app.request('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, 'x-forwarded-for': ip },
        body: 'grant_type=client_credentials',
      });
    for (let i = 0; i < 10; i++) expect((await from('203.0.113.7', bad)).status).toBe(401);
    let wait = 1;
    for (; wait < 60; wait *= 2) {
      expect((await from('203.0.113.7', bad)).headers.get('retry-after')).toBe(String(wait));
      app.clock.advance(wait);
      expect((await from('203.0.113.7', bad)).status).toBe(401);
    }
    expect((await from('203.0.113.7', good)).headers.get('retry-after')).toBe('60');
    expect((await from('192.0.2.1', good)).status).toBe(200);
  });
});

describe('token endpoint rate limit per client (token_rate_limit)', () => {
  it('past the limit of the minute: 429 with Retry-After until the minute ends, before the grant runs', async () => {
    await setUp({ token_rate_limit: 3 });
    const { client, secret } = await addClient(app, { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'] });
    const authorization = basicAuth(client.id, secret as string);
    for (let i = 0; i < 3; i++) expect((await tokenRequest(app, { grant_type: 'client_credentials' }, authorization)).status).toBe(200);
    app.clock.advance(20);
    const refused = await tokenRequest(app, { grant_type: 'client_credentials' }, authorization);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('40');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const body = (await refused.json()) as { error: string; error_description: string };
    expect(body.error).toBe('temporarily_unavailable');
    expect(body.error_description).toContain('retry in 40 seconds');
    // Another client has its own count.
    const other = await addClient(app, { name: 'Other job', redirectUris: [], grantTypes: ['client_credentials'] });
    expect((await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(other.client.id, other.secret as string))).status).toBe(200);
    app.clock.advance(40);
    expect((await tokenRequest(app, { grant_type: 'client_credentials' }, authorization)).status).toBe(200);
  });

  it('0 turns it off', async () => {
    await setUp({ token_rate_limit: 0 });
    const { client, secret } = await addClient(app, { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'] });
    for (let i = 0; i < 5; i++) {
      expect((await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(client.id, secret as string))).status).toBe(200);
    }
  });
});
