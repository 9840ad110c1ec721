// Token revocation (RFC 7009): client authentication as at /token, refresh tokens revoke their grant,
// access tokens are revoked alone, and tokens the caller may not revoke are answered 200 untouched.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { rotateClientSecret } from '../../src/clients/clients.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  basicAuth,
  refreshRequest,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
  userinfoRequest,
} from '../helpers/oidc.ts';

let app: TestApp;
let rp: RegisteredClient;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  await addUser(app);
  rp = await addClient(app);
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

function formRequest(path: string, form: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

/** A request to `path` authenticated the way `registered` is registered to authenticate. */
function asClient(path: string, registered: RegisteredClient, form: Record<string, string>): Promise<Response> {
  const { client, secret } = registered;
  switch (client.metadata.token_endpoint_auth_method) {
    case 'client_secret_basic':
      return formRequest(path, form, basicAuth(client.id, secret ?? ''));
    case 'client_secret_post':
      return formRequest(path, { ...form, client_id: client.id, client_secret: secret ?? '' });
    case 'none':
      return formRequest(path, { ...form, client_id: client.id });
  }
}

function revoke(registered: RegisteredClient, form: Record<string, string>): Promise<Response> {
  return asClient('/revoke', registered, form);
}

async function expectRevoked(response: Response): Promise<void> {
  const body = await response.text();
  expect({ status: response.status, body }).toEqual({ status: 200, body: '' });
  expect(response.headers.get('cache-control')).toBe('no-store');
}

async function expectError(response: Response, status: number, error: string): Promise<Record<string, string>> {
  const body = (await response.json()) as Record<string, string>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(response.headers.get('cache-control')).toBe('no-store');
  return body;
}

async function tokens(response: Response): Promise<TokenJson> {
  const text = await response.text();
  expect({ status: response.status, body: response.status === 200 ? 'ok' : text }).toEqual({ status: 200, body: 'ok' });
  return JSON.parse(text) as TokenJson;
}

/** Whether /introspect (asked by a separate confidential client) says the token is active. */
async function active(token: string): Promise<boolean> {
  const api = await addClient(app, { name: `API ${crypto.randomUUID()}` });
  const response = await asClient('/introspect', api, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

describe('revoking an access token (RFC 7009 §2.1)', () => {
  it('RFC 7009 §2.1: a revoked access token stops working at /userinfo and introspects inactive; the refresh token still works', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
    await expectRevoked(await revoke(rp, { token: issued.access_token, token_type_hint: 'access_token' }));
    const userinfo = await userinfoRequest(app, issued.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await active(issued.access_token)).toBe(false);
    // Only that token: the grant and its refresh token live on.
    expect(await active(issued.refresh_token as string)).toBe(true);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    expect((await userinfoRequest(app, refreshed.access_token)).status).toBe(200);
  });

  it('RFC 7009 §2.1: revoking one access token leaves the other access tokens of the grant alone', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    await expectRevoked(await revoke(rp, { token: refreshed.access_token }));
    expect((await userinfoRequest(app, refreshed.access_token)).status).toBe(401);
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
  });

  it('RFC 7009 §2.1 / RFC 9068: a JWT access token is revoked the same way', async () => {
    const jwtClient = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt' });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    expect(issued.access_token.split('.')).toHaveLength(3);
    await expectRevoked(await revoke(jwtClient, { token: issued.access_token }));
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
    expect(await active(issued.access_token)).toBe(false);
  });
});

describe('revoking a refresh token (RFC 7009 §2.1)', () => {
  it('RFC 7009 §2.1: a revoked refresh token is invalid_grant at /token, and the access tokens of its grant are dead too', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    await expectRevoked(await revoke(rp, { token: refreshed.refresh_token as string, token_type_hint: 'refresh_token' }));
    await expectError(await refreshRequest(app, rp, refreshed.refresh_token as string), 400, 'invalid_grant');
    for (const accessToken of [issued.access_token, refreshed.access_token]) {
      expect((await userinfoRequest(app, accessToken)).status).toBe(401);
      expect(await active(accessToken)).toBe(false);
    }
    expect(await active(refreshed.refresh_token as string)).toBe(false);
  });

  it('RFC 7009 §2.1: revoking a refresh token leaves the client\'s other grants alone', async () => {
    const first = (await signInForTokens(app, browser, rp)).tokens;
    const second = (await signInForTokens(app, browser, rp)).tokens;
    await expectRevoked(await revoke(rp, { token: first.refresh_token as string }));
    expect((await userinfoRequest(app, second.access_token)).status).toBe(200);
    await tokens(await refreshRequest(app, rp, second.refresh_token as string));
  });
});

describe('token_type_hint (RFC 7009 §2.1)', () => {
  it('RFC 7009 §2.1: an access token sent with token_type_hint=refresh_token is still found and revoked', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectRevoked(await revoke(rp, { token: issued.access_token, token_type_hint: 'refresh_token' }));
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
    // Still an access token revocation: the refresh token works.
    await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
  });

  it('RFC 7009 §2.1: a refresh token sent with token_type_hint=access_token is still found and revokes its grant', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectRevoked(await revoke(rp, { token: issued.refresh_token as string, token_type_hint: 'access_token' }));
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string), 400, 'invalid_grant');
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
  });

  it('RFC 7009 §2.1: an unknown token_type_hint value is ignored', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectRevoked(await revoke(rp, { token: issued.access_token, token_type_hint: 'id_token' }));
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
  });
});

describe('tokens the caller cannot revoke (RFC 7009 §2.2)', () => {
  it('RFC 7009 §2.2: an unknown token is answered 200 with an empty body', async () => {
    await expectRevoked(await revoke(rp, { token: 'not-a-token' }));
    await expectRevoked(await revoke(rp, { token: 'not-a-token', token_type_hint: 'refresh_token' }));
  });

  it('RFC 7009 §2.1, §2.2: another client\'s access and refresh tokens are answered 200 and keep working', async () => {
    const other = await addClient(app, { name: 'Other RP' });
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectRevoked(await revoke(other, { token: issued.access_token }));
    await expectRevoked(await revoke(other, { token: issued.refresh_token as string }));
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
    await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
  });

  it('RFC 7009 §2.2: an already revoked token is answered 200 again', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectRevoked(await revoke(rp, { token: issued.refresh_token as string }));
    await expectRevoked(await revoke(rp, { token: issued.refresh_token as string }));
    await expectRevoked(await revoke(rp, { token: issued.access_token }));
  });

  it('RFC 7009 §2.2: an expired refresh token is answered 200 and its grant is left alone', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    app.clock.advance(10);
    const next = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    // The first refresh token has expired; its successor, issued 10 s later, has not.
    app.clock.advance(app.config.refresh_token_ttl - 10);
    await expectRevoked(await revoke(rp, { token: issued.refresh_token as string }));
    await tokens(await refreshRequest(app, rp, next.refresh_token as string));
  });

  it('RFC 7009 §2.2: an expired access token is answered 200', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    app.clock.advance(app.config.access_token_ttl + 1);
    await expectRevoked(await revoke(rp, { token: issued.access_token }));
    // The grant was not touched.
    await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
  });
});

describe('client authentication at /revoke (RFC 7009 §2.1, RFC 6749 §2.3, §5.2)', () => {
  it('RFC 7009 §2.1 / RFC 6749 §2.1: a public client revokes its token with client_id alone', async () => {
    const spa = await addClient(app, { name: 'SPA', type: 'public' });
    const { tokens: issued } = await signInForTokens(app, browser, spa);
    const response = await formRequest('/revoke', { token: issued.refresh_token as string, client_id: spa.client.id });
    await expectRevoked(response);
    await expectError(await refreshRequest(app, spa, issued.refresh_token as string), 400, 'invalid_grant');
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
  });

  it('RFC 7009 §2.1 / RFC 6749 §2.3.1: client_secret_post works for a client registered for it', async () => {
    const post = await addClient(app, { name: 'Post RP', authMethod: 'client_secret_post' });
    const { tokens: issued } = await signInForTokens(app, browser, post);
    await expectRevoked(
      await formRequest('/revoke', { token: issued.access_token, client_id: post.client.id, client_secret: post.secret as string }),
    );
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(401);
  });

  it('RFC 7009 §2.2.1 / RFC 6749 §5.2: a wrong secret is invalid_client with 401 and WWW-Authenticate, and the token is left alone', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const response = await formRequest('/revoke', { token: issued.access_token }, basicAuth(rp.client.id, 'wrong'));
    await expectError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="idp"/);
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
  });

  it('RFC 7009 §2.1 / RFC 6749 §5.2: no client credentials at all is invalid_client; a confidential client\'s client_id alone too', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectError(await formRequest('/revoke', { token: issued.access_token }), 401, 'invalid_client');
    await expectError(await formRequest('/revoke', { token: issued.access_token, client_id: rp.client.id }), 401, 'invalid_client');
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
  });

  it('RFC 7009 §2.1: after rotate-secret with a grace, the previous secret authenticates until the grace ends (server clock)', async () => {
    const old = rp.secret as string;
    const rotated = await rotateClientSecret({ clients: app.store.clients, clock: app.clock }, rp.client.id, 60);
    await expectRevoked(await formRequest('/revoke', { token: 'unknown' }, basicAuth(rp.client.id, old)));
    app.clock.advance(60);
    await expectError(await formRequest('/revoke', { token: 'unknown' }, basicAuth(rp.client.id, old)), 401, 'invalid_client');
    await expectRevoked(await formRequest('/revoke', { token: 'unknown' }, basicAuth(rp.client.id, rotated.secret as string)));
  });
});

describe('the revocation request (RFC 7009 §2.1, §2.2)', () => {
  it('RFC 7009 §2.1: a missing (or empty) token is invalid_request', async () => {
    await expectError(await revoke(rp, {}), 400, 'invalid_request');
    await expectError(await revoke(rp, { token: '', token_type_hint: 'access_token' }), 400, 'invalid_request');
  });

  it('RFC 7009 §2.1: a body that is not application/x-www-form-urlencoded is invalid_request', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const response = await app.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(rp.client.id, rp.secret as string) },
      body: JSON.stringify({ token: issued.access_token }),
    });
    await expectError(response, 400, 'invalid_request');
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
  });

  it('RFC 6749 §3.2: a repeated token parameter is invalid_request', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const body = new URLSearchParams([
      ['token', issued.access_token],
      ['token', issued.refresh_token as string],
    ]);
    const response = await app.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(rp.client.id, rp.secret as string) },
      body: body.toString(),
    });
    await expectError(response, 400, 'invalid_request');
  });

  it('RFC 7009 §2.2 / RFC 6749 §5.1: answers carry Cache-Control: no-store and Pragma: no-cache', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const ok = await revoke(rp, { token: issued.access_token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('pragma')).toBe('no-cache');
    const failed = await revoke(rp, {});
    expect(failed.headers.get('cache-control')).toBe('no-store');
  });
});
