// The pages' Content-Security-Policy in a real browser (Debian's Chromium through playwright-core):
// no violation is reported on the login, consent, form_post, device and error pages, the stylesheet
// and the form_post script still load, and a relying party whose callback redirects on to another
// origin still gets the browser there (browsers check form-action on every redirect after a form
// submission, which is why the login, consent and form_post pages leave it unrestricted).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, RUN_BROWSER_TESTS } from '../helpers/chromium.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

const STEP_TIMEOUT_MS = 10_000;
const RUN = RUN_BROWSER_TESTS;

let server: TestServer;
let browser: Browser;
/** The application's landing page, on an origin of its own. */
let landing: ReturnType<typeof Bun.serve>;
/** The RP callback: records what it got, then redirects the browser on to the landing origin. */
let rp: ReturnType<typeof Bun.serve>;
const received: { method: string; params: URLSearchParams }[] = [];
const landed: string[] = [];

beforeAll(async () => {
  if (!RUN) return;
  server = await startTestServer();
  await server.addUser('alice');
  landing = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      landed.push(new URL(request.url).pathname);
      return new Response('<!doctype html><title>app</title><p>landed</p>', { headers: { 'content-type': 'text/html' } });
    },
  });
  rp = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname !== '/callback') return new Response('not found', { status: 404 });
      received.push({ method: request.method, params: request.method === 'POST' ? new URLSearchParams(await request.text()) : url.searchParams });
      return new Response(null, { status: 303, headers: { location: `http://127.0.0.1:${landing.port}/home` } });
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rp?.stop(true);
  landing?.stop(true);
  await server?.stop();
});

const redirectUri = () => `http://127.0.0.1:${rp.port}/callback`;

async function authorizationUrl(params: Record<string, string> = {}): Promise<string> {
  const { clientId } = await server.addClient({ name: 'Acme Reader', redirectUris: [redirectUri()] });
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri(),
    scope: 'openid profile',
    state: crypto.randomUUID(),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...params,
  });
  return `${server.issuer}/authorize?${query}`;
}

/** A fresh profile with JavaScript on, recording every CSP violation the browser reports. */
async function withPage(run: (page: Page, violations: string[]) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ javaScriptEnabled: true });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const violations: string[] = [];
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
  });
  try {
    await run(page, violations);
  } finally {
    await context.close();
  }
}

interface PageWindow {
  getComputedStyle(element: unknown): { borderTopLeftRadius: string };
}

/** The stylesheet applied: the card has its rounded corners. */
async function expectStyled(page: Page): Promise<void> {
  // Runs in the page, where globalThis is the window (this project's TypeScript has no DOM library).
  const radius = await page
    .locator('main.card')
    .evaluate((element) => (globalThis as unknown as PageWindow).getComputedStyle(element).borderTopLeftRadius);
  expect(radius).toBe('12px');
}

const onIdp = (path: string) => (url: URL) => url.origin === server.issuer && url.pathname === path;
const onLanding = (url: URL) => url.port === String(landing.port) && url.pathname === '/home';

async function signInAndAllow(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForURL(onIdp('/login'));
  await expectStyled(page);
  await page.fill('#username', 'alice');
  await page.fill('#password', TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(onIdp('/consent'));
  await expectStyled(page);
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
}

describe.skipIf(!RUN)('Content-Security-Policy in Chromium', () => {
  it('login and consent: no violation, styled pages, and the RP may redirect the browser on to another origin', async () => {
    const before = received.length;
    await withPage(async (page, violations) => {
      await signInAndAllow(page, await authorizationUrl());
      await page.waitForURL(onLanding);
      expect(violations).toEqual([]);
    });
    expect(received[before]?.method).toBe('GET');
    expect(received[before]?.params.get('code')).toBeTruthy();
  });

  it('form_post: the script loads and submits the form, and the RP may redirect on to another origin, with no violation', async () => {
    const before = received.length;
    await withPage(async (page, violations) => {
      await signInAndAllow(page, await authorizationUrl({ response_mode: 'form_post' }));
      await page.waitForURL(onLanding);
      expect(violations).toEqual([]);
    });
    expect(received[before]?.method).toBe('POST');
    expect(received[before]?.params.get('code')).toBeTruthy();
  });

  it('device and error pages: styled, no violation; the device form still posts to idp', async () => {
    await withPage(async (page, violations) => {
      await page.goto(`${server.issuer}/device`);
      await expectStyled(page);
      await page.fill('#user_code', 'BCDF-GHJK');
      await page.fill('#username', 'alice');
      await page.fill('#password', TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // Signed in; the unknown code is refused on the same page.
      await page.getByRole('alert').waitFor();
      expect(new URL(page.url()).pathname).toBe('/device');
      await expectStyled(page);
      await page.goto(`${server.issuer}/authorize?client_id=nobody&response_type=code`);
      await expectStyled(page);
      await page.goto(`${server.issuer}/`);
      await expectStyled(page);
      expect(violations).toEqual([]);
    });
  });
});
