// The login and consent pages: generic failures, CSRF bound to the browser, interaction lifetime,
// session cookies, consent decisions, escaping and page headers.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { INTERACTION_TTL } from '../../src/authorize/interaction.ts';
import { SCOPE_DESCRIPTIONS } from '../../src/users/claims.ts';
import { setDisabled } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  authorizePath,
  browse,
  codeRequestParams,
  hiddenFields,
  PASSWORD,
  REDIRECT_URI,
  type RegisteredClient,
  TestBrowser,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';
const SESSION_COOKIE = '__Host-idp_session';
const BROWSER_COOKIE = '__Host-idp_browser';

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

/** Starts an authorization request in `on` and returns the login page's form fields. */
async function openLogin(on = browser, overrides: Record<string, string | undefined> = {}, client = rp) {
  const { response, path } = await browse(on, authorizePath(codeRequestParams(client.client.id, overrides).params));
  expect(path).toStartWith('/login?');
  expect(response.status).toBe(200);
  const html = await response.text();
  return { html, path, fields: hiddenFields(html) };
}

/** Signs in through the login page and returns the consent page (follows the redirects). */
async function openConsent(on = browser, overrides: Record<string, string | undefined> = {}, client = rp) {
  const { fields } = await openLogin(on, overrides, client);
  const posted = await on.post('/login', { ...fields, username: 'alice', password: PASSWORD });
  expect(posted.status).toBe(303);
  const { response, path } = await browse(on, posted.headers.get('location') as string);
  expect(path).toStartWith('/consent?');
  expect(response.status).toBe(200);
  const html = await response.text();
  return { html, path, fields: hiddenFields(html), response };
}

function setCookieNames(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.slice(0, cookie.indexOf('=')));
}

function errorMessage(html: string): string | undefined {
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
}

describe('login failures (OIDC Core §3.1.2.3; no account enumeration)', () => {
  it('OIDC Core §3.1.2.3: a wrong password and an unknown user get the same generic message, 401, and no session cookie', async () => {
    const { fields } = await openLogin();
    const wrongPassword = await browser.post('/login', { ...fields, username: 'alice', password: 'wrong password!' });
    const unknownUser = await browser.post('/login', { ...fields, username: 'mallory', password: PASSWORD });
    const answers = [];
    for (const response of [wrongPassword, unknownUser]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('location')).toBeNull();
      expect(setCookieNames(response)).not.toContain(SESSION_COOKIE);
      answers.push(errorMessage(await response.text()));
    }
    expect(answers[0]).toBe('Incorrect username or password.');
    expect(answers[1]).toBe(answers[0]);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    // The form can be retried: the right password now works.
    const retry = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(retry.status).toBe(303);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it('OIDC Core §3.1.2.3: a disabled user cannot sign in and gets the same generic message', async () => {
    await setDisabled({ users: app.store.users, clock: app.clock }, 'alice', true);
    const { fields } = await openLogin();
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(response.status).toBe(401);
    expect(errorMessage(await response.text())).toBe('Incorrect username or password.');
    expect(setCookieNames(response)).not.toContain(SESSION_COOKIE);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe('CSRF and the browser binding of interactions (RFC 6749 §10.12)', () => {
  it('RFC 6749 §10.12: a login POST without a csrf token gets a 403 page and no session', async () => {
    const { fields } = await openLogin();
    const response = await browser.post('/login', { interaction: fields.interaction as string, username: 'alice', password: PASSWORD });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('location')).toBeNull();
    expect(setCookieNames(response)).not.toContain(SESSION_COOKIE);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('RFC 6749 §10.12: a login POST with a wrong csrf token gets a 403 page and no session', async () => {
    const { fields } = await openLogin();
    // A token valid for another interaction of the same browser is wrong too.
    const other = await openLogin();
    for (const csrf of ['x'.repeat(43), other.fields.csrf as string]) {
      const response = await browser.post('/login', { ...fields, csrf, username: 'alice', password: PASSWORD });
      expect(response.status).toBe(403);
      expect(setCookieNames(response)).not.toContain(SESSION_COOKIE);
    }
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('RFC 6749 §10.12: a login POST from another browser with the first browser\'s interaction id and csrf gets the expired-request page', async () => {
    const { fields } = await openLogin();
    // A browser that never came here, and one that has its own browser cookie.
    const stranger = new TestBrowser(app);
    const otherVisitor = new TestBrowser(app);
    await openLogin(otherVisitor);
    expect(otherVisitor.cookies.get(BROWSER_COOKIE)).not.toBe(browser.cookies.get(BROWSER_COOKIE));
    for (const other of [stranger, otherVisitor]) {
      const response = await other.post('/login', { ...fields, username: 'alice', password: PASSWORD });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.text()).toContain('This sign-in request has expired');
      expect(other.cookies.has(SESSION_COOKIE)).toBe(false);
      // Nor may it open the pages of that interaction.
      const page = await other.get(`/login?interaction=${encodeURIComponent(fields.interaction as string)}`);
      expect(page.status).toBe(400);
      const resume = await other.get(`/authorize/resume?interaction=${encodeURIComponent(fields.interaction as string)}`);
      expect(resume.status).toBe(400);
      expect(resume.headers.get('location')).toBeNull();
    }
    // The browser that started it can still finish it.
    const own = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(own.status).toBe(303);
  });

  it('RFC 6749 §10.12: a consent POST without the right csrf token gets a 403 page and no code', async () => {
    const { fields } = await openConsent();
    for (const csrf of [undefined, 'y'.repeat(43)]) {
      const form: Record<string, string> = { interaction: fields.interaction as string, decision: 'allow' };
      if (csrf) form.csrf = csrf;
      const response = await browser.post('/consent', form);
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('an unknown interaction id gets the expired-request error page', async () => {
    await openLogin();
    for (const path of ['/login?interaction=unknown', '/login', '/consent?interaction=unknown', '/authorize/resume?interaction=unknown']) {
      const response = await browser.get(path);
      expect({ path, status: response.status, location: response.headers.get('location') }).toEqual({ path, status: 400, location: null });
      expect(await response.text()).toContain('This sign-in request has expired');
    }
    const posted = await browser.post('/login', { interaction: 'unknown', csrf: 'x', username: 'alice', password: PASSWORD });
    expect(posted.status).toBe(400);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it(`an interaction older than ${INTERACTION_TTL} s gets the expired-request error page and cannot sign in`, async () => {
    const { fields, path } = await openLogin();
    app.clock.advance(INTERACTION_TTL + 1);
    const page = await browser.get(path);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('This sign-in request has expired');
    const posted = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('location')).toBeNull();
    expect(await posted.text()).toContain('This sign-in request has expired');
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe('the session cookie (RFC 6265bis §4.1.2, §4.1.3.2)', () => {
  it('RFC 6265bis §4.1.3.2: on an https issuer the session cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax, Path=/ and has no Domain', async () => {
    const { fields } = await openLogin();
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toBeDefined();
    const attributes = (cookie as string).split(';').slice(1).map((part) => part.trim().toLowerCase());
    expect(attributes).toContain('secure');
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
    expect(attributes.some((attribute) => attribute.startsWith('domain'))).toBe(false);
    // The browser-binding cookie follows the same rules.
    const binding = await new TestBrowser(app).get(authorizePath(codeRequestParams(rp.client.id).params));
    const bindingCookie = binding.headers.getSetCookie().find((value) => value.startsWith(`${BROWSER_COOKIE}=`)) as string;
    expect(bindingCookie).toBeDefined();
    expect(bindingCookie.toLowerCase()).toContain('; secure');
    expect(bindingCookie.toLowerCase()).toContain('; httponly');
    expect(bindingCookie.toLowerCase()).toContain('; path=/');
  });

  it('RFC 6265bis §4.1.2.5: on an http (development) issuer the cookies have no __Host- prefix and no Secure, but keep HttpOnly, SameSite=Lax and Path=/', async () => {
    await app.cleanup();
    app = await testApp({ settings: { issuer: 'http://localhost:9000' } });
    await addUser(app);
    rp = await addClient(app);
    browser = new TestBrowser(app);
    const { fields } = await openLogin();
    const response = await browser.post('/login', { ...fields, username: 'alice', password: PASSWORD });
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith('idp_session=')) as string;
    expect(cookie).toBeDefined();
    const attributes = cookie.split(';').slice(1).map((part) => part.trim().toLowerCase());
    expect(attributes).not.toContain('secure');
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
  });

  it('OWASP session fixation / RFC 6749 §10.12: the session id changes at each sign-in and the old one stops working', async () => {
    await authorizeInBrowser(browser, codeRequestParams(rp.client.id).params);
    const first = browser.cookies.get(SESSION_COOKIE) as string;
    expect(first).toBeTruthy();
    await authorizeInBrowser(browser, codeRequestParams(rp.client.id, { prompt: 'login' }).params);
    const second = browser.cookies.get(SESSION_COOKIE) as string;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    // A browser still holding the first session id is not signed in.
    const old = new TestBrowser(app);
    old.cookies.set(SESSION_COOKIE, first);
    const url = await authorizeInBrowser(old, codeRequestParams(rp.client.id, { prompt: 'none' }).params);
    expect(url.searchParams.get('error')).toBe('login_required');
    // The new one is.
    const url2 = await authorizeInBrowser(browser, codeRequestParams(rp.client.id, { prompt: 'none' }).params);
    expect(url2.searchParams.get('code')).toBeTruthy();
  });

  it('OWASP session fixation: a session id planted before sign-in is not the one issued', async () => {
    const planted = 'A'.repeat(43);
    browser.cookies.set(SESSION_COOKIE, planted);
    await authorizeInBrowser(browser, codeRequestParams(rp.client.id).params);
    expect(browser.cookies.get(SESSION_COOKIE)).not.toBe(planted);
  });
});

describe('consent (OIDC Core §3.1.2.4)', () => {
  it('RFC 6749 §4.1.2.1: denying consent sends access_denied with state and iss to the redirect URI, and no code', async () => {
    const { fields } = await openConsent(browser, { state: 'deny-state' });
    const response = await browser.post('/consent', { ...fields, decision: 'deny' });
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location') as string);
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
    expect(target.searchParams.get('error')).toBe('access_denied');
    expect(target.searchParams.get('state')).toBe('deny-state');
    expect(target.searchParams.get('iss')).toBe(ISSUER);
    expect(target.searchParams.has('code')).toBe(false);
    // The interaction is over: allowing afterwards does not produce a code.
    const late = await browser.post('/consent', { ...fields, decision: 'allow' });
    expect(late.status).toBe(400);
    expect(late.headers.get('location')).toBeNull();
    // And nothing was remembered: the next request asks again.
    const again = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    expect(again.path).toStartWith('/consent?');
  });

  it('OIDC Core §3.1.2.4: the consent page names the client and describes each requested scope in words', async () => {
    const { html } = await openConsent(browser, { scope: 'openid profile email offline_access' });
    expect(html).toContain('Test RP');
    for (const scope of ['openid', 'profile', 'email', 'offline_access']) {
      expect(html).toContain(`<li>${SCOPE_DESCRIPTIONS[scope]}</li>`);
    }
    expect(html).toContain('alice');
    expect(html).toMatch(/name="decision" value="allow"/);
    expect(html).toMatch(/name="decision" value="deny"/);
  });

  it('OIDC Core §3.1.2.4: the consent page lists only the scopes asked for', async () => {
    const { html } = await openConsent(browser, { scope: 'openid email' });
    expect(html).toContain(`<li>${SCOPE_DESCRIPTIONS.email}</li>`);
    expect(html).not.toContain(SCOPE_DESCRIPTIONS.profile as string);
    expect(html).not.toContain(SCOPE_DESCRIPTIONS.offline_access as string);
  });

  it('OWASP XSS prevention: the client name is HTML-escaped on the login and consent pages', async () => {
    const hostile = await addClient(app, { name: '<script>alert(1)</script>' });
    const login = await openLogin(new TestBrowser(app), {}, hostile);
    const consent = await openConsent(browser, {}, hostile);
    for (const html of [login.html, consent.html]) {
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });
});

describe('page headers (RFC 6749 §10.13, RFC 9700 §4.16)', () => {
  it('RFC 6749 §10.13: login, consent, failed-login and error pages carry Cache-Control: no-store and X-Frame-Options: DENY', async () => {
    const login = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    const fields = hiddenFields(await login.response.clone().text());
    const failed = await browser.post('/login', { ...fields, username: 'alice', password: 'wrong password!' });
    const forbidden = await browser.post('/login', { ...fields, csrf: 'bad', username: 'alice', password: PASSWORD });
    const expired = await browser.get('/login?interaction=unknown');
    const clientError = await browser.get(authorizePath(codeRequestParams('unknown-client').params));
    const consent = (await openConsent(new TestBrowser(app))).response;
    const pages = { login: login.response, failed, forbidden, expired, clientError, consent };
    for (const [name, response] of Object.entries(pages)) {
      expect({ name, cacheControl: response.headers.get('cache-control'), frame: response.headers.get('x-frame-options') }).toEqual({
        name,
        cacheControl: 'no-store',
        frame: 'DENY',
      });
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

describe('malformed page requests', () => {
  it('a login POST with a repeated field gets an HTML error page, not JSON', async () => {
    const response = await app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=a&username=b&password=x',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('Something went wrong');
  });
});
