// The implicit flow (OIDC Core §3.2): response_type=id_token and "id_token token" return the ID token
// (and access token) from the authorization endpoint in the fragment or a form_post, never the query;
// nonce and openid are required, no code or refresh token is issued, and only clients registered for
// the implicit grant may use it.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { jwtVerify } from 'jose';
import { epochSeconds } from '../../src/clock.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  authorizePath,
  hiddenFields,
  localJwks,
  REDIRECT_URI,
  type RegisteredClient,
  TestBrowser,
  userinfoRequest,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';

let app: TestApp;
let browser: TestBrowser;
/** A confidential client with both the code and the implicit grant. */
let rp: RegisteredClient;
/** A public browser app with the implicit grant only (no PKCE, no token endpoint). */
let spa: RegisteredClient;

beforeEach(async () => {
  app = await testApp();
  await addUser(app);
  rp = await addClient(app, { grantTypes: ['authorization_code', 'refresh_token', 'implicit'] });
  spa = await addClient(app, { name: 'SPA', type: 'public', grantTypes: ['implicit'] });
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

/** Implicit request parameters; overrides win, `undefined` removes a parameter. */
function implicitParams(clientId: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const merged: Record<string, string | undefined> = {
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'id_token token',
    scope: 'openid profile email',
    state: `state-${crypto.randomUUID()}`,
    nonce: `nonce-${crypto.randomUUID()}`,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The redirect back to the client: its query must be empty; returns the fragment's parameters. */
function fragmentOf(url: URL): URLSearchParams {
  expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
  expect(url.search).toBe('');
  return new URLSearchParams(url.hash.slice(1));
}

/** An error sent back to REDIRECT_URI in the fragment (never the query); returns its parameters. */
function expectFragmentError(response: Response, error: string): URLSearchParams {
  expect(response.status).toBe(303);
  const fragment = fragmentOf(new URL(response.headers.get('location') ?? 'missing:'));
  expect(fragment.get('error')).toBe(error);
  expect(fragment.get('iss')).toBe(ISSUER);
  for (const name of ['id_token', 'access_token', 'code']) expect(fragment.has(name)).toBe(false);
  return fragment;
}

function atHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

async function verifyIdToken(idToken: string, clientId: string) {
  const { payload } = await jwtVerify(idToken, await localJwks(app), {
    issuer: ISSUER,
    audience: clientId,
    currentDate: new Date(epochSeconds(app.clock) * 1000),
  });
  return payload;
}

describe('successful implicit responses (OIDC Core §3.2.2.5)', () => {
  it('OIDC Core §3.2.2.5: response_type="id_token token" returns an ID token with nonce and at_hash and a working access token in the fragment, after login and consent', async () => {
    const params = implicitParams(rp.client.id);
    const fragment = fragmentOf(await authorizeInBrowser(browser, params));
    expect(fragment.get('state')).toBe(params.state as string);
    expect(fragment.get('iss')).toBe(ISSUER);
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(Number(fragment.get('expires_in'))).toBeGreaterThan(0);
    expect(fragment.get('scope')).toBe('openid profile email');
    const accessToken = fragment.get('access_token') as string;
    expect(accessToken).toBeTruthy();

    const claims = await verifyIdToken(fragment.get('id_token') as string, rp.client.id);
    expect(claims.nonce).toBe(params.nonce as string);
    expect(claims.at_hash).toBe(atHash(accessToken));
    expect(claims.azp).toBe(rp.client.id);
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');

    const userinfo = await userinfoRequest(app, accessToken);
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: claims.sub, email: 'alice@example.test' });
  });

  it('OIDC Core §3.2.2.5: response_type=id_token returns only an ID token (nonce, no at_hash), no access token', async () => {
    const params = implicitParams(rp.client.id, { response_type: 'id_token' });
    const fragment = fragmentOf(await authorizeInBrowser(browser, params));
    expect([...fragment.keys()].sort()).toEqual(['id_token', 'iss', 'state']);
    const claims = await verifyIdToken(fragment.get('id_token') as string, rp.client.id);
    expect(claims.nonce).toBe(params.nonce as string);
    expect(claims.at_hash).toBeUndefined();
    expect(typeof claims.sid).toBe('string');
  });

  it('OIDC Core §3.2.2.5: the words of response_type may come in either order ("token id_token")', async () => {
    const fragment = fragmentOf(await authorizeInBrowser(browser, implicitParams(rp.client.id, { response_type: 'token id_token' })));
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.get('id_token')).toBeTruthy();
  });

  it('OIDC Core §3.2.2.5: the implicit flow issues no code and no refresh token, even with offline_access', async () => {
    const fragment = fragmentOf(await authorizeInBrowser(browser, implicitParams(rp.client.id, { scope: 'openid offline_access' })));
    expect(fragment.has('code')).toBe(false);
    expect(fragment.has('refresh_token')).toBe(false);
    // OIDC Core §11: offline_access is ignored when no code is returned.
    expect(fragment.get('scope')).toBe('openid');
  });

  it('OIDC Core §3.2.2.1: PKCE parameters are not needed (and are ignored) for a public implicit-only client', async () => {
    const fragment = fragmentOf(await authorizeInBrowser(browser, implicitParams(spa.client.id)));
    expect(fragment.get('access_token')).toBeTruthy();
    const ignored = fragmentOf(await authorizeInBrowser(browser, implicitParams(spa.client.id, { code_challenge: 'short', code_challenge_method: 'plain' })));
    expect(ignored.get('id_token')).toBeTruthy();
  });

  it('OIDC Core §3.2.2.5: the access token is stored under a grant, so revoking it ends /userinfo access', async () => {
    const fragment = fragmentOf(await authorizeInBrowser(browser, implicitParams(spa.client.id)));
    const accessToken = fragment.get('access_token') as string;
    expect((await userinfoRequest(app, accessToken)).status).toBe(200);
    const revoked = await app.request('/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken, client_id: spa.client.id }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect((await userinfoRequest(app, accessToken)).status).toBe(401);
  });

  it('OAuth 2.0 Form Post Response Mode §2: response_mode=form_post posts the ID token, access token, state and iss to the redirect URI', async () => {
    await authorizeInBrowser(browser, implicitParams(rp.client.id)); // signs in and consents
    const params = implicitParams(rp.client.id, { response_mode: 'form_post' });
    const response = await browser.get(authorizePath(params));
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(/<form method="post" action="([^"]*)"/.exec(html)?.[1]).toBe(REDIRECT_URI);
    const fields = hiddenFields(html);
    expect(fields).toMatchObject({ state: params.state, iss: ISSUER, token_type: 'Bearer' });
    expect(fields.code).toBeUndefined();
    expect(fields.refresh_token).toBeUndefined();
    const claims = await verifyIdToken(fields.id_token as string, rp.client.id);
    expect(claims.nonce).toBe(params.nonce as string);
    expect(claims.at_hash).toBe(atHash(fields.access_token as string));
  });

  it('OIDC Core §3.2.2.1: prompt=none with a session answers with tokens; without one, login_required in the fragment', async () => {
    const unsigned = expectFragmentError(await browser.get(authorizePath(implicitParams(rp.client.id, { prompt: 'none', state: 'pn' }))), 'login_required');
    expect(unsigned.get('state')).toBe('pn');
    await authorizeInBrowser(browser, implicitParams(rp.client.id));
    const response = await browser.get(authorizePath(implicitParams(rp.client.id, { prompt: 'none' })));
    expect(response.status).toBe(303);
    expect(fragmentOf(new URL(response.headers.get('location') as string)).get('id_token')).toBeTruthy();
  });
});

describe('implicit request errors go back in the fragment (OIDC Core §3.2.2.6)', () => {
  it('OIDC Core §3.2.2.6: a client without the implicit grant gets unauthorized_client in the fragment', async () => {
    const codeOnly = await addClient(app, { name: 'Code only' });
    for (const responseType of ['id_token', 'id_token token']) {
      const fragment = expectFragmentError(
        await browser.get(authorizePath(implicitParams(codeOnly.client.id, { response_type: responseType, state: 'uc' }))),
        'unauthorized_client',
      );
      expect(fragment.get('state')).toBe('uc');
    }
  });

  it('OIDC Core §3.2.2.6: an implicit-only client asking for a code gets unauthorized_client', async () => {
    const response = await browser.get(authorizePath(implicitParams(spa.client.id, { response_type: 'code' })));
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location') as string);
    expect(target.searchParams.get('error')).toBe('unauthorized_client');
  });

  it('OIDC Core §3.2.2.1: a missing nonce is invalid_request', async () => {
    for (const responseType of ['id_token', 'id_token token']) {
      expectFragmentError(await browser.get(authorizePath(implicitParams(rp.client.id, { response_type: responseType, nonce: undefined }))), 'invalid_request');
    }
  });

  it('OIDC Core §3.2.2.1: a request without the openid scope is invalid_request', async () => {
    expectFragmentError(await browser.get(authorizePath(implicitParams(rp.client.id, { scope: 'profile email' }))), 'invalid_request');
  });

  it('OIDC Core §3.2.2.5: response_mode=query is refused (tokens never go in the query), and the error is sent in the fragment', async () => {
    for (const responseType of ['id_token', 'id_token token']) {
      const fragment = expectFragmentError(
        await browser.get(authorizePath(implicitParams(rp.client.id, { response_type: responseType, response_mode: 'query', state: 'q' }))),
        'invalid_request',
      );
      expect(fragment.get('state')).toBe('q');
    }
  });

  it('OIDC Core §3.2.2.6: a user denying consent is access_denied in the fragment', async () => {
    const url = await authorizeInBrowser(browser, implicitParams(rp.client.id, { state: 'deny' }), { decision: 'deny' });
    const fragment = fragmentOf(url);
    expect(fragment.get('error')).toBe('access_denied');
    expect(fragment.get('state')).toBe('deny');
    expect(fragment.has('id_token')).toBe(false);
  });
});

describe('discovery and client registration', () => {
  it('OIDC Discovery §3: response_types_supported lists id_token and "id_token token", grant_types_supported lists implicit', async () => {
    const doc = (await (await app.request('/.well-known/openid-configuration')).json()) as Record<string, string[]>;
    expect(doc.response_types_supported).toEqual(['code', 'id_token', 'id_token token']);
    expect(doc.grant_types_supported).toContain('implicit');
    expect(doc.response_modes_supported).toContain('fragment');
  });

  it('the implicit grant needs a redirect URI', async () => {
    await expect(addClient(app, { name: 'No redirect', grantTypes: ['implicit'], redirectUris: [] })).rejects.toThrow('redirect URI');
  });
});
