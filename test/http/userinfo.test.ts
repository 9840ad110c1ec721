// The UserInfo endpoint: how the bearer token is presented (RFC 6750), its errors, and the claims
// released per scope (OIDC Core §5.3, §5.4).
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import type { UserRecord } from '../../src/store/store.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  FULL_SCOPE,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  userinfoRequest,
} from '../helpers/oidc.ts';

let app: TestApp;
let user: UserRecord;
let rp: RegisteredClient;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  user = await addUser(app, 'alice', {
    email: 'alice@example.test',
    emailVerified: true,
    profile: { name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', locale: 'en-GB', zoneinfo: 'Europe/London' },
  });
  rp = await addClient(app);
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

async function accessToken(scope = FULL_SCOPE): Promise<string> {
  const overrides: Record<string, string | undefined> = { scope };
  if (!scope.split(' ').includes('openid')) overrides.nonce = undefined;
  return (await signInForTokens(app, browser, rp, overrides)).tokens.access_token;
}

function postForm(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return app.request('/userinfo', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

async function claims(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('presenting the token (RFC 6750 §2)', () => {
  it('RFC 6750 §2.1 / OIDC Core §5.3.1: GET with an Authorization: Bearer header returns the claims as JSON, not cached', async () => {
    const response = await userinfoRequest(app, await accessToken());
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await claims(response)).sub).toBe(user.id);
  });

  it('RFC 6750 §2.1: the auth scheme name is case-insensitive', async () => {
    const token = await accessToken();
    const response = await app.request('/userinfo', { headers: { authorization: `bearer ${token}` } });
    expect((await claims(response)).sub).toBe(user.id);
  });

  it('RFC 6750 §2.2 / OIDC Core §5.3.1: POST with the token in a form-encoded access_token parameter works', async () => {
    const response = await postForm({ access_token: await accessToken() });
    expect((await claims(response)).sub).toBe(user.id);
    // And POST with the header works too.
    const header = await app.request('/userinfo', { method: 'POST', headers: { authorization: `Bearer ${await accessToken()}` } });
    expect((await claims(header)).sub).toBe(user.id);
  });

  it('RFC 6750 §2: a token in both the header and the body is invalid_request (400)', async () => {
    const token = await accessToken();
    const response = await postForm({ access_token: token }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  it('RFC 6750 §3.1: a repeated access_token form parameter is invalid_request (400)', async () => {
    const token = await accessToken();
    const response = await app.request('/userinfo', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}&access_token=${token}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });
});

describe('bearer token errors (RFC 6750 §3, §3.1)', () => {
  it('RFC 6750 §3.1: a request without any token is 401 with WWW-Authenticate: Bearer realm="idp" and no error code', async () => {
    for (const response of [await app.request('/userinfo'), await postForm({})]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="idp"');
    }
  });

  it('RFC 6750 §3.1: an unknown token is 401 with error="invalid_token"', async () => {
    const response = await userinfoRequest(app, 'not-a-token');
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') as string;
    expect(challenge).toStartWith('Bearer realm="idp"');
    expect(challenge).toContain('error="invalid_token"');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('RFC 6750 §3.1: an Authorization header that is not a bearer token is 401 invalid_token', async () => {
    const response = await app.request('/userinfo', { headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('RFC 6750 §3.1: an expired access token (older than access_token_ttl) is invalid_token', async () => {
    const token = await accessToken();
    app.clock.advance(app.config.access_token_ttl - 1);
    expect((await userinfoRequest(app, token)).status).toBe(200);
    app.clock.advance(2);
    const response = await userinfoRequest(app, token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('OIDC Core §5.3 / RFC 6750 §3.1: a token without the openid scope is 403 insufficient_scope', async () => {
    const token = await accessToken('profile email');
    const response = await userinfoRequest(app, token);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
  });
});

describe('claims by scope (OIDC Core §5.3.2, §5.4)', () => {
  it('OIDC Core §5.4: scope openid alone releases only sub', async () => {
    expect(await claims(await userinfoRequest(app, await accessToken('openid')))).toEqual({ sub: user.id });
  });

  it('OIDC Core §5.4: the profile scope releases name, given_name, family_name, preferred_username, locale, zoneinfo and updated_at, and no email', async () => {
    const released = await claims(await userinfoRequest(app, await accessToken('openid profile')));
    expect(released).toEqual({
      sub: user.id,
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      preferred_username: 'alice',
      locale: 'en-GB',
      zoneinfo: 'Europe/London',
      updated_at: user.updatedAt,
    });
    expect(typeof released.updated_at).toBe('number');
  });

  it('OIDC Core §5.4: the email scope releases email and email_verified (a boolean), and no profile claims', async () => {
    const released = await claims(await userinfoRequest(app, await accessToken('openid email')));
    expect(released).toEqual({ sub: user.id, email: 'alice@example.test', email_verified: true });
  });

  it('OIDC Core §5.4: email_verified is false for an address nobody verified', async () => {
    await app.cleanup();
    app = await testApp();
    user = await addUser(app, 'alice', { emailVerified: false });
    rp = await addClient(app);
    browser = new TestBrowser(app);
    const released = await claims(await userinfoRequest(app, await accessToken('openid email')));
    expect(released.email_verified).toBe(false);
  });

  it('OIDC Core §5.3.2: sub in the UserInfo response equals sub in the ID token (and is not the username)', async () => {
    const { tokens } = await signInForTokens(app, browser, rp);
    const idToken = decodeJwt(tokens.id_token as string);
    const released = await claims(await userinfoRequest(app, tokens.access_token));
    expect(released.sub).toBe(idToken.sub as string);
    expect(released.sub).not.toBe('alice');
  });
});
