// The adapter's claims and lifetimes hooks, seen in real tokens: ID tokens, userinfo, JWT access
// tokens, introspection of opaque ones, expires_in and exp. Protected claims are refused.
import { afterEach, describe, expect, it } from 'bun:test';
import { decodeJwt, jwtVerify } from 'jose';
import type { Adapter, LifetimesContext, TokenClaimsContext } from '../../src/adapter/types.ts';
import { epochSeconds } from '../../src/clock.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  basicAuth,
  codeRequestParams,
  FULL_SCOPE,
  localJwks,
  REDIRECT_URI,
  refreshRequest,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  tokenRequest,
  type TokenJson,
  userinfoRequest,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';

let app: TestApp;
afterEach(() => app.cleanup());

/** An app with `adapter`, alice (groups admins and staff), an opaque and a JWT client, and a browser. */
async function setup(adapter: Adapter) {
  app = await testApp({ adapter });
  const alice = await addUser(app, 'alice', { attributes: { groups: ['admins', 'staff'], team: 'platform' } });
  const rp = await addClient(app, { name: 'Opaque RP' });
  const jwtRp = await addClient(app, { name: 'JWT RP', tokenFormat: 'jwt' });
  const api = await addClient(app, { name: 'API' });
  return { alice, rp, jwtRp, api, browser: new TestBrowser(app) };
}

async function verified(token: string, audience?: string) {
  return (await jwtVerify(token, await localJwks(app), { issuer: ISSUER, currentDate: new Date(app.clock()), ...(audience ? { audience } : {}) })).payload;
}

async function introspect(api: RegisteredClient, token: string): Promise<Record<string, unknown>> {
  const response = await app.request('/introspect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(api.client.id, api.secret as string) },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** A code flow whose token request must fail: the status and body of that response. */
async function failedTokenRequest(browser: TestBrowser, registered: RegisteredClient) {
  const { params, verifier } = codeRequestParams(registered.client.id);
  const url = await authorizeInBrowser(browser, params);
  const code = url.searchParams.get('code') as string;
  const response = await tokenRequest(
    app,
    { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
    basicAuth(registered.client.id, registered.secret as string),
  );
  return { status: response.status, text: await response.text() };
}

/** SPEC: a failing adapter is server_error with no stack and none of the adapter's words; the log has the reason. */
function expectQuietServerError(result: { status: number; text: string }, leaked: string) {
  expect(result.status).toBe(500);
  expect(JSON.parse(result.text)).toEqual({ error: 'server_error', error_description: 'The server could not complete the request.' });
  expect(result.text).not.toContain(leaked);
  expect(result.text).not.toMatch(/\bat .*\.ts/);
  expect(app.logLines.join('')).toContain(leaked);
}

describe('claims: the user claims of ID tokens and userinfo', () => {
  it('adds attribute-derived claims, drops one, and is told which target it serves', async () => {
    const { rp, browser } = await setup({
      claims({ user, claims, target }) {
        const { email: _email, ...rest } = claims;
        return { ...rest, groups: user.attributes.groups, team: user.attributes.team, via: target };
      },
    });
    const { tokens } = await signInForTokens(app, browser, rp);
    const idToken = await verified(tokens.id_token as string, rp.client.id);
    expect(idToken).toMatchObject({ groups: ['admins', 'staff'], team: 'platform', via: 'id_token', name: 'Alice Liddell' });
    expect(idToken).not.toHaveProperty('email');
    const userinfo = (await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ groups: ['admins', 'staff'], team: 'platform', via: 'userinfo', name: 'Alice Liddell' });
    expect(userinfo).not.toHaveProperty('email');
    expect(typeof userinfo.sub).toBe('string');
  });

  it('sees idp\'s own claims for the granted scopes only', async () => {
    const seen: Record<string, unknown>[] = [];
    const { rp, browser } = await setup({
      claims({ claims }) {
        seen.push(claims);
        return claims;
      },
    });
    await signInForTokens(app, browser, rp, { scope: 'openid email' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ email: 'alice@example.test', email_verified: true });
  });

  it('idTokenClaims adds to the ID token only, after claims', async () => {
    const contexts: TokenClaimsContext[] = [];
    const { rp, browser } = await setup({
      claims: ({ claims }) => ({ ...claims, tenant: 'from-claims' }),
      idTokenClaims(context) {
        contexts.push(context);
        return { tenant: 'acme', roles: ['reader'] };
      },
    });
    const { tokens } = await signInForTokens(app, browser, rp);
    expect(await verified(tokens.id_token as string, rp.client.id)).toMatchObject({ tenant: 'acme', roles: ['reader'] });
    const userinfo = (await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>;
    expect(userinfo.tenant).toBe('from-claims');
    expect(userinfo).not.toHaveProperty('roles');
    expect(contexts[0]).toMatchObject({ grantType: 'authorization_code', scopes: FULL_SCOPE.split(' '), client: { id: rp.client.id } });
    expect(contexts[0]?.user?.username).toBe('alice');
    expect(contexts[0]?.user).not.toHaveProperty('passwordHash');
  });

  for (const [hook, claim] of [
    ['claims', 'sub'],
    ['claims', 'aud'],
    ['idTokenClaims', 'iss'],
    ['idTokenClaims', 'nonce'],
    ['accessTokenClaims', 'scope'],
    ['accessTokenClaims', 'client_id'],
  ] as const) {
    it(`${hook} may not set the protected claim ${claim}: the token request is server_error`, async () => {
      const { rp, browser } = await setup({ [hook]: () => ({ [claim]: 'forged' }) } as Adapter);
      const result = await failedTokenRequest(browser, rp);
      expectQuietServerError(result, `may not set the claim ${claim}`);
    });
  }
});

describe('accessTokenClaims', () => {
  const adapter: Adapter = {
    accessTokenClaims: ({ user, grantType }) => (user ? { roles: ['reader'], groups: user.attributes.groups ?? [], via: grantType } : { service: true }),
  };

  it('are claims of a JWT access token (RFC 9068), beside idp\'s own', async () => {
    const { jwtRp, browser } = await setup(adapter);
    const { tokens } = await signInForTokens(app, browser, jwtRp);
    const payload = await verified(tokens.access_token, jwtRp.client.id);
    expect(payload).toMatchObject({ roles: ['reader'], groups: ['admins', 'staff'], via: 'authorization_code', client_id: jwtRp.client.id, scope: FULL_SCOPE });
  });

  it('are returned by introspection for an opaque token (RFC 7662 §2.2), and for a JWT one', async () => {
    const { rp, jwtRp, api, browser } = await setup(adapter);
    const opaque = (await signInForTokens(app, browser, rp)).tokens;
    expect(opaque.access_token.split('.')).toHaveLength(1);
    expect(await introspect(api, opaque.access_token)).toMatchObject({
      active: true,
      roles: ['reader'],
      groups: ['admins', 'staff'],
      client_id: rp.client.id,
      token_type: 'Bearer',
    });
    const jwt = (await signInForTokens(app, browser, jwtRp)).tokens;
    expect(await introspect(api, jwt.access_token)).toMatchObject({ active: true, roles: ['reader'], client_id: jwtRp.client.id });
    // A refresh token carries none.
    expect(await introspect(api, opaque.refresh_token as string)).not.toHaveProperty('roles');
  });

  it('are asked again on refresh, with grant type refresh_token', async () => {
    const { rp, api, browser } = await setup(adapter);
    const { tokens } = await signInForTokens(app, browser, rp);
    const refreshed = (await (await refreshRequest(app, rp, tokens.refresh_token as string)).json()) as TokenJson;
    expect((await introspect(api, refreshed.access_token)).via).toBe('refresh_token');
  });

  it('see no user for client_credentials', async () => {
    const { api } = await setup(adapter);
    const machine = await addClient(app, { name: 'Machine', redirectUris: [], grantTypes: ['client_credentials'], tokenFormat: 'jwt' });
    const response = await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(machine.client.id, machine.secret as string));
    const body = (await response.json()) as TokenJson;
    expect(decodeJwt(body.access_token).service).toBe(true);
    expect((await introspect(api, body.access_token)).service).toBe(true);
  });

  it('an adapter that adds none stores none: introspection has only its own members', async () => {
    const { rp, api, browser } = await setup({});
    const { tokens } = await signInForTokens(app, browser, rp);
    expect(Object.keys(await introspect(api, tokens.access_token)).sort()).toEqual(
      ['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'scope', 'sub', 'token_type', 'username'].sort(),
    );
  });
});

describe('tokenLifetimes', () => {
  const contexts: LifetimesContext[] = [];
  const adapter: Adapter = {
    tokenLifetimes(context) {
      contexts.push(context);
      return context.client.metadata.client_name === 'JWT RP' ? { accessToken: 120, idToken: 90, refreshToken: 600 } : {};
    },
  };
  afterEach(() => {
    contexts.length = 0;
  });

  it('set expires_in and the exp of the access token, the ID token and the refresh token', async () => {
    const { jwtRp, api, browser } = await setup(adapter);
    const { tokens } = await signInForTokens(app, browser, jwtRp);
    const now = epochSeconds(app.clock);
    expect(tokens.expires_in).toBe(120);
    const access = await verified(tokens.access_token, jwtRp.client.id);
    expect((access.exp as number) - (access.iat as number)).toBe(120);
    const idToken = await verified(tokens.id_token as string, jwtRp.client.id);
    expect((idToken.exp as number) - (idToken.iat as number)).toBe(90);
    expect((await introspect(api, tokens.refresh_token as string)).exp).toBe(now + 600);
    expect(contexts[0]).toMatchObject({
      grantType: 'authorization_code',
      defaults: { accessToken: app.config.access_token_ttl, idToken: app.config.id_token_ttl, refreshToken: app.config.refresh_token_ttl },
    });
  });

  it('keep the settings for what the adapter leaves out', async () => {
    const { rp, api, browser } = await setup(adapter);
    const { tokens } = await signInForTokens(app, browser, rp);
    expect(tokens.expires_in).toBe(app.config.access_token_ttl);
    expect((await introspect(api, tokens.access_token)).exp).toBe(epochSeconds(app.clock) + app.config.access_token_ttl);
  });

  it('apply to the implicit flow: expires_in in the fragment and the ID token exp', async () => {
    const { browser } = await setup(adapter);
    const spa = await addClient(app, { name: 'JWT RP', type: 'public', grantTypes: ['implicit'] });
    const url = await authorizeInBrowser(browser, {
      client_id: spa.client.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'id_token token',
      scope: 'openid profile',
      nonce: 'n-1',
      state: 's-1',
    });
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect(fragment.get('expires_in')).toBe('120');
    const idToken = await verified(fragment.get('id_token') as string, spa.client.id);
    expect((idToken.exp as number) - (idToken.iat as number)).toBe(90);
    expect(contexts.at(-1)?.grantType).toBe('implicit');
  });

  it('a lifetime that is not a whole number of seconds is server_error', async () => {
    const { rp, browser } = await setup({ tokenLifetimes: () => ({ accessToken: 1.5 }) });
    expectQuietServerError(await failedTokenRequest(browser, rp), 'accessToken = 1.5');
  });
});

describe('a hook that throws', () => {
  it('at the token endpoint: 500 server_error JSON without the adapter\'s message or a stack; the reason is logged', async () => {
    const { rp, browser } = await setup({
      claims() {
        throw new Error('directory unreachable: ldap://10.0.0.7');
      },
    });
    const result = await failedTokenRequest(browser, rp);
    expectQuietServerError(result, 'directory unreachable: ldap://10.0.0.7');
    expect(app.logLines.join('')).toContain("The adapter's claims() failed");
  });

  it('at userinfo: 500 server_error JSON', async () => {
    let fail = false;
    const { rp, browser } = await setup({
      claims({ claims }) {
        if (fail) throw new Error('userinfo lookup failed');
        return claims;
      },
    });
    const { tokens } = await signInForTokens(app, browser, rp);
    fail = true;
    const response = await userinfoRequest(app, tokens.access_token);
    expectQuietServerError({ status: response.status, text: await response.text() }, 'userinfo lookup failed');
  });
});
