// Pairwise subjects (OIDC Core §8): a pairwise client sees one sub per sector in its ID token, JWT
// access token, at /userinfo and in introspection, never the user id; clients of one sector agree,
// other sectors differ; public clients see the user id; logout still recognises a pairwise hint.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import type { UserRecord } from '../../src/store/store.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  basicAuth,
  obtainCode,
  REDIRECT_URI,
  redeemCode,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  tokenRequest,
  type TokenJson,
  userinfoRequest,
} from '../helpers/oidc.ts';

const OTHER_HOST_REDIRECT = 'https://other.example.test/callback';

let app: TestApp;
let user: UserRecord;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  user = await addUser(app);
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

const pairwise = (input: Parameters<typeof addClient>[1] = {}) => addClient(app, { subjectType: 'pairwise', skipConsent: true, ...input });

async function tokensFor(rp: RegisteredClient, redirectUri = REDIRECT_URI): Promise<TokenJson> {
  if (redirectUri === REDIRECT_URI) return (await signInForTokens(app, browser, rp)).tokens;
  const code = await obtainCode(browser, rp.client.id, { redirect_uri: redirectUri });
  const response = await redeemCode(app, rp, code.code, code.verifier, { redirect_uri: redirectUri });
  expect(response.status).toBe(200);
  return (await response.json()) as TokenJson;
}

async function idTokenSub(rp: RegisteredClient, redirectUri = REDIRECT_URI): Promise<string> {
  return decodeJwt((await tokensFor(rp, redirectUri)).id_token as string).sub as string;
}

async function introspect(token: string, as: RegisteredClient): Promise<Record<string, unknown>> {
  const response = await app.request('/introspect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(as.client.id, as.secret ?? '') },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('pairwise subjects (OIDC Core §8)', () => {
  it('§8.1: the ID token, JWT access token, userinfo and introspection agree on one pairwise sub, which is not the user id', async () => {
    const rp = await pairwise({ tokenFormat: 'jwt' });
    const tokens = await tokensFor(rp);
    const sub = decodeJwt(tokens.id_token as string).sub as string;
    expect(sub).not.toBe(user.id);
    expect(sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(tokens.access_token).sub).toBe(sub);

    const info = (await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>;
    expect(info.sub).toBe(sub);

    // Another client (a resource server) asks: the sub is the one the token's own client sees.
    const api = await addClient(app, { name: 'API' });
    expect((await introspect(tokens.access_token, api)).sub).toBe(sub);
    expect((await introspect(tokens.refresh_token as string, api)).sub).toBe(sub);
    // The username would link the user across sectors, which is what pairwise prevents.
    expect((await introspect(tokens.access_token, api)).username).toBeUndefined();
  });

  it('§8.1: the sub stays the same across sign-ins and refreshes', async () => {
    const rp = await pairwise();
    const first = await tokensFor(rp);
    const again = await idTokenSub(rp);
    expect(again).toBe(decodeJwt(first.id_token as string).sub as string);
    const refreshed = await tokenRequest(
      app,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token as string },
      basicAuth(rp.client.id, rp.secret ?? ''),
    );
    expect(decodeJwt(((await refreshed.json()) as TokenJson).id_token as string).sub).toBe(again);
  });

  it('§8.1: two pairwise clients on the same host get the same sub; on different hosts different subs', async () => {
    const first = await pairwise({ name: 'First' });
    const sameHost = await pairwise({ name: 'Same host', redirectUris: [REDIRECT_URI, 'https://rp.example.test/other'] });
    const otherHost = await pairwise({ name: 'Other host', redirectUris: [OTHER_HOST_REDIRECT] });
    const sub = await idTokenSub(first);
    expect(await idTokenSub(sameHost)).toBe(sub);
    const other = await idTokenSub(otherHost, OTHER_HOST_REDIRECT);
    expect(other).not.toBe(sub);
    expect(other).not.toBe(user.id);
  });

  it('§8.1: a sector identifier puts clients of different hosts in one sector, or one host in another', async () => {
    const first = await pairwise({ name: 'First' });
    const joined = await pairwise({ name: 'Joined', redirectUris: [OTHER_HOST_REDIRECT], sectorIdentifier: 'rp.example.test' });
    const apart = await pairwise({ name: 'Apart', sectorIdentifier: 'elsewhere.example.test' });
    const sub = await idTokenSub(first);
    expect(await idTokenSub(joined, OTHER_HOST_REDIRECT)).toBe(sub);
    expect(await idTokenSub(apart)).not.toBe(sub);
  });

  it('a public client (the default) sees the user id everywhere', async () => {
    const rp = await addClient(app, { skipConsent: true });
    const tokens = await tokensFor(rp);
    expect(decodeJwt(tokens.id_token as string).sub).toBe(user.id);
    expect(((await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>).sub).toBe(user.id);
    expect((await introspect(tokens.access_token, rp)).sub).toBe(user.id);
    expect((await introspect(tokens.access_token, rp)).username).toBe(user.username);
  });

  it('OIDC Core §3.2.2.10: an implicit ID token and its access token carry the pairwise sub', async () => {
    const rp = await pairwise({ grantTypes: ['authorization_code', 'implicit'], tokenFormat: 'jwt' });
    const sub = await idTokenSub(rp);
    const url = await authorizeInBrowser(browser, {
      client_id: rp.client.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'id_token token',
      scope: 'openid',
      state: 'implicit',
      nonce: 'n-implicit',
    });
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect(decodeJwt(fragment.get('id_token') as string).sub).toBe(sub);
    expect(decodeJwt(fragment.get('access_token') as string).sub).toBe(sub);
    const info = (await (await userinfoRequest(app, fragment.get('access_token') as string)).json()) as Record<string, unknown>;
    expect(info.sub).toBe(sub);
  });

  it('RFC 6749 §4.4: a pairwise client_credentials token keeps the client id as its subject', async () => {
    const machine = await addClient(app, { name: 'Job', redirectUris: [], grantTypes: ['client_credentials'], subjectType: 'pairwise', tokenFormat: 'jwt' });
    const response = await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(machine.client.id, machine.secret ?? ''));
    const tokens = (await response.json()) as TokenJson;
    expect(decodeJwt(tokens.access_token).sub).toBe(machine.client.id);
    expect((await introspect(tokens.access_token, machine)).sub).toBe(machine.client.id);
  });

  it('RP-Initiated Logout §2: a pairwise id_token_hint still proves the signed-in user, and skips the question', async () => {
    const rp = await pairwise();
    const idToken = (await tokensFor(rp)).id_token as string;
    expect(decodeJwt(idToken).sub).not.toBe(user.id);
    const response = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: idToken }).toString()}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logout/done');
  });

  it('RP-Initiated Logout §2: a pairwise hint of another user is not taken for the signed-in one', async () => {
    const rp = await pairwise();
    await addUser(app, 'bob');
    const bobToken = (await signInForTokens(app, new TestBrowser(app), rp, {}, { username: 'bob' })).tokens.id_token as string;
    await tokensFor(rp);
    const response = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: bobToken }).toString()}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Sign out of idp?');
  });

  it('discovery lists both subject types', async () => {
    const doc = (await (await app.request('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(doc.subject_types_supported).toEqual(['public', 'pairwise']);
  });
});
