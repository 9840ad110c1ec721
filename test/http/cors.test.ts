// CORS on the endpoints browser apps call (Fetch Standard §3.2 "CORS protocol"; OAuth 2.0 for
// Browser-Based Apps): public documents readable from anywhere, token/userinfo readable only by
// registered origins (the token endpoint: the requesting client's own), never `*` with
// credentials, never Access-Control-Allow-Credentials, Vary: Origin, and preflights.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { updateClient } from '../../src/clients/clients.ts';
import { RegisteredOrigins } from '../../src/http/cors.ts';
import type { ClientRecord } from '../../src/store/store.ts';
import { fixedClock } from '../helpers/deps.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser, basicAuth, obtainCode, REDIRECT_URI, type RegisteredClient, TestBrowser } from '../helpers/oidc.ts';

const SPA = 'https://spa.example.test';
const OTHER_SPA = 'https://other-spa.example.test';
const UNREGISTERED = 'https://evil.example.test';
const WILDCARD = 'https://*.app.example.test';

let app: TestApp;
/** A public SPA client registered with its origin. */
let spa: RegisteredClient;
/** A second client with an origin of its own. */
let other: RegisteredClient;

beforeEach(async () => {
  app = await testApp();
  spa = await addClient(app, { name: 'SPA', type: 'public', corsOrigins: [SPA] });
  other = await addClient(app, { name: 'Other SPA', type: 'public', corsOrigins: [OTHER_SPA] });
});
afterEach(() => app.cleanup());

/** Every response in this file: never `*` with credentials, never Allow-Credentials. */
function expectNoCredentials(response: Response) {
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
}

function expectOriginAllowed(response: Response, origin: string) {
  expectNoCredentials(response);
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(varies(response)).toBe(true);
}

function expectOriginDenied(response: Response) {
  expectNoCredentials(response);
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
  expect(response.headers.get('access-control-expose-headers')).toBeNull();
  expect(varies(response)).toBe(true);
}

function varies(response: Response): boolean {
  return (response.headers.get('vary') ?? '').split(',').some((name) => name.trim().toLowerCase() === 'origin');
}

function accessControlHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
}

function tokenPost(origin: string | null, form: Record<string, string>, authorization?: string): Promise<Response> {
  return app.request('/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(origin ? { origin } : {}),
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

/** A token request that passes client authentication and then fails (invalid_grant). */
function badCodeFrom(origin: string | null, client: ClientRecord): Promise<Response> {
  return tokenPost(origin, { grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: REDIRECT_URI, code_verifier: 'x'.repeat(43), client_id: client.id });
}

function preflight(path: string, origin: string, method = 'POST'): Promise<Response> {
  return app.request(path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
  });
}

function userinfoFrom(origin: string | null, accessToken: string): Promise<Response> {
  return app.request('/userinfo', { headers: { authorization: `Bearer ${accessToken}`, ...(origin ? { origin } : {}) } });
}

/** The SPA's code flow, with the token request sent from `origin`. */
async function redeemFrom(origin: string): Promise<Response> {
  await addUser(app);
  const code = await obtainCode(new TestBrowser(app), spa.client.id);
  return tokenPost(origin, {
    grant_type: 'authorization_code',
    code: code.code,
    redirect_uri: REDIRECT_URI,
    code_verifier: code.verifier,
    client_id: spa.client.id,
  });
}

describe('discovery and JWKS: readable from any origin (Fetch §3.2.3, `*` without credentials)', () => {
  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']) {
    it(`${path}: GET from any origin carries Access-Control-Allow-Origin: *`, async () => {
      const response = await app.request(path, { headers: { origin: UNREGISTERED } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expectNoCredentials(response);
    });

    it(`${path}: the OPTIONS preflight is answered 204 for any origin, GET, *`, async () => {
      const response = await app.request(path, {
        method: 'OPTIONS',
        headers: { origin: UNREGISTERED, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-requested-with' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toBe('GET');
      expect(response.headers.get('access-control-allow-headers')).toBe('*');
      expect(response.headers.get('access-control-max-age')).toBe('600');
      expectNoCredentials(response);
    });
  }
});

describe('token endpoint: only the requesting client origin (OAuth 2.0 for Browser-Based Apps)', () => {
  it("a token response to the client's own origin echoes that origin, with Vary: Origin", async () => {
    const response = await redeemFrom(SPA);
    expect(response.status).toBe(200);
    expectOriginAllowed(response, SPA);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it("an error after client authentication is readable by the client's own origin", async () => {
    const response = await badCodeFrom(SPA, spa.client);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
    expectOriginAllowed(response, SPA);
  });

  it('an origin registered on ANOTHER client gets no Access-Control-Allow-Origin', async () => {
    const response = await redeemFrom(OTHER_SPA);
    expect(response.status).toBe(200);
    expectOriginDenied(response);
    expectOriginDenied(await badCodeFrom(OTHER_SPA, spa.client));
    // And the other way round.
    expectOriginDenied(await badCodeFrom(SPA, other.client));
    expectOriginAllowed(await badCodeFrom(OTHER_SPA, other.client), OTHER_SPA);
  });

  it('an unregistered origin gets no Access-Control-Allow-Origin', async () => {
    expectOriginDenied(await badCodeFrom(UNREGISTERED, spa.client));
  });

  it('invalid_client before authentication: allowed only for the origin of the client named by client_id or Basic', async () => {
    const confidential = await addClient(app, { name: 'BFF', corsOrigins: [SPA] });
    const wrongSecret = basicAuth(confidential.client.id, 'wrong');
    const basic = await tokenPost(SPA, { grant_type: 'authorization_code', code: 'x' }, wrongSecret);
    expect(basic.status).toBe(401);
    expectOriginAllowed(basic, SPA);
    const post = await tokenPost(SPA, { grant_type: 'authorization_code', code: 'x', client_id: confidential.client.id, client_secret: 'wrong' });
    expect(post.status).toBe(401);
    expectOriginAllowed(post, SPA);
    // Named client, but the origin is another client's.
    expectOriginDenied(await tokenPost(OTHER_SPA, { grant_type: 'authorization_code', code: 'x' }, wrongSecret));
    // No such client, or no client named at all.
    const unknown = await tokenPost(SPA, { grant_type: 'authorization_code', code: 'x', client_id: 'no-such-client' });
    expect(unknown.status).toBe(401);
    expectOriginDenied(unknown);
    expectOriginDenied(await tokenPost(SPA, { grant_type: 'authorization_code', code: 'x' }));
    // Basic and client_id disagree: no client is clearly named.
    expectOriginDenied(await tokenPost(SPA, { grant_type: 'authorization_code', code: 'x', client_id: other.client.id }, wrongSecret));
  });

  it('a malformed request (wrong content type, repeated parameter) still follows the named client', async () => {
    const json = await app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: SPA, authorization: basicAuth(spa.client.id, '') },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expectOriginAllowed(json, SPA);
    const repeated = await app.request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: SPA },
      body: `grant_type=authorization_code&client_id=${spa.client.id}&client_id=${spa.client.id}`,
    });
    expect(repeated.status).toBe(400);
    expectOriginDenied(repeated);
  });

  it('never `*`, and no CORS headers at all when the request has no Origin', async () => {
    for (const origin of [SPA, OTHER_SPA, UNREGISTERED, 'null']) {
      const response = await badCodeFrom(origin, spa.client);
      expect(response.headers.get('access-control-allow-origin')).not.toBe('*');
      expectNoCredentials(response);
    }
    const response = await badCodeFrom(null, spa.client);
    expect(response.status).toBe(400);
    expect(accessControlHeaders(response)).toEqual([]);
    expect(varies(response)).toBe(true);
  });

  it('preflight from an origin registered on a client: 204 with the allowed method and headers', async () => {
    // A preflight carries no credentials: any client's origin passes it.
    for (const origin of [SPA, OTHER_SPA]) {
      const response = await preflight('/token', origin);
      expect(response.status).toBe(204);
      expectOriginAllowed(response, origin);
      expect(response.headers.get('access-control-allow-methods')).toBe('POST');
      expect(response.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
      expect(response.headers.get('access-control-max-age')).toBe('600');
    }
  });

  it('preflight from an unregistered origin: no Access-Control-Allow-* headers', async () => {
    for (const origin of [UNREGISTERED, 'null']) {
      const response = await preflight('/token', origin);
      expect(response.status).toBe(204);
      expectOriginDenied(response);
      expect(accessControlHeaders(response)).toEqual([]);
    }
  });
});

describe('userinfo: origins registered on a client', () => {
  async function accessToken(): Promise<string> {
    const response = await redeemFrom(SPA);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  it('a registered origin reads the claims: ACAO echoes it, Vary: Origin, WWW-Authenticate exposed', async () => {
    const token = await accessToken();
    const response = await userinfoFrom(SPA, token);
    expect(response.status).toBe(200);
    expectOriginAllowed(response, SPA);
    expect(response.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
    // POST too.
    const post = await app.request('/userinfo', { method: 'POST', headers: { authorization: `Bearer ${token}`, origin: SPA } });
    expect(post.status).toBe(200);
    expectOriginAllowed(post, SPA);
  });

  it('a bearer error is readable by a registered origin, WWW-Authenticate exposed (RFC 6750 §3)', async () => {
    const response = await userinfoFrom(SPA, 'not-a-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
    expectOriginAllowed(response, SPA);
    expect(response.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
  });

  it('an unregistered origin gets no ACAO; never `*`; no Origin, no CORS headers', async () => {
    const token = await accessToken();
    const denied = await userinfoFrom(UNREGISTERED, token);
    expect(denied.status).toBe(200);
    expectOriginDenied(denied);
    const plain = await userinfoFrom(null, token);
    expect(plain.status).toBe(200);
    expect(accessControlHeaders(plain)).toEqual([]);
  });

  it('preflight allows GET and POST for a registered origin, nothing for another', async () => {
    const allowed = await preflight('/userinfo', OTHER_SPA, 'GET');
    expect(allowed.status).toBe(204);
    expectOriginAllowed(allowed, OTHER_SPA);
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    const denied = await preflight('/userinfo', UNREGISTERED, 'GET');
    expect(denied.status).toBe(204);
    expect(accessControlHeaders(denied)).toEqual([]);
  });
});

describe('revocation and introspection: origins registered on a client', () => {
  for (const path of ['/revoke', '/introspect']) {
    it(`${path}: preflight and response allow a registered origin, never an unregistered one`, async () => {
      expectOriginAllowed(await preflight(path, SPA), SPA);
      expectOriginDenied(await preflight(path, UNREGISTERED));
      const response = await app.request(path, {
        method: 'POST',
        headers: { origin: SPA, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=unknown',
      });
      expectOriginAllowed(response, SPA);
      expectNoCredentials(response);
    });
  }
});

describe('wildcard origins: one label, allow_wildcards clients only', () => {
  let preview: RegisteredClient;
  beforeEach(async () => {
    preview = await addClient(app, { name: 'Previews', type: 'public', allowWildcards: true, corsOrigins: [WILDCARD] });
  });

  it(`${WILDCARD} matches https://pr-1.app.example.test`, async () => {
    expectOriginAllowed(await preflight('/token', 'https://pr-1.app.example.test'), 'https://pr-1.app.example.test');
    expectOriginAllowed(await badCodeFrom('https://pr-1.app.example.test', preview.client), 'https://pr-1.app.example.test');
  });

  for (const origin of ['https://a.b.app.example.test', 'https://evilapp.example.test', 'https://app.example.test', 'http://pr-1.app.example.test', 'https://pr-1.app.example.test:8443']) {
    it(`${WILDCARD} does not match ${origin}`, async () => {
      expectOriginDenied(await preflight('/token', origin));
      expectOriginDenied(await badCodeFrom(origin, preview.client));
    });
  }

  it('the wildcard origin belongs to its client only at the token endpoint', async () => {
    expectOriginDenied(await badCodeFrom('https://pr-1.app.example.test', spa.client));
  });

  it('a stored wildcard on a client without allow_wildcards matches nothing', async () => {
    const record = structuredClone(preview.client);
    record.metadata.allow_wildcards = false;
    await app.store.clients.updateClient(record);
    app.clock.advance(11);
    expectOriginDenied(await preflight('/token', 'https://pr-1.app.example.test'));
    expectOriginDenied(await badCodeFrom('https://pr-1.app.example.test', preview.client));
  });
});

describe('registered origins are cached for at most 10 seconds', () => {
  it('an origin added later is picked up once the cache TTL has passed (advance the clock 11 s)', async () => {
    const late = 'https://late.example.test';
    expectOriginDenied(await preflight('/userinfo', late, 'GET'));
    await updateClient({ clients: app.store.clients, clock: app.clock }, other.client.id, { corsOrigins: [OTHER_SPA, late] });
    app.clock.advance(5);
    expectOriginDenied(await preflight('/userinfo', late, 'GET'));
    app.clock.advance(6);
    expectOriginAllowed(await preflight('/userinfo', late, 'GET'), late);
    // The token endpoint reads the requesting client itself, so it needs no wait.
    expectOriginAllowed(await badCodeFrom(late, other.client), late);
  });

  it('RegisteredOrigins lists the clients once per TTL, and once for concurrent callers', async () => {
    const clock = fixedClock();
    let lists = 0;
    let origins = [SPA];
    const clients = {
      async listClients() {
        lists++;
        return [{ metadata: { cors_origins: origins, allow_wildcards: false } } as unknown as ClientRecord];
      },
    };
    const registered = new RegisteredOrigins(clients, clock);
    expect(await Promise.all([registered.has(SPA), registered.has(OTHER_SPA), registered.has(SPA)])).toEqual([true, false, true]);
    expect(lists).toBe(1);
    origins = [OTHER_SPA];
    clock.advance(9.999);
    expect(await registered.has(OTHER_SPA)).toBe(false);
    expect(lists).toBe(1);
    clock.advance(0.001);
    expect(await registered.has(OTHER_SPA)).toBe(true);
    expect(await registered.has(SPA)).toBe(false);
    expect(lists).toBe(2);
  });
});

describe('scope of the CORS headers', () => {
  it('endpoints without CORS (health, authorize) get no CORS headers from an Origin', async () => {
    for (const path of ['/healthz', `/authorize?client_id=${spa.client.id}`]) {
      const response = await app.request(path, { headers: { origin: SPA } });
      expect(accessControlHeaders(response)).toEqual([]);
    }
  });
});
