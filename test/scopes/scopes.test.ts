// Custom scopes: names, descriptions and claims are checked; a scope a client still has cannot be
// removed; the cached list is read again after 10 seconds.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createClient } from '../../src/clients/clients.ts';
import { addScope, CustomScopes, knownScopeNames, listScopes, removeScope, ScopeError, type ScopeDeps } from '../../src/scopes/scopes.ts';
import { claimsForScopes, scopeDescription } from '../../src/users/claims.ts';
import type { UserRecord } from '../../src/store/store.ts';
import { testEnv, type TestEnv } from '../helpers/deps.ts';

let env: TestEnv;
beforeEach(async () => {
  env = await testEnv();
});
afterEach(() => env.cleanup());

const deps = (): ScopeDeps => ({ scopes: env.store.scopes, clients: env.store.clients, clock: env.clock });

async function scopeError(run: () => Promise<unknown>): Promise<ScopeError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScopeError);
    return error as ScopeError;
  }
  throw new Error('expected a ScopeError');
}

const USER: UserRecord = {
  id: 'u1',
  username: 'alice',
  passwordHash: null,
  email: 'alice@example.test',
  emailVerified: true,
  profile: { name: 'Alice Liddell', locale: 'en-GB' },
  attributes: {},
  disabled: false,
  createdAt: 1,
  updatedAt: 2,
};

describe('custom scopes', () => {
  it('adds, lists and removes a scope', async () => {
    const added = await addScope(deps(), { name: 'billing:read', description: 'Read your invoices', claims: ['email', 'name', 'email'] });
    expect(added).toMatchObject({ name: 'billing:read', description: 'Read your invoices', claims: ['email', 'name'] });
    expect((await listScopes(env.store.scopes)).map((scope) => scope.name)).toEqual(['billing:read']);
    expect(await knownScopeNames(env.store.scopes)).toEqual(['openid', 'profile', 'email', 'offline_access', 'billing:read']);
    expect((await removeScope(deps(), 'billing:read')).name).toBe('billing:read');
    expect(await listScopes(env.store.scopes)).toEqual([]);
  });

  it('defaults the description to the name', async () => {
    expect((await addScope(deps(), { name: 'reports' })).description).toBe('reports');
  });

  it('refuses bad names, standard names, duplicates and bad claims', async () => {
    for (const name of ['', 'a b', 'x'.repeat(65), 'café', 'a/b']) {
      expect((await scopeError(() => addScope(deps(), { name }))).message).toContain('1 to 64');
    }
    expect(await addScope(deps(), { name: 'x'.repeat(64) })).toBeTruthy();
    expect((await scopeError(() => addScope(deps(), { name: 'profile' }))).message).toContain('standard scope');
    await addScope(deps(), { name: 'a.b_c-d:e' });
    expect((await scopeError(() => addScope(deps(), { name: 'a.b_c-d:e' }))).message).toContain('exists');
    expect((await scopeError(() => addScope(deps(), { name: 'hr', claims: ['sal ary'] }))).message).toContain('neither a profile or email claim');
    expect((await scopeError(() => addScope(deps(), { name: 'long', description: 'd'.repeat(201) }))).message).toContain('200');
  });

  it('refuses to remove a scope that a client is allowed, naming the client', async () => {
    await addScope(deps(), { name: 'billing:read' });
    const knownScopes = await knownScopeNames(env.store.scopes);
    const { client } = await createClient(
      { clients: env.store.clients, clock: env.clock, knownScopes },
      { name: 'Billing', grantTypes: ['client_credentials'], scopes: ['billing:read'], defaultScopes: [] },
    );
    const error = await scopeError(() => removeScope(deps(), 'billing:read'));
    expect(error.message).toContain(client.id);
    expect(error.message).toContain('Billing');
    expect(await env.store.scopes.getScope('billing:read')).not.toBeNull();
    expect((await scopeError(() => removeScope(deps(), 'nope'))).message).toContain('No custom scope');
  });

  it('a client may be allowed a registered custom scope only', async () => {
    const clientDeps = { clients: env.store.clients, clock: env.clock, knownScopes: await knownScopeNames(env.store.scopes) };
    const input = { name: 'M2M', grantTypes: ['client_credentials'], scopes: ['billing:read'], defaultScopes: [] };
    await expect(createClient(clientDeps, input)).rejects.toThrow('Unknown scope billing:read');
    await addScope(deps(), { name: 'billing:read' });
    const { client } = await createClient({ ...clientDeps, knownScopes: await knownScopeNames(env.store.scopes) }, input);
    expect(client.metadata.scopes).toEqual(['billing:read']);
  });

  it('a granted custom scope releases the claims it names, and only those', () => {
    const custom = [{ name: 'contact', description: 'Contact you', claims: ['email', 'preferred_username', 'updated_at'] }];
    expect(claimsForScopes(USER, ['openid'], custom)).toEqual({});
    expect(claimsForScopes(USER, ['openid', 'contact'], custom)).toEqual({ email: 'alice@example.test', preferred_username: 'alice', updated_at: 2 });
    expect(claimsForScopes({ ...USER, email: null }, ['contact'], custom)).toEqual({ preferred_username: 'alice', updated_at: 2 });
    expect(scopeDescription('contact', custom)).toBe('Contact you');
    expect(scopeDescription('email', custom)).toBe('See your email address');
    expect(scopeDescription('other', custom)).toBe('other');
  });

  it('a claim may name a user attribute, or map one to another claim name (CLAIM=ATTRIBUTE)', async () => {
    const added = await addScope(deps(), { name: 'org', claims: ['team', 'roles=groups', 'email'] });
    expect(added.claims).toEqual(['team', 'roles=groups', 'email']);
    const user: UserRecord = { ...USER, attributes: { team: 'red', groups: ['a', 'b'], other: 'x' } };
    expect(claimsForScopes(user, ['openid', 'org'], [added])).toEqual({ team: 'red', roles: ['a', 'b'], email: 'alice@example.test' });
    // A missing attribute is no claim at all.
    expect(claimsForScopes({ ...USER, attributes: { groups: ['a'] } }, ['org'], [added])).toEqual({ roles: ['a'], email: 'alice@example.test' });
    // The released list is a copy: a change to it leaves the user as it was.
    (claimsForScopes(user, ['org'], [added]).roles as string[]).push('c');
    expect(user.attributes.groups).toEqual(['a', 'b']);
  });

  it('refuses protected claim names, standard claims as mapping targets, bad names and a claim named twice', async () => {
    for (const claim of ['sub', 'iss', 'aud', 'nonce', 'client_id', 'scope', 'acr', 'sub=groups', 'azp=team']) {
      expect((await scopeError(() => addScope(deps(), { name: 'x', claims: [claim] }))).message).toContain('idp sets itself');
    }
    expect((await scopeError(() => addScope(deps(), { name: 'x', claims: ['email=work_email'] }))).message).toContain('profile or email claim');
    for (const claim of ['=groups', '1roles=groups', 'roles=', 'roles=bad name', 'a=b=c']) {
      expect((await scopeError(() => addScope(deps(), { name: 'x', claims: [claim] }))).message).toContain('must be a letter or _');
    }
    expect((await scopeError(() => addScope(deps(), { name: 'x', claims: ['team', 'team=squad'] }))).message).toContain('named twice');
    expect(await listScopes(env.store.scopes)).toEqual([]);
  });

  it('the cached list is reused for 10 seconds, then read again', async () => {
    const cache = new CustomScopes(env.store.scopes, env.clock);
    expect(await cache.list()).toEqual([]);
    await addScope(deps(), { name: 'later' });
    expect(await cache.list()).toEqual([]);
    env.clock.advance(10);
    expect((await cache.list()).map((scope) => scope.name)).toEqual(['later']);
  });
});
