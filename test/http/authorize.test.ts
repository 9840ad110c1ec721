// The authorization endpoint: what is answered with a page and what goes back to the client,
// request validation, prompt / max_age / consent, response modes and RFC 9207 iss.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { epochSeconds } from '../../src/clock.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  authorizePath,
  browse,
  codeRequestParams,
  FULL_SCOPE,
  hiddenFields,
  obtainCode,
  PASSWORD,
  REDIRECT_URI,
  redeemCode,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';

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

/** A request for `rp`; overrides win, `undefined` removes a parameter. */
function params(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  return codeRequestParams(rp.client.id, overrides).params;
}

async function expectErrorPage(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toContain('text/html');
  const html = await response.text();
  expect(html).toContain('<h1>');
  return html;
}

/** An error sent back to REDIRECT_URI in the query; returns its parameters. */
function expectErrorRedirect(response: Response, error: string): URLSearchParams {
  expect(response.status).toBe(303);
  const target = new URL(response.headers.get('location') ?? 'missing:');
  expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
  expect(target.searchParams.get('error')).toBe(error);
  expect(target.searchParams.get('iss')).toBe(ISSUER);
  expect(target.searchParams.has('code')).toBe(false);
  return target.searchParams;
}

/** Signs in through the login page (consent allowed) and returns the code's redirect. */
async function signIn(overrides: Record<string, string | undefined> = {}) {
  return obtainCode(browser, rp.client.id, overrides);
}

async function idTokenFor(code: { code: string; verifier: string }, client = rp): Promise<Record<string, unknown>> {
  const response = await redeemCode(app, client, code.code, code.verifier);
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as TokenJson;
  return decodeJwt(tokens.id_token as string);
}

describe('client and redirect URI errors: a page, never a redirect (RFC 6749 §4.1.2.1, §3.1.2.4)', () => {
  it('RFC 6749 §4.1.2.1: an unknown client_id is answered with an error page, not a redirect', async () => {
    const html = await expectErrorPage(await browser.get(authorizePath(params({ client_id: 'no-such-client' }))));
    expect(html).toContain('not registered');
  });

  it('RFC 6749 §4.1.2.1: a missing client_id is answered with an error page', async () => {
    await expectErrorPage(await browser.get(authorizePath(params({ client_id: undefined }))));
  });

  it('OIDC Core §3.1.2.1: a missing redirect_uri is answered with an error page, not a redirect', async () => {
    await expectErrorPage(await browser.get(authorizePath(params({ redirect_uri: undefined }))));
  });

  it('RFC 9700 §4.1.3 / RFC 6749 §3.1.2.3: a redirect_uri not registered exactly (other host, trailing slash, extra query, other scheme, other case, fragment) gets an error page', async () => {
    const variants = [
      'https://evil.example.test/callback',
      `${REDIRECT_URI}/`,
      `${REDIRECT_URI}?next=https://evil.example.test`,
      `${REDIRECT_URI}?`,
      'http://rp.example.test/callback',
      'https://rp.example.test/Callback',
      'https://rp.example.test:443/callback',
      `${REDIRECT_URI}#x`,
      'https://rp.example.test/callback/../callback',
    ];
    for (const redirectUri of variants) {
      const response = await browser.get(authorizePath(params({ redirect_uri: redirectUri })));
      expect({ redirectUri, status: response.status, location: response.headers.get('location') }).toEqual({
        redirectUri,
        status: 400,
        location: null,
      });
      expect(await response.text()).toContain('redirect_uri');
    }
  });

  it('RFC 6749 §3.1: a repeated client_id is answered with an error page, not a redirect', async () => {
    const query = `${authorizePath(params())}&client_id=${encodeURIComponent(rp.client.id)}`;
    await expectErrorPage(await browser.get(query));
  });

  it('RFC 6749 §3.1: a repeated redirect_uri is answered with an error page, not a redirect', async () => {
    const query = `${authorizePath(params())}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`;
    await expectErrorPage(await browser.get(query));
  });

  it('RFC 6749 §4.1.2.1: an unregistered redirect_uri is never redirected to, even with prompt=none and other errors', async () => {
    const evil = 'https://evil.example.test/callback';
    await expectErrorPage(await browser.get(authorizePath(params({ redirect_uri: evil, prompt: 'none' }))));
    await expectErrorPage(await browser.get(authorizePath(params({ redirect_uri: evil, response_type: 'token' }))));
    await expectErrorPage(await browser.get(authorizePath(params({ redirect_uri: evil, response_mode: 'form_post', prompt: 'none' }))));
    // Also for a signed-in user.
    await signIn();
    await expectErrorPage(await browser.get(authorizePath(params({ redirect_uri: evil, prompt: 'none' }))));
  });

  it('RFC 6749 §4.1.2.1: a client that has been removed gets an error page, not a redirect to its old redirect URI', async () => {
    const removed = await addClient(app, { name: 'Removed RP' });
    await app.store.clients.deleteClient(removed.client.id);
    await expectErrorPage(await browser.get(authorizePath({ ...params(), client_id: removed.client.id })));
  });
});

describe('request errors go back to the client with state and iss (RFC 6749 §4.1.2.1, RFC 9207)', () => {
  it('RFC 6749 §4.1.2.1: a missing response_type is invalid_request, with state and iss', async () => {
    const result = expectErrorRedirect(await browser.get(authorizePath(params({ response_type: undefined, state: 'st-1' }))), 'invalid_request');
    expect(result.get('state')).toBe('st-1');
  });

  it('RFC 6749 §4.1.2.1: a response_type other than code or the implicit ones is unsupported_response_type, with state and iss', async () => {
    // id_token and "id_token token" (OIDC Core §3.2) are covered in implicit.test.ts; hybrid types are not implemented.
    for (const responseType of ['token', 'code id_token', 'code token', 'id_token code', 'id_token  token', 'nonsense']) {
      const result = expectErrorRedirect(
        await browser.get(authorizePath(params({ response_type: responseType, state: 'st-2' }))),
        'unsupported_response_type',
      );
      expect(result.get('state')).toBe('st-2');
    }
  });

  it('RFC 6749 §3.1: a repeated parameter is invalid_request', async () => {
    const query = `${authorizePath(params({ state: 'st-3' }))}&scope=openid`;
    const result = expectErrorRedirect(await browser.get(query), 'invalid_request');
    expect(result.get('state')).toBe('st-3');
    expect(result.get('error_description')).toContain('scope');
  });

  it('OIDC Core §6.1: the request parameter is request_not_supported', async () => {
    const result = expectErrorRedirect(await browser.get(authorizePath(params({ request: 'eyJhbGciOiJub25lIn0.e30.', state: 'st-4' }))), 'request_not_supported');
    expect(result.get('state')).toBe('st-4');
  });

  it('OIDC Core §6.2: the request_uri parameter is request_uri_not_supported', async () => {
    const result = expectErrorRedirect(
      await browser.get(authorizePath(params({ request_uri: 'https://rp.example.test/request.jwt', state: 'st-5' }))),
      'request_uri_not_supported',
    );
    expect(result.get('state')).toBe('st-5');
  });

  it('RFC 9700 §2.1.1 / RFC 7636 §4.3: code_challenge_method=plain is invalid_request', async () => {
    const result = expectErrorRedirect(await browser.get(authorizePath(params({ code_challenge_method: 'plain', state: 'st-6' }))), 'invalid_request');
    expect(result.get('state')).toBe('st-6');
  });

  it('RFC 9700 §2.1.1 / RFC 7636 §4.3: a code_challenge without code_challenge_method (which would default to plain) is invalid_request', async () => {
    expectErrorRedirect(await browser.get(authorizePath(params({ code_challenge_method: undefined }))), 'invalid_request');
  });

  it('RFC 9700 §2.1.1 / OAuth 2.1 §4.1.1: a public client without PKCE is invalid_request', async () => {
    const pub = await addClient(app, { name: 'SPA', type: 'public' });
    const request = codeRequestParams(pub.client.id, { code_challenge: undefined, code_challenge_method: undefined, state: 'st-7' }).params;
    const result = expectErrorRedirect(await browser.get(authorizePath(request)), 'invalid_request');
    expect(result.get('state')).toBe('st-7');
  });

  it('OAuth 2.0 Multiple Response Type Encoding Practices §2.1: an unknown response_mode is invalid_request (sent in the query)', async () => {
    const result = expectErrorRedirect(await browser.get(authorizePath(params({ response_mode: 'web_message', state: 'st-8' }))), 'invalid_request');
    expect(result.get('state')).toBe('st-8');
  });

  it('OIDC Core §3.1.2.1: an unknown prompt value, prompt=none combined with another value, or a malformed max_age is invalid_request', async () => {
    for (const overrides of [{ prompt: 'sometimes' }, { prompt: 'none login' }, { prompt: 'none consent' }, { max_age: '-1' }, { max_age: 'soon' }]) {
      const result = expectErrorRedirect(await browser.get(authorizePath(params({ ...overrides, state: 'st-9' }))), 'invalid_request');
      expect(result.get('state')).toBe('st-9');
    }
  });

  it('RFC 9207 §2: every authorization response, success or error, carries iss equal to the issuer', async () => {
    const success = await signIn({ state: 'ok' });
    expect(success.url.searchParams.get('iss')).toBe(ISSUER);
    expect(success.url.searchParams.get('state')).toBe('ok');
    const other = await addClient(app, { name: 'Other RP' });
    const denied = await authorizeInBrowser(browser, codeRequestParams(other.client.id, { state: 'no' }).params, { decision: 'deny' });
    expect(denied.searchParams.get('state')).toBe('no');
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('iss')).toBe(ISSUER);
  });
});

describe('scopes (RFC 6749 §3.3)', () => {
  it('RFC 6749 §3.3: scopes the client may not have are dropped, and the token response scope says so', async () => {
    const narrow = await addClient(app, { name: 'Narrow RP', grantTypes: ['authorization_code'], scopes: ['openid', 'profile'] });
    const { tokens } = await signInForTokens(app, browser, narrow, { scope: 'openid profile email offline_access admin' });
    expect(tokens.scope.split(' ').sort()).toEqual(['openid', 'profile']);
    expect(tokens.refresh_token).toBeUndefined();
    const claims = decodeJwt(tokens.id_token as string);
    expect(claims.email).toBeUndefined();
  });

  it('RFC 6749 §3.3: a request without scope gets the client default scopes', async () => {
    const defaults = await addClient(app, { name: 'Defaults RP', defaultScopes: ['openid', 'email'] });
    const { tokens } = await signInForTokens(app, browser, defaults, { scope: undefined });
    expect(tokens.scope.split(' ').sort()).toEqual(['email', 'openid']);
  });
});

describe('prompt, max_age and consent (OIDC Core §3.1.2.1, §3.1.2.4, §3.1.2.6)', () => {
  it('OIDC Core §3.1.2.6: prompt=none without a session is login_required, with state and iss', async () => {
    const response = await browser.get(authorizePath(params({ prompt: 'none', state: 'pn-1' })));
    const result = expectErrorRedirect(response, 'login_required');
    expect(result.get('state')).toBe('pn-1');
  });

  it('OIDC Core §3.1.2.6: prompt=none with a session but no consent for the client is consent_required', async () => {
    await signIn();
    const other = await addClient(app, { name: 'Other RP' });
    const request = codeRequestParams(other.client.id, { prompt: 'none', state: 'pn-2' }).params;
    const result = expectErrorRedirect(await browser.get(authorizePath(request)), 'consent_required');
    expect(result.get('state')).toBe('pn-2');
  });

  it('OIDC Core §3.1.2.1: prompt=none with a session and consent returns a code without showing any page', async () => {
    await signIn();
    const { params: request, verifier } = codeRequestParams(rp.client.id, { prompt: 'none', state: 'pn-3' });
    const response = await browser.get(authorizePath(request));
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location') as string);
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
    expect(target.searchParams.get('state')).toBe('pn-3');
    expect(target.searchParams.get('iss')).toBe(ISSUER);
    const code = target.searchParams.get('code') as string;
    expect(code).toBeTruthy();
    expect((await redeemCode(app, rp, code, verifier)).status).toBe(200);
  });

  it('OIDC Core §3.1.2.1: prompt=login shows the login page again even with a session, and auth_time is the new login', async () => {
    const first = await idTokenFor(await signIn());
    app.clock.advance(120);
    const { response, path } = await browse(browser, authorizePath(params({ prompt: 'login' })));
    expect(path).toStartWith('/login?');
    expect(response.status).toBe(200);
    const code = await signIn({ prompt: 'login' });
    const second = await idTokenFor(code);
    expect(second.auth_time).toBe(epochSeconds(app.clock));
    expect(second.auth_time).toBe((first.auth_time as number) + 120);
  });

  it('OIDC Core §3.1.2.1: max_age=0 forces a new login even right after one (it is equivalent to prompt=login)', async () => {
    await signIn();
    const { path } = await browse(browser, authorizePath(params({ max_age: '0' })));
    expect(path).toStartWith('/login?');
  });

  it('OIDC Core §3.1.2.1: max_age=0 forces a new login, and auth_time in the ID token is the new login time', async () => {
    const first = await idTokenFor(await signIn());
    app.clock.advance(30);
    const { path } = await browse(browser, authorizePath(params({ max_age: '0' })));
    expect(path).toStartWith('/login?');
    const second = await idTokenFor(await signIn({ max_age: '0' }));
    expect(second.auth_time).toBe((first.auth_time as number) + 30);
  });

  it('OIDC Core §3.1.2.1: a session older than max_age forces a new login; a younger one does not', async () => {
    const first = await idTokenFor(await signIn());
    app.clock.advance(100);
    // 100 s old, max_age 300: no page, the old auth_time.
    const young = await browser.get(authorizePath(params({ max_age: '300', prompt: 'none' })));
    expect(young.status).toBe(303);
    expect(new URL(young.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
    app.clock.advance(201);
    // 301 s old: sign in again.
    const { path } = await browse(browser, authorizePath(params({ max_age: '300' })));
    expect(path).toStartWith('/login?');
    expectErrorRedirect(await browser.get(authorizePath(params({ max_age: '300', prompt: 'none' }))), 'login_required');
    const second = await idTokenFor(await signIn({ max_age: '300' }));
    expect(second.auth_time).toBe((first.auth_time as number) + 301);
    expect(second.auth_time).toBe(epochSeconds(app.clock));
  });

  it('OIDC Core §3.1.2.1: prompt=consent shows the consent page even when consent was already given', async () => {
    await signIn();
    const { response, path } = await browse(browser, authorizePath(params({ prompt: 'consent' })));
    expect(path).toStartWith('/consent?');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Allow');
  });

  it('OIDC Core §3.1.2.4: remembered consent covers a later request for a subset of the scopes (no consent page)', async () => {
    await signIn({ scope: FULL_SCOPE });
    const { response, path } = await browse(browser, authorizePath(params({ scope: 'openid email' })));
    expect(path).toStartWith('/authorize');
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
  });

  it('OIDC Core §3.1.2.4: a request for more scopes than were consented to asks again', async () => {
    await signIn({ scope: 'openid profile' });
    const { path } = await browse(browser, authorizePath(params({ scope: 'openid profile email' })));
    expect(path).toStartWith('/consent?');
    expectErrorRedirect(await browser.get(authorizePath(params({ scope: 'openid profile email', prompt: 'none' }))), 'consent_required');
  });

  it('OIDC Core §3.1.2.4: a skip_consent client never shows the consent page', async () => {
    const firstParty = await addClient(app, { name: 'First party', skipConsent: true });
    const request = codeRequestParams(firstParty.client.id).params;
    let { response, path } = await browse(browser, authorizePath(request));
    expect(path).toStartWith('/login?');
    const fields = hiddenFields(await response.text());
    response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(response.status).toBe(303);
    ({ response, path } = await browse(browser, response.headers.get('location') as string));
    expect(path).not.toStartWith('/consent');
    expect(new URL(response.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
    // Nor later, for the signed-in user.
    const again = await browse(browser, authorizePath(codeRequestParams(firstParty.client.id).params));
    expect(again.path).toStartWith('/authorize');
    expect(new URL(again.response.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
  });
});

describe('response modes (OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode §2)', () => {
  it('OAuth 2.0 Multiple Response Type Encoding Practices §2.1: response_mode=fragment puts code, state and iss in the fragment', async () => {
    const url = await authorizeInBrowser(browser, params({ response_mode: 'fragment', state: 'frag' }));
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
    expect(url.search).toBe('');
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect(fragment.get('code')).toBeTruthy();
    expect(fragment.get('state')).toBe('frag');
    expect(fragment.get('iss')).toBe(ISSUER);
  });

  it('OAuth 2.0 Form Post Response Mode §2: response_mode=form_post returns a page that posts code, state and iss to the redirect URI', async () => {
    await signIn();
    const { params: request, verifier } = codeRequestParams(rp.client.id, { response_mode: 'form_post', state: 'a"b<c>&d' });
    const response = await browser.get(authorizePath(request));
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    const form = /<form method="post" action="([^"]*)"/.exec(html);
    expect(form?.[1]).toBe(REDIRECT_URI);
    const fields = hiddenFields(html.replaceAll('&lt;', '<').replaceAll('&gt;', '>'));
    expect(fields.state).toBe('a"b<c>&d');
    expect(fields.iss).toBe(ISSUER);
    expect(fields.code).toBeTruthy();
    expect(html).not.toContain('a"b<c>');
    expect((await redeemCode(app, rp, fields.code as string, verifier)).status).toBe(200);
  });

  it('OAuth 2.0 Form Post Response Mode §2: errors are form-posted too when form_post was asked for', async () => {
    const response = await browser.get(authorizePath(params({ response_mode: 'form_post', prompt: 'none', state: 'fp' })));
    expect(response.status).toBe(200);
    const fields = hiddenFields(await response.text());
    expect(fields).toMatchObject({ error: 'login_required', state: 'fp', iss: ISSUER });
  });
});

describe('request forms', () => {
  it('OIDC Core §3.1.2.1: POST /authorize with a form body works like GET', async () => {
    const { params: request, verifier } = codeRequestParams(rp.client.id, { state: 'posted' });
    let response = await browser.post('/authorize', request);
    expect(response.status).toBe(303);
    const loginPath = response.headers.get('location') as string;
    expect(loginPath).toStartWith('/login?');
    response = await browser.get(loginPath);
    response = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    const consent = await browse(browser, response.headers.get('location') as string);
    expect(consent.path).toStartWith('/consent?');
    response = await browser.post('/consent', { ...hiddenFields(await consent.response.text()), decision: 'allow' });
    const target = new URL(response.headers.get('location') as string);
    expect(target.searchParams.get('state')).toBe('posted');
    expect(target.searchParams.get('iss')).toBe(ISSUER);
    expect((await redeemCode(app, rp, target.searchParams.get('code') as string, verifier)).status).toBe(200);

    // Errors after the redirect URI is known go back to it from a POST too.
    const failed = await browser.post('/authorize', { ...request, response_type: 'token', state: 'posted-2' });
    expect(expectErrorRedirect(failed, 'unsupported_response_type').get('state')).toBe('posted-2');
    // And a POST with an unknown client is a page.
    await expectErrorPage(await browser.post('/authorize', { ...request, client_id: 'nobody' }));
  });

  it('OIDC Core §3.1.2.1: login_hint pre-fills the username field (escaped)', async () => {
    const { response, path } = await browse(browser, authorizePath(params({ login_hint: 'bob@example.test' })));
    expect(path).toStartWith('/login?');
    const html = await response.text();
    expect(html).toMatch(/<input id="username" name="username"[^>]* value="bob@example.test"/);

    const hostile = await browse(new TestBrowser(app), authorizePath(params({ login_hint: '"><script>alert(1)</script>' })));
    const hostileHtml = await hostile.response.text();
    expect(hostileHtml).not.toContain('<script>alert(1)</script>');
    expect(hostileHtml).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});
