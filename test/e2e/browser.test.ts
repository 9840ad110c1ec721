// A real browser (Debian's Chromium driven by playwright-core) signs in at a real idp, with
// JavaScript on and off: the login and consent pages, the redirect back to a relying party on
// loopback, the generic wrong-password message, a denied consent, and response_mode=form_post
// (submitted by script, or by the user pressing Continue when scripts are off).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { launchChromium, RUN_BROWSER_TESTS } from '../helpers/chromium.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type RecordedCallback, startTestRp, startTestServer, TEST_PASSWORD, type TestRp, type TestServer } from '../helpers/server.ts';

const STEP_TIMEOUT_MS = 10_000;
const CLIENT_NAME = 'Acme Reader';
const LOGIN_SCREENSHOT = '/tmp/idp-login-page.png';

const RUN = RUN_BROWSER_TESTS;

let server: TestServer;
let rp: TestRp;
let browser: Browser;

beforeAll(async () => {
  if (!RUN) return;
  server = await startTestServer();
  await server.addUser('alice');
  rp = startTestRp();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rp?.stop();
  await server?.stop();
});

interface Flow {
  url: string;
  state: string;
  verifier: string;
  clientId: string;
  secret: string;
}

/** A fresh client (so its consent page always shows) and an authorization URL for it. */
async function startFlow(params: Record<string, string> = {}): Promise<Flow> {
  const { clientId, secret } = await server.addClient({ name: CLIENT_NAME, redirectUris: [rp.redirectUri] });
  const state = crypto.randomUUID();
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: rp.redirectUri,
    scope: 'openid profile email',
    state,
    nonce: crypto.randomUUID(),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...params,
  });
  return { url: `${server.issuer}/authorize?${query}`, state, verifier, clientId, secret: secret ?? '' };
}

/** A new browser profile (no cookies) with bounded waits; closed by the caller. */
async function newContext(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  return { context, page: await context.newPage() };
}

async function withPage(javaScriptEnabled: boolean, run: (page: Page) => Promise<void>): Promise<void> {
  const { context, page } = await newContext(javaScriptEnabled);
  try {
    await run(page);
  } finally {
    await context.close();
  }
}

const onPath = (path: string) => (url: URL) => url.origin === server.issuer && url.pathname === path;
const onRp = (url: URL) => url.href.split('?')[0] === rp.redirectUri;

/** Opens the authorization URL and signs in on the login page, which must name the client. */
async function signIn(page: Page, flow: Flow, password = TEST_PASSWORD): Promise<void> {
  await page.goto(flow.url);
  await page.waitForURL(onPath('/login'));
  await expect(page.locator('main').innerText()).resolves.toContain(CLIENT_NAME);
  await page.fill('#username', 'alice');
  await page.fill('#password', password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in and answers the consent page, which must name the client and the signed-in user. */
async function signInAndAnswer(page: Page, flow: Flow, answer: 'Allow' | 'Deny'): Promise<void> {
  await signIn(page, flow);
  await page.waitForURL(onPath('/consent'));
  const consent = await page.locator('main').innerText();
  expect(consent).toContain(CLIENT_NAME);
  expect(consent).toContain('alice');
  await page.getByRole('button', { name: answer, exact: true }).click();
}

/** Redeems a code the RP received, proving it is a real one for this client, redirect URI and verifier. */
async function redeem(flow: Flow, callback: RecordedCallback): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${flow.clientId}:${flow.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.params.get('code') ?? '',
      redirect_uri: rp.redirectUri,
      code_verifier: flow.verifier,
    }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body: unknown = await response.json();
  if (response.status !== 200 || typeof body !== 'object' || body === null) throw new Error(`token request: HTTP ${response.status} ${JSON.stringify(body)}`);
  return { ...body };
}

for (const javaScriptEnabled of [true, false]) {
  describe.skipIf(!RUN)(`a browser with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, () => {
    it('signs in and allows: the browser lands on the RP callback with code, state and iss, and the code redeems', async () => {
      const flow = await startFlow();
      const before = rp.received.length;
      await withPage(javaScriptEnabled, async (page) => {
        await signInAndAnswer(page, flow, 'Allow');
        await page.waitForURL(onRp);
        await expect(page.locator('body').innerText()).resolves.toBe('ok');
        const landed = new URL(page.url());
        expect(landed.searchParams.get('state')).toBe(flow.state);
        expect(landed.searchParams.get('iss')).toBe(server.issuer);
        expect(landed.searchParams.get('code')).toBeTruthy();
      });
      const callback = await rp.nextCallback(before);
      expect(callback.method).toBe('GET');
      expect(callback.params.get('state')).toBe(flow.state);
      expect(callback.params.get('iss')).toBe(server.issuer);
      const tokens = await redeem(flow, callback);
      expect(typeof tokens.id_token).toBe('string');
    });

    it('a wrong password shows the generic error on the login page and sends nothing to the RP', async () => {
      const flow = await startFlow();
      const before = rp.received.length;
      await withPage(javaScriptEnabled, async (page) => {
        await signIn(page, flow, 'not the password');
        const alert = page.getByRole('alert');
        await alert.waitFor();
        expect((await alert.innerText()).trim()).toBe('Incorrect username or password.');
        expect(new URL(page.url()).pathname).toBe('/login');
        // The form is shown again, ready for another try, still naming the client.
        await expect(page.locator('main').innerText()).resolves.toContain(CLIENT_NAME);
        expect(await page.inputValue('#username')).toBe('alice');
        expect(await page.inputValue('#password')).toBe('');
      });
      expect(rp.received.length).toBe(before);
    });

    it('Deny on the consent page lands on the RP with error=access_denied, state and iss', async () => {
      const flow = await startFlow();
      const before = rp.received.length;
      await withPage(javaScriptEnabled, async (page) => {
        await signInAndAnswer(page, flow, 'Deny');
        await page.waitForURL(onRp);
      });
      const callback = await rp.nextCallback(before);
      expect(callback.params.get('error')).toBe('access_denied');
      expect(callback.params.get('state')).toBe(flow.state);
      expect(callback.params.get('iss')).toBe(server.issuer);
      expect(callback.params.get('code')).toBeNull();
    });

    it(
      javaScriptEnabled
        ? 'response_mode=form_post: the page submits itself and the RP receives code, state and iss as a POSTed form'
        : 'response_mode=form_post: without scripts the user presses Continue and the RP still receives code, state and iss as a POSTed form',
      async () => {
        const flow = await startFlow({ response_mode: 'form_post' });
        const before = rp.received.length;
        await withPage(javaScriptEnabled, async (page) => {
          await signInAndAnswer(page, flow, 'Allow');
          if (!javaScriptEnabled) {
            const cont = page.getByRole('button', { name: 'Continue' });
            await cont.waitFor();
            await expect(page.locator('main').innerText()).resolves.toContain('press Continue');
            expect(rp.received.length).toBe(before);
            await cont.click();
          }
          await page.waitForURL(onRp);
          await expect(page.locator('body').innerText()).resolves.toBe('ok');
        });
        const callback = await rp.nextCallback(before);
        expect(callback.method).toBe('POST');
        expect(callback.url.search).toBe('');
        expect(callback.params.get('state')).toBe(flow.state);
        expect(callback.params.get('iss')).toBe(server.issuer);
        const tokens = await redeem(flow, callback);
        expect(typeof tokens.access_token).toBe('string');
      },
    );
  });
}

describe.skipIf(!RUN)('the login page', () => {
  it('renders as a styled product page (screenshot for review) and greets the user by the application name', async () => {
    const flow = await startFlow();
    await withPage(true, async (page) => {
      await page.setViewportSize({ width: 1024, height: 720 });
      await page.goto(flow.url);
      await page.waitForURL(onPath('/login'));
      await expect(page.title()).resolves.toBe('Sign in');
      // The stylesheet loaded and applied (the card is not the browser's default block).
      const maxWidth: unknown = await page.evaluate(`getComputedStyle(document.querySelector('main.card')).maxWidth`);
      expect(maxWidth).toBe('448px');
      await page.screenshot({ path: LOGIN_SCREENSHOT, fullPage: true });
    });
    expect(existsSync(LOGIN_SCREENSHOT)).toBe(true);
  });
});
