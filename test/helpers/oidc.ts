// A scripted browser and relying party over app.handle(): a cookie jar, form parsing, PKCE.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JWK } from 'jose';
import { createClient, type ClientInput } from '../../src/clients/clients.ts';
import { knownScopeNames } from '../../src/scopes/scopes.ts';
import { createUser } from '../../src/users/users.ts';
import type { TestApp } from './app.ts';

export const REDIRECT_URI = 'https://rp.example.test/callback';
export const PASSWORD = 'correct horse battery staple';

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function addUser(app: TestApp, username = 'alice', fields: Parameters<typeof createUser>[1] extends infer F ? Partial<F> : never = {}) {
  return createUser(
    { users: app.store.users, clock: app.clock },
    { username, password: PASSWORD, email: `${username}@example.test`, emailVerified: true, profile: { name: 'Alice Liddell' }, ...fields },
  );
}

export async function addClient(app: TestApp, input: ClientInput = {}) {
  const knownScopes = await knownScopeNames(app.store.scopes);
  return createClient({ clients: app.store.clients, clock: app.clock, knownScopes }, { name: 'Test RP', redirectUris: [REDIRECT_URI], ...input });
}

/**
 * A browser: keeps cookies, never follows redirects by itself. It talks to anything with a
 * `request(path, init)`: an app in this process, or real servers over HTTP (test/e2e/instances.test.ts).
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: Pick<TestApp, 'request'>) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await this.app.request(path, { ...init, headers });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, index);
      const value = (pair ?? '').slice(index + 1);
      if (/Max-Age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  post(path: string, form: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
}

/** The path and query of a same-origin redirect, or the full URL of a redirect to the client. */
export function location(response: Response): string {
  const value = response.headers.get('location');
  if (!value) throw new Error(`expected a redirect, got ${response.status}`);
  return value;
}

/** Hidden inputs of the first form in an HTML page. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  return fields;
}

export function authorizePath(params: Record<string, string>): string {
  return `/authorize?${new URLSearchParams(params).toString()}`;
}

/**
 * Drives the browser from /authorize through login and consent (when asked) to the client's
 * redirect URI and returns that final URL.
 */
export async function authorizeInBrowser(
  browser: TestBrowser,
  params: Record<string, string>,
  answers: { username?: string; password?: string; decision?: 'allow' | 'deny' } = {},
): Promise<URL> {
  let response = await browser.get(authorizePath(params));
  for (let step = 0; step < 6; step++) {
    const target = location(response);
    if (!target.startsWith('/')) return new URL(target);
    response = await browser.get(target);
    if (response.status !== 200) continue;
    const html = await response.text();
    const fields = hiddenFields(html);
    if (target.startsWith('/login')) {
      response = await browser.post('/login', { ...fields, username: answers.username ?? 'alice', password: answers.password ?? PASSWORD });
    } else if (target.startsWith('/consent')) {
      response = await browser.post('/consent', { ...fields, decision: answers.decision ?? 'allow' });
    } else {
      throw new Error(`unexpected page ${target}`);
    }
  }
  throw new Error('too many redirects');
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function tokenRequest(app: TestApp, form: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(form).toString(),
  });
}

// ---------------------------------------------------------------------------------------------
// Relying-party helpers for the endpoint tests: one code flow, token requests per auth method,
// following same-origin redirects, and the JWKS as a jose key set.

export const FULL_SCOPE = 'openid profile email offline_access';

export type RegisteredClient = Awaited<ReturnType<typeof addClient>>;

export interface TokenJson {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface CodeResult {
  /** The redirect back to the client. */
  url: URL;
  code: string;
  verifier: string;
  state: string;
  nonce: string;
  params: Record<string, string>;
}

/**
 * Authorization request parameters with PKCE, state and nonce. `overrides` win; an override of
 * `undefined` removes the parameter.
 */
export function codeRequestParams(
  clientId: string,
  overrides: Record<string, string | undefined> = {},
): { params: Record<string, string>; verifier: string; state: string; nonce: string } {
  const { verifier, challenge } = pkcePair();
  const state = `state-${crypto.randomUUID()}`;
  const nonce = `nonce-${crypto.randomUUID()}`;
  const merged: Record<string, string | undefined> = {
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: FULL_SCOPE,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const params = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { params, verifier, state: params.state ?? state, nonce: params.nonce ?? nonce };
}

/** Runs the browser through /authorize (login and consent as needed) and returns the code. */
export async function obtainCode(
  browser: TestBrowser,
  clientId: string,
  overrides: Record<string, string | undefined> = {},
  answers: Parameters<typeof authorizeInBrowser>[2] = {},
): Promise<CodeResult> {
  const { params, verifier, state, nonce } = codeRequestParams(clientId, overrides);
  const url = await authorizeInBrowser(browser, params, answers);
  const code = url.searchParams.get('code');
  if (!code) throw new Error(`expected a code, got ${url.href}`);
  return { url, code, verifier, state, nonce, params };
}

/** A token request authenticated the way `registered` is registered to authenticate. */
export function clientTokenRequest(app: TestApp, registered: RegisteredClient, form: Record<string, string>): Promise<Response> {
  const { client, secret } = registered;
  switch (client.metadata.token_endpoint_auth_method) {
    case 'client_secret_basic':
      return tokenRequest(app, form, basicAuth(client.id, secret ?? ''));
    case 'client_secret_post':
      return tokenRequest(app, { ...form, client_id: client.id, client_secret: secret ?? '' });
    case 'none':
      return tokenRequest(app, { ...form, client_id: client.id });
  }
}

export function redeemCode(
  app: TestApp,
  registered: RegisteredClient,
  code: string,
  verifier: string | undefined,
  extra: Record<string, string> = {},
): Promise<Response> {
  return clientTokenRequest(app, registered, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    ...(verifier === undefined ? {} : { code_verifier: verifier }),
    ...extra,
  });
}

export function refreshRequest(app: TestApp, registered: RegisteredClient, refreshToken: string, extra: Record<string, string> = {}) {
  return clientTokenRequest(app, registered, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

/** The full code flow for `registered`, returning the token response (which must be 200). */
export async function signInForTokens(
  app: TestApp,
  browser: TestBrowser,
  registered: RegisteredClient,
  overrides: Record<string, string | undefined> = {},
  answers: Parameters<typeof authorizeInBrowser>[2] = {},
): Promise<{ tokens: TokenJson; code: CodeResult }> {
  const code = await obtainCode(browser, registered.client.id, overrides, answers);
  const response = await redeemCode(app, registered, code.code, code.verifier);
  if (response.status !== 200) throw new Error(`token request failed: ${response.status} ${await response.text()}`);
  return { tokens: (await response.json()) as TokenJson, code };
}

export function userinfoRequest(app: TestApp, accessToken: string): Promise<Response> {
  return app.request('/userinfo', { headers: { authorization: `Bearer ${accessToken}` } });
}

/** GETs `path` and follows same-origin redirects; stops at a page or a redirect to the client. */
export async function browse(browser: TestBrowser, path: string): Promise<{ response: Response; path: string }> {
  let current = path;
  let response = await browser.get(current);
  for (let hops = 0; hops < 6; hops++) {
    const target = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !target || !target.startsWith('/')) break;
    current = target;
    response = await browser.get(current);
  }
  return { response, path: current };
}

/** The set of public keys served at /jwks, for jose's jwtVerify. */
export async function localJwks(app: TestApp) {
  const response = await app.request('/jwks');
  return createLocalJWKSet((await response.json()) as { keys: JWK[] });
}
