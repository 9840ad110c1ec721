// RFC 8628 end to end: a device (this test, with fetch) asks a real idp for a device code and
// polls /token, while a real browser (Debian's Chromium driven by playwright-core), with
// JavaScript on and off, opens verification_uri_complete, signs in with the code prefilled and
// allows or denies. Allow → one poll gets tokens (id_token and refresh_token), the next invalid_grant;
// Deny → access_denied.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { launchChromium, RUN_BROWSER_TESTS } from '../helpers/chromium.ts';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

const STEP_TIMEOUT_MS = 10_000;
const CLIENT_NAME = 'Acme TV';
const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** The poll interval the server is configured with (seconds); the smallest it allows. */
const INTERVAL = 1;

const RUN = RUN_BROWSER_TESTS;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!RUN) return;
  server = await startTestServer({ settings: { device_code_interval: INTERVAL } });
  await server.addUser('alice');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

interface Device {
  clientId: string;
  authorization: DeviceAuthorization;
}

async function postForm(path: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null) throw new Error(`${path}: HTTP ${response.status}, not a JSON object`);
  return { status: response.status, body: { ...body } };
}

/** A fresh public device client and a device authorization for it (RFC 8628 §3.1-3.2). */
async function startDevice(): Promise<Device> {
  const { clientId, secret } = await server.addClient({
    name: CLIENT_NAME,
    type: 'public',
    grantTypes: [DEVICE_CODE_GRANT_TYPE, 'refresh_token'],
  });
  expect(secret).toBeNull();
  const { status, body } = await postForm('/device_authorization', { client_id: clientId, scope: 'openid offline_access' });
  if (status !== 200) throw new Error(`device authorization: HTTP ${status} ${JSON.stringify(body)}`);
  const authorization = body as unknown as DeviceAuthorization;
  expect(typeof authorization.device_code).toBe('string');
  expect(authorization.verification_uri).toBe(`${server.issuer}/device`);
  expect(authorization.verification_uri_complete).toBe(`${server.issuer}/device?user_code=${encodeURIComponent(authorization.user_code)}`);
  expect(authorization.interval).toBe(INTERVAL);
  expect(authorization.expires_in).toBeGreaterThan(0);
  return { clientId, authorization };
}

/** One poll of the token endpoint, as the device does it (RFC 8628 §3.4). */
const poll = (device: Device) =>
  postForm('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: device.authorization.device_code, client_id: device.clientId });

/** Waits the poll interval the server asked for (its clock is real, whole seconds), plus a margin. */
const waitInterval = (device: Device) => Bun.sleep(device.authorization.interval * 1000 + 250);

async function withPage(javaScriptEnabled: boolean, run: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ javaScriptEnabled });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  try {
    await run(await context.newPage());
  } finally {
    await context.close();
  }
}

const onDevicePage = (url: URL) => url.origin === server.issuer && url.pathname === '/device';

/**
 * Opens verification_uri_complete, checks the code is prefilled on the sign-in form, signs in, and
 * answers the confirmation page, which must name the client, the signed-in user and the code.
 */
async function approveInBrowser(page: Page, device: Device, answer: 'Allow' | 'Deny'): Promise<void> {
  const { user_code: userCode, verification_uri_complete: uri } = device.authorization;
  await page.goto(uri);
  await page.waitForURL(onDevicePage);
  await expect(page.locator('h1').innerText()).resolves.toBe('Connect a device');
  expect(await page.inputValue('#user_code')).toBe(userCode);
  await page.fill('#username', 'alice');
  await page.fill('#password', TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const heading = page.getByRole('heading', { name: 'Allow access?' });
  await heading.waitFor();
  const confirm = await page.locator('main').innerText();
  expect(confirm).toContain(CLIENT_NAME);
  expect(confirm).toContain('alice');
  expect(confirm).toContain(userCode);
  await page.getByRole('button', { name: answer, exact: true }).click();

  const done = page.getByRole('heading', { name: answer === 'Allow' ? 'Device connected' : 'Request denied' });
  await done.waitFor();
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  expect(parts.length).toBe(3);
  return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

for (const javaScriptEnabled of [true, false]) {
  describe.skipIf(!RUN)(`the device flow with a browser with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    it('pending until the user allows; then one poll gets an id_token and a refresh_token, and the next invalid_grant', async () => {
      const device = await startDevice();

      const pending = await poll(device);
      expect(pending.status).toBe(400);
      expect(pending.body.error).toBe('authorization_pending');

      await withPage(javaScriptEnabled, (page) => approveInBrowser(page, device, 'Allow'));

      await waitInterval(device);
      const granted = await poll(device);
      if (granted.status !== 200) throw new Error(`token poll: HTTP ${granted.status} ${JSON.stringify(granted.body)}; log: ${server.logLines.join('\n')}`);
      const tokens = granted.body;
      expect(typeof tokens.access_token).toBe('string');
      expect(typeof tokens.refresh_token).toBe('string');
      expect(typeof tokens.id_token).toBe('string');
      expect(String(tokens.token_type).toLowerCase()).toBe('bearer');
      expect(String(tokens.scope).split(' ').sort()).toEqual(['offline_access', 'openid']);
      const claims = decodeJwtPayload(String(tokens.id_token));
      expect(claims.iss).toBe(server.issuer);
      expect(claims.aud === device.clientId || (Array.isArray(claims.aud) && claims.aud.includes(device.clientId))).toBe(true);
      expect(typeof claims.sub).toBe('string');

      await waitInterval(device);
      const again = await poll(device);
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
    });

    it('Deny on the confirmation page: the next poll gets access_denied', async () => {
      const device = await startDevice();

      const pending = await poll(device);
      expect(pending.status).toBe(400);
      expect(pending.body.error).toBe('authorization_pending');

      await withPage(javaScriptEnabled, (page) => approveInBrowser(page, device, 'Deny'));

      await waitInterval(device);
      const denied = await poll(device);
      // RFC 8628 §3.5: an error response as in RFC 6749 §5.2, so 400.
      expect(denied.status).toBe(400);
      expect(denied.body.error).toBe('access_denied');
      expect(denied.body.access_token).toBeUndefined();
    });
  });
}
