// RFC 8628 device authorization: /device_authorization, the /device page, and polling /token.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { jwtVerify } from 'jose';
import { normalizeUserCode, USER_CODE_ALPHABET } from '../../src/device/user_code.ts';
import { SCOPE_DESCRIPTIONS } from '../../src/users/claims.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  basicAuth,
  clientTokenRequest,
  hiddenFields,
  localJwks,
  PASSWORD,
  type RegisteredClient,
  TestBrowser,
  type TokenJson,
} from '../helpers/oidc.ts';

const ISSUER = 'https://id.example.test';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

interface DeviceJson {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

let app: TestApp;
let tv: RegisteredClient;
let browser: TestBrowser;
let userId: string;

beforeEach(async () => {
  app = await testApp();
  userId = (await addUser(app)).id;
  tv = await addClient(app, { name: 'Living Room TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT, 'refresh_token'] });
  browser = new TestBrowser(app);
});
afterEach(() => app.cleanup());

function form(body: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() };
}

async function authorizeDevice(scope: string | null = 'openid profile offline_access', client = tv): Promise<DeviceJson> {
  const body: Record<string, string> = scope === null ? {} : { scope };
  const init =
    client.secret === null ? form({ ...body, client_id: client.client.id }) : form(body, { authorization: basicAuth(client.client.id, client.secret) });
  const response = await app.request('/device_authorization', init);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as DeviceJson;
}

function poll(deviceCode: string, client = tv) {
  return clientTokenRequest(app, client, { grant_type: DEVICE_GRANT, device_code: deviceCode });
}

async function expectError(response: Response, error: string, status = 400) {
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error: string }).error).toBe(error);
}

/** Signs in on /device with the code typed in `typed`; returns the confirmation page's HTML. */
async function signInAndEnter(typed: string, on = browser, status = 200): Promise<string> {
  const page = await on.get('/device');
  expect(page.status).toBe(200);
  const response = await on.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: PASSWORD, user_code: typed });
  const html = await response.text();
  expect(response.status).toBe(status);
  return html;
}

async function decide(html: string, decision: 'allow' | 'deny', on = browser): Promise<Response> {
  return on.post('/device', { ...hiddenFields(html), decision });
}

describe('POST /device_authorization (RFC 8628 §3.1-3.2)', () => {
  it('answers a device code, a formatted user code, the verification URIs, expires_in and interval, no-store', async () => {
    const answer = await authorizeDevice();
    expect(answer.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.user_code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
    expect(answer.verification_uri).toBe(`${ISSUER}/device`);
    expect(answer.verification_uri_complete).toBe(`${ISSUER}/device?user_code=${answer.user_code}`);
    expect(answer.expires_in).toBe(600);
    expect(answer.interval).toBe(5);
    const stored = await app.store.devices.findByUserCode(normalizeUserCode(answer.user_code) as string, Math.floor(app.clock() / 1000));
    expect(stored?.deviceCodeHash).not.toBe(answer.device_code);
    expect(stored?.scope).toBe('openid profile offline_access');
  });

  it('drops scopes the client may not have and uses the defaults when none is asked', async () => {
    const dropped = await authorizeDevice('openid email unknown');
    const now = Math.floor(app.clock() / 1000);
    expect((await app.store.devices.findByUserCode(normalizeUserCode(dropped.user_code) as string, now))?.scope).toBe('openid email');
    const defaults = await authorizeDevice(null);
    expect((await app.store.devices.findByUserCode(normalizeUserCode(defaults.user_code) as string, now))?.scope).toBe('openid');
    await expectError(await app.request('/device_authorization', form({ client_id: tv.client.id, scope: 'unknown' })), 'invalid_scope');
  });

  it('authenticates confidential clients like /token and refuses a client without the device grant', async () => {
    const confidential = await addClient(app, { name: 'Kiosk', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    await authorizeDevice('openid', confidential);
    await expectError(
      await app.request('/device_authorization', form({}, { authorization: basicAuth(confidential.client.id, 'wrong') })),
      'invalid_client',
      401,
    );
    const web = await addClient(app, { name: 'Web' });
    await expectError(
      await app.request('/device_authorization', form({}, { authorization: basicAuth(web.client.id, web.secret as string) })),
      'unauthorized_client',
    );
    await expectError(await app.request('/device_authorization', form({ client_id: 'nobody' })), 'invalid_client', 401);
  });
});

describe('polling /token (RFC 8628 §3.4-3.5)', () => {
  it('unknown code and another client\'s code are invalid_grant; a missing code is invalid_request', async () => {
    const { device_code } = await authorizeDevice();
    await expectError(await poll('not-a-code'), 'invalid_grant');
    const other = await addClient(app, { name: 'Other TV', type: 'public', redirectUris: [], grantTypes: [DEVICE_GRANT] });
    await expectError(await poll(device_code, other), 'invalid_grant');
    await expectError(await clientTokenRequest(app, tv, { grant_type: DEVICE_GRANT }), 'invalid_request');
  });

  it('pending is authorization_pending; polling too soon is slow_down and the interval grows by 5 s', async () => {
    const { device_code } = await authorizeDevice();
    await expectError(await poll(device_code), 'authorization_pending');
    app.clock.advance(2);
    await expectError(await poll(device_code), 'slow_down');
    // The interval is now 10 s: 5 s later is still too soon.
    app.clock.advance(5);
    await expectError(await poll(device_code), 'slow_down');
    // Now 15 s; waiting it is fine.
    app.clock.advance(15);
    await expectError(await poll(device_code), 'authorization_pending');
    app.clock.advance(15);
    await expectError(await poll(device_code), 'authorization_pending');
  });

  it('an expired code is expired_token', async () => {
    const { device_code } = await authorizeDevice();
    app.clock.advance(600);
    await expectError(await poll(device_code), 'expired_token');
  });

  it('a client without the grant is unauthorized_client at /token', async () => {
    const web = await addClient(app, { name: 'Web' });
    await expectError(await clientTokenRequest(app, web, { grant_type: DEVICE_GRANT, device_code: 'x' }), 'unauthorized_client');
  });
});

describe('the /device page and the whole flow', () => {
  it('sign in, code typed in lower case without a dash, approve: tokens once with an ID token, then invalid_grant', async () => {
    const { device_code, user_code } = await authorizeDevice();
    await expectError(await poll(device_code), 'authorization_pending');
    const html = await signInAndEnter(user_code.replace('-', '').toLowerCase());
    expect(html).toContain('Living Room TV');
    expect(html).toContain(SCOPE_DESCRIPTIONS.profile as string);
    expect(html).toContain(SCOPE_DESCRIPTIONS.offline_access as string);
    const done = await decide(html, 'allow');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Device connected');

    app.clock.advance(5);
    const response = await poll(device_code);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = (await response.json()) as TokenJson;
    expect(tokens.scope).toBe('openid profile offline_access');
    expect(tokens.refresh_token).toBeString();
    const { payload } = await jwtVerify(tokens.id_token as string, await localJwks(app), {
      issuer: ISSUER,
      audience: tv.client.id,
      currentDate: new Date(app.clock()),
    });
    expect(payload.sub).toBe(userId);
    expect(payload.name).toBe('Alice Liddell');
    expect(payload.sid).toBeString();

    const userinfo = await app.request('/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(((await userinfo.json()) as { sub: string }).sub).toBe(userId);
    // The refresh token works like one from the code flow.
    const refreshed = await clientTokenRequest(app, tv, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string });
    expect(refreshed.status).toBe(200);

    app.clock.advance(5);
    await expectError(await poll(device_code), 'invalid_grant');
  });

  it('deny: the device gets access_denied, and the code cannot be approved afterwards', async () => {
    const { device_code, user_code } = await authorizeDevice();
    const html = await signInAndEnter(user_code);
    const done = await decide(html, 'deny');
    expect(done.status).toBe(200);
    await expectError(await poll(device_code), 'access_denied', 400);
    const again = await decide(html, 'allow');
    expect(again.status).toBe(400);
    await expectError(await poll(device_code), 'access_denied', 400);
  });

  it('verification_uri_complete prefills the code; a signed-in browser gets the code form', async () => {
    const { user_code, verification_uri_complete } = await authorizeDevice();
    const path = new URL(verification_uri_complete).pathname + new URL(verification_uri_complete).search;
    const signInPage = await (await browser.get(path)).text();
    expect(signInPage).toContain(`value="${user_code}"`);
    expect(signInPage).toContain('name="password"');
    // Signing in without a code shows the code form; the prefilled link then shows it filled in.
    await browser.post('/device', { ...hiddenFields(signInPage), username: 'alice', password: PASSWORD, user_code: '' });
    const codePage = await (await browser.get(path)).text();
    expect(codePage).toContain(`value="${user_code}"`);
    expect(codePage).not.toContain('name="password"');
    const confirm = await browser.post('/device', { ...hiddenFields(codePage), user_code });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('name="decision"');
  });

  it('a wrong password is refused with the sign-in form again', async () => {
    const { user_code } = await authorizeDevice();
    const page = await browser.get('/device');
    const response = await browser.post('/device', { ...hiddenFields(await page.text()), username: 'alice', password: 'nope', user_code });
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('Incorrect username or password.');
  });

  it('a wrong or expired code shows the page again with an error; after 5 tries a minute it is 429 with Retry-After', async () => {
    const { user_code } = await authorizeDevice();
    const html = await signInAndEnter('BBBB-BBBB', browser, 400);
    expect(html).toContain('not valid or has expired');
    const fields = hiddenFields(html);
    for (let attempt = 2; attempt <= 5; attempt++) {
      const response = await browser.post('/device', { ...fields, user_code: 'ZZZZ-ZZZZ' });
      expect(response.status).toBe(400);
    }
    const limited = await browser.post('/device', { ...fields, user_code });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.text()).toContain('Too many attempts');
    // A minute later the right code works.
    app.clock.advance(60);
    const confirm = await browser.post('/device', { ...fields, user_code });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Living Room TV');
  });

  it('an expired code is refused on the page', async () => {
    const { user_code } = await authorizeDevice();
    app.clock.advance(600);
    expect(await signInAndEnter(user_code, browser, 400)).toContain('not valid or has expired');
  });

  it('forms need the CSRF token of this browser', async () => {
    const { user_code } = await authorizeDevice();
    const html = await signInAndEnter(user_code);
    const forged = await browser.post('/device', { ...hiddenFields(html), csrf: 'forged', decision: 'allow' });
    expect(forged.status).toBe(403);
    const stranger = new TestBrowser(app);
    await stranger.get('/device');
    const crossBrowser = await stranger.post('/device', { ...hiddenFields(html), decision: 'allow' });
    expect(crossBrowser.status).toBe(200); // not signed in there: the sign-in form, nothing approved
    expect(await crossBrowser.text()).toContain('name="password"');
    const entry = await stranger.post('/device', { csrf: 'forged', username: 'alice', password: PASSWORD, user_code });
    expect(entry.status).toBe(403);
  });

  it('a confidential client polls with its secret and gets tokens', async () => {
    const kiosk = await addClient(app, { name: 'Kiosk', redirectUris: [], grantTypes: [DEVICE_GRANT], skipConsent: false });
    const { device_code, user_code } = await authorizeDevice('openid email', kiosk);
    await decide(await signInAndEnter(user_code), 'allow');
    const response = await poll(device_code, kiosk);
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenJson;
    expect(tokens.id_token).toBeString();
    // No refresh_token grant for this client.
    expect(tokens.refresh_token).toBeUndefined();
  });
});
