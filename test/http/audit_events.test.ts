// Events of the HTTP flows: each sign-in, consent, token issued, refreshed or revoked and each logout is
// one audit row (in order, with the user and client ids) and goes to the adapter's onEvent; none of them
// carries a password, code, token, token digest or client secret, and a failing onEvent fails nothing.
import { afterEach, describe, expect, it } from 'bun:test';
import type { Adapter, IdpEvent } from '../../src/adapter/types.ts';
import type { AuditEventRecord } from '../../src/store/store.ts';
import { hashToken } from '../../src/tokens/secret.ts';
import { setDisabled } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  authorizePath,
  basicAuth,
  clientTokenRequest,
  codeRequestParams,
  hiddenFields,
  location,
  obtainCode,
  PASSWORD,
  pkcePair,
  redeemCode,
  refreshRequest,
  REDIRECT_URI,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let app: TestApp;
afterEach(() => app.cleanup());

/** Token events are kept in the audit log only with audit_token_events; these tests turn it on unless told otherwise. */
async function setUp(options: Parameters<typeof testApp>[0] = {}) {
  app = await testApp({ ...options, settings: { audit_token_events: 'true', ...options.settings } });
  const user = await addUser(app);
  const rp = await addClient(app, { grantTypes: ['authorization_code', 'refresh_token', 'implicit'] });
  return { user, rp, browser: new TestBrowser(app) };
}

async function auditRows(): Promise<AuditEventRecord[]> {
  return app.store.audit.list({ limit: 1000 });
}

/** Type, user and client of each row, in order. */
async function timeline(): Promise<[string, string | null, string | null][]> {
  return (await auditRows()).map((row) => [row.type, row.userId, row.clientId]);
}

function form(path: string, body: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(body).toString(),
  });
}

/** Asserts that no audit row holds any of `secrets`, nor the SHA-256 digest the store keeps of it. */
async function expectNoSecrets(secrets: string[]): Promise<void> {
  const text = JSON.stringify(await auditRows());
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(hashToken(secret));
  }
}

/** Opens the login page of a fresh authorization request; returns its form fields. */
async function loginForm(browser: TestBrowser, rp: RegisteredClient): Promise<Record<string, string>> {
  const params = { client_id: rp.client.id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', state: 's', nonce: 'n' };
  const { challenge } = pkcePair();
  const start = await browser.get(authorizePath({ ...params, code_challenge: challenge, code_challenge_method: 'S256' }));
  const page = await browser.get(location(start));
  expect(page.status).toBe(200);
  return hiddenFields(await page.text());
}

describe('audit rows of a browser sign-in, code flow, refresh, revocation and logout', () => {
  it('are written in order with the right user and client, and hold no secret material', async () => {
    const { user, rp, browser } = await setUp();
    const { tokens, code } = await signInForTokens(app, browser, rp);
    const refreshed = (await (await refreshRequest(app, rp, tokens.refresh_token as string)).json()) as TokenJson;
    expect(refreshed.refresh_token).toBeString();
    expect((await form('/revoke', { token: refreshed.refresh_token as string }, basicAuth(rp.client.id, rp.secret as string))).status).toBe(200);
    // The ID token proves the user and session, so /logout ends the session without asking.
    const logout = await browser.get(`/logout?id_token_hint=${encodeURIComponent(tokens.id_token as string)}`);
    expect(logout.status).toBe(303);

    const [u, c] = [user.id, rp.client.id];
    expect(await timeline()).toEqual([
      ['login.succeeded', u, c],
      ['consent.granted', u, c],
      ['token.issued', u, c],
      ['token.refreshed', u, c],
      ['token.revoked', u, c],
      ['logout', u, c],
    ]);
    const rows = await auditRows();
    const byType = Object.fromEntries(rows.map((row) => [row.type, row.details]));
    expect(byType['login.succeeded']).toEqual({ username: 'alice', ip: null });
    expect(byType['consent.granted']).toEqual({ scopes: ['openid', 'profile', 'email', 'offline_access'] });
    const issued = byType['token.issued'] as { grant_type: string; grant_id: string; scopes: string[] };
    expect(issued).toMatchObject({ grant_type: 'authorization_code', scopes: ['openid', 'profile', 'email', 'offline_access'] });
    expect(issued.grant_id).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(byType['token.refreshed']).toEqual({ grant_id: issued.grant_id, scopes: ['openid', 'profile', 'email', 'offline_access'] });
    expect(byType['token.revoked']).toEqual({ by: 'client', what: 'grant', grant_id: issued.grant_id, grants: 1 });
    expect(Object.keys(byType['logout'] as object)).toEqual(['sid']);
    expect(rows.every((row) => row.at === Math.floor(app.clock() / 1000))).toBe(true);

    const sessionCookie = [...browser.cookies.values()];
    await expectNoSecrets([
      PASSWORD,
      code.code,
      code.verifier,
      tokens.access_token,
      tokens.refresh_token as string,
      tokens.id_token as string,
      refreshed.access_token,
      refreshed.refresh_token as string,
      rp.secret as string,
      ...sessionCookie,
    ]);
  });

  it('login.failed says why: wrong password, unknown user, disabled account; the typed username is kept, trimmed', async () => {
    const { user, rp, browser } = await setUp();
    const fields = await loginForm(browser, rp);
    for (const [username, password] of [
      ['alice', 'not the password'],
      ['  mallory  ', 'whatever it is'],
    ] as const) {
      const response = await browser.post('/login', { ...fields, username, password });
      expect(response.status).toBe(401);
    }
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', true);
    expect((await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD })).status).toBe(401);

    const rows = await auditRows();
    expect(rows.map((row) => [row.type, row.userId, row.clientId, row.details])).toEqual([
      ['login.failed', user.id, rp.client.id, { username: 'alice', reason: 'wrong_password', ip: null }],
      ['login.failed', null, rp.client.id, { username: 'mallory', reason: 'unknown_user', ip: null }],
      ['login.failed', user.id, rp.client.id, { username: 'alice', reason: 'disabled', ip: null }],
    ]);
    await expectNoSecrets([PASSWORD, 'not the password', 'whatever it is']);
  });

  it('consent.denied names the scopes the user refused', async () => {
    const { user, rp, browser } = await setUp();
    const { params } = codeRequestParams(rp.client.id, { scope: 'openid email' });
    const back = await authorizeInBrowser(browser, params, { decision: 'deny' });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect((await auditRows()).map((row) => [row.type, row.userId, row.clientId, row.details])).toEqual([
      ['login.succeeded', user.id, rp.client.id, { username: 'alice', ip: null }],
      ['consent.denied', user.id, rp.client.id, { scopes: ['openid', 'email'] }],
    ]);
  });
});

describe('token events of the other grants and of the server revoking', () => {
  it('a replayed code revokes its grant: token.revoked by code_replay', async () => {
    const { user, rp, browser } = await setUp();
    const code = await obtainCode(browser, rp.client.id);
    expect((await redeemCode(app, rp, code.code, code.verifier)).status).toBe(200);
    expect((await redeemCode(app, rp, code.code, code.verifier)).status).toBe(400);
    const rows = await auditRows();
    const issued = rows.find((row) => row.type === 'token.issued');
    expect(rows.at(-1)).toMatchObject({
      type: 'token.revoked',
      userId: user.id,
      clientId: rp.client.id,
      details: { by: 'code_replay', what: 'grant', grant_id: issued?.details.grant_id, grants: 1 },
    });
  });

  it('a reused rotated refresh token revokes its family: token.revoked by refresh_reuse', async () => {
    const { user, rp, browser } = await setUp();
    const { tokens } = await signInForTokens(app, browser, rp);
    expect((await refreshRequest(app, rp, tokens.refresh_token as string)).status).toBe(200);
    app.clock.advance(60);
    expect((await refreshRequest(app, rp, tokens.refresh_token as string)).status).toBe(400);
    expect((await timeline()).slice(-3)).toEqual([
      ['token.issued', user.id, rp.client.id],
      ['token.refreshed', user.id, rp.client.id],
      ['token.revoked', user.id, rp.client.id],
    ]);
    expect((await auditRows()).at(-1)?.details).toMatchObject({ by: 'refresh_reuse', what: 'grant', grants: 1 });
  });

  it('an access token revoked at /revoke is token.revoked of that token alone', async () => {
    const { rp, browser } = await setUp();
    const { tokens } = await signInForTokens(app, browser, rp);
    await form('/revoke', { token: tokens.access_token }, basicAuth(rp.client.id, rp.secret as string));
    // Unknown or already revoked: nothing happened, nothing is recorded.
    await form('/revoke', { token: tokens.access_token }, basicAuth(rp.client.id, rp.secret as string));
    const revoked = (await auditRows()).filter((row) => row.type === 'token.revoked');
    expect(revoked.map((row) => row.details)).toEqual([{ by: 'client', what: 'access_token', grant_id: expect.any(String), grants: 0 }]);
  });

  it('client_credentials: token.issued for the client, with no user', async () => {
    await setUp();
    const job = await addClient(app, { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'] });
    const response = await clientTokenRequest(app, job, { grant_type: 'client_credentials' });
    expect(response.status).toBe(200);
    const rows = await auditRows();
    expect(rows.map((row) => [row.type, row.userId, row.clientId, row.details.grant_type])).toEqual([['token.issued', null, job.client.id, 'client_credentials']]);
    await expectNoSecrets([((await response.json()) as TokenJson).access_token, job.secret as string]);
  });

  it('implicit: token.issued at /authorize, with the grant of the access token or none for an ID token alone', async () => {
    const { user, rp, browser } = await setUp();
    const base = { client_id: rp.client.id, redirect_uri: REDIRECT_URI, scope: 'openid', nonce: 'n-1', state: 's-1' };
    const first = await authorizeInBrowser(browser, { ...base, response_type: 'id_token token' });
    const accessToken = new URLSearchParams(first.hash.slice(1)).get('access_token') as string;
    await authorizeInBrowser(browser, { ...base, response_type: 'id_token' });
    const issued = (await auditRows()).filter((row) => row.type === 'token.issued');
    expect(issued.map((row) => [row.userId, row.clientId, row.details.grant_type, typeof row.details.grant_id])).toEqual([
      [user.id, rp.client.id, 'implicit', 'string'],
      [user.id, rp.client.id, 'implicit', 'object'],
    ]);
    await expectNoSecrets([accessToken]);
  });

  it('device flow: sign-in on the device page, the approval as consent.granted, token.issued when the device polls', async () => {
    const { user, browser } = await setUp();
    const tv = await addClient(app, { name: 'TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    const device = (await (await form('/device_authorization', { client_id: tv.client.id, scope: 'openid profile' })).json()) as {
      device_code: string;
      user_code: string;
    };
    const page = await browser.get('/device');
    const confirm = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: PASSWORD, user_code: device.user_code });
    expect(confirm.status).toBe(200);
    expect((await browser.post('/device', { ...hiddenFields(await confirm.text()), decision: 'allow' })).status).toBe(200);
    const poll = await clientTokenRequest(app, tv, { grant_type: DEVICE_GRANT, device_code: device.device_code });
    expect(poll.status).toBe(200);
    const rows = await auditRows();
    expect(rows.map((row) => [row.type, row.userId, row.clientId])).toEqual([
      ['login.succeeded', user.id, null],
      ['consent.granted', user.id, tv.client.id],
      ['token.issued', user.id, tv.client.id],
    ]);
    expect(rows[1]?.details).toEqual({ scopes: ['openid', 'profile'] });
    expect(rows[2]?.details).toMatchObject({ grant_type: DEVICE_GRANT, scopes: ['openid', 'profile'] });
    await expectNoSecrets([device.device_code, ((await poll.json()) as TokenJson).access_token, PASSWORD]);
    expect(JSON.stringify(rows)).not.toContain(device.user_code.replace('-', ''));
  });
});

describe("the adapter's onEvent", () => {
  it('receives every event the audit log records, as copies', async () => {
    const received: IdpEvent[] = [];
    const adapter: Adapter = {
      onEvent(event) {
        received.push(event);
        (event.details as { scopes?: string[] }).scopes?.push('tampered');
      },
    };
    const { rp, browser } = await setUp({ adapter });
    await signInForTokens(app, browser, rp);
    const rows = await auditRows();
    expect(received.map((event) => [event.type, event.userId, event.clientId, event.at])).toEqual(rows.map((row) => [row.type, row.userId, row.clientId, row.at]));
    expect(received.map((event) => event.type)).toEqual(['login.succeeded', 'consent.granted', 'token.issued']);
    // What the adapter changes in its copy is not what the audit log holds.
    expect(rows.some((row) => JSON.stringify(row.details).includes('tampered'))).toBe(false);
  });

  it('by default the audit log leaves out token.issued and token.refreshed, which the adapter still receives', async () => {
    const received: string[] = [];
    const { rp, browser } = await setUp({ adapter: { onEvent: (event) => void received.push(event.type) }, settings: { audit_token_events: 'false' } });
    const { tokens } = await signInForTokens(app, browser, rp);
    expect((await refreshRequest(app, rp, tokens.refresh_token as string)).status).toBe(200);
    expect((await auditRows()).map((row) => row.type)).toEqual(['login.succeeded', 'consent.granted']);
    expect(received).toEqual(['login.succeeded', 'consent.granted', 'token.issued', 'token.refreshed']);
  });

  it('that throws fails no request; the failure is a warning in the log and the audit row is still written', async () => {
    const { rp, browser } = await setUp({
      adapter: {
        onEvent() {
          throw new Error('event bus down');
        },
      },
    });
    const { tokens } = await signInForTokens(app, browser, rp);
    expect(tokens.access_token).toBeString();
    expect((await timeline()).map(([type]) => type)).toEqual(['login.succeeded', 'consent.granted', 'token.issued']);
    const warnings = app.logLines.filter((line) => line.includes("the adapter's onEvent() failed"));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain('event bus down');
  });
});
