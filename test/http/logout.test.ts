// RP-initiated logout at /logout (OpenID Connect RP-Initiated Logout 1.0): id_token_hint validation
// (§2, §4), confirmation with CSRF (§2, §6), post-logout redirection (§3), session end and cookies.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  codeRequestParams,
  hiddenFields,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';
const SESSION_COOKIE = '__Host-idp_session';
const LOGGED_OUT = 'https://rp.example.test/logged-out';
const WILDCARD_PATTERN = 'https://*.preview.example.test/logged-out';

let app: TestApp;
let rp: RegisteredClient;
let browser: TestBrowser;

async function setUp(settings: Record<string, string | number> = {}) {
  app = await testApp({ settings });
  await addUser(app);
  rp = await addClient(app, { postLogoutRedirectUris: [LOGGED_OUT], skipConsent: true });
  browser = new TestBrowser(app);
}

beforeEach(() => setUp());
afterEach(() => app.cleanup());

/** Signs `on` in through the code flow for `client` and returns the ID token it got. */
async function signIn(on = browser, client = rp): Promise<string> {
  const { tokens } = await signInForTokens(app, on, client);
  if (!tokens.id_token) throw new Error('no id_token');
  return tokens.id_token;
}

function logoutPath(params: Record<string, string>): string {
  return `/logout?${new URLSearchParams(params).toString()}`;
}

/** Whether `on` still has a live session: prompt=none gets a code, or login_required. */
async function promptNone(on = browser, client = rp): Promise<'code' | string> {
  const response = await on.get(authorizePath(codeRequestParams(client.client.id, { prompt: 'none' }).params));
  const url = new URL(response.headers.get('location') as string);
  return url.searchParams.has('code') ? 'code' : (url.searchParams.get('error') as string);
}

/** A second browser holding a copy of `on`'s cookies (to replay the old session cookie). */
function copyOf(on: TestBrowser): TestBrowser {
  const copy = new TestBrowser(app);
  for (const [name, value] of on.cookies) copy.cookies.set(name, value);
  return copy;
}

function clearsSessionCookie(response: Response): boolean {
  return response.headers.getSetCookie().some((cookie) => cookie.startsWith(`${SESSION_COOKIE}=;`) && /Max-Age=0/.test(cookie));
}

function expectPageHeaders(response: Response) {
  expect(response.headers.get('content-type')).toContain('text/html');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
}

/** The confirmation page for `params`, checked, with its form fields. */
async function openConfirmation(params: Record<string, string> = {}, on = browser) {
  const response = await on.get(logoutPath(params));
  expect(response.status).toBe(200);
  expectPageHeaders(response);
  const html = await response.text();
  expect(html).toContain('Sign out of idp?');
  return { html, fields: hiddenFields(html) };
}

/** An invalid-request error page: 400, no redirect, no cookie cleared. */
async function expectErrorPage(response: Response, message: RegExp) {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(clearsSessionCookie(response)).toBe(false);
  expectPageHeaders(response);
  expect(await response.text()).toMatch(message);
}

describe('confirmation (RP-Initiated Logout §2, §6)', () => {
  it('§2: without an id_token_hint the OP asks the user first, with a CSRF-protected form, and ends nothing yet', async () => {
    await signIn();
    const { html, fields } = await openConfirmation({ client_id: rp.client.id, post_logout_redirect_uri: LOGGED_OUT, state: 's1' });
    expect(html).toContain('<form method="post" action="/logout"');
    expect(html).toContain('Test RP');
    expect(html).toContain('Signed in as alice');
    expect(html).toMatch(/name="confirm" value="yes"[^>]*>Sign out</);
    expect(html).toMatch(/name="confirm" value="no"[^>]*>Cancel</);
    expect(fields.csrf).toBeTruthy();
    expect(fields).toMatchObject({ client_id: rp.client.id, post_logout_redirect_uri: LOGGED_OUT, state: 's1' });
    expect(await promptNone()).toBe('code');
  });

  it('§6: the confirmation POST needs the CSRF token; missing or wrong → 403 and the session stays', async () => {
    await signIn();
    const { fields } = await openConfirmation();
    for (const csrf of [undefined, 'forged-token', `${fields.csrf}x`]) {
      const form: Record<string, string> = { ...fields, confirm: 'yes' };
      if (csrf === undefined) delete form.csrf;
      else form.csrf = csrf;
      const response = await browser.post('/logout', form);
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
      expect(clearsSessionCookie(response)).toBe(false);
      expectPageHeaders(response);
    }
    expect(await promptNone()).toBe('code');
  });

  it('§6: a CSRF token from another browser is not accepted', async () => {
    await signIn();
    const other = new TestBrowser(app);
    await signIn(other);
    const { fields: otherFields } = await openConfirmation({}, other);
    await openConfirmation();
    const response = await browser.post('/logout', { ...otherFields, confirm: 'yes' });
    expect(response.status).toBe(403);
    expect(await promptNone()).toBe('code');
  });

  it('§2: the confirmed POST ends the session server-side and clears the cookie; the old cookie then gets login_required', async () => {
    await signIn();
    const before = copyOf(browser);
    const { fields } = await openConfirmation();
    const response = await browser.post('/logout', { ...fields, confirm: 'yes' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logout/done');
    expect(clearsSessionCookie(response)).toBe(true);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    // The replayed cookie names a session that no longer exists (OIDC Core §3.1.2.6 prompt=none).
    expect(await promptNone(before)).toBe('login_required');
    expect(await promptNone()).toBe('login_required');
    const done = await browser.get('/logout/done');
    expect(done.status).toBe(200);
    expectPageHeaders(done);
    expect(await done.text()).toContain('You have signed out');
  });

  it('Cancel keeps the session', async () => {
    await signIn();
    const { fields } = await openConfirmation();
    const response = await browser.post('/logout', { ...fields, confirm: 'no' });
    expect(response.status).toBe(200);
    expect(clearsSessionCookie(response)).toBe(false);
    expect(await response.text()).toContain('You are still signed in');
    expect(await promptNone()).toBe('code');
  });

  it('§2: an id_token_hint for the signed-in user and session skips the question', async () => {
    const idToken = await signIn();
    const response = await browser.get(logoutPath({ id_token_hint: idToken }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logout/done');
    expect(clearsSessionCookie(response)).toBe(true);
    expect(await promptNone()).toBe('login_required');
  });

  it('§2: a hint from another session of the same user does not prove this one: the OP asks', async () => {
    const oldToken = await signIn();
    const other = new TestBrowser(app);
    await signIn(other);
    await openConfirmation({ id_token_hint: oldToken }, other);
    expect(await promptNone(other)).toBe('code');
  });

  it('§2: an expired id_token_hint is still accepted', async () => {
    const idToken = await signIn();
    app.clock.advance(app.config.id_token_ttl + 60);
    const response = await browser.get(logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 'late' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${LOGGED_OUT}?state=late`);
    expect(clearsSessionCookie(response)).toBe(true);
    expect(await promptNone()).toBe('login_required');
  });

  it('logout_asks_confirmation=false ends the session at once, even without a hint', async () => {
    await app.cleanup();
    await setUp({ logout_asks_confirmation: 'false' });
    await signIn();
    const response = await browser.get('/logout');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logout/done');
    expect(clearsSessionCookie(response)).toBe(true);
    expect(await promptNone()).toBe('login_required');
  });

  it('§2: with no session there is nothing to ask about: straight to the outcome', async () => {
    const idToken = await signIn();
    const stranger = new TestBrowser(app);
    const response = await stranger.get(logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 's2' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${LOGGED_OUT}?state=s2`);
    expect(await promptNone()).toBe('code');
  });

  it('§2: a POST from the RP (cross-site, without the Lax cookie) is answered with the same request as a GET', async () => {
    const idToken = await signIn();
    const response = await browser.post('/logout', { id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 's3' });
    expect(response.status).toBe(303);
    const next = response.headers.get('location') as string;
    expect(next).toStartWith('/logout?');
    expect(clearsSessionCookie(response)).toBe(false);
    const final = await browser.get(next);
    expect(final.headers.get('location')).toBe(`${LOGGED_OUT}?state=s3`);
    expect(await promptNone()).toBe('login_required');
  });
});

describe('id_token_hint validation (RP-Initiated Logout §2, §4)', () => {
  it('§4: a hint signed by a key that is not ours (same kid) → error page, nothing ended', async () => {
    const idToken = await signIn();
    const [header] = idToken.split('.');
    const { kid } = JSON.parse(Buffer.from(header as string, 'base64url').toString()) as { kid: string };
    const { privateKey } = await generateKeyPair('RS256');
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;
    for (const headerKid of [kid, 'forged-kid']) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: headerKid, typ: 'JWT' }).sign(privateKey);
      await expectErrorPage(await browser.get(logoutPath({ id_token_hint: forged })), /not issued by this provider/);
    }
    expect(await promptNone()).toBe('code');
  });

  it('§4: a hint with alg none or a symmetric key made from the public JWK → error page', async () => {
    const idToken = await signIn();
    const [, payload] = idToken.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await expectErrorPage(await browser.get(logoutPath({ id_token_hint: none })), /not issued by this provider/);
    const { publicKey } = await generateKeyPair('RS256');
    const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey)));
    const hs = await new SignJWT({ sub: 'x', aud: rp.client.id }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).sign(secret);
    await expectErrorPage(await browser.get(logoutPath({ id_token_hint: hs })), /not issued by this provider/);
    await expectErrorPage(await browser.get(logoutPath({ id_token_hint: 'not-a-jwt' })), /not issued by this provider/);
    expect(await promptNone()).toBe('code');
  });

  it('§2: a hint signed with our key but naming another issuer → error page', async () => {
    const idToken = await signIn();
    const { sub } = JSON.parse(Buffer.from(idToken.split('.')[1] as string, 'base64url').toString()) as { sub: string };
    const { kid, key } = app.keyring.signingKey('RS256');
    const foreign = await new SignJWT({ sid: 'x' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer('https://evil.example.test')
      .setSubject(sub)
      .setAudience(rp.client.id)
      .setIssuedAt(Math.floor(app.clock() / 1000))
      .setExpirationTime('1h')
      .sign(key);
    await expectErrorPage(await browser.get(logoutPath({ id_token_hint: foreign })), /not issued by this provider/);
    expect(await promptNone()).toBe('code');
  });

  it('§2: a JWT access token (typ at+jwt, same key and issuer) is not an ID token hint', async () => {
    const jwtClient = await addClient(app, { tokenFormat: 'jwt', skipConsent: true });
    const { tokens } = await signInForTokens(app, browser, jwtClient);
    await expectErrorPage(await browser.get(logoutPath({ id_token_hint: tokens.access_token })), /not issued by this provider/);
  });

  it('§2: client_id that differs from the hint aud → error page, nothing ended', async () => {
    const idToken = await signIn();
    const other = await addClient(app, { name: 'Other RP', postLogoutRedirectUris: [LOGGED_OUT] });
    const response = await browser.get(logoutPath({ id_token_hint: idToken, client_id: other.client.id, post_logout_redirect_uri: LOGGED_OUT }));
    await expectErrorPage(response, /does not match/);
    expect(await promptNone()).toBe('code');
  });

  it('§4: an unknown client_id → error page', async () => {
    await signIn();
    await expectErrorPage(await browser.get(logoutPath({ client_id: 'no-such-client' })), /not registered/);
  });

  it('§4: a repeated parameter → error page', async () => {
    await signIn();
    await expectErrorPage(await browser.get(`/logout?state=a&state=b`), /repeats state/);
  });

  it('§2: logout_hint and ui_locales are accepted alongside a matching client_id', async () => {
    const idToken = await signIn();
    const response = await browser.get(
      logoutPath({ id_token_hint: idToken, client_id: rp.client.id, logout_hint: 'alice', ui_locales: 'fr en', post_logout_redirect_uri: LOGGED_OUT }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(LOGGED_OUT);
  });
});

describe('post-logout redirection (RP-Initiated Logout §3)', () => {
  it('§3: a registered post_logout_redirect_uri gets a 303 with state', async () => {
    const idToken = await signIn();
    const response = await browser.get(logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: LOGGED_OUT, state: 'af0ifjsldkj' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${LOGGED_OUT}?state=af0ifjsldkj`);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('§3: the client may be named by client_id alone; the URI and state survive the confirmation form', async () => {
    await signIn();
    const { fields } = await openConfirmation({ client_id: rp.client.id, post_logout_redirect_uri: LOGGED_OUT, state: 'x y&z' });
    const response = await browser.post('/logout', { ...fields, confirm: 'yes' });
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location') as string);
    expect(`${target.origin}${target.pathname}`).toBe(LOGGED_OUT);
    expect(target.searchParams.get('state')).toBe('x y&z');
  });

  it('§3: an unregistered post_logout_redirect_uri is never redirected to: the signed-out page instead', async () => {
    const idToken = await signIn();
    for (const uri of ['https://evil.example.test/', `${LOGGED_OUT}/extra`, `${LOGGED_OUT}?x=1`, LOGGED_OUT.toUpperCase()]) {
      const response = await copyOf(browser).get(logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: uri, state: 's' }));
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe('/logout/done');
    }
  });

  it('§3: without a hint or client_id no client is identified, so even a registered URI is not used', async () => {
    await signIn();
    const { fields } = await openConfirmation({ post_logout_redirect_uri: LOGGED_OUT });
    expect(fields.post_logout_redirect_uri).toBeUndefined();
    const response = await browser.post('/logout', { ...fields, post_logout_redirect_uri: LOGGED_OUT, confirm: 'yes' });
    expect(response.headers.get('location')).toBe('/logout/done');
    expect(clearsSessionCookie(response)).toBe(true);
  });

  it('§3: a URI registered for another client is not used', async () => {
    const other = await addClient(app, { name: 'Other RP', postLogoutRedirectUris: ['https://other.example.test/bye'] });
    const idToken = await signIn();
    const response = await browser.get(logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: 'https://other.example.test/bye' }));
    expect(response.headers.get('location')).toBe('/logout/done');
    expect(other.client.metadata.post_logout_redirect_uris).toEqual(['https://other.example.test/bye']);
  });

  it('a wildcard post-logout URI matches for an allow_wildcards client, within one label only', async () => {
    const preview = await addClient(app, { allowWildcards: true, postLogoutRedirectUris: [WILDCARD_PATTERN], skipConsent: true });
    const idToken = await signIn(browser, preview);
    const spanning = await copyOf(browser).get(
      logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: 'https://a.b.preview.example.test/logged-out' }),
    );
    expect(spanning.headers.get('location')).toBe('/logout/done');
    const response = await browser.get(
      logoutPath({ id_token_hint: idToken, post_logout_redirect_uri: 'https://pr-42.preview.example.test/logged-out', state: 'w' }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://pr-42.preview.example.test/logged-out?state=w');
  });
});
