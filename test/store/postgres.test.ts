// The storage contract and the PostgreSQL-only promises (several instances, one database) against a
// real server: IDP_TEST_DATABASE_URL; see test/helpers/postgres.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import type { ClientMetadata } from '../../src/clients/metadata.ts';
import { migrationList } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open.ts';
import { Connection } from '../../src/store/postgres/connection.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.ts';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.ts';
import { StoreError, type Store } from '../../src/store/store.ts';
import { createTestDatabase, RUN_POSTGRES_TESTS, type TestDatabase } from '../helpers/postgres.ts';
import { storeContract } from './contract.ts';

const NOW = 1_700_000_000;

describe.if(RUN_POSTGRES_TESTS)('postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  storeContract('postgres', {
    async make() {
      await database.reset();
      const store = await openPostgresStore(database.url, { poolSize: 4 });
      return { store, cleanup: () => store.close() };
    },
  });

  async function storeError(promise: Promise<unknown>): Promise<StoreError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof StoreError) return error;
      throw error;
    }
    throw new Error('expected a StoreError');
  }

  describe('postgres store', () => {
    const opened: Store[] = [];
    const open = async (...args: Parameters<typeof openPostgresStore>) => {
      const store = await openPostgresStore(...args);
      opened.push(store);
      return store;
    };
    beforeEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await database.reset();
    });
    afterAll(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('has the same migrations, by version and name, as SQLite', () => {
      expect(POSTGRES_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(SQLITE_MIGRATIONS.map((m) => [m.version, m.name]));
    });

    it('migrates once when several instances open an empty database at the same moment', async () => {
      // A last migration that would fail if it ran twice (the table exists) and counts its runs.
      const counting = [...POSTGRES_MIGRATIONS, { version: 7, name: 'count', sql: 'CREATE TABLE ran (x INTEGER); INSERT INTO ran VALUES (1);' }];
      for (let round = 0; round < 5; round++) {
        await database.reset();
        // allSettled: every open has finished (none still migrating) before the next round resets.
        const settled = await Promise.allSettled([0, 1, 2].map(() => openPostgresStore(database.url, { migrations: counting })));
        const stores = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        opened.push(...stores);
        expect(settled.filter((result) => result.status === 'rejected')).toEqual([]);
        for (const store of stores) expect(await store.schemaStatus()).toEqual({ current: 7, latest: 7 });
        expect(await database.query('SELECT * FROM ran')).toHaveLength(1);
        expect(await database.query('SELECT version FROM schema_migrations')).toHaveLength(7);
        expect(stores.filter((store) => store.migrated.from === 0)).toHaveLength(1);
        await Promise.all(opened.splice(0).map((store) => store.close()));
      }
    });

    it('initialises an empty database without being asked, but refuses one that is behind unless told to migrate', async () => {
      const first = await open(database.url, { migrations: POSTGRES_MIGRATIONS.slice(0, 3) });
      expect(first.migrated).toEqual({ from: 0, to: 3 });
      await first.close();

      const error = await storeError(openPostgresStore(database.url));
      expect(error.code).toBe('needs_migration');
      expect(error.message).toBe(
        `The database ${first.location} is at schema 3, this idp needs 6; run \`idp db migrate\` or start with --migrate.`,
      );
      expect(await database.query('SELECT version FROM schema_migrations')).toHaveLength(3);

      const migrated = await open(database.url, { migrate: true });
      expect(migrated.migrated).toEqual({ from: 3, to: 6 });
      expect(await migrated.schemaStatus()).toEqual({ current: 6, latest: 6 });
    });

    it('migrates client metadata written at schema 2 the way SQLite does (migration 3)', async () => {
      const old = await open(database.url, { migrations: POSTGRES_MIGRATIONS.slice(0, 2) });
      await old.close();
      await database.query(`INSERT INTO clients (id, secret_hash, metadata, created_at, updated_at) VALUES
        ('a', NULL, '{"client_name":"A","allow_wildcards":null}', 1, 1),
        ('b', NULL, '{"client_name":"B","cors_origins":["https://b.example"],"allow_wildcards":true}', 1, 1)`);
      const store = await open(database.url, { migrate: true });
      const metadata = async (id: string) => (await store.clients.getClient(id))?.metadata as Partial<ClientMetadata>;
      expect(await metadata('a')).toEqual({ client_name: 'A', post_logout_redirect_uris: [], cors_origins: [], allow_wildcards: false });
      expect(await metadata('b')).toEqual({
        client_name: 'B',
        post_logout_redirect_uris: [],
        cors_origins: ['https://b.example'],
        allow_wildcards: true,
      });
    });

    it('refuses a database migrated by a newer idp, without touching it', async () => {
      await (await open(database.url)).close();
      await database.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
      const error = await storeError(openPostgresStore(database.url, { migrate: true }));
      expect(error.code).toBe('schema_too_new');
      expect(error.message).toContain('schema version 999');
      expect(error.message).toContain('newer idp');
      expect(await database.query('SELECT version FROM schema_migrations')).toHaveLength(7);
    });

    it('rolls a failing migration back entirely', async () => {
      const broken = migrationList({ '0001_a.sql': 'CREATE TABLE a (x INTEGER); CREATE TABLE a (x INTEGER);' });
      const error = await storeError(openPostgresStore(database.url, { migrations: broken }));
      expect(error.code).toBe('unreadable');
      expect(error.message).toContain('already exists');
      expect(await database.query("SELECT to_regclass('a') AS a, to_regclass('schema_migrations') AS m")).toEqual([{ a: null, m: null }]);
    });

    it('opens postgres:// and postgresql:// URLs through openStore', async () => {
      const store = await openStore(database.url.replace(/^postgres:/, 'postgresql:'));
      opened.push(store);
      expect(store.location).toStartWith('postgresql://');
      expect((await store.schemaStatus()).current).toBe(6);
    });

    describe('single use across instances (two pools on one database)', () => {
      let a: PostgresStore;
      let b: PostgresStore;
      const ROUNDS = 25;
      const CALLERS = 8;
      beforeEach(async () => {
        a = await open(database.url, { poolSize: CALLERS });
        b = await open(database.url, { poolSize: CALLERS });
        await a.users.insertUser({
          id: 'u1', username: 'alice', passwordHash: null, email: null, emailVerified: false, profile: {}, attributes: {},
          disabled: false, createdAt: NOW, updatedAt: NOW,
        });
        const metadata = { client_name: 'App' } as ClientMetadata;
        await a.clients.insertClient({ id: 'app', secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null, metadata, createdAt: NOW, updatedAt: NOW });
        await a.tokens.insertGrant({
          id: 'g1', userId: 'u1', clientId: 'app', scope: 'openid', sid: null, authTime: NOW, createdAt: NOW, expiresAt: NOW + 3600, revokedAt: null,
        });
      });

      /** Half the callers on each instance, all at once; returns how many won. */
      async function winners(call: (store: Store) => Promise<boolean>): Promise<number> {
        const results = await Promise.all(Array.from({ length: CALLERS }, (_, i) => call(i % 2 === 0 ? a : b)));
        return results.filter(Boolean).length;
      }

      it('consumeAuthorizationCode is true for exactly one caller, every time', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          await a.tokens.insertAuthorizationCode({
            codeHash: `c${round}`, grantId: 'g1', clientId: 'app', redirectUri: 'https://app.example/cb', scope: 'openid', nonce: null,
            codeChallenge: null, codeChallengeMethod: null, createdAt: NOW, expiresAt: NOW + 60, consumedAt: null,
          });
          expect(await winners((store) => store.tokens.consumeAuthorizationCode(`c${round}`, NOW + 1))).toBe(1);
        }
      });

      it('markRefreshTokenRotated is true for exactly one caller, every time', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          await b.tokens.insertRefreshToken({
            tokenHash: `rt${round}`, grantId: 'g1', clientId: 'app', userId: 'u1', scope: 'openid', createdAt: NOW, expiresAt: NOW + 3600, rotatedAt: null,
          });
          expect(await winners((store) => store.tokens.markRefreshTokenRotated(`rt${round}`, NOW + 1))).toBe(1);
        }
      });

      it('devices.consume (and approve) are true for exactly one caller, every time', async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const hash = `d${round}`;
          await a.devices.insertDeviceCode({
            deviceCodeHash: hash, userCode: `CODE${round}`, clientId: 'app', scope: 'openid', status: 'pending', userId: null, sid: null,
            authTime: null, pollInterval: 5, lastPolledAt: null, createdAt: NOW, expiresAt: NOW + 600,
          });
          expect(await winners((store) => store.devices.approve(hash, 'u1', 'sid', NOW, NOW))).toBe(1);
          expect(await winners((store) => store.devices.consume(hash))).toBe(1);
        }
      });

      it('insertInitialSigningKeys stores the keys of exactly one caller, every time', async () => {
        const key = (kid: string) => ({
          kid, alg: 'RS256' as const, publicJwk: '{}', sealedPrivateJwk: 'v1.iv.ct', createdAt: NOW, activatesAt: NOW, retiredAt: null,
        });
        for (let round = 0; round < ROUNDS; round++) {
          await database.query('DELETE FROM signing_keys');
          const results = await Promise.all(
            Array.from({ length: CALLERS }, (_, i) => (i % 2 === 0 ? a : b).keys.insertInitialSigningKeys([key(`r${round}c${i}-1`), key(`r${round}c${i}-2`)])),
          );
          const winner = results.indexOf(true);
          expect(results.filter(Boolean)).toHaveLength(1);
          expect((await b.keys.listSigningKeys()).map((k) => k.kid)).toEqual([`r${round}c${winner}-1`, `r${round}c${winner}-2`]);
        }
      });

      it('rate limit hits from both instances are each counted once', async () => {
        const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).rateLimits.hit('k', 60, NOW)));
        expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });

      it('failures recorded from both instances at once each get their own count (sign-in reservations)', async () => {
        const counts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).rateLimits.recordFailure('f', 60, NOW)));
        expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(await b.rateLimits.peek('f', NOW)).toEqual({ count: 20, windowStart: NOW, expiresAt: NOW + 60 });
      });

      it('recordPoll loses no update: two early polls at the same moment each grow the interval', async () => {
        await a.devices.insertDeviceCode({
          deviceCodeHash: 'd', userCode: 'POLL', clientId: 'app', scope: 'openid', status: 'pending', userId: null, sid: null,
          authTime: null, pollInterval: 5, lastPolledAt: NOW, createdAt: NOW, expiresAt: NOW + 600,
        });
        const early = await Promise.all([a.devices.recordPoll('d', NOW + 1), b.devices.recordPoll('d', NOW + 1)]);
        expect(early).toEqual([true, true]);
        expect((await a.devices.findByDeviceCodeHash('d'))?.pollInterval).toBe(15);
      });
    });

    describe('never shows the password', () => {
      const password = 'S3cret-pass_word';

      it('keeps it out of location', async () => {
        const store = await open(database.url);
        const url = new URL(database.url);
        expect(store.location).toBe(`postgres://${url.username}@${url.host}${url.pathname}`);
        expect(store.location).not.toContain(url.password);
      });

      it('reports a server that refuses the connection as unreadable, naming host and database only', async () => {
        const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
        const port = probe.port;
        probe.stop(true);
        const error = await storeError(openPostgresStore(`postgres://idp:${password}@127.0.0.1:${port}/idp_db`));
        expect(error.code).toBe('unreadable');
        expect(error.message).toBe(`Cannot reach the PostgreSQL database postgres://idp@127.0.0.1:${port}/idp_db: the connection was refused or the host is unknown.`);
        expect(error.message).not.toContain(password);
      });

      it('reports a wrong password as unreadable without repeating it', async () => {
        const url = new URL(database.url);
        url.password = password;
        const error = await storeError(openPostgresStore(url.href));
        expect(error.code).toBe('unreadable');
        expect(error.message).toContain('password authentication failed');
        expect(error.message).toContain(`${url.host}${url.pathname}`);
        expect(error.message).not.toContain(password);
      });

      it('reports an unknown database as unreadable', async () => {
        const url = new URL(database.url);
        url.pathname = '/no_such_database';
        const error = await storeError(openPostgresStore(url.href));
        expect(error.code).toBe('unreadable');
        expect(error.message).toContain('"no_such_database" does not exist');
        expect(error.message).not.toContain(url.password);
      });

      it('does not repeat a malformed URL, which may hold a password', async () => {
        const error = await storeError(openPostgresStore(`postgres://idp:${password}@[bad`));
        expect(error.code).toBe('unreadable');
        expect(error.message).not.toContain(password);
      });
    });

    it('cancels a statement that runs longer than the statement timeout', async () => {
      const connection = Connection.open(database.url, { poolSize: 1, statementTimeout: 1 });
      try {
        expect(await connection.run(connection.sql`SHOW statement_timeout`)).toEqual([{ statement_timeout: '1s' }]);
        const error = await storeError(connection.run(connection.sql`SELECT pg_sleep(3)`));
        expect(error.code).toBe('unreadable');
        expect(error.message).toContain('database_statement_timeout');
      } finally {
        await connection.close();
      }
    });

    it('opens no more connections than the pool size', async () => {
      const store = await open(database.url, { poolSize: 2 });
      await Promise.all(Array.from({ length: 12 }, (_, i) => store.rateLimits.hit(`k${i}`, 60, NOW)));
      const [row] = await database.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'idp'",
      );
      expect(row?.n).toBeLessThanOrEqual(2);
    });
  });
});
