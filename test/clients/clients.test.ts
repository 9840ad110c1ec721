// Client registration: 256-bit secrets kept only as SHA-256 digests, public clients without secrets,
// and metadata checked as a whole (auth method, grant types, redirect URIs, scopes).
import { Database } from 'bun:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import {
  type ClientDeps,
  ClientError,
  type ClientInput,
  clientView,
  createClient,
  findClient,
  removeClient,
  rotateClientSecret,
  updateClient,
} from '../../src/clients/clients.ts';
import { hashToken, matchesHash } from '../../src/tokens/secret.ts';
import { testEnv, type TestEnv } from '../helpers/deps.ts';

const WEB_APP: ClientInput = { name: 'Web app', redirectUris: ['https://app.example.test/callback'] };

let env: TestEnv;
beforeEach(async () => {
  env = await testEnv();
});
afterEach(() => env.cleanup());

const deps = (): ClientDeps => ({ clients: env.store.clients, clock: env.clock });

/** Every clients row as SQLite holds it, read through a separate connection. */
function rawClientRows(): Record<string, unknown>[] {
  const db = new Database(join(env.dir, 'idp.db'), { readonly: true });
  try {
    return db.query<Record<string, unknown>, []>('SELECT * FROM clients').all();
  } finally {
    db.close();
  }
}

async function clientError(run: () => Promise<unknown>): Promise<ClientError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ClientError) return error;
    throw error;
  }
  throw new Error('expected a ClientError');
}

describe('client secrets', () => {
  it('a confidential client gets a secret of at least 256 bits (43 base64url characters)', async () => {
    const { secret } = await createClient(deps(), WEB_APP);
    if (secret === null) throw new Error('a confidential client got no secret');
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  it('two clients never share a secret or an id', async () => {
    const first = await createClient(deps(), WEB_APP);
    const second = await createClient(deps(), WEB_APP);
    expect(first.secret).not.toBe(second.secret);
    expect(first.client.id).not.toBe(second.client.id);
  });

  it('the secret is stored only as its SHA-256 digest and appears nowhere in the row', async () => {
    const { client, secret } = await createClient(deps(), WEB_APP);
    if (secret === null) throw new Error('a confidential client got no secret');
    const stored = await env.store.clients.getClient(client.id);
    expect(stored?.secretHash).toBe(hashToken(secret));
    expect(matchesHash(secret, stored?.secretHash ?? '')).toBe(true);
    const rows = rawClientRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret_hash).toBe(hashToken(secret));
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('clientView carries neither the secret nor its digest', async () => {
    const { client, secret } = await createClient(deps(), WEB_APP);
    if (secret === null || client.secretHash === null) throw new Error('a confidential client got no secret');
    const text = JSON.stringify(clientView(client));
    expect(text).not.toContain(secret);
    expect(text).not.toContain(client.secretHash);
  });

  it('update keeps the secret hash', async () => {
    const { client } = await createClient(deps(), WEB_APP);
    const updated = await updateClient(deps(), client.id, { name: 'Renamed', skipConsent: true });
    expect(updated.secretHash).toBe(client.secretHash);
    expect((await findClient(env.store.clients, client.id)).secretHash).toBe(client.secretHash);
  });

  it('rotate-secret changes the hash; the new secret matches it and the old one no longer does', async () => {
    const { client, secret: old } = await createClient(deps(), WEB_APP);
    const { secret } = await rotateClientSecret(deps(), client.id);
    if (old === null || secret === null) throw new Error('a confidential client got no secret');
    const stored = await findClient(env.store.clients, client.id);
    expect(stored.secretHash).not.toBe(client.secretHash);
    expect(stored.secretHash).toBe(hashToken(secret));
    expect(matchesHash(old, stored.secretHash ?? '')).toBe(false);
  });

  it('rotate-secret is refused for a public client', async () => {
    const { client } = await createClient(deps(), { ...WEB_APP, type: 'public' });
    expect((await clientError(() => rotateClientSecret(deps(), client.id))).message).toContain('public');
  });
});

describe('client types and auth methods', () => {
  it('a public client gets auth method none and no secret', async () => {
    const { client, secret } = await createClient(deps(), { ...WEB_APP, type: 'public' });
    expect(secret).toBeNull();
    expect(client.secretHash).toBeNull();
    expect(client.metadata.token_endpoint_auth_method).toBe('none');
  });

  it('a confidential client defaults to client_secret_basic', async () => {
    const { client } = await createClient(deps(), WEB_APP);
    expect(client.metadata.client_type).toBe('confidential');
    expect(client.metadata.token_endpoint_auth_method).toBe('client_secret_basic');
  });

  it('a confidential client with auth method none is refused', async () => {
    await clientError(() => createClient(deps(), { ...WEB_APP, authMethod: 'none' }));
    expect(await env.store.clients.listClients()).toHaveLength(0);
  });

  it('a public client with a secret-based auth method is refused', async () => {
    await clientError(() => createClient(deps(), { ...WEB_APP, type: 'public', authMethod: 'client_secret_post' }));
  });

  it('the client type cannot change on update', async () => {
    const { client } = await createClient(deps(), WEB_APP);
    await clientError(() => updateClient(deps(), client.id, { type: 'public' }));
  });

  it('a client without a name is refused', async () => {
    expect((await clientError(() => createClient(deps(), { redirectUris: WEB_APP.redirectUris }))).message).toContain('--name');
  });
});

describe('grant types', () => {
  it('authorization_code without a redirect URI is refused', async () => {
    const error = await clientError(() => createClient(deps(), { name: 'No redirect', grantTypes: ['authorization_code'] }));
    expect(error.message).toContain('redirect URI');
  });

  it('a grant type this build does not implement (password) is refused', async () => {
    const grantTypes = ['authorization_code', 'password'];
    const error = await clientError(() => createClient(deps(), { ...WEB_APP, grantTypes }));
    expect(error.message).toContain('password');
  });

  it('RFC 8628: device_code needs no redirect URI, works for public clients, and may come with refresh_token', async () => {
    const grantTypes = ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'];
    const { client } = await createClient(deps(), { name: 'TV', type: 'public', grantTypes });
    expect(client.metadata.grant_types).toEqual(grantTypes as typeof client.metadata.grant_types);
    expect(client.metadata.redirect_uris).toEqual([]);
    expect(client.metadata.scopes).toContain('offline_access');
    const error = await clientError(() => createClient(deps(), { name: 'Refresh only', grantTypes: ['refresh_token'] }));
    expect(error.message).toContain('device_code');
  });

  it('RFC 6749 §4.4: client_credentials is for confidential clients only, and needs no redirect URI', async () => {
    const error = await clientError(() => createClient(deps(), { name: 'M2M', type: 'public', grantTypes: ['client_credentials'] }));
    expect(error.message).toContain('confidential');
    const { client } = await createClient(deps(), { name: 'M2M', grantTypes: ['client_credentials'] });
    expect(client.metadata.grant_types).toEqual(['client_credentials']);
  });

  it('OIDC Core §3.2: implicit without a redirect URI is refused; a public implicit-only client is accepted', async () => {
    const error = await clientError(() => createClient(deps(), { name: 'No redirect', type: 'public', grantTypes: ['implicit'] }));
    expect(error.message).toContain('redirect URI');
    const { client } = await createClient(deps(), { ...WEB_APP, type: 'public', grantTypes: ['implicit'] });
    expect(client.metadata.grant_types).toEqual(['implicit']);
  });

  it('refresh_token without authorization_code is refused', async () => {
    await clientError(() => createClient(deps(), { ...WEB_APP, grantTypes: ['refresh_token'] }));
  });

  it('updating the grant types replaces the list', async () => {
    const { client } = await createClient(deps(), WEB_APP);
    expect(client.metadata.grant_types).toEqual(['authorization_code', 'refresh_token']);
    const updated = await updateClient(deps(), client.id, { grantTypes: ['authorization_code'] });
    expect(updated.metadata.grant_types).toEqual(['authorization_code']);
  });
});

describe('scopes', () => {
  it('a default scope outside the client scopes is refused', async () => {
    const error = await clientError(() => createClient(deps(), { ...WEB_APP, scopes: ['openid'], defaultScopes: ['openid', 'email'] }));
    expect(error.message).toContain('email');
  });

  it('an unknown scope is refused', async () => {
    await clientError(() => createClient(deps(), { ...WEB_APP, scopes: ['openid', 'admin'] }));
  });

  it('an update that drops a default scope from the scopes is refused and changes nothing', async () => {
    const { client } = await createClient(deps(), { ...WEB_APP, scopes: ['openid', 'email'], defaultScopes: ['openid', 'email'] });
    await clientError(() => updateClient(deps(), client.id, { scopes: ['openid'] }));
    expect((await findClient(env.store.clients, client.id)).metadata.scopes).toEqual(['openid', 'email']);
  });
});

describe('redirect URIs at registration', () => {
  it('an http redirect URI on a public host is refused unless insecure redirect URIs are allowed', async () => {
    const input: ClientInput = { name: 'Dev', redirectUris: ['http://dev.example.test/cb'] };
    await clientError(() => createClient(deps(), input));
    const { client } = await createClient(deps(), { ...input, allowInsecureRedirectUris: true });
    expect(client.metadata.redirect_uris).toEqual(['http://dev.example.test/cb']);
  });

  it('a redirect URI with a fragment is refused', async () => {
    await clientError(() => createClient(deps(), { name: 'Frag', redirectUris: ['https://app.example.test/cb#x'] }));
  });
});

describe('find and remove', () => {
  it('an unknown client id is an error naming it and idp client list', async () => {
    const error = await clientError(() => findClient(env.store.clients, 'no-such-client'));
    expect(error.message).toContain('no-such-client');
    expect(error.message).toContain('idp client list');
  });

  it('removeClient deletes the client', async () => {
    const { client } = await createClient(deps(), WEB_APP);
    await removeClient(deps(), client.id);
    expect(await env.store.clients.getClient(client.id)).toBeNull();
    await clientError(() => removeClient(deps(), client.id));
  });
});
