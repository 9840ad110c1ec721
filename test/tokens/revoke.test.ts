// Operator revocation over the real app: one token, every grant of a client or a user (with the
// user's sessions), listing live grants, removal cascades, and client secret rotation with a grace.
// "Stops working" is checked where it matters: /userinfo for access tokens, /token for refresh tokens.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { removeClient, rotateClientSecret } from '../../src/clients/clients.ts';
import type { UserRecord } from '../../src/store/store.ts';
import { listGrants, revokeToken, revokeTokensOfClient, revokeTokensOfUser } from '../../src/tokens/revoke.ts';
import { hashToken } from '../../src/tokens/secret.ts';
import { removeUser } from '../../src/users/users.ts';
import { testApp, type TestApp } from '../helpers/app.ts';
import {
  addClient,
  addUser,
  authorizePath,
  location,
  refreshRequest,
  type RegisteredClient,
  signInForTokens,
  TestBrowser,
  type TokenJson,
  tokenRequest,
  userinfoRequest,
} from '../helpers/oidc.ts';

let app: TestApp;
let alice: UserRecord;
let bob: UserRecord;
let rp: RegisteredClient;
let other: RegisteredClient;

beforeEach(async () => {
  app = await testApp();
  alice = await addUser(app, 'alice');
  bob = await addUser(app, 'bob');
  rp = await addClient(app, { name: 'Web app' });
  other = await addClient(app, { name: 'Other app' });
});
afterEach(() => app.cleanup());

const deps = () => ({ store: app.store, clock: app.clock });

/** Signs `username` in with a fresh browser (one new session) and returns the browser and the tokens. */
async function signIn(registered: RegisteredClient, username = 'alice', browser = new TestBrowser(app)) {
  const { tokens } = await signInForTokens(app, browser, registered, {}, { username });
  if (!tokens.refresh_token) throw new Error('expected a refresh token');
  return { browser, tokens: tokens as TokenJson & { refresh_token: string } };
}

async function grantIdOf(tokens: TokenJson): Promise<string> {
  const record = await app.store.tokens.findAccessToken(hashToken(tokens.access_token));
  if (!record) throw new Error('access token not stored');
  return record.grantId;
}

async function expectAccessWorks(tokens: TokenJson): Promise<void> {
  expect((await userinfoRequest(app, tokens.access_token)).status).toBe(200);
}

async function expectAccessRefused(tokens: TokenJson): Promise<void> {
  const response = await userinfoRequest(app, tokens.access_token);
  expect(response.status).toBe(401);
  expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
}

/** Refreshes with `tokens` (spending its refresh token) and returns the new tokens. */
async function expectRefreshWorks(registered: RegisteredClient, tokens: { refresh_token: string }): Promise<TokenJson> {
  const response = await refreshRequest(app, registered, tokens.refresh_token);
  expect(response.status).toBe(200);
  return (await response.json()) as TokenJson;
}

async function expectRefreshRefused(registered: RegisteredClient, tokens: { refresh_token: string }): Promise<void> {
  const response = await refreshRequest(app, registered, tokens.refresh_token);
  expect({ status: response.status, error: ((await response.json()) as { error: string }).error }).toEqual({ status: 400, error: 'invalid_grant' });
}

/** The browser goes to the login page again instead of getting a code. */
async function expectSignedOut(browser: TestBrowser, registered: RegisteredClient): Promise<void> {
  const response = await browser.get(
    authorizePath({ client_id: registered.client.id, redirect_uri: 'https://rp.example.test/callback', response_type: 'code', scope: 'openid', state: 's' }),
  );
  expect(location(response)).toStartWith('/login');
}

describe('revokeToken', () => {
  it('a refresh token revokes its grant: the refresh token fails at /token and the access token at /userinfo', async () => {
    const { tokens } = await signIn(rp);
    const grantId = await grantIdOf(tokens);

    expect(await revokeToken(deps(), tokens.refresh_token)).toBe('refresh_token');

    await expectRefreshRefused(rp, tokens);
    await expectAccessRefused(tokens);
    expect((await app.store.tokens.getGrant(grantId))?.revokedAt).not.toBeNull();
  });

  it('a rotated (already exchanged) refresh token still revokes its grant, the newest tokens included', async () => {
    const { tokens } = await signIn(rp);
    const newest = await expectRefreshWorks(rp, tokens);

    expect(await revokeToken(deps(), tokens.refresh_token)).toBe('refresh_token');

    await expectAccessRefused(newest);
    await expectRefreshRefused(rp, newest as TokenJson & { refresh_token: string });
  });

  it('an access token is deleted alone: it fails at /userinfo, while the refresh token of its grant still works', async () => {
    const { tokens } = await signIn(rp);

    expect(await revokeToken(deps(), tokens.access_token)).toBe('access_token');

    await expectAccessRefused(tokens);
    const refreshed = await expectRefreshWorks(rp, tokens);
    await expectAccessWorks(refreshed);
  });

  it('a JWT access token is revoked like an opaque one: it fails at /userinfo', async () => {
    const jwtClient = await addClient(app, { name: 'JWT app', tokenFormat: 'jwt' });
    const { tokens } = await signIn(jwtClient);
    expect(tokens.access_token.split('.')).toHaveLength(3);

    expect(await revokeToken(deps(), tokens.access_token)).toBe('access_token');

    await expectAccessRefused(tokens);
  });

  it('an unknown token answers null and revokes nothing', async () => {
    const { tokens } = await signIn(rp);

    expect(await revokeToken(deps(), 'not-a-token-anyone-was-given')).toBeNull();

    await expectAccessWorks(tokens);
    await expectRefreshWorks(rp, tokens);
  });

  it('revoking the same token twice answers null the second time', async () => {
    const { tokens } = await signIn(rp);
    expect(await revokeToken(deps(), tokens.access_token)).toBe('access_token');
    expect(await revokeToken(deps(), tokens.access_token)).toBeNull();
  });
});

describe('revokeTokensOfClient', () => {
  it("revokes every live grant of the client, of every user, counting them, and leaves other clients' tokens working", async () => {
    const aliceRp = await signIn(rp, 'alice');
    const bobRp = await signIn(rp, 'bob');
    const aliceOther = await signIn(other, 'alice', aliceRp.browser);

    expect(await revokeTokensOfClient(deps(), rp.client.id)).toEqual({ grants: 2, sessions: 0 });

    for (const { tokens } of [aliceRp, bobRp]) {
      await expectAccessRefused(tokens);
      await expectRefreshRefused(rp, tokens);
    }
    await expectAccessWorks(aliceOther.tokens);
    await expectRefreshWorks(other, aliceOther.tokens);
    expect(await listGrants(deps(), { clientId: rp.client.id })).toEqual([]);
  });

  it('ends no session: the users stay signed in', async () => {
    const { browser } = await signIn(rp, 'alice');
    await revokeTokensOfClient(deps(), rp.client.id);
    // Signed in and consent remembered: a new code comes straight back.
    const { tokens } = await signInForTokens(app, browser, rp);
    await expectAccessWorks(tokens);
  });

  it('answers zero grants for a client without any', async () => {
    expect(await revokeTokensOfClient(deps(), other.client.id)).toEqual({ grants: 0, sessions: 0 });
  });
});

describe('revokeTokensOfUser', () => {
  it("revokes every live grant of the user at every client and ends every session, counting both; other users' tokens keep working", async () => {
    const first = await signIn(rp, 'alice');
    const second = await signIn(other, 'alice'); // a second browser: a second session
    const bobs = await signIn(rp, 'bob');

    expect(await revokeTokensOfUser(deps(), alice.id)).toEqual({ grants: 2, sessions: 2 });

    await expectAccessRefused(first.tokens);
    await expectRefreshRefused(rp, first.tokens);
    await expectAccessRefused(second.tokens);
    await expectRefreshRefused(other, second.tokens);
    await expectSignedOut(first.browser, rp);
    await expectSignedOut(second.browser, other);

    await expectAccessWorks(bobs.tokens);
    await expectRefreshWorks(rp, bobs.tokens);
    expect((await listGrants(deps(), { userId: bob.id })).length).toBe(1);
  });

  it('answers zeros for a user who never signed in', async () => {
    expect(await revokeTokensOfUser(deps(), bob.id)).toEqual({ grants: 0, sessions: 0 });
  });
});

describe('listGrants', () => {
  it('lists the live grants of a user or a client, oldest first, and no longer lists revoked ones', async () => {
    const first = await signIn(rp, 'alice');
    app.clock.advance(10);
    const second = await signIn(other, 'alice', first.browser);
    await signIn(rp, 'bob');

    const ofAlice = await listGrants(deps(), { userId: alice.id });
    expect(ofAlice.map((grant) => grant.id)).toEqual([await grantIdOf(first.tokens), await grantIdOf(second.tokens)]);
    expect(ofAlice.map((grant) => grant.clientId)).toEqual([rp.client.id, other.client.id]);
    expect(ofAlice[0]).toMatchObject({ userId: alice.id, scope: 'openid profile email offline_access', revokedAt: null });
    expect((await listGrants(deps(), { clientId: rp.client.id })).map((grant) => grant.userId).sort()).toEqual([alice.id, bob.id].sort());

    await revokeToken(deps(), first.tokens.refresh_token);
    expect((await listGrants(deps(), { userId: alice.id })).map((grant) => grant.id)).toEqual([await grantIdOf(second.tokens)]);
  });

  it('does not list grants that have expired', async () => {
    await signIn(rp, 'alice');
    app.clock.advance(app.config.refresh_token_ttl + 1);
    expect(await listGrants(deps(), { userId: alice.id })).toEqual([]);
  });
});

describe('removal cascades', () => {
  it("removing a client makes its tokens stop working and leaves other clients' tokens", async () => {
    const gone = await signIn(rp, 'alice');
    const kept = await signIn(other, 'alice', gone.browser);

    await removeClient({ clients: app.store.clients, clock: app.clock }, rp.client.id);

    await expectAccessRefused(gone.tokens);
    expect(await app.store.tokens.findRefreshToken(hashToken(gone.tokens.refresh_token))).toBeNull();
    await expectAccessWorks(kept.tokens);
  });

  it("removing a user makes the user's tokens stop working and ends the user's sessions", async () => {
    const gone = await signIn(rp, 'alice');
    const kept = await signIn(rp, 'bob');

    await removeUser({ users: app.store.users, clock: app.clock }, 'alice');

    await expectAccessRefused(gone.tokens);
    await expectRefreshRefused(rp, gone.tokens);
    expect(await app.store.sessions.deleteSessionsOfUser(alice.id)).toBe(0);
    await expectAccessWorks(kept.tokens);
  });
});

describe('client secret rotation', () => {
  const clientDeps = () => ({ clients: app.store.clients, clock: app.clock });
  /** An authenticated token request without a grant_type: 400 invalid_request once authenticated, 401 invalid_client otherwise. */
  async function authenticates(registered: RegisteredClient, secret: string): Promise<boolean> {
    const response = await tokenRequest(app, {}, `Basic ${Buffer.from(`${registered.client.id}:${secret}`).toString('base64')}`);
    const { error } = (await response.json()) as { error: string };
    if (response.status === 401) {
      expect(error).toBe('invalid_client');
      return false;
    }
    expect({ status: response.status, error }).toEqual({ status: 400, error: 'invalid_request' });
    return true;
  }

  it('without a grace the previous secret stops working at once, and no previous secret is kept', async () => {
    const old = rp.secret as string;
    const { client, secret } = await rotateClientSecret(clientDeps(), rp.client.id);

    expect(await authenticates(rp, old)).toBe(false);
    expect(await authenticates(rp, secret as string)).toBe(true);
    expect(client).toMatchObject({ previousSecretHash: null, previousSecretExpiresAt: null });
    expect(await app.store.clients.getClient(rp.client.id)).toMatchObject({ previousSecretHash: null, previousSecretExpiresAt: null });
  });

  it('with a grace the previous secret keeps working until now + grace, then is invalid_client; the new one works throughout', async () => {
    const old = rp.secret as string;
    const { tokens } = await signIn(rp);
    const { secret } = await rotateClientSecret(clientDeps(), rp.client.id, 300);
    const newest = { ...rp, secret };

    // A whole refresh with the old secret still works during the grace.
    const refreshed = await expectRefreshWorks(rp, tokens);
    expect(await authenticates(rp, old)).toBe(true);
    app.clock.advance(299);
    expect(await authenticates(rp, old)).toBe(true);
    app.clock.advance(1);
    expect(await authenticates(rp, old)).toBe(false);
    const refused = await refreshRequest(app, rp, refreshed.refresh_token as string);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');

    expect(await authenticates(newest, secret as string)).toBe(true);
    await expectRefreshWorks(newest, refreshed as TokenJson & { refresh_token: string });
  });

  it('stores the previous secret as its digest with its expiry', async () => {
    const old = rp.secret as string;
    const now = Math.floor(app.clock() / 1000);
    await rotateClientSecret(clientDeps(), rp.client.id, 60);
    expect(await app.store.clients.getClient(rp.client.id)).toMatchObject({ previousSecretHash: hashToken(old), previousSecretExpiresAt: now + 60 });
  });

  it('a second rotation keeps only the secret it replaces: the one from two rotations ago stops at once', async () => {
    const first = rp.secret as string;
    const { secret: second } = await rotateClientSecret(clientDeps(), rp.client.id, 300);
    const { secret: third } = await rotateClientSecret(clientDeps(), rp.client.id, 300);

    expect(await authenticates(rp, first)).toBe(false);
    expect(await authenticates(rp, second as string)).toBe(true);
    expect(await authenticates(rp, third as string)).toBe(true);
  });

  it('a rotation without a grace after one with a grace ends the grace at once', async () => {
    const old = rp.secret as string;
    await rotateClientSecret(clientDeps(), rp.client.id, 300);
    const { secret } = await rotateClientSecret(clientDeps(), rp.client.id);
    expect(await authenticates(rp, old)).toBe(false);
    expect(await authenticates(rp, secret as string)).toBe(true);
  });

  it('refuses a negative or fractional grace, changing nothing', async () => {
    for (const grace of [-1, 1.5, Number.NaN]) {
      await expect(rotateClientSecret(clientDeps(), rp.client.id, grace)).rejects.toThrow('whole number of seconds');
    }
    expect(await authenticates(rp, rp.secret as string)).toBe(true);
  });

  it('the previous secret of another client is not accepted for this one', async () => {
    const old = rp.secret as string;
    await rotateClientSecret(clientDeps(), rp.client.id, 300);
    expect(await authenticates(other, old)).toBe(false);
  });
});
