// Response headers: the pages' Content-Security-Policy (no inline script or style; form-action per
// page), anti-framing, Referrer-Policy and no-store; nosniff and the request id on every response;
// HSTS when the issuer is https. Templates hold no inline script, style or event handler.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  browse,
  codeRequestParams,
  hiddenFields,
  PASSWORD,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
} from '../helpers/oidc.ts';

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";
const TEMPLATES_DIR = join(import.meta.dir, '../../templates');

let app: TestApp;
let rp: RegisteredClient;
let browser: TestBrowser;

beforeEach(async () => {
  app = await testApp();
  await addUser(app);
  rp = await addClient(app, { postLogoutRedirectUris: ['https://rp.example.test/logged-out'] });
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

/** The form-action of a page's <meta> policy; null when the page leaves it unrestricted. */
function metaFormAction(html: string): string | null {
  const match = /<meta http-equiv="Content-Security-Policy" content="form-action ([^"]+)">/.exec(html);
  return match ? (match[1] as string) : null;
}

function expectPageHeaders(name: string, response: Response, options: { noStore: boolean }) {
  const headers = response.headers;
  expect({
    name,
    type: headers.get('content-type'),
    csp: headers.get('content-security-policy'),
    frame: headers.get('x-frame-options'),
    referrer: headers.get('referrer-policy'),
    nosniff: headers.get('x-content-type-options'),
  }).toEqual({ name, type: 'text/html; charset=utf-8', csp: PAGE_CSP, frame: 'DENY', referrer: 'no-referrer', nosniff: 'nosniff' });
  if (options.noStore) expect({ name, cache: headers.get('cache-control') }).toEqual({ name, cache: 'no-store' });
}

/** Every kind of page, with the form-action each declares. */
async function everyPage(): Promise<{ name: string; response: Response; html: string; formAction: string | null; noStore: boolean }[]> {
  const pages: { name: string; response: Response; formAction: string | null; noStore?: boolean }[] = [];
  const login = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
  const loginHtml = await login.response.clone().text();
  pages.push({ name: 'login', response: login.response, formAction: null });
  pages.push({
    name: 'failed login',
    response: await browser.post('/login', { ...hiddenFields(loginHtml), username: 'alice', password: 'wrong password!' }),
    formAction: null,
  });
  const afterLogin = await browser.post('/login', { ...hiddenFields(loginHtml), username: 'alice', password: PASSWORD });
  const consent = await browse(browser, afterLogin.headers.get('location') as string);
  expect(consent.path).toStartWith('/consent');
  pages.push({ name: 'consent', response: consent.response, formAction: null });
  const formPost = await browser.get(authorizePath(codeRequestParams(rp.client.id, { response_mode: 'form_post', prompt: 'none', scope: 'openid' }).params));
  pages.push({ name: 'form_post', response: formPost, formAction: null });
  pages.push({ name: 'logout confirmation', response: await browser.get(`/logout?client_id=${rp.client.id}`), formAction: null });
  pages.push({ name: 'device sign-in', response: await new TestBrowser(app).get('/device'), formAction: "'self'" });
  pages.push({ name: 'device code entry', response: await browser.get('/device'), formAction: "'self'" });
  pages.push({ name: 'error', response: await browser.get(authorizePath(codeRequestParams('unknown-client').params)), formAction: "'none'" });
  pages.push({ name: 'expired interaction', response: await browser.get('/login?interaction=unknown'), formAction: "'none'" });
  pages.push({ name: 'signed out', response: await browser.get('/logout/done'), formAction: "'none'" });
  pages.push({ name: 'home', response: await browser.get('/'), formAction: "'none'", noStore: false });
  const rendered = await Promise.all(pages.map(async (page) => ({ ...page, noStore: page.noStore ?? true, html: await page.response.text() })));
  const html = (name: string) => rendered.find((page) => page.name === name)?.html ?? '';
  // Each page is the one its name says.
  expect(html('form_post')).toContain('id="form-post"');
  expect(html('logout confirmation')).toContain('action="/logout"');
  expect(html('device sign-in')).toContain('name="password"');
  expect(html('device code entry')).toContain('Signed in as alice');
  expect(html('consent')).toContain('action="/consent"');
  return rendered;
}

describe('HTML pages (CSP Level 3, RFC 6749 §10.13)', () => {
  it('every page carries the CSP without inline script or style, X-Frame-Options DENY, no-referrer and nosniff; pages with forms are no-store', async () => {
    const pages = await everyPage();
    expect(pages.length).toBe(11);
    for (const { name, response, noStore } of pages) expectPageHeaders(name, response, { noStore });
  });

  it('form-action: device pages post only to idp, pages without forms post nowhere, and forms that end at the client are not restricted', async () => {
    // Browsers check form-action on every redirect after a submission: the login, consent and
    // logout forms end in a redirect to the client, and the client may redirect on to any origin.
    for (const { name, html, formAction } of await everyPage()) {
      expect({ name, formAction: metaFormAction(html) }).toEqual({ name, formAction });
      if (formAction === "'none'") expect({ name, forms: html.includes('<form') }).toEqual({ name, forms: false });
    }
  });

  it('rendered pages hold no inline script, style attribute, <style> block or event handler', async () => {
    for (const { name, html } of await everyPage()) {
      expect({ name, inlineScript: /<script(?![^>]*\bsrc=)[^>]*>/i.test(html) }).toEqual({ name, inlineScript: false });
      expect({ name, style: /<style|\sstyle=/i.test(html) }).toEqual({ name, style: false });
      expect({ name, handler: /\son[a-z]+=/i.test(html) }).toEqual({ name, handler: false });
    }
  });

  it('templates hold no inline script, style or event handler; the only script is /assets/form_post.js', () => {
    const files = readdirSync(TEMPLATES_DIR).filter((file) => file.endsWith('.html'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(TEMPLATES_DIR, file), 'utf8');
      expect({ file, style: /<style|\sstyle=/i.test(text) }).toEqual({ file, style: false });
      expect({ file, handler: /\son[a-z]+=/i.test(text) }).toEqual({ file, handler: false });
      expect({ file, javascriptUrl: /javascript:/i.test(text) }).toEqual({ file, javascriptUrl: false });
      for (const script of text.match(/<script[^>]*>[^<]*<\/script>/gi) ?? []) {
        expect({ file, script }).toEqual({ file, script: '<script src="/assets/form_post.js"></script>' });
      }
    }
  });

  it('the form_post script and the stylesheet are served from idp itself, with nosniff and their own types', async () => {
    const script = await app.request('/assets/form_post.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    const css = await app.request('/assets/idp.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('headers on every response', () => {
  it('JSON, redirects, errors, 404s and preflights carry X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer', async () => {
    const { tokens } = await signInForTokens(app, browser, rp);
    const responses = {
      discovery: await app.request('/.well-known/openid-configuration'),
      jwks: await app.request('/jwks'),
      userinfo: await app.request('/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      tokenError: await app.request('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=nope' }),
      redirect: await browser.get(authorizePath(codeRequestParams(rp.client.id, { prompt: 'none' }).params)),
      notFound: await app.request('/nope'),
      preflight: await app.request('/token', { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } }),
      healthz: await app.request('/healthz'),
    };
    expect(responses.redirect.status).toBe(303);
    for (const [name, response] of Object.entries(responses)) {
      expect({ name, nosniff: response.headers.get('x-content-type-options'), referrer: response.headers.get('referrer-policy') }).toEqual({
        name,
        nosniff: 'nosniff',
        referrer: 'no-referrer',
      });
    }
  });

  it('RFC 6797: an https issuer sends Strict-Transport-Security: max-age=31536000 on every response', async () => {
    for (const path of ['/healthz', '/', '/nope', '/.well-known/openid-configuration']) {
      expect({ path, hsts: (await app.request(path)).headers.get('strict-transport-security') }).toEqual({ path, hsts: 'max-age=31536000' });
    }
  });

  it('RFC 6797 §7.2: an http issuer sends no Strict-Transport-Security', async () => {
    const plain = await testApp({ settings: { issuer: 'http://localhost:9000' } });
    try {
      for (const path of ['/healthz', '/', '/nope']) expect((await plain.request(path)).headers.get('strict-transport-security')).toBeNull();
    } finally {
      await plain.cleanup();
    }
  });
});
