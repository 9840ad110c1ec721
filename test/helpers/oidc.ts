// A scripted browser and relying party over app.handle(): a cookie jar, form parsing, PKCE.
import { createHash } from 'node:crypto';
import { createClient, type ClientInput } from '../../src/clients/clients.ts';
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
  return createClient({ clients: app.store.clients, clock: app.clock }, { name: 'Test RP', redirectUris: [REDIRECT_URI], ...input });
}

/** A browser: keeps cookies, never follows redirects by itself. */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  constructor(private readonly app: TestApp) {}

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
