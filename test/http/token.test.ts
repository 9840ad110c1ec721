// The token endpoint: request form, client authentication, the authorization_code grant (single use,
// PKCE, binding), the ID token, refresh rotation and JWT access tokens.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { epochSeconds } from '../../src/clock.ts';
import type { UserRecord } from '../../src/store/store.ts';
import { setDisabled } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  basicAuth,
  FULL_SCOPE,
  localJwks,
  obtainCode,
  REDIRECT_URI,
  redeemCode,
  refreshRequest,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
  tokenRequest,
  userinfoRequest,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';

let app: TestApp;
let user: UserRecord;
let rp: RegisteredClient;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  user = await addUser(app);
  rp = await addClient(app);
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

async function expectError(response: Response, status: number, error: string): Promise<Record<string, string>> {
  const body = (await response.json()) as Record<string, string>;
  expect({ status: response.status, error: body.error }).toEqual({ status, error });
  expect(response.headers.get('cache-control')).toBe('no-store');
  return body;
}

async function expectInvalidClient(response: Response): Promise<void> {
  await expectError(response, 401, 'invalid_client');
  expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="idp"/);
}

async function tokens(response: Response): Promise<TokenJson> {
  const text = await response.text();
  expect({ status: response.status, body: response.status === 200 ? 'ok' : text }).toEqual({ status: 200, body: 'ok' });
  return JSON.parse(text) as TokenJson;
}

function leftHalfSha256(value: string): string {
  const digest = createHash('sha256').update(value).digest();
  return digest.subarray(0, 16).toString('base64url');
}

describe('the token request (RFC 6749 §3.2, §5.2)', () => {
  it('RFC 6749 §3.2: a body that is not application/x-www-form-urlencoded is invalid_request', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const form = { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier };
    const json = await app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(rp.client.id, rp.secret as string) },
      body: JSON.stringify(form),
    });
    await expectError(json, 400, 'invalid_request');
    const untyped = await app.request('/token', {
      method: 'POST',
      headers: { authorization: basicAuth(rp.client.id, rp.secret as string) },
      body: new URLSearchParams(form).toString(),
    });
    await expectError(untyped, 400, 'invalid_request');
    // The code was not spent by the refused requests.
    await tokens(await redeemCode(app, rp, code.code, code.verifier));
  });

  it('RFC 6749 §3.2: a repeated parameter is invalid_request', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier });
    for (const name of ['code', 'grant_type', 'redirect_uri']) {
      const repeated = new URLSearchParams(body);
      repeated.append(name, body.get(name) as string);
      const response = await app.request('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(rp.client.id, rp.secret as string) },
        body: repeated.toString(),
      });
      await expectError(response, 400, 'invalid_request');
    }
  });

  it('RFC 6749 §3.1: token request parameters sent without a value (scope=, code_verifier=, client_secret=) are treated as omitted', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string, { scope: '' }));
    expect(refreshed.scope).toBe(FULL_SCOPE);
    const noPkce = await obtainCode(browser, rp.client.id, { code_challenge: undefined, code_challenge_method: undefined });
    await tokens(await redeemCode(app, rp, noPkce.code, ''));
    const code = await obtainCode(browser, rp.client.id);
    const response = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier, client_secret: '' },
      basicAuth(rp.client.id, rp.secret as string),
    );
    await tokens(response);
  });

  it('RFC 6749 §5.2: a missing grant_type is invalid_request', async () => {
    await expectError(await tokenRequest(app, { code: 'x' }, basicAuth(rp.client.id, rp.secret as string)), 400, 'invalid_request');
  });

  it('RFC 6749 §5.2: an unknown grant_type is unsupported_grant_type', async () => {
    for (const grantType of ['password', 'urn:example:grant', 'authorization-code']) {
      await expectError(await tokenRequest(app, { grant_type: grantType }, basicAuth(rp.client.id, rp.secret as string)), 400, 'unsupported_grant_type');
    }
  });

  it('RFC 6749 §5.2: a grant type the client is not registered for is unauthorized_client', async () => {
    const codeOnly = await addClient(app, { name: 'Code only', grantTypes: ['authorization_code'] });
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const response = await refreshRequest(app, codeOnly, issued.refresh_token as string);
    await expectError(response, 400, 'unauthorized_client');
  });
});

describe('client authentication (RFC 6749 §2.3, §5.2)', () => {
  const cases: [string, () => Promise<Response>][] = [
    ['a wrong secret', () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI }, basicAuth(rp.client.id, 'wrong'))],
    ['an unknown client', () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI }, basicAuth('nobody', 'secret'))],
    ['no credentials at all', () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI })],
    [
      'client_secret_post by a client registered for client_secret_basic',
      () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI, client_id: rp.client.id, client_secret: rp.secret as string }),
    ],
    [
      'client_id alone (no secret) by a confidential client',
      () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI, client_id: rp.client.id }),
    ],
    [
      'a malformed Basic header',
      () => tokenRequest(app, { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI }, 'Basic !!!'),
    ],
  ];
  for (const [what, send] of cases) {
    it(`RFC 6749 §5.2: ${what} is invalid_client with 401 and WWW-Authenticate`, async () => {
      await expectInvalidClient(await send());
    });
  }

  it('RFC 6749 §5.2: Basic by a client registered for client_secret_post is invalid_client with 401 and WWW-Authenticate', async () => {
    const post = await addClient(app, { name: 'Post RP', authMethod: 'client_secret_post' });
    const response = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI },
      basicAuth(post.client.id, post.secret as string),
    );
    await expectInvalidClient(response);
  });

  it('RFC 6749 §2.3: Basic credentials and client_secret in the same request are invalid_request', async () => {
    const response = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code: 'c', redirect_uri: REDIRECT_URI, client_secret: rp.secret as string },
      basicAuth(rp.client.id, rp.secret as string),
    );
    await expectError(response, 400, 'invalid_request');
  });

  it('RFC 6749 §2.3.1: a failed client authentication does not spend the code', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const wrong = await tokenRequest(
      app,
      { grant_type: 'authorization_code', code: code.code, redirect_uri: REDIRECT_URI, code_verifier: code.verifier },
      basicAuth(rp.client.id, 'wrong'),
    );
    await expectInvalidClient(wrong);
    await tokens(await redeemCode(app, rp, code.code, code.verifier));
  });

  it('RFC 6749 §2.3.1: client_secret_post authenticates a client registered for it', async () => {
    const post = await addClient(app, { name: 'Post RP', authMethod: 'client_secret_post' });
    const code = await obtainCode(browser, post.client.id);
    const response = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: code.verifier,
      client_id: post.client.id,
      client_secret: post.secret as string,
    });
    expect((await tokens(response)).access_token).toBeTruthy();
  });

  it('RFC 6749 §2.1 / RFC 7636 §4.5: a public client authenticates with client_id alone plus its PKCE verifier', async () => {
    const spa = await addClient(app, { name: 'SPA', type: 'public' });
    const code = await obtainCode(browser, spa.client.id);
    const response = await tokenRequest(app, {
      grant_type: 'authorization_code',
      code: code.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: code.verifier,
      client_id: spa.client.id,
    });
    const issued = await tokens(response);
    expect(issued.access_token).toBeTruthy();
    expect(issued.id_token).toBeTruthy();
  });
});

describe('the authorization_code grant (RFC 6749 §4.1.3, RFC 7636 §4.6)', () => {
  it('RFC 6749 §4.1.3: a code issued to one client and presented by another client is invalid_grant', async () => {
    const other = await addClient(app, { name: 'Other RP' });
    const code = await obtainCode(browser, rp.client.id);
    await expectError(await redeemCode(app, other, code.code, code.verifier), 400, 'invalid_grant');
    // The rightful client still gets its tokens.
    await tokens(await redeemCode(app, rp, code.code, code.verifier));
  });

  it('RFC 6749 §4.1.2: a replayed code is invalid_grant and revokes the tokens issued from it', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const first = await tokens(await redeemCode(app, rp, code.code, code.verifier));
    expect((await userinfoRequest(app, first.access_token)).status).toBe(200);
    await expectError(await redeemCode(app, rp, code.code, code.verifier), 400, 'invalid_grant');
    const userinfo = await userinfoRequest(app, first.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await expectError(await refreshRequest(app, rp, first.refresh_token as string), 400, 'invalid_grant');
  });

  it('RFC 6749 §4.1.2: a code older than authorization_code_ttl (60 s) is invalid_grant', async () => {
    const code = await obtainCode(browser, rp.client.id);
    app.clock.advance(app.config.authorization_code_ttl + 1);
    await expectError(await redeemCode(app, rp, code.code, code.verifier), 400, 'invalid_grant');
  });

  it('RFC 6749 §4.1.2: a code within authorization_code_ttl is accepted', async () => {
    const code = await obtainCode(browser, rp.client.id);
    app.clock.advance(app.config.authorization_code_ttl - 1);
    await tokens(await redeemCode(app, rp, code.code, code.verifier));
  });

  it('RFC 6749 §4.1.3: a redirect_uri different from the one of the authorization request is invalid_grant', async () => {
    const second = 'https://rp.example.test/other';
    const two = await addClient(app, { name: 'Two URIs', redirectUris: [REDIRECT_URI, second] });
    const code = await obtainCode(browser, two.client.id);
    await expectError(await redeemCode(app, two, code.code, code.verifier, { redirect_uri: second }), 400, 'invalid_grant');
    const another = await obtainCode(browser, two.client.id);
    await expectError(await redeemCode(app, two, another.code, another.verifier, { redirect_uri: `${REDIRECT_URI}/` }), 400, 'invalid_grant');
  });

  it('RFC 7636 §4.6: a wrong code_verifier is invalid_grant', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const wrong = Buffer.alloc(32, 1).toString('base64url');
    await expectError(await redeemCode(app, rp, code.code, wrong), 400, 'invalid_grant');
  });

  it('RFC 7636 §4.6: a missing code_verifier for a code issued with a code_challenge is invalid_grant', async () => {
    const code = await obtainCode(browser, rp.client.id);
    await expectError(await redeemCode(app, rp, code.code, undefined), 400, 'invalid_grant');
  });

  it('RFC 9700 §4.8.2: a code_verifier sent for a code issued without code_challenge is invalid_grant', async () => {
    const code = await obtainCode(browser, rp.client.id, { code_challenge: undefined, code_challenge_method: undefined });
    await expectError(await redeemCode(app, rp, code.code, code.verifier), 400, 'invalid_grant');
    // Without a verifier a confidential client's non-PKCE code works.
    const plain = await obtainCode(browser, rp.client.id, { code_challenge: undefined, code_challenge_method: undefined });
    await tokens(await redeemCode(app, rp, plain.code, undefined));
  });

  it('RFC 6749 §5.1: token responses carry Cache-Control: no-store, Pragma: no-cache, token_type Bearer and expires_in', async () => {
    const code = await obtainCode(browser, rp.client.id);
    const response = await redeemCode(app, rp, code.code, code.verifier);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('content-type')).toContain('application/json');
    const issued = await tokens(response);
    expect(issued.token_type).toBe('Bearer');
    expect(issued.expires_in).toBe(app.config.access_token_ttl);
    expect(issued.scope).toBe(FULL_SCOPE);
    const refreshed = await refreshRequest(app, rp, issued.refresh_token as string);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    expect(refreshed.headers.get('pragma')).toBe('no-cache');
    expect((await tokens(refreshed)).token_type).toBe('Bearer');
    const failed = await redeemCode(app, rp, code.code, code.verifier);
    expect(failed.headers.get('cache-control')).toBe('no-store');
    expect(failed.headers.get('pragma')).toBe('no-cache');
  });
});

describe('the ID token (OIDC Core §2, §3.1.3.6, §3.1.3.7)', () => {
  it('OIDC Core §2 / §3.1.3.7: the ID token verifies against /jwks and carries iss, sub, aud, azp, exp, iat, auth_time, nonce, sid and at_hash', async () => {
    const loginTime = epochSeconds(app.clock);
    app.clock.advance(5);
    const { tokens: issued, code } = await signInForTokens(app, browser, rp);
    const now = epochSeconds(app.clock);
    const { payload, protectedHeader } = await jwtVerify(issued.id_token as string, await localJwks(app), {
      issuer: ISSUER,
      audience: rp.client.id,
      currentDate: new Date(now * 1000),
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBeTruthy();
    const keys = ((await (await app.request('/jwks')).json()) as { keys: { kid: string; alg: string }[] }).keys;
    expect(keys.find((key) => key.kid === protectedHeader.kid)?.alg).toBe('RS256');
    expect(payload.iss).toBe(ISSUER);
    expect(payload.sub).toBe(user.id);
    expect(payload.sub).not.toBe(user.username);
    expect(payload.aud).toBe(rp.client.id);
    expect(payload.azp).toBe(rp.client.id);
    expect(payload.iat).toBe(now);
    expect(payload.exp).toBe(now + app.config.id_token_ttl);
    expect(payload.auth_time).toBe(loginTime + 5);
    expect(payload.nonce).toBe(code.nonce);
    expect(typeof payload.sid).toBe('string');
    expect((payload.sid as string).length).toBeGreaterThan(0);
    expect(payload.at_hash).toBe(leftHalfSha256(issued.access_token));
  });

  it('OIDC Core §2: the same session gives the same sid; a new sign-in a new one', async () => {
    const sidOf = async (overrides: Record<string, string> = {}) =>
      decodeJwt((await signInForTokens(app, browser, rp, overrides)).tokens.id_token as string).sid as string;
    const first = await sidOf();
    const again = await sidOf();
    const fresh = await sidOf({ prompt: 'login' });
    expect(first).toBeTruthy();
    expect(again).toBe(first);
    expect(fresh).not.toBe(first);
  });

  it('OIDC Registration §2 (id_token_signed_response_alg): a client registered for ES256 gets an ES256 ID token', async () => {
    await app.cleanup();
    app = await testApp({ alg: 'ES256' });
    user = await addUser(app);
    browser = new TestBrowser(app);
    const es = await addClient(app, { name: 'ES RP', idTokenAlg: 'ES256' });
    const { tokens: issued } = await signInForTokens(app, browser, es);
    const header = decodeProtectedHeader(issued.id_token as string);
    expect(header.alg).toBe('ES256');
    const { payload } = await jwtVerify(issued.id_token as string, await localJwks(app), {
      issuer: ISSUER,
      audience: es.client.id,
      algorithms: ['ES256'],
      currentDate: new Date(app.clock()),
    });
    expect(payload.at_hash).toBe(leftHalfSha256(issued.access_token));
    // A client left at the default still gets RS256 from the same server.
    const rs = await addClient(app, { name: 'RS RP' });
    expect(decodeProtectedHeader((await signInForTokens(app, browser, rs)).tokens.id_token as string).alg).toBe('RS256');
  });

  it('OIDC Core §12.2: an ID token from a refresh keeps iss, sub, aud and auth_time, and has no nonce', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const original = (await jwtVerify(issued.id_token as string, await localJwks(app), { currentDate: new Date(app.clock()) })).payload;
    app.clock.advance(60);
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    const renewed = (await jwtVerify(refreshed.id_token as string, await localJwks(app), { currentDate: new Date(app.clock()) })).payload;
    expect(renewed.iss).toBe(original.iss as string);
    expect(renewed.sub).toBe(original.sub as string);
    expect(renewed.aud).toBe(original.aud as string);
    expect(renewed.auth_time).toBe(original.auth_time as number);
    expect(renewed.iat).toBe((original.iat as number) + 60);
    expect(renewed.nonce).toBeUndefined();
  });
});

describe('refresh tokens (RFC 6749 §6, RFC 9700 §4.14, OIDC Core §11)', () => {
  it('OIDC Core §11: an openid request without offline_access gets no refresh token', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp, { scope: 'openid profile email' });
    expect(issued.refresh_token).toBeUndefined();
    expect(issued.id_token).toBeTruthy();
  });

  it('RFC 6749 §1.5: a non-openid request of a client with the refresh_token grant gets a refresh token (and no ID token)', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp, { scope: 'profile', nonce: undefined });
    expect(issued.refresh_token).toBeTruthy();
    expect(issued.id_token).toBeUndefined();
    expect(issued.scope).toBe('profile');
    const refreshed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    expect(refreshed.scope).toBe('profile');
  });

  it('RFC 9700 §4.14.2: each refresh returns a new refresh token, and each new one works', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const seen = new Set([issued.refresh_token as string]);
    let current = issued.refresh_token as string;
    for (let round = 0; round < 3; round++) {
      app.clock.advance(10);
      const next = await tokens(await refreshRequest(app, rp, current));
      expect(next.refresh_token).toBeTruthy();
      expect(seen.has(next.refresh_token as string)).toBe(false);
      seen.add(next.refresh_token as string);
      expect((await userinfoRequest(app, next.access_token)).status).toBe(200);
      current = next.refresh_token as string;
    }
  });

  it('RFC 9700 §4.14.2: a rotated refresh token reused after the grace is invalid_grant and revokes the whole family', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const second = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    const third = await tokens(await refreshRequest(app, rp, second.refresh_token as string));
    app.clock.advance(app.config.refresh_token_reuse_grace + 1);
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string), 400, 'invalid_grant');
    // The newest refresh token and every access token of the family are dead.
    await expectError(await refreshRequest(app, rp, third.refresh_token as string), 400, 'invalid_grant');
    for (const accessToken of [issued.access_token, second.access_token, third.access_token]) {
      expect((await userinfoRequest(app, accessToken)).status).toBe(401);
    }
  });

  it('RFC 9700 §4.14.2: a rotated refresh token reused within the grace gets fresh tokens and the family stays valid', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const second = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    app.clock.advance(Math.max(0, app.config.refresh_token_reuse_grace - 1));
    const retry = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
    expect(retry.refresh_token).toBeTruthy();
    expect(retry.refresh_token).not.toBe(second.refresh_token as string);
    expect(retry.access_token).not.toBe(second.access_token);
    for (const accessToken of [issued.access_token, second.access_token, retry.access_token]) {
      expect((await userinfoRequest(app, accessToken)).status).toBe(200);
    }
    await tokens(await refreshRequest(app, rp, second.refresh_token as string));
    await tokens(await refreshRequest(app, rp, retry.refresh_token as string));
  });

  it('RFC 6749 §6: with rotate_refresh_token=false the same refresh token keeps working and no new one is returned', async () => {
    await app.cleanup();
    app = await testApp({ settings: { rotate_refresh_token: 'false' } });
    await addUser(app);
    rp = await addClient(app);
    browser = new TestBrowser(app);
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    for (let round = 0; round < 3; round++) {
      const next = await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
      expect(next.refresh_token).toBeUndefined();
      expect((await userinfoRequest(app, next.access_token)).status).toBe(200);
      app.clock.advance(app.config.refresh_token_reuse_grace + 10);
    }
  });

  it('RFC 6749 §6: a refresh may narrow the scope of the access token; the refresh token keeps the original scope', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const narrowed = await tokens(await refreshRequest(app, rp, issued.refresh_token as string, { scope: 'openid profile' }));
    expect(narrowed.scope).toBe('openid profile');
    const claims = (await (await userinfoRequest(app, narrowed.access_token)).json()) as Record<string, unknown>;
    expect(claims.name).toBe('Alice Liddell');
    expect(claims.email).toBeUndefined();
    // "the refresh token scope MUST be identical to that of the refresh token included by the client"
    const full = await tokens(await refreshRequest(app, rp, narrowed.refresh_token as string));
    expect(full.scope.split(' ').sort()).toEqual(FULL_SCOPE.split(' ').sort());
  });

  it('RFC 6749 §6: a refresh asking for a scope beyond the original grant is invalid_scope', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp, { scope: 'openid profile offline_access' });
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string, { scope: 'openid profile email offline_access' }), 400, 'invalid_scope');
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string, { scope: 'openid admin' }), 400, 'invalid_scope');
  });

  it('RFC 6749 §6 / OIDC Core §5.3.3: once the user is disabled, refresh is invalid_grant and userinfo invalid_token', async () => {
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', true);
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string), 400, 'invalid_grant');
    const userinfo = await userinfoRequest(app, issued.access_token);
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('RFC 6749 §5.2: a code issued before the user was disabled is invalid_grant', async () => {
    const code = await obtainCode(browser, rp.client.id);
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', true);
    await expectError(await redeemCode(app, rp, code.code, code.verifier), 400, 'invalid_grant');
  });

  it('RFC 6749 §6: a refresh token issued to another client is invalid_grant', async () => {
    const other = await addClient(app, { name: 'Other RP' });
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    await expectError(await refreshRequest(app, other, issued.refresh_token as string), 400, 'invalid_grant');
    // The owner can still use it.
    await tokens(await refreshRequest(app, rp, issued.refresh_token as string));
  });

  it('RFC 6749 §6: an unknown or expired refresh token is invalid_grant', async () => {
    await expectError(await refreshRequest(app, rp, 'not-a-refresh-token'), 400, 'invalid_grant');
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    app.clock.advance(app.config.refresh_token_ttl + 1);
    await expectError(await refreshRequest(app, rp, issued.refresh_token as string), 400, 'invalid_grant');
  });
});

describe('JWT access tokens (RFC 9068)', () => {
  async function verifyAccessToken(accessToken: string, audience: string | string[]) {
    return jwtVerify(accessToken, await localJwks(app), {
      issuer: ISSUER,
      audience,
      typ: 'at+jwt',
      currentDate: new Date(app.clock()),
    });
  }

  it('RFC 9068 §2.1, §2.2: a client with token_format jwt gets an at+jwt token with iss, sub, aud, exp, iat, jti, client_id and scope, verifiable against /jwks and accepted by /userinfo', async () => {
    const jwtClient = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt' });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    const now = epochSeconds(app.clock);
    const { payload, protectedHeader } = await verifyAccessToken(issued.access_token, jwtClient.client.id);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.iss).toBe(ISSUER);
    expect(payload.sub).toBe(user.id);
    expect(payload.aud).toBe(jwtClient.client.id);
    expect(payload.client_id).toBe(jwtClient.client.id);
    expect(payload.scope).toBe(FULL_SCOPE);
    expect(payload.iat).toBe(now);
    expect(payload.exp).toBe(now + app.config.access_token_ttl);
    expect(typeof payload.jti).toBe('string');
    const userinfo = await userinfoRequest(app, issued.access_token);
    expect(userinfo.status).toBe(200);
    expect(((await userinfo.json()) as { sub: string }).sub).toBe(user.id);
    // Each token has its own jti.
    const refreshed = await tokens(await refreshRequest(app, jwtClient, issued.refresh_token as string));
    const again = await verifyAccessToken(refreshed.access_token, jwtClient.client.id);
    expect(again.payload.jti).not.toBe(payload.jti as string);
  });

  it('RFC 9068 §3: aud is the client\'s registered audience values when it has some', async () => {
    const audiences = ['https://api.example.test', 'https://files.example.test'];
    const jwtClient = await addClient(app, { name: 'API RP', tokenFormat: 'jwt', audiences });
    const { tokens: issued } = await signInForTokens(app, browser, jwtClient);
    const { payload } = await verifyAccessToken(issued.access_token, audiences[0] as string);
    expect(payload.aud).toEqual(audiences);
    expect(payload.client_id).toBe(jwtClient.client.id);
    const single = await addClient(app, { name: 'One API', tokenFormat: 'jwt', audiences: ['https://api.example.test'] });
    const one = await verifyAccessToken((await signInForTokens(app, browser, single)).tokens.access_token, 'https://api.example.test');
    expect(one.payload.aud).toBe('https://api.example.test');
  });

  it('RFC 9068 §2: access_token_format=jwt makes JWT access tokens the default, and a client may still ask for opaque', async () => {
    await app.cleanup();
    app = await testApp({ settings: { access_token_format: 'jwt' } });
    user = await addUser(app);
    rp = await addClient(app);
    browser = new TestBrowser(app);
    const { tokens: issued } = await signInForTokens(app, browser, rp);
    const { payload, protectedHeader } = await verifyAccessToken(issued.access_token, rp.client.id);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ iss: ISSUER, sub: user.id, aud: rp.client.id, client_id: rp.client.id, scope: FULL_SCOPE });
    expect(typeof payload.jti).toBe('string');
    expect((await userinfoRequest(app, issued.access_token)).status).toBe(200);
    const opaque = await addClient(app, { name: 'Opaque RP', tokenFormat: 'opaque' });
    const plain = (await signInForTokens(app, browser, opaque)).tokens.access_token;
    expect(plain.split('.')).toHaveLength(1);
  });
});
