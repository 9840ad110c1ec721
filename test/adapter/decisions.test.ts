// The adapter's decisions in real flows: authorize (after sign-in, at the device page, on refresh),
// skipConsent, and clientCredentialsScopes.
import { afterEach, describe, expect, it } from 'bun:test';
import type { Adapter, AuthorizeContext, ClientCredentialsContext, ConsentContext } from '../../src/adapter/types.ts';
import { DEFAULT_DENIAL } from '../../src/authorize/decision.ts';
import { addScope } from '../../src/scopes/scopes.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizeInBrowser,
  authorizePath,
  basicAuth,
  browse,
  codeRequestParams,
  FULL_SCOPE,
  hiddenFields,
  obtainCode,
  PASSWORD,
  REDIRECT_URI,
  refreshRequest,
  signInForTokens,
  TestBrowser,
  tokenRequest,
  userinfoRequest,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let app: TestApp;
afterEach(() => app.cleanup());

/** Members of `admins` only, with the reason the adapter gives. */
const adminsOnly = (contexts: AuthorizeContext[] = []): Adapter => ({
  authorize(context) {
    contexts.push(context);
    const groups = [context.user.attributes.groups ?? []].flat();
    return groups.includes('admins') ? true : { allow: false, reason: 'Only members of admins may use Admin Console.' };
  },
});

async function setup(adapter: Adapter) {
  app = await testApp({ adapter });
  await addUser(app, 'alice', { attributes: { groups: ['admins', 'staff'] } });
  const bob = await addUser(app, 'bob', { attributes: { groups: 'staff' } });
  const rp = await addClient(app, { name: 'Admin Console' });
  return { bob, rp, browser: new TestBrowser(app) };
}

async function deniedEvents() {
  return (await app.store.audit.list({ limit: 100 })).filter((event) => event.type === 'authorization.denied');
}

describe('authorize after sign-in (RFC 6749 §4.1.2.1)', () => {
  it('a refused user goes back to the client with access_denied, the reason, state and iss; the refusal is audited', async () => {
    const contexts: AuthorizeContext[] = [];
    const { bob, rp, browser } = await setup(adminsOnly(contexts));
    const { params } = codeRequestParams(rp.client.id);
    // No consent page: the decision comes first.
    const url = await (async () => {
      let response = await browser.get(authorizePath(params));
      for (let hop = 0; hop < 6; hop++) {
        const target = response.headers.get('location') as string;
        if (!target.startsWith('/')) return new URL(target);
        expect(target).not.toStartWith('/consent');
        response = await browser.get(target);
        if (target.startsWith('/login')) {
          response = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'bob', password: PASSWORD });
        }
      }
      throw new Error('no redirect to the client');
    })();
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT_URI);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('error_description')).toBe('Only members of admins may use Admin Console.');
    expect(url.searchParams.get('state')).toBe(params.state as string);
    expect(url.searchParams.get('iss')).toBe(ISSUER);
    expect(url.searchParams.has('code')).toBe(false);
    expect(contexts.at(-1)).toMatchObject({ grantType: 'authorization_code', scopes: FULL_SCOPE.split(' '), client: { id: rp.client.id } });
    const events = await deniedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      userId: bob.id,
      clientId: rp.client.id,
      details: { reason: 'Only members of admins may use Admin Console.', grant_type: 'authorization_code' },
    });
  });

  it('an allowed user gets a code', async () => {
    const { rp, browser } = await setup(adminsOnly());
    const { code } = await obtainCode(browser, rp.client.id);
    expect(code).toBeTruthy();
    expect(await deniedEvents()).toHaveLength(0);
  });

  it('false without a reason sends a default error_description', async () => {
    const { rp, browser } = await setup({ authorize: () => false });
    const { params } = codeRequestParams(rp.client.id);
    const url = await authorizeInBrowser(browser, params);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('error_description')).toBe(DEFAULT_DENIAL);
  });

  it('a reason RFC 6749 does not allow in error_description is the adapter\'s mistake: the error page, logged', async () => {
    const { rp, browser } = await setup({ authorize: () => ({ allow: false, reason: 'say "no"' }) });
    const { response } = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    const login = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    const page = await browser.get(login.headers.get('location') as string);
    expect(page.status).toBe(500);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).not.toContain('say');
    expect(app.logLines.join('')).toContain('RFC 6749 §4.1.2.1');
  });

  it('a throwing authorize shows the error page (no stack, no adapter message); the reason is logged', async () => {
    const { rp, browser } = await setup({
      authorize() {
        throw new Error('group service down');
      },
    });
    const { response } = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    const login = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    const page = await browser.get(login.headers.get('location') as string);
    expect(page.status).toBe(500);
    const html = await page.text();
    expect(html).toContain('The server could not complete the request');
    expect(html).not.toContain('group service down');
    expect(html).not.toMatch(/\bat .*\.ts/);
    expect(app.logLines.join('')).toContain('group service down');
  });
});

describe('authorize at the device page (RFC 8628)', () => {
  async function startDevice(client: { client: { id: string } }) {
    const response = await app.request('/device_authorization', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client.id, scope: 'openid profile' }).toString(),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { device_code: string; user_code: string };
  }

  it('a refused user sees why, the code is denied, and the device gets access_denied', async () => {
    const { bob, browser } = await setup(adminsOnly());
    const tv = await addClient(app, { name: 'Admin Console TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    const device = await startDevice(tv);
    const page = await browser.get('/device');
    const confirm = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'bob', password: PASSWORD, user_code: device.user_code });
    expect(confirm.status).toBe(200);
    const refused = await browser.post('/device', { ...hiddenFields(await confirm.text()), decision: 'allow' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Only members of admins may use Admin Console.');
    const poll = await tokenRequest(app, { grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client.id });
    expect(poll.status).toBe(400);
    expect(((await poll.json()) as { error: string }).error).toBe('access_denied');
    const events = await deniedEvents();
    expect(events.map((event) => [event.userId, event.details.grant_type])).toEqual([[bob.id, DEVICE_GRANT]]);
  });

  it('an allowed user approves as usual', async () => {
    const { browser } = await setup(adminsOnly());
    const tv = await addClient(app, { name: 'Admin Console TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    const device = await startDevice(tv);
    const page = await browser.get('/device');
    const confirm = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: PASSWORD, user_code: device.user_code });
    const done = await browser.post('/device', { ...hiddenFields(await confirm.text()), decision: 'allow' });
    expect(done.status).toBe(200);
    const poll = await tokenRequest(app, { grant_type: DEVICE_GRANT, device_code: device.device_code, client_id: tv.client.id });
    expect(poll.status).toBe(200);
  });
});

describe('authorize on refresh', () => {
  it('a user refused later gets invalid_grant with the reason, and the whole grant is revoked', async () => {
    let allowed = true;
    const contexts: AuthorizeContext[] = [];
    const { rp, browser } = await setup({
      authorize(context) {
        contexts.push(context);
        return allowed || { allow: false, reason: 'Access withdrawn.' };
      },
    });
    const { tokens } = await signInForTokens(app, browser, rp);
    allowed = false;
    const response = await refreshRequest(app, rp, tokens.refresh_token as string);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'Access withdrawn.' });
    expect(contexts.at(-1)?.grantType).toBe('refresh_token');
    // The grant is gone: its access token no longer works, nor does the refresh token once allowed again.
    expect((await userinfoRequest(app, tokens.access_token)).status).toBe(401);
    allowed = true;
    expect(((await (await refreshRequest(app, rp, tokens.refresh_token as string)).json()) as { error: string }).error).toBe('invalid_grant');
    expect((await deniedEvents()).map((event) => event.details.grant_type)).toEqual(['refresh_token']);
  });
});

describe('skipConsent', () => {
  it('true skips the consent page for a user who never consented; the context says what idp would do', async () => {
    const contexts: ConsentContext[] = [];
    const { rp, browser } = await setup({
      skipConsent(context) {
        contexts.push(context);
        return true;
      },
    });
    const { response, path } = await browse(browser, authorizePath(codeRequestParams(rp.client.id).params));
    expect(path).toStartWith('/login');
    const login = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    const after = await browse(browser, login.headers.get('location') as string);
    expect(after.path).not.toStartWith('/consent');
    expect(new URL(after.response.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
    expect(contexts.at(-1)).toMatchObject({ skip: false, granted: [], scopes: FULL_SCOPE.split(' ') });
  });

  it('OIDC Core §3.1.2.1: prompt=consent still shows the page, whatever the adapter says', async () => {
    const { rp, browser } = await setup({ skipConsent: () => true });
    await obtainCode(browser, rp.client.id);
    const { path, response } = await browse(browser, authorizePath(codeRequestParams(rp.client.id, { prompt: 'consent' }).params));
    expect(path).toStartWith('/consent');
    expect(response.status).toBe(200);
  });

  it('false shows the page even to a skip_consent client, and prompt=none is then consent_required', async () => {
    const contexts: ConsentContext[] = [];
    const { browser } = await setup({
      skipConsent(context) {
        contexts.push(context);
        return false;
      },
    });
    const firstParty = await addClient(app, { name: 'First party', skipConsent: true });
    const { response, path } = await browse(browser, authorizePath(codeRequestParams(firstParty.client.id).params));
    expect(path).toStartWith('/login');
    const login = await browser.post('/login', { ...hiddenFields(await response.text()), username: 'alice', password: PASSWORD });
    expect((await browse(browser, login.headers.get('location') as string)).path).toStartWith('/consent');
    expect(contexts.at(-1)?.skip).toBe(true);
    const none = await browser.get(authorizePath(codeRequestParams(firstParty.client.id, { prompt: 'none' }).params));
    expect(new URL(none.headers.get('location') as string).searchParams.get('error')).toBe('consent_required');
  });
});

describe('clientCredentialsScopes', () => {
  async function machine(adapter: Adapter) {
    app = await testApp({ adapter });
    for (const name of ['reports:read', 'reports:write']) await addScope({ scopes: app.store.scopes, clock: app.clock }, { name });
    const registered = await addClient(app, {
      name: 'Reports job',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['reports:read', 'reports:write'],
      defaultScopes: ['reports:read', 'reports:write'],
    });
    return (form: Record<string, string>) =>
      tokenRequest(app, { grant_type: 'client_credentials', ...form }, basicAuth(registered.client.id, registered.secret as string));
  }

  it('narrows the scopes of the token; the context has the request and idp\'s choice', async () => {
    const contexts: ClientCredentialsContext[] = [];
    const request = await machine({
      clientCredentialsScopes(context) {
        contexts.push(context);
        return context.scopes.filter((scope) => scope.endsWith(':read'));
      },
    });
    const asked = (await (await request({ scope: 'reports:read reports:write' })).json()) as { scope: string };
    expect(asked.scope).toBe('reports:read');
    expect(contexts[0]).toMatchObject({ requested: ['reports:read', 'reports:write'], scopes: ['reports:read', 'reports:write'] });
    const defaults = (await (await request({})).json()) as { scope: string };
    expect(defaults.scope).toBe('reports:read');
    expect(contexts[1]?.requested).toBeNull();
  });

  it('false refuses with invalid_scope', async () => {
    const request = await machine({ clientCredentialsScopes: () => false });
    const response = await request({ scope: 'reports:read' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_scope');
  });

  it('a scope the client may not have (or a user scope) is the adapter\'s mistake: server_error', async () => {
    for (const scope of ['billing:write', 'openid']) {
      const request = await machine({ clientCredentialsScopes: () => [scope] });
      const response = await request({});
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: string }).error).toBe('server_error');
      expect(app.logLines.join('')).toContain(`returned ${scope}`);
      await app.cleanup();
    }
    app = await testApp();
  });
});
