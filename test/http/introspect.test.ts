// Token introspection (RFC 7662): confidential clients only, the members of an active token, and
// {"active": false} alone for every token that does not work any more.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { updateClient } from '../../src/clients/clients.ts';
import { epochSeconds } from '../../src/clock.ts';
import type { UserRecord } from '../../src/store/store.ts';
import { removeUser, setDisabled } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  basicAuth,
  FULL_SCOPE,
  obtainCode,
  redeemCode,
  refreshRequest,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';

let app: TestApp;
let user: UserRecord;
let rp: RegisteredClient;
/** A confidential client standing for a resource server that asks about tokens. */
let api: RegisteredClient;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  user = await addUser(app);
  rp = await addClient(app);
  api = await addClient(app, { name: 'API' });
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

function formRequest(form: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request('/introspect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

function introspectAs(registered: RegisteredClient, form: Record<string, string>): Promise<Response> {
  const { client, secret } = registered;
  switch (client.metadata.token_endpoint_auth_method) {
    case 'client_secret_basic':
      return formRequest(form, basicAuth(client.id, secret ?? ''));
    case 'client_secret_post':
      return formRequest({ ...form, client_id: client.id, client_secret: secret ?? '' });
    case 'none':
      return formRequest({ ...form, client_id: client.id });
  }
}

async function introspect(token: string, hint?: string, as: RegisteredClient = api): Promise<Record<string, unknown>> {
  const response = await introspectAs(as, { token, ...(hint ? { token_type_hint: hint } : {}) });
  const text = await response.text();
  expect({ status: response.status, body: response.status === 200 ? 'ok' : text }).toEqual({ status: 200, body: 'ok' });
  expect(response.headers.get('content-type')).toContain('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  return JSON.parse(text) as Record<string, unknown>;
}

async function expectInactive(token: string, hint?: string): Promise<void> {
  expect(await introspect(token, hint)).toEqual({ active: false });
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

function revoke(registered: RegisteredClient, token: string): Promise<Response> {
  return app.request('/revoke', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(registered.client.id, registered.secret as string) },
    body: new URLSearchParams({ token }).toString(),
  });
}

describe('active tokens (RFC 7662 §2.2)', () => {
  it('RFC 7662 §2.2: an opaque access token is active with scope, client_id, username, sub, aud, iss, exp, iat and token_type Bearer', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const now = epochSeconds(app.clock);
    expect(await introspect(issued.access_token)).toEqual({
      active: true,
      scope: FULL_SCOPE,
      client_id: rp.client.id,
      username: 'alice',
      sub: user.id,
      aud: [rp.client.id],
      iss: ISSUER,
      exp: now + app.config.access_token_ttl,
      iat: now,
      token_type: 'Bearer',
    });
  });

  it('RFC 7662 §2.2 / RFC 9068 §3: a JWT access token introspects with the same members as its claims, aud being the client\'s audiences', async () => {
    const audiences = ['https://api.example.test', 'https://files.example.test'];
    const jwtClient = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt', audiences });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    const claims = decodeJwt(issued.access_token);
    const result = await introspect(issued.access_token);
    expect(result).toEqual({
      active: true,
      scope: FULL_SCOPE,
      client_id: jwtClient.client.id,
      username: 'alice',
      sub: user.id,
      aud: audiences,
      iss: ISSUER,
      exp: claims.exp as number,
      iat: claims.iat as number,
      token_type: 'Bearer',
    });
    expect(result.aud).toEqual(claims.aud as string[]);
    expect(result.sub).toBe(claims.sub as string);
    expect(result.scope).toBe(claims.scope as string);
  });

  it('RFC 7662 §2.2: a JWT access token introspects with the audience it was minted with, even after the client\'s audiences change', async () => {
    const jwtClient = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt', audiences: ['https://old.example.test'] });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    await updateClient({ clients: app.store.clients, clock: app.clock }, jwtClient.client.id, { audiences: ['https://new.example.test'] });
    expect((await introspect(issued.access_token)).aud).toEqual(['https://old.example.test']);
  });

  it('RFC 7662 §2.2: a JWT access token with one audience introspects with aud [client_id] by default', async () => {
    const jwtClient = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt' });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    const result = await introspect(issued.access_token);
    expect(result).toMatchObject({ active: true, aud: [jwtClient.client.id], client_id: jwtClient.client.id, token_type: 'Bearer' });
  });

  it('RFC 7662 §2.2: an opaque access token of a client with registered audiences introspects with those audiences', async () => {
    const audiences = ['https://api.example.test'];
    const withAud = await addClient(app, { name: 'Aud RP', audiences });
    const { tokens: issued } = await signInForTokens(app, browser, withAud);
    expect(issued.access_token.split('.')).toHaveLength(1);
    expect((await introspect(issued.access_token)).aud).toEqual(audiences);
  });

  it('RFC 7662 §2.2: a refresh token is active with token_type refresh_token, aud the client id and its own exp', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const now = epochSeconds(app.clock);
    expect(await introspect(issued.refresh_token as string, 'refresh_token')).toEqual({
      active: true,
      scope: FULL_SCOPE,
      client_id: rp.client.id,
      username: 'alice',
      sub: user.id,
      aud: [rp.client.id],
      iss: ISSUER,
      exp: now + app.config.refresh_token_ttl,
      iat: now,
      token_type: 'refresh_token',
    });
  });

  it('RFC 7662 §2.1: token_type_hint is only a hint; a wrong or unknown hint still finds the token', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    expect(await introspect(issued.access_token, 'refresh_token')).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(await introspect(issued.refresh_token as string, 'access_token')).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect(await introspect(issued.access_token, 'id_token')).toMatchObject({ active: true, token_type: 'Bearer' });
  });

  it('RFC 7662 §2.1: the client the token was issued to may introspect it too, with client_secret_post', async () => {
    const post = await addClient(app, { name: 'Post RP', authMethod: 'client_secret_post' });
    const { tokens: issued } = await signInForTokens(app, browser, post);
    expect(await introspect(issued.access_token, undefined, post)).toMatchObject({ active: true, client_id: post.client.id });
  });
});

describe('inactive tokens (RFC 7662 §2.2)', () => {
  it('RFC 7662 §2.2: an unknown token is {"active": false} and nothing else', async () => {
    await expectInactive('not-a-token');
    await expectInactive('not-a-token', 'refresh_token');
    await expectInactive('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
  });

  it('RFC 7662 §2.2: an access token past access_token_ttl is inactive; one second before, active', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    app.clock.advance(app.config.access_token_ttl - 1);
    expect((await introspect(issued.access_token)).active).toBe(true);
    app.clock.advance(1);
    await expectInactive(issued.access_token);
    // The refresh token lives longer.
    expect((await introspect(issued.refresh_token as string)).active).toBe(true);
  });

  it('RFC 7662 §2.2: a refresh token past refresh_token_ttl is inactive', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    app.clock.advance(app.config.refresh_token_ttl);
    await expectInactive(issued.refresh_token as string);
  });

  it('RFC 7662 §2.2 / RFC 7009 §2.1: a revoked access token is inactive; a revoked refresh token makes the whole grant inactive', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    expect((await revoke(rp, issued.access_token)).status).toBe(200);
    await expectInactive(issued.access_token);
    expect((await introspect(issued.refresh_token as string)).active).toBe(true);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    expect((await introspect(refreshed.access_token)).active).toBe(true);
    expect((await revoke(rp, refreshed.refresh_token as string)).status).toBe(200);
    await expectInactive(refreshed.refresh_token as string);
    await expectInactive(refreshed.access_token);
  });

  it('RFC 7662 §2.2 / RFC 6749 §4.1.2: tokens of a grant revoked by a replayed code are inactive', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const issued = await tokens(await redeemCode(app, rp, code.code, code.verifier));
    await expectError(await redeemCode(app, rp, code.code, code.verifier), 400, 'invalid_grant');
    await expectInactive(issued.access_token);
    await expectInactive(issued.refresh_token as string);
  });

  it('RFC 7662 §2.2 / RFC 9700 §4.14.2: a rotated refresh token stays active within refresh_token_reuse_grace and is inactive after it; its successor is active', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const next = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    // Within the grace /token still accepts it (a retry), so it is still active.
    app.clock.advance(app.config.refresh_token_reuse_grace - 1);
    expect((await introspect(issued.refresh_token as string)).active).toBe(true);
    app.clock.advance(1);
    await expectInactive(issued.refresh_token as string);
    expect((await introspect(next.refresh_token as string)).active).toBe(true);
    // Introspection did not spend or revoke anything.
    await tokens(await refreshRequest(app, rp, next.refresh_token as string));
  });

  it('RFC 7662 §2.2: the tokens of a disabled user are inactive, and active again once the user is enabled', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', true);
    await expectInactive(issued.access_token);
    await expectInactive(issued.refresh_token as string);
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', false);
    expect((await introspect(issued.access_token)).active).toBe(true);
  });

  it('RFC 7662 §2.2: the tokens of a removed user are inactive', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await removeUser({ users: app.store.users, clock: app.clock }, 'alice');
    await expectInactive(issued.access_token);
    await expectInactive(issued.refresh_token as string);
  });
});

describe('who may introspect (RFC 7662 §2.1, §4)', () => {
  it('RFC 7662 §2.1, §4: a public client is refused with 401 invalid_client', async () => {
    const spa = await addClient(app, { name: 'SPA', type: 'public' });
    const { tokens: issued } = await signInForTokens(app, browser, spa);
    const response = await formRequest({ token: issued.access_token, client_id: spa.client.id });
    const body = await expectError(response, 401, 'invalid_client');
    expect(body.error_description).toBe('Introspection needs a confidential client.');
    expect(body).not.toHaveProperty('active');
  });

  it('RFC 7662 §2.1: a request without client authentication is refused with 401 invalid_client', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const response = await formRequest({ token: issued.access_token });
    const body = await expectError(response, 401, 'invalid_client');
    expect(body).not.toHaveProperty('active');
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="idp"/);
    // A bearer token is not client authentication either.
    const bearer = await formRequest({ token: issued.access_token }, `Bearer ${issued.access_token}`);
    await expectError(bearer, 401, 'invalid_client');
  });

  it('RFC 7662 §2.1 / RFC 6749 §5.2: a wrong secret is 401 invalid_client', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectError(await formRequest({ token: issued.access_token }, basicAuth(api.client.id, 'wrong')), 401, 'invalid_client');
  });
});

describe('the introspection request (RFC 7662 §2.1)', () => {
  it('RFC 7662 §2.1: a missing (or empty) token is invalid_request', async () => {
    await expectError(await introspectAs(api, {}), 400, 'invalid_request');
    await expectError(await introspectAs(api, { token: '' }), 400, 'invalid_request');
  });

  it('RFC 7662 §2.1: a body that is not application/x-www-form-urlencoded is invalid_request', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const response = await app.request('/introspect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(api.client.id, api.secret as string) },
      body: JSON.stringify({ token: issued.access_token }),
    });
    await expectError(response, 400, 'invalid_request');
  });

  it('RFC 7662 §2.2: answers are JSON with Cache-Control: no-store and Pragma: no-cache', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    for (const token of [issued.access_token, 'unknown']) {
      const response = await introspectAs(api, { token });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('pragma')).toBe('no-cache');
    }
  });
});
