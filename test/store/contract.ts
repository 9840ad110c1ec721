// The storage contract: every backend runs this whole suite through a factory of fresh stores.
// Tests use the Store interface only (no SQL), so that every backend is held to the same rules.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import type { ClientMetadata } from '../../src/clients/metadata.ts';
import type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  GrantRecord,
  InteractionRecord,
  RefreshTokenRecord,
  SessionRecord,
  ScopeRecord,
  SigningKeyRecord,
  Store,
  UserRecord,
} from '../../src/store/store.ts';
import { StoreError } from '../../src/store/store.ts';

export interface StoreFactory {
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

/** The clock of every test: rows expiring after NOW are live, at or before NOW expired. */
const NOW = 1_700_000_000;
const LIVE = NOW + 3600;
const EXPIRED = NOW - 60;

function keyRecord(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'RS256',
    publicJwk: JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB' }),
    sealedPrivateJwk: 'v1.iv.ciphertext',
    createdAt: 1000,
    activatesAt: 1000,
    retiredAt: null,
    ...overrides,
  };
}

function userRecord(id: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id,
    username: `user-${id}`,
    passwordHash: `$argon2id$v=19$m=65536,t=2,p=1$salt$hash-${id}`,
    email: `${id}@example.com`,
    emailVerified: true,
    profile: { name: `User ${id}`, given_name: 'Ada', family_name: 'Lovelace', locale: 'en-GB', zoneinfo: 'Europe/London' },
    attributes: { team: 'red', groups: ['admins', 'staff'] },
    disabled: false,
    createdAt: NOW - 1000,
    updatedAt: NOW - 1000,
    ...overrides,
  };
}

function clientMetadata(overrides: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    client_name: 'Example App',
    client_type: 'confidential',
    redirect_uris: ['https://app.example.com/callback', 'https://app.example.com/other?x=1'],
    post_logout_redirect_uris: ['https://app.example.com/'],
    cors_origins: ['https://app.example.com'],
    allow_wildcards: false,
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    default_scopes: ['openid', 'profile'],
    token_endpoint_auth_method: 'client_secret_basic',
    skip_consent: false,
    access_token_format: 'jwt',
    audiences: ['https://api.example.com', 'https://other.example.com'],
    id_token_signed_response_alg: 'ES256',
    allow_insecure_redirect_uris: false,
    ...overrides,
  };
}

function clientRecord(id: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id,
    secretHash: `sha256-of-secret-${id}`,
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    metadata: clientMetadata(),
    createdAt: NOW - 1000,
    updatedAt: NOW - 1000,
    ...overrides,
  };
}

function sessionRecord(idHash: string, userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash,
    sid: `sid-${idHash}`,
    userId,
    authTime: NOW - 10,
    amr: ['pwd'],
    createdAt: NOW - 10,
    expiresAt: LIVE,
    ...overrides,
  };
}

function interactionRecord(idHash: string, overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    idHash,
    browserHash: `browser-${idHash}`,
    request: JSON.stringify({ client_id: 'app', redirect_uri: 'https://app.example.com/callback', scope: 'openid' }),
    userId: null,
    loginAt: null,
    createdAt: NOW - 10,
    expiresAt: LIVE,
    ...overrides,
  };
}

function deviceCodeRecord(hash: string, userCode: string, clientId: string, overrides: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord {
  return {
    deviceCodeHash: hash,
    userCode,
    clientId,
    scope: 'openid profile',
    status: 'pending',
    userId: null,
    sid: null,
    authTime: null,
    pollInterval: 5,
    lastPolledAt: null,
    createdAt: NOW - 10,
    expiresAt: LIVE,
    ...overrides,
  };
}

function grantRecord(id: string, userId: string, clientId: string, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id,
    userId,
    clientId,
    scope: 'openid profile offline_access',
    sid: `sid-of-${id}`,
    authTime: NOW - 20,
    createdAt: NOW - 20,
    expiresAt: LIVE,
    revokedAt: null,
    ...overrides,
  };
}

function codeRecord(codeHash: string, grant: GrantRecord, overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    codeHash,
    grantId: grant.id,
    clientId: grant.clientId,
    redirectUri: 'https://app.example.com/callback',
    scope: grant.scope,
    nonce: 'n-0S6_WzA2Mj',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    createdAt: NOW - 5,
    expiresAt: NOW + 60,
    consumedAt: null,
    ...overrides,
  };
}

function accessTokenRecord(tokenHash: string, grant: GrantRecord, overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  return {
    tokenHash,
    grantId: grant.id,
    clientId: grant.clientId,
    userId: grant.userId,
    scope: grant.scope,
    claims: null,
    createdAt: NOW - 5,
    expiresAt: NOW + 600,
    ...overrides,
  };
}

function refreshTokenRecord(tokenHash: string, grant: GrantRecord, overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    tokenHash,
    grantId: grant.id,
    clientId: grant.clientId,
    userId: grant.userId ?? 'no-user',
    scope: grant.scope,
    createdAt: NOW - 5,
    expiresAt: LIVE,
    rotatedAt: null,
    ...overrides,
  };
}

/** The rows that hang off one grant: a code, an access token and a refresh token. */
interface IssuedTokens {
  code: AuthorizationCodeRecord;
  accessToken: AccessTokenRecord;
  refreshToken: RefreshTokenRecord;
}

async function issueTokens(store: Store, grant: GrantRecord): Promise<IssuedTokens> {
  const issued: IssuedTokens = {
    code: codeRecord(`code-${grant.id}`, grant),
    accessToken: accessTokenRecord(`at-${grant.id}`, grant),
    refreshToken: refreshTokenRecord(`rt-${grant.id}`, grant),
  };
  await store.tokens.insertAuthorizationCode(issued.code);
  await store.tokens.insertAccessToken(issued.accessToken);
  await store.tokens.insertRefreshToken(issued.refreshToken);
  return issued;
}

/** A grant for the user and client (inserted), with a code, an access token and a refresh token. */
async function grantWithTokens(store: Store, id: string, userId: string, clientId: string): Promise<IssuedTokens & { grant: GrantRecord }> {
  const grant = grantRecord(id, userId, clientId);
  await store.tokens.insertGrant(grant);
  return { grant, ...(await issueTokens(store, grant)) };
}

async function expectTokensPresent(store: Store, issued: IssuedTokens): Promise<void> {
  expect(await store.tokens.findAuthorizationCode(issued.code.codeHash)).toEqual(issued.code);
  expect(await store.tokens.findAccessToken(issued.accessToken.tokenHash)).toEqual(issued.accessToken);
  expect(await store.tokens.findRefreshToken(issued.refreshToken.tokenHash)).toEqual(issued.refreshToken);
}

async function expectTokensGone(store: Store, issued: IssuedTokens): Promise<void> {
  expect(await store.tokens.findAuthorizationCode(issued.code.codeHash)).toBeNull();
  expect(await store.tokens.findAccessToken(issued.accessToken.tokenHash)).toBeNull();
  expect(await store.tokens.findRefreshToken(issued.refreshToken.tokenHash)).toBeNull();
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

function byId<T extends { id: string }>(records: T[]): T[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Runs `count` calls at once and returns how many answered true. */
async function trueCount(count: number, call: () => Promise<boolean>): Promise<number> {
  const results = await Promise.all(Array.from({ length: count }, call));
  return results.filter((result) => result).length;
}

export function storeContract(backend: string, factory: StoreFactory): void {
  describe(`storage contract: ${backend}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
    });
    afterEach(async () => cleanup());

    it('starts at the latest schema version', async () => {
      const status = await store.schemaStatus();
      expect(status.current).toBe(status.latest);
      expect(status.latest).toBeGreaterThan(0);
    });

    it('answers ping while open', async () => {
      expect(await store.ping()).toBeUndefined();
    });

    describe('signing keys', () => {
      it('stores and returns a signing key unchanged', async () => {
        const record = keyRecord('k1', { alg: 'ES256', createdAt: 5, activatesAt: 605 });
        await store.keys.insertSigningKey(record);
        expect(await store.keys.getSigningKey('k1')).toEqual(record);
        expect(await store.keys.listSigningKeys()).toEqual([record]);
      });

      it('returns null for an unknown kid', async () => {
        expect(await store.keys.getSigningKey('nope')).toBeNull();
      });

      it('refuses a duplicate kid with conflict', async () => {
        await store.keys.insertSigningKey(keyRecord('k1'));
        expect((await storeError(store.keys.insertSigningKey(keyRecord('k1')))).code).toBe('conflict');
      });

      it('lists keys in insertion order, even within one second', async () => {
        await store.keys.insertSigningKey(keyRecord('b'));
        await store.keys.insertSigningKey(keyRecord('c'));
        await store.keys.insertSigningKey(keyRecord('a'));
        expect((await store.keys.listSigningKeys()).map((key) => key.kid)).toEqual(['b', 'c', 'a']);
      });

      it('retires a key once and keeps its first retirement time', async () => {
        await store.keys.insertSigningKey(keyRecord('k1'));
        await store.keys.retireSigningKey('k1', 2000);
        await store.keys.retireSigningKey('k1', 3000);
        expect((await store.keys.getSigningKey('k1'))?.retiredAt).toBe(2000);
      });

      it('answers not_found when retiring an unknown kid', async () => {
        expect((await storeError(store.keys.retireSigningKey('nope', 1))).code).toBe('not_found');
      });

      it('stores initial keys, in order, only while the store holds no key', async () => {
        expect(await store.keys.insertInitialSigningKeys([keyRecord('rs'), keyRecord('es', { alg: 'ES256' })])).toBe(true);
        expect(await store.keys.insertInitialSigningKeys([keyRecord('other')])).toBe(false);
        expect((await store.keys.listSigningKeys()).map((key) => key.kid)).toEqual(['rs', 'es']);
      });

      it('stores no initial keys when a key exists, even a retired one', async () => {
        await store.keys.insertSigningKey(keyRecord('old'));
        await store.keys.retireSigningKey('old', 2000);
        expect(await store.keys.insertInitialSigningKeys([keyRecord('new')])).toBe(false);
        expect((await store.keys.listSigningKeys()).map((key) => key.kid)).toEqual(['old']);
      });
    });

    describe('users', () => {
      it('stores a user and returns it unchanged by id', async () => {
        const user = userRecord('u1');
        await store.users.insertUser(user);
        expect(await store.users.getUser('u1')).toEqual(user);
      });

      it('round-trips nulls, false flags and an empty profile', async () => {
        const user = userRecord('u1', { passwordHash: null, email: null, emailVerified: false, disabled: true, profile: {} });
        await store.users.insertUser(user);
        expect(await store.users.getUser('u1')).toEqual(user);
      });

      it('returns null for an unknown user id', async () => {
        expect(await store.users.getUser('nope')).toBeNull();
      });

      it('finds a user by username case-insensitively', async () => {
        const user = userRecord('u1', { username: 'Alice' });
        await store.users.insertUser(user);
        expect(await store.users.findUserByUsername('Alice')).toEqual(user);
        expect(await store.users.findUserByUsername('alice')).toEqual(user);
        expect(await store.users.findUserByUsername('ALICE')).toEqual(user);
      });

      it('returns null for an unknown username', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        expect(await store.users.findUserByUsername('bob')).toBeNull();
        expect(await store.users.findUserByUsername('alic')).toBeNull();
      });

      it('refuses a username taken case-insensitively with conflict', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        expect((await storeError(store.users.insertUser(userRecord('u2', { username: 'ALICE' })))).code).toBe('conflict');
        expect(await store.users.getUser('u2')).toBeNull();
      });

      it('lists every user', async () => {
        const users = [userRecord('u1', { username: 'carol' }), userRecord('u2', { username: 'alice' }), userRecord('u3', { username: 'bob' })];
        for (const user of users) await store.users.insertUser(user);
        expect(byId(await store.users.listUsers())).toEqual(byId(users));
      });

      it('lists no users in an empty store', async () => {
        expect(await store.users.listUsers()).toEqual([]);
      });

      it('updates every field but id and createdAt', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        const changed: UserRecord = {
          id: 'u1',
          username: 'alice2',
          passwordHash: null,
          email: 'new@example.com',
          emailVerified: false,
          profile: { name: 'Alice Two', picture: 'https://example.com/a.png' },
          attributes: { team: 'blue' },
          disabled: true,
          createdAt: 1,
          updatedAt: NOW,
        };
        await store.users.updateUser(changed);
        expect(await store.users.getUser('u1')).toEqual({ ...changed, createdAt: NOW - 1000 });
      });

      it('changes a username: the new name finds the user, the old one no longer does', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        await store.users.updateUser(userRecord('u1', { username: 'alicia' }));
        expect((await store.users.findUserByUsername('ALICIA'))?.id).toBe('u1');
        expect(await store.users.findUserByUsername('alice')).toBeNull();
        // The freed name can be taken by someone else.
        await store.users.insertUser(userRecord('u2', { username: 'Alice' }));
        expect((await store.users.findUserByUsername('alice'))?.id).toBe('u2');
      });

      it('lets a user change the case of its own username (not a conflict)', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        await store.users.updateUser(userRecord('u1', { username: 'Alice' }));
        expect((await store.users.getUser('u1'))?.username).toBe('Alice');
      });

      it('refuses to update to a username taken case-insensitively with conflict, changing nothing', async () => {
        const alice = userRecord('u1', { username: 'alice' });
        await store.users.insertUser(alice);
        await store.users.insertUser(userRecord('u2', { username: 'bob' }));
        const error = await storeError(store.users.updateUser(userRecord('u1', { username: 'BOB', email: 'x@example.com' })));
        expect(error.code).toBe('conflict');
        expect(await store.users.getUser('u1')).toEqual(alice);
      });

      it('answers not_found when updating an unknown user', async () => {
        expect((await storeError(store.users.updateUser(userRecord('nope')))).code).toBe('not_found');
        expect(await store.users.getUser('nope')).toBeNull();
      });

      it('deletes a user', async () => {
        await store.users.insertUser(userRecord('u1', { username: 'alice' }));
        await store.users.insertUser(userRecord('u2', { username: 'bob' }));
        await store.users.deleteUser('u1');
        expect(await store.users.getUser('u1')).toBeNull();
        expect(await store.users.findUserByUsername('alice')).toBeNull();
        expect((await store.users.listUsers()).map((user) => user.id)).toEqual(['u2']);
      });

      it('answers not_found when deleting an unknown user', async () => {
        expect((await storeError(store.users.deleteUser('nope'))).code).toBe('not_found');
      });

      it("deleting a user removes its sessions, consents, grants and the grants' codes and tokens, and nobody else's", async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.users.insertUser(userRecord('u2'));
        await store.clients.insertClient(clientRecord('app'));
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.sessions.insertSession(sessionRecord('s2', 'u2'));
        await store.consents.saveConsent('u1', 'app', 'openid', NOW);
        await store.consents.saveConsent('u2', 'app', 'openid email', NOW);
        const gone = await grantWithTokens(store, 'g1', 'u1', 'app');
        const kept = await grantWithTokens(store, 'g2', 'u2', 'app');

        await store.users.deleteUser('u1');

        expect(await store.sessions.findSession('s1', NOW)).toBeNull();
        expect(await store.consents.getConsent('u1', 'app')).toBeNull();
        expect(await store.tokens.getGrant('g1')).toBeNull();
        await expectTokensGone(store, gone);

        expect(await store.sessions.findSession('s2', NOW)).toEqual(sessionRecord('s2', 'u2'));
        expect(await store.consents.getConsent('u2', 'app')).toBe('openid email');
        expect(await store.tokens.getGrant('g2')).toEqual(kept.grant);
        await expectTokensPresent(store, kept);
        expect(await store.clients.getClient('app')).not.toBeNull();
      });
    });

    describe('clients', () => {
      it('stores a client and returns it unchanged, its full metadata deep-equal', async () => {
        const client = clientRecord('app');
        await store.clients.insertClient(client);
        expect(await store.clients.getClient('app')).toEqual(client);
      });

      it('round-trips a public client: null secret, null token format, empty lists, true flags', async () => {
        const client = clientRecord('spa', {
          secretHash: null,
          metadata: clientMetadata({
            client_name: 'Single-page app ✓',
            client_type: 'public',
            redirect_uris: ['http://app.internal:8080/cb'],
            grant_types: ['authorization_code'],
            default_scopes: [],
            token_endpoint_auth_method: 'none',
            skip_consent: true,
            access_token_format: null,
            audiences: [],
            id_token_signed_response_alg: 'EdDSA',
            allow_insecure_redirect_uris: true,
          }),
        });
        await store.clients.insertClient(client);
        expect(await store.clients.getClient('spa')).toEqual(client);
      });

      it('returns null for an unknown client id', async () => {
        expect(await store.clients.getClient('nope')).toBeNull();
      });

      it('refuses a duplicate client id with conflict, keeping the first', async () => {
        const first = clientRecord('app');
        await store.clients.insertClient(first);
        const second = clientRecord('app', { metadata: clientMetadata({ client_name: 'Impostor' }) });
        expect((await storeError(store.clients.insertClient(second))).code).toBe('conflict');
        expect(await store.clients.getClient('app')).toEqual(first);
      });

      it('lists every client', async () => {
        const clients = [
          clientRecord('b', { createdAt: NOW - 5 }),
          clientRecord('a', { createdAt: NOW - 1 }),
          clientRecord('c', { secretHash: null, metadata: clientMetadata({ client_type: 'public' }) }),
        ];
        for (const client of clients) await store.clients.insertClient(client);
        expect(byId(await store.clients.listClients())).toEqual(byId(clients));
      });

      it('lists no clients in an empty store', async () => {
        expect(await store.clients.listClients()).toEqual([]);
      });

      it('updates secretHash, metadata and updatedAt, keeping createdAt', async () => {
        await store.clients.insertClient(clientRecord('app'));
        const changed = clientRecord('app', {
          secretHash: 'sha256-of-new-secret',
          metadata: clientMetadata({ client_name: 'Renamed', redirect_uris: ['https://new.example.com/cb'], skip_consent: true }),
          createdAt: 1,
          updatedAt: NOW,
        });
        await store.clients.updateClient(changed);
        expect(await store.clients.getClient('app')).toEqual({ ...changed, createdAt: NOW - 1000 });
      });

      it('round-trips previousSecretHash and previousSecretExpiresAt on insert and update, and clears them to null', async () => {
        const rotated = clientRecord('app', { previousSecretHash: 'sha256-of-old-secret', previousSecretExpiresAt: NOW + 300 });
        await store.clients.insertClient(rotated);
        expect(await store.clients.getClient('app')).toEqual(rotated);

        const again = { ...rotated, secretHash: 'sha256-of-newest', previousSecretHash: 'sha256-of-new', previousSecretExpiresAt: NOW + 900, updatedAt: NOW };
        await store.clients.updateClient(again);
        expect(await store.clients.getClient('app')).toEqual(again);

        const cleared = { ...again, previousSecretHash: null, previousSecretExpiresAt: null, updatedAt: NOW + 1 };
        await store.clients.updateClient(cleared);
        expect(await store.clients.getClient('app')).toEqual(cleared);
        expect((await store.clients.listClients())[0]).toEqual(cleared);
      });

      it('answers not_found when updating an unknown client', async () => {
        expect((await storeError(store.clients.updateClient(clientRecord('nope')))).code).toBe('not_found');
        expect(await store.clients.getClient('nope')).toBeNull();
      });

      it('deletes a client', async () => {
        await store.clients.insertClient(clientRecord('a'));
        await store.clients.insertClient(clientRecord('b'));
        await store.clients.deleteClient('a');
        expect(await store.clients.getClient('a')).toBeNull();
        expect((await store.clients.listClients()).map((client) => client.id)).toEqual(['b']);
      });

      it('answers not_found when deleting an unknown client', async () => {
        expect((await storeError(store.clients.deleteClient('nope'))).code).toBe('not_found');
      });

      it("deleting a client removes its consents, grants and the grants' codes and tokens, and no other client's", async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.clients.insertClient(clientRecord('a'));
        await store.clients.insertClient(clientRecord('b'));
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.consents.saveConsent('u1', 'a', 'openid', NOW);
        await store.consents.saveConsent('u1', 'b', 'openid profile', NOW);
        const gone = await grantWithTokens(store, 'ga', 'u1', 'a');
        const kept = await grantWithTokens(store, 'gb', 'u1', 'b');

        await store.clients.deleteClient('a');

        expect(await store.consents.getConsent('u1', 'a')).toBeNull();
        expect(await store.tokens.getGrant('ga')).toBeNull();
        await expectTokensGone(store, gone);

        expect(await store.consents.getConsent('u1', 'b')).toBe('openid profile');
        expect(await store.tokens.getGrant('gb')).toEqual(kept.grant);
        await expectTokensPresent(store, kept);
        expect(await store.users.getUser('u1')).not.toBeNull();
        expect(await store.sessions.findSession('s1', NOW)).not.toBeNull();
      });
    });

    describe('custom scopes', () => {
      const scopeRecord = (name: string, overrides: Partial<ScopeRecord> = {}): ScopeRecord => ({
        name,
        description: `Scope ${name} ✓`,
        claims: ['email', 'name'],
        createdAt: NOW,
        ...overrides,
      });

      it('stores a scope and returns it unchanged; an unknown name is null', async () => {
        await store.scopes.insertScope(scopeRecord('billing:read'));
        expect(await store.scopes.getScope('billing:read')).toEqual(scopeRecord('billing:read'));
        expect(await store.scopes.getScope('billing:write')).toBeNull();
      });

      it('refuses a second scope of the same name with conflict', async () => {
        await store.scopes.insertScope(scopeRecord('reports'));
        expect((await storeError(store.scopes.insertScope(scopeRecord('reports', { claims: [] })))).code).toBe('conflict');
        expect((await store.scopes.getScope('reports'))?.claims).toEqual(['email', 'name']);
      });

      it('lists scopes by name, an empty claim list included', async () => {
        await store.scopes.insertScope(scopeRecord('zeta', { claims: [] }));
        await store.scopes.insertScope(scopeRecord('alpha'));
        expect(await store.scopes.listScopes()).toEqual([scopeRecord('alpha'), scopeRecord('zeta', { claims: [] })]);
      });

      it('deletes a scope; deleting an unknown one is not_found', async () => {
        await store.scopes.insertScope(scopeRecord('gone'));
        await store.scopes.deleteScope('gone');
        expect(await store.scopes.getScope('gone')).toBeNull();
        expect((await storeError(store.scopes.deleteScope('gone'))).code).toBe('not_found');
      });
    });

    describe('sessions', () => {
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
      });

      it('finds a live session unchanged', async () => {
        const session = sessionRecord('s1', 'u1', { amr: ['pwd', 'otp'] });
        await store.sessions.insertSession(session);
        expect(await store.sessions.findSession('s1', NOW)).toEqual(session);
      });

      it('finds a session only while expiresAt > now', async () => {
        await store.sessions.insertSession(sessionRecord('s1', 'u1', { expiresAt: NOW }));
        expect(await store.sessions.findSession('s1', NOW - 1)).not.toBeNull();
        expect(await store.sessions.findSession('s1', NOW)).toBeNull();
        expect(await store.sessions.findSession('s1', NOW + 1)).toBeNull();
      });

      it('returns null for an unknown session', async () => {
        expect(await store.sessions.findSession('nope', NOW)).toBeNull();
      });

      it('deletes a session, leaving others', async () => {
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.sessions.insertSession(sessionRecord('s2', 'u1'));
        await store.sessions.deleteSession('s1');
        expect(await store.sessions.findSession('s1', NOW)).toBeNull();
        expect(await store.sessions.findSession('s2', NOW)).not.toBeNull();
      });

      it("deleteSessionsOfUser ends every session of the user, returns how many, and leaves other users' sessions", async () => {
        await store.users.insertUser(userRecord('u2'));
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.sessions.insertSession(sessionRecord('s2', 'u1'));
        await store.sessions.insertSession(sessionRecord('s3', 'u2'));

        expect(await store.sessions.deleteSessionsOfUser('u1')).toBe(2);

        expect(await store.sessions.findSession('s1', NOW)).toBeNull();
        expect(await store.sessions.findSession('s2', NOW)).toBeNull();
        expect(await store.sessions.findSession('s3', NOW)).toEqual(sessionRecord('s3', 'u2'));
      });

      it('deleteSessionsOfUser returns 0 for a user without sessions (and for an unknown user)', async () => {
        expect(await store.sessions.deleteSessionsOfUser('u1')).toBe(0);
        expect(await store.sessions.deleteSessionsOfUser('nope')).toBe(0);
      });

      it('countActiveSessions counts the sessions live at now (expiresAt > now), of every user', async () => {
        expect(await store.sessions.countActiveSessions(NOW)).toBe(0);
        await store.users.insertUser(userRecord('u2'));
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.sessions.insertSession(sessionRecord('s2', 'u2'));
        await store.sessions.insertSession(sessionRecord('s3', 'u1', { expiresAt: NOW }));
        await store.sessions.insertSession(sessionRecord('s4', 'u2', { expiresAt: EXPIRED }));
        expect(await store.sessions.countActiveSessions(NOW)).toBe(2);
        expect(await store.sessions.countActiveSessions(NOW - 1)).toBe(3);
        expect(await store.sessions.countActiveSessions(LIVE)).toBe(0);
        await store.sessions.deleteSession('s1');
        expect(await store.sessions.countActiveSessions(NOW)).toBe(1);
      });
    });

    describe('consents', () => {
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.users.insertUser(userRecord('u2'));
        await store.clients.insertClient(clientRecord('a'));
        await store.clients.insertClient(clientRecord('b'));
      });

      it('returns null when the user never granted the client anything', async () => {
        expect(await store.consents.getConsent('u1', 'a')).toBeNull();
      });

      it('returns the saved scopes for that user and client only', async () => {
        await store.consents.saveConsent('u1', 'a', 'openid profile', NOW);
        expect(await store.consents.getConsent('u1', 'a')).toBe('openid profile');
        expect(await store.consents.getConsent('u1', 'b')).toBeNull();
        expect(await store.consents.getConsent('u2', 'a')).toBeNull();
      });

      it('replaces the scopes when saved again', async () => {
        await store.consents.saveConsent('u1', 'a', 'openid profile email', NOW);
        await store.consents.saveConsent('u1', 'a', 'openid', NOW + 1);
        expect(await store.consents.getConsent('u1', 'a')).toBe('openid');
      });
    });

    describe('interactions', () => {
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
      });

      it('finds a live interaction unchanged', async () => {
        const interaction = interactionRecord('i1');
        await store.interactions.insertInteraction(interaction);
        expect(await store.interactions.findInteraction('i1', NOW)).toEqual(interaction);
      });

      it('finds an interaction only while expiresAt > now', async () => {
        await store.interactions.insertInteraction(interactionRecord('i1', { expiresAt: NOW }));
        expect(await store.interactions.findInteraction('i1', NOW - 1)).not.toBeNull();
        expect(await store.interactions.findInteraction('i1', NOW)).toBeNull();
        expect(await store.interactions.findInteraction('i1', NOW + 1)).toBeNull();
      });

      it('returns null for an unknown interaction', async () => {
        expect(await store.interactions.findInteraction('nope', NOW)).toBeNull();
      });

      it('records the login: sets userId and loginAt, leaving the rest', async () => {
        const interaction = interactionRecord('i1');
        await store.interactions.insertInteraction(interaction);
        await store.interactions.recordInteractionLogin('i1', 'u1', NOW + 5);
        expect(await store.interactions.findInteraction('i1', NOW)).toEqual({ ...interaction, userId: 'u1', loginAt: NOW + 5 });
      });

      it('deletes an interaction, leaving others', async () => {
        await store.interactions.insertInteraction(interactionRecord('i1'));
        await store.interactions.insertInteraction(interactionRecord('i2'));
        await store.interactions.deleteInteraction('i1');
        expect(await store.interactions.findInteraction('i1', NOW)).toBeNull();
        expect(await store.interactions.findInteraction('i2', NOW)).not.toBeNull();
      });
    });

    describe('grants, codes and tokens', () => {
      let grant: GrantRecord;
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.clients.insertClient(clientRecord('app'));
        grant = grantRecord('g1', 'u1', 'app');
        await store.tokens.insertGrant(grant);
      });

      it('stores a grant and returns it unchanged', async () => {
        expect(await store.tokens.getGrant('g1')).toEqual(grant);
        const bare = grantRecord('g2', 'u1', 'app', { sid: null, scope: 'openid' });
        await store.tokens.insertGrant(bare);
        expect(await store.tokens.getGrant('g2')).toEqual(bare);
      });

      it('returns null for an unknown grant', async () => {
        expect(await store.tokens.getGrant('nope')).toBeNull();
      });

      it('stores an authorization code and returns it unchanged', async () => {
        const code = codeRecord('c1', grant);
        await store.tokens.insertAuthorizationCode(code);
        expect(await store.tokens.findAuthorizationCode('c1')).toEqual(code);
        const plain = codeRecord('c2', grant, { nonce: null, codeChallenge: null, codeChallengeMethod: null });
        await store.tokens.insertAuthorizationCode(plain);
        expect(await store.tokens.findAuthorizationCode('c2')).toEqual(plain);
      });

      it('returns null for an unknown authorization code', async () => {
        expect(await store.tokens.findAuthorizationCode('nope')).toBeNull();
      });

      it('consumes an authorization code exactly once: true, then false, keeping the first consumedAt', async () => {
        await store.tokens.insertAuthorizationCode(codeRecord('c1', grant));
        expect(await store.tokens.consumeAuthorizationCode('c1', NOW + 1)).toBe(true);
        expect(await store.tokens.consumeAuthorizationCode('c1', NOW + 2)).toBe(false);
        expect((await store.tokens.findAuthorizationCode('c1'))?.consumedAt).toBe(NOW + 1);
      });

      it('consumes an authorization code for exactly one of 5 concurrent callers', async () => {
        await store.tokens.insertAuthorizationCode(codeRecord('c1', grant));
        expect(await trueCount(5, () => store.tokens.consumeAuthorizationCode('c1', NOW + 1))).toBe(1);
        expect((await store.tokens.findAuthorizationCode('c1'))?.consumedAt).toBe(NOW + 1);
      });

      it('consuming one code leaves other codes unconsumed', async () => {
        await store.tokens.insertAuthorizationCode(codeRecord('c1', grant));
        await store.tokens.insertAuthorizationCode(codeRecord('c2', grant));
        expect(await store.tokens.consumeAuthorizationCode('c1', NOW + 1)).toBe(true);
        expect((await store.tokens.findAuthorizationCode('c2'))?.consumedAt).toBeNull();
        expect(await store.tokens.consumeAuthorizationCode('c2', NOW + 1)).toBe(true);
      });

      it('stores an access token and returns it unchanged', async () => {
        const token = accessTokenRecord('at1', grant);
        await store.tokens.insertAccessToken(token);
        expect(await store.tokens.findAccessToken('at1')).toEqual(token);
        expect(await store.tokens.findAccessToken('nope')).toBeNull();
        const withClaims = accessTokenRecord('at-claims', grant, { claims: { tenant: 'acme', roles: ['a', 'b'], level: 3 } });
        await store.tokens.insertAccessToken(withClaims);
        expect(await store.tokens.findAccessToken('at-claims')).toEqual(withClaims);
      });

      it('stores a refresh token and returns it unchanged', async () => {
        const token = refreshTokenRecord('rt1', grant);
        await store.tokens.insertRefreshToken(token);
        expect(await store.tokens.findRefreshToken('rt1')).toEqual(token);
        expect(await store.tokens.findRefreshToken('nope')).toBeNull();
      });

      it('keeps access and refresh tokens apart: a hash of one kind is not found as the other', async () => {
        await store.tokens.insertAccessToken(accessTokenRecord('at1', grant));
        await store.tokens.insertRefreshToken(refreshTokenRecord('rt1', grant));
        expect(await store.tokens.findRefreshToken('at1')).toBeNull();
        expect(await store.tokens.findAccessToken('rt1')).toBeNull();
      });

      it('marks a refresh token rotated exactly once: true, then false, keeping the first rotatedAt', async () => {
        await store.tokens.insertRefreshToken(refreshTokenRecord('rt1', grant));
        expect(await store.tokens.markRefreshTokenRotated('rt1', NOW + 1)).toBe(true);
        expect(await store.tokens.markRefreshTokenRotated('rt1', NOW + 2)).toBe(false);
        expect((await store.tokens.findRefreshToken('rt1'))?.rotatedAt).toBe(NOW + 1);
      });

      it('marks a refresh token rotated for exactly one of 5 concurrent callers', async () => {
        await store.tokens.insertRefreshToken(refreshTokenRecord('rt1', grant));
        expect(await trueCount(5, () => store.tokens.markRefreshTokenRotated('rt1', NOW + 1))).toBe(1);
        expect((await store.tokens.findRefreshToken('rt1'))?.rotatedAt).toBe(NOW + 1);
      });

      it('revoking a grant sets revokedAt and deletes its codes, access and refresh tokens, not another grant\'s', async () => {
        const issued = await issueTokens(store, grant);
        const other = await grantWithTokens(store, 'g2', 'u1', 'app');

        await store.tokens.revokeGrant('g1', NOW + 7);

        expect(await store.tokens.getGrant('g1')).toEqual({ ...grant, revokedAt: NOW + 7 });
        await expectTokensGone(store, issued);
        expect(await store.tokens.getGrant('g2')).toEqual(other.grant);
        await expectTokensPresent(store, other);
      });

      describe('grants of a user or a client', () => {
        // g1 (u1, app, NOW - 20) comes from the outer beforeEach; these add older, newer, dead and foreign grants.
        beforeEach(async () => {
          await store.users.insertUser(userRecord('u2'));
          await store.clients.insertClient(clientRecord('other'));
          await store.tokens.insertGrant(grantRecord('g-older', 'u1', 'app', { createdAt: NOW - 30 }));
          await store.tokens.insertGrant(grantRecord('g-other-client', 'u1', 'other', { createdAt: NOW - 10 }));
          await store.tokens.insertGrant(grantRecord('g-other-user', 'u2', 'app', { createdAt: NOW - 5 }));
          await store.tokens.insertGrant(grantRecord('g-revoked', 'u1', 'app', { createdAt: NOW - 25, revokedAt: NOW - 1 }));
          await store.tokens.insertGrant(grantRecord('g-expired', 'u1', 'app', { createdAt: NOW - 25, expiresAt: NOW }));
        });

        it("listGrants answers the owner's live grants (not revoked, expiresAt > now), oldest first, unchanged", async () => {
          const ids = (grants: GrantRecord[]) => grants.map((g) => g.id);
          expect(ids(await store.tokens.listGrants({ userId: 'u1' }, NOW))).toEqual(['g-older', 'g1', 'g-other-client']);
          expect(ids(await store.tokens.listGrants({ clientId: 'app' }, NOW))).toEqual(['g-older', 'g1', 'g-other-user']);
          expect((await store.tokens.listGrants({ clientId: 'other' }, NOW))[0]).toEqual(
            grantRecord('g-other-client', 'u1', 'other', { createdAt: NOW - 10 }),
          );
          // One second earlier, the grant expiring at NOW is still live.
          expect(ids(await store.tokens.listGrants({ userId: 'u1' }, NOW - 1))).toContain('g-expired');
        });

        it('listGrants answers an empty list for an owner without grants', async () => {
          expect(await store.tokens.listGrants({ userId: 'nope' }, NOW)).toEqual([]);
          expect(await store.tokens.listGrants({ clientId: 'nope' }, NOW)).toEqual([]);
        });

        it("revokeGrantsOf a user revokes its live grants with their codes and tokens, counts them, and leaves others' grants", async () => {
          const mine = await issueTokens(store, grant);
          const otherUser = await issueTokens(store, (await store.tokens.getGrant('g-other-user')) as GrantRecord);

          expect(await store.tokens.revokeGrantsOf({ userId: 'u1' }, NOW + 3)).toBe(3);

          for (const id of ['g1', 'g-older', 'g-other-client']) expect((await store.tokens.getGrant(id))?.revokedAt).toBe(NOW + 3);
          await expectTokensGone(store, mine);
          // Already revoked grants keep their first revocation time.
          expect((await store.tokens.getGrant('g-revoked'))?.revokedAt).toBe(NOW - 1);
          expect((await store.tokens.getGrant('g-other-user'))?.revokedAt).toBeNull();
          await expectTokensPresent(store, otherUser);
          expect(await store.tokens.listGrants({ userId: 'u1' }, NOW)).toEqual([]);
        });

        it("revokeGrantsOf a client revokes its live grants with their codes and tokens, counts them, and leaves other clients' grants", async () => {
          const mine = await issueTokens(store, grant);
          const otherClient = await issueTokens(store, (await store.tokens.getGrant('g-other-client')) as GrantRecord);

          expect(await store.tokens.revokeGrantsOf({ clientId: 'app' }, NOW + 3)).toBe(3);

          for (const id of ['g1', 'g-older', 'g-other-user']) expect((await store.tokens.getGrant(id))?.revokedAt).toBe(NOW + 3);
          await expectTokensGone(store, mine);
          expect((await store.tokens.getGrant('g-other-client'))?.revokedAt).toBeNull();
          await expectTokensPresent(store, otherClient);
        });

        it('revokeGrantsOf returns 0 when nothing is live: a second call, or an owner without grants', async () => {
          expect(await store.tokens.revokeGrantsOf({ userId: 'u1' }, NOW)).toBe(3);
          expect(await store.tokens.revokeGrantsOf({ userId: 'u1' }, NOW + 1)).toBe(0);
          expect(await store.tokens.revokeGrantsOf({ clientId: 'nope' }, NOW)).toBe(0);
        });
      });

      it('deleteAccessToken deletes one access token: true once, then false; the grant and its other tokens stay', async () => {
        const issued = await issueTokens(store, grant);
        const sibling = accessTokenRecord('at-sibling', grant);
        await store.tokens.insertAccessToken(sibling);

        expect(await store.tokens.deleteAccessToken(issued.accessToken.tokenHash)).toBe(true);
        expect(await store.tokens.deleteAccessToken(issued.accessToken.tokenHash)).toBe(false);

        expect(await store.tokens.findAccessToken(issued.accessToken.tokenHash)).toBeNull();
        expect(await store.tokens.findAccessToken('at-sibling')).toEqual(sibling);
        expect(await store.tokens.findRefreshToken(issued.refreshToken.tokenHash)).toEqual(issued.refreshToken);
        expect(await store.tokens.getGrant('g1')).toEqual(grant);
      });

      it('deleteAccessToken answers false for an unknown digest and for a refresh token digest, deleting nothing', async () => {
        const issued = await issueTokens(store, grant);
        expect(await store.tokens.deleteAccessToken('nope')).toBe(false);
        expect(await store.tokens.deleteAccessToken(issued.refreshToken.tokenHash)).toBe(false);
        await expectTokensPresent(store, issued);
      });

      it('extends a grant to a later expiry', async () => {
        await store.tokens.extendGrant('g1', LIVE + 1000);
        expect(await store.tokens.getGrant('g1')).toEqual({ ...grant, expiresAt: LIVE + 1000 });
      });

      it('never shortens a grant: an earlier expiry is ignored', async () => {
        await store.tokens.extendGrant('g1', LIVE - 1000);
        expect((await store.tokens.getGrant('g1'))?.expiresAt).toBe(LIVE);
      });

      describe('recordIssued (one token response, one transaction)', () => {
        it('stores a new grant (client_credentials) with its access token and extends it', async () => {
          const ccGrant = grantRecord('g-cc', 'u1', 'app', { userId: null, sid: null, scope: 'api', expiresAt: NOW + 100 });
          const token = accessTokenRecord('at-cc', ccGrant, { claims: { tenant: 'acme' } });
          await store.tokens.recordIssued({ grant: ccGrant, accessToken: token, grantExpiresAt: NOW + 600 });
          expect(await store.tokens.getGrant('g-cc')).toEqual({ ...ccGrant, expiresAt: NOW + 600 });
          expect(await store.tokens.findAccessToken('at-cc')).toEqual(token);
        });

        it('stores an access and a refresh token under an existing grant and extends the grant', async () => {
          const access = accessTokenRecord('at-new', grant);
          const refresh = refreshTokenRecord('rt-new', grant, { expiresAt: LIVE + 1000 });
          await store.tokens.recordIssued({ accessToken: access, refreshToken: refresh, grantExpiresAt: LIVE + 1000 });
          expect(await store.tokens.findAccessToken('at-new')).toEqual(access);
          expect(await store.tokens.findRefreshToken('rt-new')).toEqual(refresh);
          expect(await store.tokens.getGrant('g1')).toEqual({ ...grant, expiresAt: LIVE + 1000 });
        });

        it('never shortens the grant: an earlier grantExpiresAt is ignored, the tokens are still stored', async () => {
          const access = accessTokenRecord('at-new', grant);
          await store.tokens.recordIssued({ accessToken: access, grantExpiresAt: LIVE - 1000 });
          expect((await store.tokens.getGrant('g1'))?.expiresAt).toBe(LIVE);
          expect(await store.tokens.findAccessToken('at-new')).toEqual(access);
        });

        it('is atomic: a duplicate refresh token is a conflict and leaves neither the grant, the access token nor the extension', async () => {
          await store.tokens.insertRefreshToken(refreshTokenRecord('rt-dup', grant));
          const ccGrant = grantRecord('g-new', 'u1', 'app', { expiresAt: NOW + 100 });
          const error = await store.tokens
            .recordIssued({
              grant: ccGrant,
              accessToken: accessTokenRecord('at-new', ccGrant),
              refreshToken: refreshTokenRecord('rt-dup', ccGrant),
              grantExpiresAt: LIVE + 1000,
            })
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoreError);
          expect((error as StoreError).code).toBe('conflict');
          expect(await store.tokens.getGrant('g-new')).toBeNull();
          expect(await store.tokens.findAccessToken('at-new')).toBeNull();
          expect((await store.tokens.findRefreshToken('rt-dup'))?.grantId).toBe('g1');
        });

        it('is atomic under an existing grant: on a failed refresh insert the access token is not kept and the grant not extended', async () => {
          await store.tokens.insertRefreshToken(refreshTokenRecord('rt-dup', grant));
          const error = await store.tokens
            .recordIssued({
              accessToken: accessTokenRecord('at-new', grant),
              refreshToken: refreshTokenRecord('rt-dup', grant),
              grantExpiresAt: LIVE + 1000,
            })
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StoreError);
          expect(await store.tokens.findAccessToken('at-new')).toBeNull();
          expect(await store.tokens.getGrant('g1')).toEqual(grant);
        });
      });
    });

    describe('device codes (RFC 8628)', () => {
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.clients.insertClient(clientRecord('c1'));
      });

      it('stores a device code and finds it by digest, and by user code while live', async () => {
        const code = deviceCodeRecord('d1', 'BDWPHQPK', 'c1');
        await store.devices.insertDeviceCode(code);
        expect(await store.devices.findByDeviceCodeHash('d1')).toEqual(code);
        expect(await store.devices.findByUserCode('BDWPHQPK', NOW)).toEqual(code);
        expect(await store.devices.findByUserCode('BDWPHQPK', LIVE)).toBeNull();
        expect(await store.devices.findByDeviceCodeHash('nope')).toBeNull();
        expect(await store.devices.findByUserCode('ZZZZZZZZ', NOW)).toBeNull();
      });

      it('refuses a second code with the same user code as a conflict', async () => {
        await store.devices.insertDeviceCode(deviceCodeRecord('d1', 'BDWPHQPK', 'c1'));
        const error = await store.devices.insertDeviceCode(deviceCodeRecord('d2', 'BDWPHQPK', 'c1')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).code).toBe('conflict');
      });

      it('approve records the user, session and auth time once; consume is true exactly once', async () => {
        await store.devices.insertDeviceCode(deviceCodeRecord('d1', 'BDWPHQPK', 'c1'));
        expect(await store.devices.consume('d1')).toBe(false);
        expect(await store.devices.approve('d1', 'u1', 'sid-1', NOW - 5, NOW)).toBe(true);
        expect(await store.devices.approve('d1', 'u1', 'sid-1', NOW - 5, NOW)).toBe(false);
        expect(await store.devices.deny('d1', NOW)).toBe(false);
        const approved = await store.devices.findByDeviceCodeHash('d1');
        expect(approved).toMatchObject({ status: 'approved', userId: 'u1', sid: 'sid-1', authTime: NOW - 5 });
        expect(await store.devices.consume('d1')).toBe(true);
        expect(await store.devices.consume('d1')).toBe(false);
        expect((await store.devices.findByDeviceCodeHash('d1'))?.status).toBe('consumed');
      });

      it('deny moves a pending code to denied; neither answer applies to an expired code', async () => {
        await store.devices.insertDeviceCode(deviceCodeRecord('d1', 'BDWPHQPK', 'c1'));
        await store.devices.insertDeviceCode(deviceCodeRecord('d2', 'CDWPHQPK', 'c1', { expiresAt: NOW }));
        expect(await store.devices.deny('d1', NOW)).toBe(true);
        expect((await store.devices.findByDeviceCodeHash('d1'))?.status).toBe('denied');
        expect(await store.devices.approve('d1', 'u1', 'sid-1', NOW, NOW)).toBe(false);
        expect(await store.devices.approve('d2', 'u1', 'sid-1', NOW, NOW)).toBe(false);
        expect(await store.devices.deny('d2', NOW)).toBe(false);
      });

      it('recordPoll: the first poll is never early; a poll sooner than the interval is, and grows it by 5', async () => {
        await store.devices.insertDeviceCode(deviceCodeRecord('d1', 'BDWPHQPK', 'c1'));
        expect(await store.devices.recordPoll('d1', NOW)).toBe(false);
        expect(await store.devices.recordPoll('d1', NOW + 5)).toBe(false);
        expect(await store.devices.recordPoll('d1', NOW + 9)).toBe(true);
        expect(await store.devices.findByDeviceCodeHash('d1')).toMatchObject({ pollInterval: 10, lastPolledAt: NOW + 9 });
        expect(await store.devices.recordPoll('d1', NOW + 18)).toBe(true);
        expect((await store.devices.findByDeviceCodeHash('d1'))?.pollInterval).toBe(15);
        expect(await store.devices.recordPoll('d1', NOW + 33)).toBe(false);
        expect(await store.devices.findByDeviceCodeHash('d1')).toMatchObject({ pollInterval: 15, lastPolledAt: NOW + 33 });
      });

      it('removing the client removes its device codes', async () => {
        await store.devices.insertDeviceCode(deviceCodeRecord('d1', 'BDWPHQPK', 'c1'));
        await store.clients.deleteClient('c1');
        expect(await store.devices.findByDeviceCodeHash('d1')).toBeNull();
      });
    });

    describe('rate limits', () => {
      it('counts hits in a fixed window per key, and starts again after it', async () => {
        expect(await store.rateLimits.hit('k1', 60, NOW)).toBe(1);
        expect(await store.rateLimits.hit('k1', 60, NOW + 10)).toBe(2);
        expect(await store.rateLimits.hit('k2', 60, NOW + 10)).toBe(1);
        expect(await store.rateLimits.hit('k1', 60, NOW + 59)).toBe(3);
        expect(await store.rateLimits.hit('k1', 60, NOW + 60)).toBe(1);
        expect(await store.rateLimits.hit('k1', 60, NOW + 61)).toBe(2);
      });

      it('peek shows a live counter (count, window start, expiry) without counting, and null once it has ended', async () => {
        expect(await store.rateLimits.peek('k1', NOW)).toBeNull();
        await store.rateLimits.hit('k1', 60, NOW);
        await store.rateLimits.hit('k1', 60, NOW + 10);
        const live = { count: 2, windowStart: NOW, expiresAt: NOW + 60 };
        expect(await store.rateLimits.peek('k1', NOW + 10)).toEqual(live);
        expect(await store.rateLimits.peek('k1', NOW + 59)).toEqual(live);
        expect(await store.rateLimits.peek('k1', NOW + 60)).toBeNull();
        expect(await store.rateLimits.peek('k2', NOW)).toBeNull();
      });

      it('recordFailure counts in a window that slides to the last failure, and starts again after it', async () => {
        expect(await store.rateLimits.recordFailure('f', 100, NOW)).toBe(1);
        expect(await store.rateLimits.recordFailure('f', 100, NOW + 90)).toBe(2);
        // Still counting 150 seconds after the first failure: the window moved to the second.
        expect(await store.rateLimits.recordFailure('f', 100, NOW + 150)).toBe(3);
        expect(await store.rateLimits.peek('f', NOW + 150)).toEqual({ count: 3, windowStart: NOW + 150, expiresAt: NOW + 250 });
        expect(await store.rateLimits.peek('f', NOW + 250)).toBeNull();
        expect(await store.rateLimits.recordFailure('f', 100, NOW + 250)).toBe(1);
        expect(await store.rateLimits.peek('f', NOW + 250)).toEqual({ count: 1, windowStart: NOW + 250, expiresAt: NOW + 350 });
      });

      it('reset forgets one key only, and a key without a counter is fine', async () => {
        await store.rateLimits.recordFailure('a', 100, NOW);
        await store.rateLimits.recordFailure('b', 100, NOW);
        await store.rateLimits.reset('a');
        await store.rateLimits.reset('never-counted');
        expect(await store.rateLimits.peek('a', NOW)).toBeNull();
        expect(await store.rateLimits.peek('b', NOW)).toEqual({ count: 1, windowStart: NOW, expiresAt: NOW + 100 });
        expect(await store.rateLimits.recordFailure('a', 100, NOW + 1)).toBe(1);
      });

      it('ended counters are purged (expires_at <= now) with the other expired rows', async () => {
        await store.rateLimits.recordFailure('old', 100, NOW - 100);
        await store.rateLimits.hit('old-hit', 60, NOW - 60);
        await store.rateLimits.recordFailure('live', 100, NOW);
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(2);
        // Gone for good: an earlier `now` does not bring them back.
        expect(await store.rateLimits.peek('old', NOW - 100)).toBeNull();
        expect(await store.rateLimits.peek('old-hit', NOW - 60)).toBeNull();
        expect(await store.rateLimits.peek('live', NOW)).not.toBeNull();
      });
    });

    describe('maintenance', () => {
      beforeEach(async () => {
        await store.users.insertUser(userRecord('u1'));
        await store.clients.insertClient(clientRecord('app'));
      });

      it('purges expired codes, tokens, sessions, interactions and grants (expiresAt <= now), keeps live ones, and counts them', async () => {
        const live = grantRecord('live', 'u1', 'app');
        await store.tokens.insertGrant(live);
        // Expired grants have no rows under them, so that the count is exactly the rows purged directly.
        await store.tokens.insertGrant(grantRecord('expired', 'u1', 'app', { expiresAt: EXPIRED }));
        await store.tokens.insertGrant(grantRecord('at-now', 'u1', 'app', { expiresAt: NOW }));

        await store.tokens.insertAuthorizationCode(codeRecord('c-live', live));
        await store.tokens.insertAuthorizationCode(codeRecord('c-expired', live, { expiresAt: EXPIRED }));
        await store.tokens.insertAuthorizationCode(codeRecord('c-now', live, { expiresAt: NOW }));
        await store.tokens.insertAccessToken(accessTokenRecord('at-live', live));
        await store.tokens.insertAccessToken(accessTokenRecord('at-expired', live, { expiresAt: EXPIRED }));
        await store.tokens.insertRefreshToken(refreshTokenRecord('rt-live', live));
        await store.tokens.insertRefreshToken(refreshTokenRecord('rt-expired', live, { expiresAt: NOW }));
        await store.sessions.insertSession(sessionRecord('s-live', 'u1'));
        await store.sessions.insertSession(sessionRecord('s-expired', 'u1', { expiresAt: EXPIRED }));
        await store.interactions.insertInteraction(interactionRecord('i-live'));
        await store.interactions.insertInteraction(interactionRecord('i-expired', { expiresAt: NOW }));

        expect(await store.maintenance.purgeExpired(NOW, 100)).toBe(8);

        expect(await store.tokens.getGrant('expired')).toBeNull();
        expect(await store.tokens.getGrant('at-now')).toBeNull();
        expect(await store.tokens.findAuthorizationCode('c-expired')).toBeNull();
        expect(await store.tokens.findAuthorizationCode('c-now')).toBeNull();
        expect(await store.tokens.findAccessToken('at-expired')).toBeNull();
        expect(await store.tokens.findRefreshToken('rt-expired')).toBeNull();
        // Expired sessions and interactions are invisible at NOW; an earlier `now` shows they are really gone.
        expect(await store.sessions.findSession('s-expired', EXPIRED - 1)).toBeNull();
        expect(await store.interactions.findInteraction('i-expired', EXPIRED)).toBeNull();

        expect(await store.tokens.getGrant('live')).toEqual(live);
        expect(await store.tokens.findAuthorizationCode('c-live')).not.toBeNull();
        expect(await store.tokens.findAccessToken('at-live')).not.toBeNull();
        expect(await store.tokens.findRefreshToken('rt-live')).not.toBeNull();
        expect(await store.sessions.findSession('s-live', NOW)).not.toBeNull();
        expect(await store.interactions.findInteraction('i-live', NOW)).not.toBeNull();

        expect(await store.maintenance.purgeExpired(NOW, 100)).toBe(0);
      });

      it('purges nothing and returns 0 when nothing has expired', async () => {
        const live = grantRecord('live', 'u1', 'app');
        await store.tokens.insertGrant(live);
        await issueTokens(store, live);
        await store.sessions.insertSession(sessionRecord('s1', 'u1'));
        await store.interactions.insertInteraction(interactionRecord('i1'));
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(0);
        expect(await store.tokens.getGrant('live')).toEqual(live);
      });

      it('purges every expired row across batches (25 of each kind, batchSize 10)', async () => {
        const rows = 25;
        const live = grantRecord('live', 'u1', 'app');
        await store.tokens.insertGrant(live);
        for (let i = 0; i < rows; i++) {
          const expiresAt = NOW - i;
          await store.tokens.insertGrant(grantRecord(`g${i}`, 'u1', 'app', { expiresAt }));
          await store.tokens.insertAuthorizationCode(codeRecord(`c${i}`, live, { expiresAt }));
          await store.tokens.insertAccessToken(accessTokenRecord(`at${i}`, live, { expiresAt }));
          await store.tokens.insertRefreshToken(refreshTokenRecord(`rt${i}`, live, { expiresAt }));
          await store.sessions.insertSession(sessionRecord(`s${i}`, 'u1', { expiresAt }));
          await store.interactions.insertInteraction(interactionRecord(`i${i}`, { expiresAt }));
        }
        await store.sessions.insertSession(sessionRecord('s-live', 'u1'));

        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(rows * 6);

        for (let i = 0; i < rows; i++) {
          expect(await store.tokens.getGrant(`g${i}`)).toBeNull();
          expect(await store.tokens.findAuthorizationCode(`c${i}`)).toBeNull();
          expect(await store.tokens.findAccessToken(`at${i}`)).toBeNull();
          expect(await store.tokens.findRefreshToken(`rt${i}`)).toBeNull();
          expect(await store.sessions.findSession(`s${i}`, 0)).toBeNull();
          expect(await store.interactions.findInteraction(`i${i}`, 0)).toBeNull();
        }
        expect(await store.tokens.getGrant('live')).toEqual(live);
        expect(await store.sessions.findSession('s-live', NOW)).not.toBeNull();
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(0);
      });

      it('purges a backlog that is an exact multiple of batchSize', async () => {
        for (let i = 0; i < 20; i++) {
          await store.sessions.insertSession(sessionRecord(`s${i}`, 'u1', { expiresAt: EXPIRED }));
        }
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(20);
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(0);
      });
    });

    describe('audit log', () => {
      const event = (at: number, type: string, userId: string | null, clientId: string | null, details: Record<string, unknown> = {}) => ({
        at,
        type,
        userId,
        clientId,
        details,
      });

      it('appends events with increasing ids and returns them oldest first', async () => {
        await store.audit.append(event(NOW - 30, 'login.succeeded', 'u1', 'c1', { ip: '127.0.0.1', amr: ['pwd'] }));
        await store.audit.append(event(NOW - 20, 'token.issued', 'u1', 'c1', { grant_type: 'authorization_code' }));
        await store.audit.append(event(NOW - 10, 'key.rotated', null, null, { kid: 'k2' }));
        const all = await store.audit.list({ limit: 10 });
        expect(all.map((e) => e.type)).toEqual(['login.succeeded', 'token.issued', 'key.rotated']);
        expect(all[0]).toEqual({ id: all[0]!.id, ...event(NOW - 30, 'login.succeeded', 'u1', 'c1', { ip: '127.0.0.1', amr: ['pwd'] }) });
        expect(all[0]!.id).toBeLessThan(all[1]!.id);
        expect(all[1]!.id).toBeLessThan(all[2]!.id);
      });

      it('filters by time, user and client, and keeps the newest when limited', async () => {
        await store.audit.append(event(NOW - 30, 'login.failed', 'u1', null));
        await store.audit.append(event(NOW - 20, 'token.issued', 'u1', 'c1'));
        await store.audit.append(event(NOW - 15, 'token.issued', 'u2', 'c2'));
        await store.audit.append(event(NOW - 10, 'token.revoked', 'u1', 'c2'));
        expect((await store.audit.list({ since: NOW - 20, limit: 10 })).map((e) => e.at)).toEqual([NOW - 20, NOW - 15, NOW - 10]);
        expect((await store.audit.list({ userId: 'u1', limit: 10 })).map((e) => e.type)).toEqual(['login.failed', 'token.issued', 'token.revoked']);
        expect((await store.audit.list({ clientId: 'c2', limit: 10 })).map((e) => e.userId)).toEqual(['u2', 'u1']);
        expect((await store.audit.list({ userId: 'u1', clientId: 'c2', limit: 10 })).map((e) => e.type)).toEqual(['token.revoked']);
        expect((await store.audit.list({ limit: 2 })).map((e) => e.at)).toEqual([NOW - 15, NOW - 10]);
        expect(await store.audit.list({ userId: 'nobody', limit: 10 })).toEqual([]);
      });

      it('keeps events about users that were removed, and purging leaves it alone', async () => {
        await store.users.insertUser(userRecord('gone'));
        await store.audit.append(event(EXPIRED, 'user.created', 'gone', null));
        await store.users.deleteUser('gone');
        expect(await store.maintenance.purgeExpired(NOW, 10)).toBe(0);
        expect((await store.audit.list({ userId: 'gone', limit: 10 })).map((e) => e.type)).toEqual(['user.created']);
      });

      it('deletes events older than the retention, in batches', async () => {
        for (let i = 0; i < 5; i++) await store.audit.append(event(NOW - 100 + i, 'login.failed', 'u1', null));
        await store.audit.append(event(NOW, 'login.succeeded', 'u1', null));
        expect(await store.audit.deleteOlderThan(NOW - 50, 3)).toBe(3);
        expect(await store.audit.deleteOlderThan(NOW - 50, 3)).toBe(2);
        expect(await store.audit.deleteOlderThan(NOW - 50, 3)).toBe(0);
        expect((await store.audit.list({ limit: 10 })).map((e) => e.type)).toEqual(['login.succeeded']);
      });
    });
  });
}
