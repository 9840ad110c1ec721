// Schema administration for `idp db status | migrate`: what a database is at, without changing it,
// and bringing it to the latest schema, on either backend.
import { Database } from 'bun:sqlite';
import { existsSync } from 'node:fs';
import type { Migration } from './migrate.ts';
import { isPostgresUrl, type OpenStoreOptions } from './open.ts';
import { Connection } from './postgres/connection.ts';
import { schemaVersion } from './postgres/migrate.ts';
import { POSTGRES_MIGRATIONS } from './postgres/migrations/index.ts';
import { openPostgresStore } from './postgres/postgres.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations/index.ts';
import { openSqliteStore } from './sqlite/sqlite.ts';
import { StoreError } from './store.ts';

export type Backend = 'sqlite' | 'postgres';

export interface SchemaReport {
  backend: Backend;
  /** Password-free. */
  location: string;
  current: number;
  latest: number;
  /** Migrations not applied yet, as `0004_client_credentials`. */
  pending: string[];
}

export interface MigrationReport {
  backend: Backend;
  location: string;
  from: number;
  to: number;
  applied: string[];
}

export function migrationName(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`;
}

function names(migrations: Migration[], from: number, to: number): string[] {
  return migrations.slice(from, to).map(migrationName);
}

function sqlitePath(database: string): string {
  if (!database.startsWith('sqlite:')) {
    throw new StoreError('unsupported', `Unknown database URL scheme in '${database.split(':')[0]}:'; use sqlite:PATH or postgres://.`);
  }
  return database.slice('sqlite:'.length);
}

/** The schema a database is at; reads only (a missing SQLite file or an empty database is schema 0). */
export async function inspectSchema(database: string, options: OpenStoreOptions = {}): Promise<SchemaReport> {
  if (isPostgresUrl(database)) {
    const db = Connection.open(database, { poolSize: 1, statementTimeout: options.statementTimeout ?? 10 });
    try {
      const current = await db.run(schemaVersion(db.sql));
      return report('postgres', db.location, current, POSTGRES_MIGRATIONS);
    } finally {
      await db.close();
    }
  }
  const path = sqlitePath(database);
  return report('sqlite', `sqlite:${path}`, existsSync(path) ? sqliteVersion(path) : 0, SQLITE_MIGRATIONS);
}

function report(backend: Backend, location: string, current: number, migrations: Migration[]): SchemaReport {
  return { backend, location, current, latest: migrations.length, pending: names(migrations, current, migrations.length) };
}

function sqliteVersion(path: string): number {
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    const table = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (!table) return 0;
    return db.query<{ version: number | null }, []>('SELECT MAX(version) AS version FROM schema_migrations').get()?.version ?? 0;
  } catch (error) {
    throw new StoreError('unreadable', `Cannot open the SQLite database ${path}: ${(error as Error).message}.`);
  } finally {
    db?.close();
  }
}

/** Applies every pending migration (PostgreSQL under the migration lock, so running servers are safe). */
export async function migrateDatabase(database: string, options: OpenStoreOptions = {}): Promise<MigrationReport> {
  if (isPostgresUrl(database)) {
    const store = await openPostgresStore(database, { ...options, migrate: true });
    await store.close();
    const { from, to } = store.migrated;
    return { backend: 'postgres', location: store.location, from, to, applied: names(POSTGRES_MIGRATIONS, from, to) };
  }
  const path = sqlitePath(database);
  // Creating a database is idp init's job; this only upgrades one.
  if (!existsSync(path)) throw new StoreError('not_found', `The SQLite database ${path} does not exist; run idp init first.`);
  const from = sqliteVersion(path);
  const store = openSqliteStore(path);
  const { current: to } = await store.schemaStatus();
  await store.close();
  return { backend: 'sqlite', location: store.location, from, to, applied: names(SQLITE_MIGRATIONS, from, to) };
}
