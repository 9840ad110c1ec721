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
  it('refuses a postgres URL in this version with a clear message', async () => {
    await expect(openStore('postgres://u:p@127.0.0.1/idp')).rejects.toThrow('PostgreSQL storage is not available');
  });
});
