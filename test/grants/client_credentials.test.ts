// RFC 6749 §4.4 through the real token endpoint: a confidential client gets an access token for
// itself, with no ID token and no refresh token, in both access token formats.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, basicAuth, tokenRequest } from '../helpers/oidc.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(() => app.cleanup());

async function machineClient(input: Parameters<typeof addClient>[1] = {}) {
  const { client, secret } = await addClient(app, { name: 'Billing job', redirectUris: [], grantTypes: ['client_credentials'], ...input });
  return { client, authorization: basicAuth(client.id, secret as string) };
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('client_credentials (RFC 6749 §4.4)', () => {
  it('§4.4.3: an access token only, no ID token, no refresh token, no-store', async () => {
    const { authorization } = await machineClient();
    const response = await tokenRequest(app, { grant_type: 'client_credentials' }, authorization);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = await json(response);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: app.config.access_token_ttl });
    expect(typeof body.access_token).toBe('string');
    expect(body).not.toHaveProperty('id_token');
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('a scope about a user (openid) is invalid_scope: the token acts for the client', async () => {
    const { authorization } = await machineClient();
    const body = await json(await tokenRequest(app, { grant_type: 'client_credentials', scope: 'openid' }, authorization));
    expect(body.error).toBe('invalid_scope');
  });

  it('a scope the client may not have is invalid_scope', async () => {
    const { authorization } = await machineClient();
    expect((await json(await tokenRequest(app, { grant_type: 'client_credentials', scope: 'billing:write' }, authorization))).error).toBe('invalid_scope');
  });

  it('a client without the grant is unauthorized_client', async () => {
    const { client, secret } = await addClient(app);
    const body = await json(await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(client.id, secret as string)));
    expect(body.error).toBe('unauthorized_client');
  });

  it('a wrong secret is invalid_client (401)', async () => {
    const { client } = await machineClient();
    const response = await tokenRequest(app, { grant_type: 'client_credentials' }, basicAuth(client.id, 'wrong'));
    expect(response.status).toBe(401);
    expect((await json(response)).error).toBe('invalid_client');
  });

  it('RFC 9068: a JWT access token names the client as sub and client_id, and verifies against /jwks', async () => {
    const { client, authorization } = await machineClient({ tokenFormat: 'jwt', audiences: ['https://api.example.test'] });
    const { access_token } = (await json(await tokenRequest(app, { grant_type: 'client_credentials' }, authorization))) as { access_token: string };
    const jwks = createLocalJWKSet((await (await app.request('/jwks')).json()) as { keys: [] });
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: app.config.issuer,
      audience: 'https://api.example.test',
      currentDate: new Date(app.clock()),
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.sub).toBe(client.id);
    expect(payload.client_id).toBe(client.id);
  });

  it('the token introspects with the client as sub and no username, and is refused at /userinfo', async () => {
    const { client, authorization } = await machineClient();
    const { access_token } = (await json(await tokenRequest(app, { grant_type: 'client_credentials' }, authorization))) as { access_token: string };
    const introspection = await json(
      await app.request('/introspect', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body: new URLSearchParams({ token: access_token }).toString(),
      }),
    );
    expect(introspection).toMatchObject({ active: true, sub: client.id, client_id: client.id, token_type: 'Bearer' });
    expect(introspection).not.toHaveProperty('username');
    const userinfo = await app.request('/userinfo', { headers: { authorization: `Bearer ${access_token}` } });
    expect(userinfo.status).toBe(403);
  });

  it('discovery lists the grant', async () => {
    const doc = (await (await app.request('/.well-known/openid-configuration')).json()) as { grant_types_supported: string[] };
    expect(doc.grant_types_supported).toContain('client_credentials');
  });
});
