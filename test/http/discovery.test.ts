import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { rotateKey } from '../../src/keys/manage.ts';
import { addScope } from '../../src/scopes/scopes.ts';
import { testApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp({ alg: 'ES256' });
});
afterEach(() => app.cleanup());

async function metadata(path = '/.well-known/openid-configuration'): Promise<Record<string, unknown>> {
  const response = await app.request(path);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as Record<string, unknown>;
}

describe('discovery (OIDC Discovery 1.0 §4, RFC 8414 §3)', () => {
  it('states the issuer exactly as configured and derives endpoint URLs from it', async () => {
    const doc = await metadata();
    expect(doc.issuer).toBe('https://id.example.test');
    expect(doc.jwks_uri).toBe('https://id.example.test/jwks');
  });

  it('lists the required members with what is implemented', async () => {
    const doc = await metadata();
    expect(doc.authorization_endpoint).toBe('https://id.example.test/authorize');
    expect(doc.token_endpoint).toBe('https://id.example.test/token');
    expect(doc.userinfo_endpoint).toBe('https://id.example.test/userinfo');
    expect(doc.subject_types_supported).toEqual(['public', 'pairwise']);
    expect(doc.id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256']);
    expect(doc.response_types_supported).toEqual(['code', 'id_token', 'id_token token']);
    expect(doc.response_modes_supported).toEqual(['query', 'fragment', 'form_post']);
    expect(doc.grant_types_supported).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'implicit',
      'urn:ietf:params:oauth:grant-type:device_code',
    ]);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access']);
  });

  it('RFC 8414 §2: advertises the RFC 7009 revocation and RFC 7662 introspection endpoints with their client authentication methods', async () => {
    const doc = await metadata();
    expect(doc.revocation_endpoint).toBe('https://id.example.test/revoke');
    expect(doc.revocation_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    expect(doc.introspection_endpoint).toBe('https://id.example.test/introspect');
    // Public clients may not introspect.
    expect(doc.introspection_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
  });

  it('advertises RFC 9207 issuer identification and no request objects', async () => {
    const doc = await metadata();
    expect(doc.authorization_response_iss_parameter_supported).toBe(true);
    expect(doc.request_parameter_supported).toBe(false);
    expect(doc.request_uri_parameter_supported).toBe(false);
  });

  it('RFC 8628 §4: advertises the device authorization endpoint', async () => {
    const doc = await metadata();
    expect(doc.device_authorization_endpoint).toBe('https://id.example.test/device_authorization');
    expect(doc.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('RP-Initiated Logout §2.1: advertises end_session_endpoint, and no front- or back-channel logout (not implemented)', async () => {
    const doc = await metadata();
    expect(doc.end_session_endpoint).toBe('https://id.example.test/logout');
    for (const member of Object.keys(doc)) expect(member).not.toMatch(/^(frontchannel|backchannel)_logout_/);
  });

  it('serves the same document at the RFC 8414 path', async () => {
    expect(await metadata('/.well-known/oauth-authorization-server')).toEqual(await metadata());
  });

  it('is cacheable and readable from any origin', async () => {
    const response = await app.request('/.well-known/openid-configuration');
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('adds an algorithm once a key of it becomes active', async () => {
    await rotateKey({ store: app.store.keys, sealer: app.sealer, clock: app.clock, config: app.config }, 'EdDSA', { now: true });
    await app.keyring.reload();
    expect((await metadata()).id_token_signing_alg_values_supported).toEqual(['RS256', 'ES256', 'EdDSA']);
  });

  it('lists custom scopes in scopes_supported, picking up a change within 10 seconds', async () => {
    expect((await metadata()).scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access']);
    await addScope({ scopes: app.store.scopes, clock: app.clock }, { name: 'billing:read', description: 'Read your invoices' });
    // The list of custom scopes is cached for 10 seconds.
    expect((await metadata()).scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access']);
    app.clock.advance(10);
    expect((await metadata()).scopes_supported).toEqual(['openid', 'profile', 'email', 'offline_access', 'billing:read']);
    expect((await metadata('/.well-known/oauth-authorization-server')).scopes_supported).toContain('billing:read');
  });
});

describe('JWKS (RFC 7517)', () => {
  it('publishes public keys only, each with kid, alg and use', async () => {
    const response = await app.request('/jwks');
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig' });
      expect(key.kid).toBeTruthy();
      expect(['RS256', 'ES256']).toContain(key.alg as string);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
    }
  });

  it('lets clients cache it no longer than key_activation_delay minus key_reload_interval', async () => {
    const response = await app.request('/jwks');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const short = await testApp({ settings: { key_activation_delay: 90, key_reload_interval: 30 } });
    try {
      expect((await short.request('/jwks')).headers.get('cache-control')).toBe('public, max-age=60');
    } finally {
      await short.cleanup();
    }
  });
});

describe('other routes', () => {
  it('answers liveness on /healthz', async () => {
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers an unknown path with a JSON 404, not an HTML stack', async () => {
    const response = await app.request('/nope?code=secret');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', error_description: 'No such endpoint.' });
  });

  it('logs one line per request with method, path and status, never the query', async () => {
    await app.request('/nope?code=secret-code');
    await Bun.sleep(10);
    const line = app.logLines.find((entry) => entry.includes('path=/nope'));
    expect(line).toContain('method=GET');
    expect(line).toContain('status=404');
    expect(app.logLines.join('')).not.toContain('secret-code');
  });

  it('serves a landing page that names the issuer', async () => {
    const response = await app.request('/');
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('https://id.example.test/.well-known/openid-configuration');
  });
});
