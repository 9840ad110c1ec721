// Custom scopes through the real endpoints: clients may be restricted to them, the consent page
// describes them, they release their mapped claims in the ID token and at /userinfo only when granted,
// discovery lists them, and client_credentials grants them.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { addScope } from '../../src/scopes/scopes.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  basicAuth,
  browse,
  codeRequestParams,
  hiddenFields,
  PASSWORD,
  signInForTokens,
  TestBrowser,
  tokenRequest,
  userinfoRequest,
} from '../helpers/oidc.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  // Added before the first request, so the 10-second cache of custom scopes already holds them.
  await addScope({ scopes: app.store.scopes, clock: app.clock }, { name: 'contact', description: 'Let the app contact you by email', claims: ['email', 'email_verified', 'name'] });
  await addScope({ scopes: app.store.scopes, clock: app.clock }, { name: 'billing:read', description: 'Read your invoices' });
  await addUser(app);
});
afterEach(() => app.cleanup());

describe('custom scopes at the endpoints', () => {
  it('discovery lists custom scopes after the standard ones', async () => {
    const doc = (await (await app.request('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(doc.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access', 'billing:read', 'contact']);
  });

  it('the consent page shows the custom scope description', async () => {
    const rp = await addClient(app, { scopes: ['openid', 'contact'] });
    const browser = new TestBrowser(app);
    const start = await browse(browser, authorizePath(codeRequestParams(rp.client.id, { scope: 'openid contact' }).params));
    expect(start.path).toStartWith('/login');
    const login = await browser.post('/login', { ...hiddenFields(await start.response.text()), username: 'alice', password: PASSWORD });
    const consent = await browse(browser, login.headers.get('location') as string);
    expect(consent.path).toStartWith('/consent');
    const html = await consent.response.text();
    expect(html).toContain('<li>Let the app contact you by email</li>');
  });

  it('the ID token and /userinfo carry the mapped claims only when the custom scope was granted', async () => {
    const rp = await addClient(app, { scopes: ['openid', 'contact', 'billing:read'] });
    const browser = new TestBrowser(app);

    const granted = (await signInForTokens(app, browser, rp, { scope: 'openid contact' })).tokens;
    expect(granted.scope).toBe('openid contact');
    const idToken = decodeJwt(granted.id_token as string);
    expect(idToken).toMatchObject({ email: 'alice@example.test', email_verified: true, name: 'Alice Liddell' });
    expect(idToken).not.toHaveProperty('preferred_username');
    const info = (await (await userinfoRequest(app, granted.access_token)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ email: 'alice@example.test', email_verified: true, name: 'Alice Liddell' });
    expect(info).not.toHaveProperty('preferred_username');

    const without = (await signInForTokens(app, new TestBrowser(app), rp, { scope: 'openid billing:read' })).tokens;
    expect(without.scope).toBe('openid billing:read');
    const plain = decodeJwt(without.id_token as string);
    for (const claim of ['email', 'email_verified', 'name']) expect(plain).not.toHaveProperty(claim);
    const plainInfo = (await (await userinfoRequest(app, without.access_token)).json()) as Record<string, unknown>;
    expect(Object.keys(plainInfo)).toEqual(['sub']);
  });

  it('a client restricted to a custom scope is not granted scopes it lacks', async () => {
    const rp = await addClient(app, { scopes: ['openid', 'billing:read'] });
    const { tokens } = await signInForTokens(app, new TestBrowser(app), rp, { scope: 'openid billing:read contact email' });
    expect(tokens.scope).toBe('openid billing:read');
    const idToken = decodeJwt(tokens.id_token as string);
    expect(idToken).not.toHaveProperty('email');
    expect(idToken).not.toHaveProperty('name');
  });

  it('client_credentials grants a custom scope the client is allowed', async () => {
    const { client, secret } = await addClient(app, {
      name: 'Billing job',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['billing:read'],
      defaultScopes: [],
    });
    const response = await tokenRequest(app, { grant_type: 'client_credentials', scope: 'billing:read' }, basicAuth(client.id, secret as string));
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>).scope).toBe('billing:read');
    const refused = await tokenRequest(app, { grant_type: 'client_credentials', scope: 'contact' }, basicAuth(client.id, secret as string));
    expect(((await refused.json()) as Record<string, unknown>).error).toBe('invalid_scope');
  });
});
