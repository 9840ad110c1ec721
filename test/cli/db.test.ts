// `idp db status | migrate | copy`, and the migration policy of `idp serve`. SQLite runs everywhere;
// the PostgreSQL cases need IDP_TEST_DATABASE_URL (see test/helpers/postgres.ts).
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/postgres.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import type { Store } from '../../src/store/store.ts';
import { asRecord, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';
import { createTestDatabase, RUN_POSTGRES_TESTS, type TestDatabase } from '../helpers/postgres.ts';

const sandbox = useSandbox();
const NOW = 1_700_000_000;
const ALL_MIGRATIONS = SQLITE_MIGRATIONS.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);

const db = (dataDir: string, args: string[], env: Record<string, string> = {}) => runIdp(['db', ...args, '--data-dir', dataDir], { env });

/** An installation made through the CLI (keys sealed with its secret, an argon2 password), plus
 * rows of every other kind written through the store, so that a copy has everything to carry. */
async function richInstallation(): Promise<{ dataDir: string; path: string }> {
  const dataDir = await sandbox.initDataDir();
  expectJson(await runIdp(['keys', 'rotate', '--json', '--alg', 'ES256', '--data-dir', dataDir]));
  const user = await runIdp(['user', 'add', '--username', 'Alice', '--email', 'alice@example.com', '--password-stdin', '--data-dir', dataDir], {
    stdin: 'correct horse battery staple\n',
  });
  expect(user.exitCode).toBe(0);
  const client = await runIdp(['client', 'add', '--name', 'App ✓', '--redirect-uri', 'http://localhost:3000/cb', '--data-dir', dataDir]);
  expect(client.exitCode).toBe(0);
  const scope = await runIdp(['scope', 'add', 'billing:read', '--description', 'Read invoices', '--claim', 'email', '--data-dir', dataDir]);
  expect(scope.exitCode).toBe(0);

  const path = join(dataDir, 'idp.db');
  const store = openSqliteStore(path);
  try {
    const [alice] = await store.users.listUsers();
    const [app] = await store.clients.listClients();
    if (!alice || !app) throw new Error('fixture: no user or client');
    await store.users.updateUser({ ...alice, attributes: { groups: ['a', 'b'], team: 'red' }, profile: { name: 'Alice Ä' }, emailVerified: true });
    await store.sessions.insertSession({ idHash: 's1', sid: 'sid1', userId: alice.id, authTime: NOW, amr: ['pwd'], createdAt: NOW, expiresAt: NOW * 2 });
    await store.consents.saveConsent(alice.id, app.id, 'openid email', NOW);
    await store.interactions.insertInteraction({
      idHash: 'i1', browserHash: 'b1', request: '{"z":1,"a":[2]}', userId: alice.id, loginAt: NOW, createdAt: NOW, expiresAt: NOW * 2,
    });
    // Grants created in the same second: only insertion order tells them apart.
    for (const id of ['g-b', 'g-a', 'g-c']) {
      await store.tokens.insertGrant({
        id, userId: alice.id, clientId: app.id, scope: 'openid', sid: 'sid1', authTime: NOW, createdAt: NOW, expiresAt: NOW * 2, revokedAt: null,
      });
    }
    await store.tokens.insertGrant({
      id: 'g-cc', userId: null, clientId: app.id, scope: 'api', sid: null, authTime: NOW, createdAt: NOW, expiresAt: NOW * 2, revokedAt: null,
    });
    await store.tokens.insertAuthorizationCode({
      codeHash: 'c1', grantId: 'g-b', clientId: app.id, redirectUri: 'http://localhost:3000/cb', scope: 'openid', nonce: 'n',
      codeChallenge: 'x', codeChallengeMethod: 'S256', createdAt: NOW, expiresAt: NOW * 2, consumedAt: NOW + 1,
    });
    await store.tokens.insertAccessToken({
      tokenHash: 'at1', grantId: 'g-b', clientId: app.id, userId: alice.id, scope: 'openid', claims: { tenant: 'acme', n: 3 }, createdAt: NOW, expiresAt: NOW * 2,
    });
    await store.tokens.insertAccessToken({
      tokenHash: 'at-cc', grantId: 'g-cc', clientId: app.id, userId: null, scope: 'api', claims: null, createdAt: NOW, expiresAt: NOW * 2,
    });
    await store.tokens.insertRefreshToken({
      tokenHash: 'rt1', grantId: 'g-b', clientId: app.id, userId: alice.id, scope: 'openid', createdAt: NOW, expiresAt: NOW * 2, rotatedAt: NOW + 2,
    });
    await store.tokens.revokeGrant('g-c', NOW + 3);
    await store.devices.insertDeviceCode({
      deviceCodeHash: 'd1', userCode: 'BDWPHQPK', clientId: app.id, scope: 'openid', status: 'pending', userId: null, sid: null, authTime: null,
      pollInterval: 5, lastPolledAt: null, createdAt: NOW, expiresAt: NOW * 2,
    });
    await store.devices.approve('d1', alice.id, 'sid1', NOW, NOW);
    await store.devices.recordPoll('d1', NOW);
    await store.rateLimits.hit('device:x', 60, NOW);
    await store.audit.append({ at: NOW, type: 'login.failed', userId: alice.id, clientId: null, details: { ip: '127.0.0.1', amr: [] } });
    await store.audit.deleteOlderThan(NOW - 1, 1); // leaves a gap in the ids: copies must keep them, not renumber.
  } finally {
    await store.close();
  }
  return { dataDir, path };
}

/** Everything the Store interface can read back about the fixture. */
async function contents(store: Store) {
  const users = await store.users.listUsers();
  const clients = await store.clients.listClients();
  const alice = users[0]?.id ?? '';
  const app = clients[0]?.id ?? '';
  return {
    keys: await store.keys.listSigningKeys(),
    users,
    byName: await store.users.findUserByUsername('alice'),
    clients,
    scopes: await store.scopes.listScopes(),
    session: await store.sessions.findSession('s1', NOW),
    consent: await store.consents.getConsent(alice, app),
    interaction: await store.interactions.findInteraction('i1', NOW),
    grantsOfUser: await store.tokens.listGrants({ userId: alice }, NOW),
    grantsOfClient: await store.tokens.listGrants({ clientId: app }, NOW),
    revoked: await store.tokens.getGrant('g-c'),
    code: await store.tokens.findAuthorizationCode('c1'),
    accessTokens: [await store.tokens.findAccessToken('at1'), await store.tokens.findAccessToken('at-cc')],
    refreshToken: await store.tokens.findRefreshToken('rt1'),
    device: await store.devices.findByDeviceCodeHash('d1'),
    audit: await store.audit.list({ limit: 1000 }),
  };
}

async function sqliteContents(path: string) {
  const store = openSqliteStore(path);
  try {
    return await contents(store);
  } finally {
    await store.close();
  }
}

describe('idp db status', () => {
  it('shows an initialised SQLite database at the latest schema, nothing pending', async () => {
    const dataDir = await sandbox.initDataDir();
    const status = asRecord(expectJson(await db(dataDir, ['status', '--json'])));
    expect(status).toEqual({ backend: 'sqlite', location: `sqlite:${join(dataDir, 'idp.db')}`, current: 6, latest: 6, pending: [] });
    const text = await db(dataDir, ['status']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('schema    6 (latest 6)');
    expect(text.stdout).toContain('pending   none');
  });

  it('shows a database that does not exist yet as schema 0, every migration pending, without creating it', async () => {
    const dataDir = await sandbox.dataDir();
    const status = asRecord(expectJson(await db(dataDir, ['status', '--json'])));
    expect(status).toMatchObject({ backend: 'sqlite', current: 0, latest: 6, pending: ALL_MIGRATIONS });
    expect(await Bun.file(join(dataDir, 'idp.db')).exists()).toBe(false);
  });
});

describe('idp db migrate', () => {
  it('applies the pending migrations of an older SQLite database and says from what to what', async () => {
    const dataDir = await sandbox.initDataDir();
    // A database left at schema 3 by an older idp.
    const path = join(dataDir, 'idp.db');
    await Bun.write(path, '');
    const old = new Database(path, { strict: true });
    old.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    for (const migration of SQLITE_MIGRATIONS.slice(0, 3)) {
      old.run(migration.sql);
      old.run('INSERT INTO schema_migrations VALUES (?, ?, 1)', [migration.version, migration.name]);
    }
    old.close();
    expect(asRecord(expectJson(await db(dataDir, ['status', '--json']))).pending).toEqual(ALL_MIGRATIONS.slice(3));

    const result = asRecord(expectJson(await db(dataDir, ['migrate', '--json'])));
    expect(result).toEqual({ backend: 'sqlite', location: `sqlite:${path}`, from: 3, to: 6, applied: ALL_MIGRATIONS.slice(3) });
    const again = await db(dataDir, ['migrate']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`The database sqlite:${path} is at schema 6, the latest; nothing to migrate.\n`);
  });

  it('refuses to create a SQLite database: that is idp init', async () => {
    const dataDir = await sandbox.dataDir();
    expect(expectCleanFailure(await db(dataDir, ['migrate']))).toContain('does not exist; run idp init first');
  });
});

describe('idp db copy', () => {
  it('refuses a missing or malformed URL as a usage error', async () => {
    const dataDir = await sandbox.dataDir();
    const missing = await db(dataDir, ['copy', '--from', 'sqlite:a.db']);
    expect(missing.exitCode).toBe(2);
    const malformed = await db(dataDir, ['copy', '--from', 'mysql://x/y', '--to', 'sqlite:b.db']);
    expect(malformed.exitCode).toBe(2);
    expect(expectCleanFailure(malformed)).toBe('idp: --from must be sqlite:PATH or postgres://user:password@host/database.');
  });

  it('copies every row of a SQLite installation into a new SQLite database, which then serves the same secret', async () => {
    const { dataDir, path } = await richInstallation();
    const target = join(await sandbox.tempDir(), 'copy.db');
    const result = asRecord(expectJson(await db(dataDir, ['copy', '--json', '--from', `sqlite:${path}`, '--to', `sqlite:${target}`])));
    expect(result.from).toBe(`sqlite:${path}`);
    expect(result.to).toBe(`sqlite:${target}`);
    expect(result.note).toContain('same server secret');
    expect(asRecord(result.tables)).toMatchObject({ signing_keys: 2, users: 1, clients: 1, scopes: 1, grants: 4, refresh_tokens: 1, device_codes: 1 });

    const before = await sqliteContents(path);
    expect(await sqliteContents(target)).toEqual(before);
    expect(before.grantsOfUser.map((grant) => grant.id)).toEqual(['g-b', 'g-a']);

    // The keys open with this data dir's secret: a command that unseals the newest key works.
    const keys = expectJson(await runIdp(['keys', 'rotate', '--json', '--data-dir', dataDir], { env: { IDP_DATABASE: `sqlite:${target}` } }));
    expect(asRecord(keys).alg).toBe('RS256');
  });

  it('refuses a target that is not empty, and a source without idp data', async () => {
    const { dataDir, path } = await richInstallation();
    const other = await sandbox.initDataDir();
    const busy = await db(dataDir, ['copy', '--from', `sqlite:${path}`, '--to', `sqlite:${join(other, 'idp.db')}`]);
    expect(expectCleanFailure(busy)).toContain('is not empty (signing_keys has rows)');
    const empty = await db(dataDir, ['copy', '--from', `sqlite:${join(other, 'nothing.db')}`, '--to', `sqlite:${join(other, 'x.db')}`]);
    expect(expectCleanFailure(empty)).toContain('holds no idp data');
  });
});

describe.if(RUN_POSTGRES_TESTS)('idp db with PostgreSQL', () => {
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('copies SQLite into PostgreSQL and back without losing anything; the copy serves with the same secret', async () => {
    const { dataDir, path } = await richInstallation();
    const database = await fresh();
    const copied = await db(dataDir, ['copy', '--from', `sqlite:${path}`, '--to', database.url]);
    expect(copied.exitCode).toBe(0);
    expect(copied.stdout).not.toContain(new URL(database.url).password);
    expect(copied.stdout).toContain('same server secret');

    const expected = await sqliteContents(path);
    const store = await openPostgresStore(database.url);
    try {
      expect(await contents(store)).toEqual(expected);
      // New audit events continue after the copied ids.
      await store.audit.append({ at: NOW + 10, type: 'later', userId: null, clientId: null, details: {} });
      const audit = await store.audit.list({ limit: 1000 });
      expect(audit.at(-1)?.id).toBeGreaterThan(Math.max(...expected.audit.map((event) => event.id)));
    } finally {
      await store.close();
    }

    const env = { IDP_DATABASE: database.url };
    const status = asRecord(expectJson(await runIdp(['db', 'status', '--json', '--data-dir', dataDir], { env })));
    expect(status).toMatchObject({ backend: 'postgres', current: 6, pending: [] });
    expect(JSON.stringify(status)).not.toContain(new URL(database.url).password);
    const users = await runIdp(['user', 'list', '--data-dir', dataDir], { env });
    expect(users.stdout).toContain('Alice');
    expect(asRecord(expectJson(await runIdp(['keys', 'rotate', '--json', '--data-dir', dataDir], { env }))).state).toBe('next');

    // And back: PostgreSQL → SQLite gives the same rows again (plus the key and the events added since).
    const back = join(await sandbox.tempDir(), 'back.db');
    expect((await db(dataDir, ['copy', '--from', database.url, '--to', `sqlite:${back}`])).exitCode).toBe(0);
    const again = await sqliteContents(back);
    const lastCopied = Math.max(...expected.audit.map((event) => event.id));
    expect(again.keys).toHaveLength(3);
    expect({ ...again, keys: again.keys.slice(0, 2), audit: again.audit.filter((event) => event.id <= lastCopied) }).toEqual(expected);
  });

  it('idp serve initialises an empty database, refuses one that is behind, and migrates it with --migrate', async () => {
    const empty = await fresh();
    const first = await sandbox.serve(await sandbox.dataDir(), { env: { IDP_DATABASE: empty.url } });
    await first.stop();
    expect(await empty.query('SELECT version FROM schema_migrations')).toHaveLength(6);

    const behind = await fresh();
    await (await openPostgresStore(behind.url, { migrations: POSTGRES_MIGRATIONS.slice(0, 4) })).close();
    const dataDir = await sandbox.dataDir();
    const refused = await runIdp(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], { env: { IDP_DATABASE: behind.url } });
    const location = `postgres://${new URL(behind.url).username}@${new URL(behind.url).host}${new URL(behind.url).pathname}`;
    expect(expectCleanFailure(refused)).toBe(
      `idp: The database ${location} is at schema 4, this idp needs 6; run \`idp db migrate\` or start with --migrate.`,
    );
    const server = await sandbox.serve(dataDir, { env: { IDP_DATABASE: behind.url }, args: ['--migrate'] });
    await server.stop();
    expect(await behind.query('SELECT version FROM schema_migrations')).toHaveLength(6);
  });

  it('idp db migrate brings a PostgreSQL database up to date', async () => {
    const behind = await fresh();
    await (await openPostgresStore(behind.url, { migrations: POSTGRES_MIGRATIONS.slice(0, 2) })).close();
    const dataDir = await sandbox.dataDir();
    const result = asRecord(expectJson(await runIdp(['db', 'migrate', '--json', '--data-dir', dataDir], { env: { IDP_DATABASE: behind.url } })));
    expect(result).toMatchObject({ backend: 'postgres', from: 2, to: 6, applied: ALL_MIGRATIONS.slice(2) });
    expect(JSON.stringify(result)).not.toContain(new URL(behind.url).password);
  });
});
