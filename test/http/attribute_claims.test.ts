// Custom scopes that release user attributes (`idp scope add org --claim team --claim roles=groups`):
// the ID token and /userinfo carry them when the scope is granted, lists as JSON arrays, and an
// attribute the user lacks is simply absent; discovery lists the claim names.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { addScope } from '../../src/scopes/scopes.ts';
import { updateUser } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser, signInForTokens, TestBrowser, userinfoRequest } from '../helpers/oidc.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
  // Added before the first request, so the 10-second cache of custom scopes already holds it.
  await addScope(
    { scopes: app.store.scopes, clock: app.clock },
    { name: 'org', description: 'See your team and roles', claims: ['team', 'roles=groups', 'email', 'cost_center'] },
  );
  await addUser(app, 'alice', { attributes: { team: 'red', groups: ['admins', 'staff'], shoe_size: '42' } });
});
afterEach(() => app.cleanup());

async function claimsOf(scope: string, username = 'alice') {
  const rp = await addClient(app, { scopes: ['openid', 'profile', 'org'], skipConsent: true });
  const { tokens } = await signInForTokens(app, new TestBrowser(app), rp, { scope }, { username });
  const info = (await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>;
  return { idToken: decodeJwt(tokens.id_token as string) as Record<string, unknown>, info };
}

describe('attribute claims of custom scopes', () => {
  it('release team and roles (from groups, as a JSON array) in the ID token and at /userinfo', async () => {
    const { idToken, info } = await claimsOf('openid org');
    for (const claims of [idToken, info]) {
      expect(claims).toMatchObject({ team: 'red', roles: ['admins', 'staff'], email: 'alice@example.test' });
      // Mapped under roles only; an attribute no scope names is never released.
      expect(claims).not.toHaveProperty('groups');
      expect(claims).not.toHaveProperty('shoe_size');
      // The user has no cost_center: the claim is absent, not null.
      expect(claims).not.toHaveProperty('cost_center');
    }
  });

  it('releases nothing of the attributes when the scope was not granted', async () => {
    const { idToken, info } = await claimsOf('openid profile');
    for (const claims of [idToken, info]) {
      for (const claim of ['team', 'roles', 'groups']) expect(claims).not.toHaveProperty(claim);
    }
  });

  it('a user without any of the attributes gets none of their claims', async () => {
    await addUser(app, 'bob');
    const { idToken, info } = await claimsOf('openid org', 'bob');
    for (const claims of [idToken, info]) {
      expect(claims).toMatchObject({ email: 'bob@example.test' });
      for (const claim of ['team', 'roles', 'cost_center']) expect(claims).not.toHaveProperty(claim);
    }
  });

  it('a changed attribute reaches /userinfo at once', async () => {
    const rp = await addClient(app, { scopes: ['openid', 'org'], skipConsent: true });
    const { tokens } = await signInForTokens(app, new TestBrowser(app), rp, { scope: 'openid org' });
    await updateUser({ users: app.store.users, clock: app.clock }, 'alice', { attributes: { team: null, groups: ['admins'] } });
    const info = (await (await userinfoRequest(app, tokens.access_token)).json()) as Record<string, unknown>;
    expect(info.roles).toEqual(['admins']);
    expect(info).not.toHaveProperty('team');
  });

  it('discovery lists the claim names custom scopes release', async () => {
    const doc = (await (await app.request('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    const claims = doc.claims_supported as string[];
    for (const claim of ['team', 'roles', 'cost_center', 'email', 'sub']) expect(claims).toContain(claim);
    expect(claims).not.toContain('groups');
    expect(new Set(claims).size).toBe(claims.length);
  });
});
