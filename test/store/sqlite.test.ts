import { Database } from 'bun:sqlite';
import { describe, expect, it } from 'bun:test';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrationList } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.ts';
import { StoreError } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp.ts';
import { storeContract } from './contract.ts';

storeContract('sqlite', {
  async make() {
    const dir = tempDir();
    const store = openSqliteStore(join(dir.path, 'idp.db'));
    return {
      store,
      async cleanup() {
        await store.close();
        dir.remove();
      },
    };
  },
});

async function withDir<T>(run: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = tempDir();
  try {
    return await run(dir.path);
  } finally {
    dir.remove();
  }
}

function openError(path: string, migrations = SQLITE_MIGRATIONS): StoreError {
  try {
    openSqliteStore(path, { migrations });
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected the store to refuse to open');
}

describe('sqlite store', () => {
  it('creates the database file readable by its owner only', async () => {
    await withDir(async (dir) => {
      const store = openSqliteStore(join(dir, 'idp.db'));
      expect(statSync(join(dir, 'idp.db')).mode & 0o777).toBe(0o600);
      await store.close();
    });
  });

  it('runs in WAL mode with a busy timeout', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'idp.db');
      const store = openSqliteStore(path);
      const db = new Database(path);
      expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
      db.close();
      await store.close();
    });
  });

  it('applies new migrations to an existing database and records them', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'idp.db');
      await openSqliteStore(path).close();
      const latest = SQLITE_MIGRATIONS.length;
      const next = { version: latest + 1, name: 'b', sql: 'CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (7);' };
      const store = openSqliteStore(path, { migrations: [...SQLITE_MIGRATIONS, next] });
      expect(await store.schemaStatus()).toEqual({ current: latest + 1, latest: latest + 1 });
      await store.close();
      const db = new Database(path);
      expect(db.query<{ y: number }, []>('SELECT y FROM b').get()?.y).toBe(7);
      expect(db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM schema_migrations').get()?.n).toBe(latest + 1);
      db.close();
    });
  });

  it('refuses a database migrated by a newer idp, without touching it', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'idp.db');
      await openSqliteStore(path).close();
      const db = new Database(path);
      db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
      db.close();
      const error = openError(path);
      expect(error.code).toBe('schema_too_new');
      expect(error.message).toContain('schema version 999');
      expect(error.message).toContain('newer idp');
    });
  });

  it('rolls a failing migration back entirely', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'idp.db');
      const broken = migrationList({ '0001_a.sql': 'CREATE TABLE a (x INTEGER); CREATE TABLE a (x INTEGER);' });
      expect(openError(path, broken).code).toBe('unreadable');
      const db = new Database(path);
      expect(db.query('SELECT name FROM sqlite_master WHERE name = ?').get('a')).toBeNull();
      db.close();
    });
  });

  it('reports a file that is not a SQLite database clearly', async () => {
    await withDir((dir) => {
      const path = join(dir, 'idp.db');
      writeFileSync(path, 'this is not a database, just text that is long enough to have a header'.repeat(10));
      const error = openError(path);
      expect(error.code).toBe('unreadable');
      expect(error.message).toContain(path);
    });
  });

  it('refuses migration files that are misnamed or have gaps', () => {
    expect(() => migrationList({ 'init.sql': '' })).toThrow();
    expect(() => migrationList({ '0001_a.sql': '', '0003_c.sql': '' })).toThrow();
  });
});

describe('openStore', () => {
  it('opens a postgres URL with the PostgreSQL store: an unreachable server is unreadable, and the password is never shown', async () => {
    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const error = await openStore(`postgres://idp:hunter2-secret@127.0.0.1:${port}/idp`).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('unreadable');
    expect((error as StoreError).message).toContain(`PostgreSQL database postgres://idp@127.0.0.1:${port}/idp`);
    expect((error as StoreError).message).not.toContain('hunter2-secret');
  });

  it('refuses an unknown scheme as unsupported', async () => {
    await expect(openStore('mysql://u:p@127.0.0.1/idp')).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('migration 4 (grants and access tokens without a user)', () => {
  it('keeps every row, allows a null user, and leaves foreign keys enforced', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'idp.db');
      // The store classes prepare statements for the newest schema, so the old rows are written raw.
      const before = new Database(path, { strict: true });
      before.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
      for (const migration of SQLITE_MIGRATIONS.slice(0, 3)) {
        before.run(migration.sql);
        before.run('INSERT INTO schema_migrations VALUES (?, ?, 1)', [migration.version, migration.name]);
      }
      before.run(`INSERT INTO users (id, username, password_hash, email, email_verified, profile, disabled, created_at, updated_at)
        VALUES ('u1', 'alice', NULL, NULL, 0, '{}', 0, 1, 1)`);
      const metadata = {
        client_name: 'App', client_type: 'confidential' as const, redirect_uris: ['https://app.example.test/cb'], post_logout_redirect_uris: [],
        cors_origins: [], allow_wildcards: false, grant_types: ['authorization_code' as const], scopes: ['openid'], default_scopes: ['openid'],
        token_endpoint_auth_method: 'client_secret_basic' as const, skip_consent: false, access_token_format: null, audiences: [],
        id_token_signed_response_alg: 'RS256' as const, allow_insecure_redirect_uris: false,
      };
      before.run(`INSERT INTO clients (id, secret_hash, metadata, created_at, updated_at) VALUES ('c1', 'h', ?, 1, 1)`, [JSON.stringify(metadata)]);
      const grant = { id: 'g1', userId: 'u1', clientId: 'c1', scope: 'openid', sid: null, authTime: 1, createdAt: 1, expiresAt: 10_000, revokedAt: null };
      before.run(`INSERT INTO grants (id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at)
        VALUES ('g1', 'u1', 'c1', 'openid', NULL, 1, 1, 10000, NULL)`);
      before.run(`INSERT INTO access_tokens (token_hash, grant_id, client_id, user_id, scope, created_at, expires_at)
        VALUES ('t1', 'g1', 'c1', 'u1', 'openid', 1, 10000)`);
      before.close();

      const after = openSqliteStore(path);
      expect(await after.schemaStatus()).toEqual({ current: SQLITE_MIGRATIONS.length, latest: SQLITE_MIGRATIONS.length });
      expect(await after.tokens.getGrant('g1')).toEqual(grant);
      expect((await after.tokens.findAccessToken('t1'))?.userId).toBe('u1');
      // Migration 6: existing users get no attributes, existing tokens no adapter claims.
      expect((await after.users.getUser('u1'))?.attributes).toEqual({});
      expect((await after.tokens.findAccessToken('t1'))?.claims).toBeNull();
      await after.tokens.insertGrant({ ...grant, id: 'g2', userId: null });
      expect((await after.tokens.getGrant('g2'))?.userId).toBeNull();
      // Foreign keys are back on: removing the user cascades to its grant and that grant's token.
      await after.users.deleteUser('u1');
      expect(await after.tokens.getGrant('g1')).toBeNull();
      expect(await after.tokens.findAccessToken('t1')).toBeNull();
      await after.close();
    });
  });
});

describe('a database path whose directory is missing', () => {
  it('is a store error naming the path, not a raw ENOENT', async () => {
    await withDir(async (dir) => {
      const path = join(dir, 'missing', 'idp.db');
      let caught: unknown;
      try {
        openSqliteStore(path);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(StoreError);
      expect((caught as StoreError).code).toBe('unreadable');
      expect((caught as StoreError).message).toBe(`Cannot create the SQLite database ${path}: its directory does not exist.`);
    });
  });
});

