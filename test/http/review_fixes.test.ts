// Regression tests for the security review fixes.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser, authorizePath, codeRequestParams, hiddenFields, PASSWORD, REDIRECT_URI, type RegisteredClient, TestBrowser } from '../helpers/oidc.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let app: TestApp;
let tv: RegisteredClient;
let rp: RegisteredClient;

beforeEach(async () => {
  app = await testApp();
  await addUser(app);
  tv = await addClient(app, { name: 'Living Room TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
  rp = await addClient(app);
});
afterEach(() => app.cleanup());

describe('device code entry rate limit (RFC 8628 §5.1)', () => {
  it('cannot be bypassed by a signed-in user rotating the browser-id cookie', async () => {
    const response = await app.request('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: tv.client.id, scope: 'openid' }).toString(),
    });
    expect(response.status).toBe(200);
    const browser = new TestBrowser(app);
    const page = await browser.get('/device');
    const first = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: PASSWORD, user_code: 'ZZZZ-ZZZZ' });
    expect(first.status).toBe(400);
    const fields = hiddenFields(await first.text());
    for (let attempt = 2; attempt <= 5; attempt++) {
      expect((await browser.post('/device', { ...fields, user_code: 'ZZZZ-ZZZZ' })).status).toBe(400);
    }
    // Same session, fresh browser id: a new counter per browser, but the user already used their tries.
    const browserCookie = [...browser.cookies.keys()].find((name) => name.includes('idp_browser'));
    expect(browserCookie).toBeDefined();
    browser.cookies.delete(browserCookie as string);
    const codePage = await browser.get('/device');
    expect(codePage.status).toBe(200);
    const guess = await browser.post('/device', { ...hiddenFields(await codePage.text()), user_code: 'ZZZZ-ZZZZ' });
    expect(guess.status).toBe(429);
  });
});

describe('authorization request input bounds', () => {
  it('refuses an oversized login_hint with invalid_request at the redirect URI', async () => {
    const { params } = codeRequestParams(rp.client.id, { login_hint: 'a'.repeat(5000) });
    const response = await new TestBrowser(app).get(authorizePath(params));
    expect(response.status).toBe(303);
    const target = new URL(response.headers.get('location') ?? 'missing:');
    expect(`${target.origin}${target.pathname}`).toBe(REDIRECT_URI);
    expect(target.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('scope descriptions', () => {
  it('a custom scope named like an Object.prototype member (constructor) shows its own description', async () => {
    const { scopeDescription } = await import('../../src/users/claims.ts');
    expect(scopeDescription('constructor', [{ name: 'constructor', description: 'Build things', claims: [] }])).toBe('Build things');
  });
});
