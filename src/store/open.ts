// Picks the backend named by the `database` setting.
import { resolve } from 'node:path';
import type { Settings } from '../config/schema.ts';
import { StoreError, type Store } from './store.ts';
import { openSqliteStore } from './sqlite/sqlite.ts';

export interface OpenStoreOptions {
  /** PostgreSQL: most connections in the pool (database_pool_size). */
  poolSize?: number;
  /** PostgreSQL: seconds before the server cancels a statement (database_statement_timeout). */
  statementTimeout?: number;
  /**
   * PostgreSQL: migrate a database that is behind (idp serve --migrate, idp db migrate); without it
   * such a database is refused, while an empty one is always initialised. SQLite always migrates:
   * one process owns the file, so there is nobody to coordinate with.
   */
  migrate?: boolean;
}

/** `sqlite:relative/path` is taken from the working directory, like any command-line path. */
export function absoluteDatabase(database: string): string {
  return database.startsWith('sqlite:') ? `sqlite:${resolve(database.slice('sqlite:'.length))}` : database;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//.test(database);
}

/** The store options the settings ask for. */
export function storeOptions(
  config: Pick<Settings, 'database_pool_size' | 'database_statement_timeout'>,
  migrate = false,
): OpenStoreOptions {
  return { poolSize: config.database_pool_size, statementTimeout: config.database_statement_timeout, migrate };
}

export async function openStore(database: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (database.startsWith('sqlite:')) return openSqliteStore(database.slice('sqlite:'.length));
  if (isPostgresUrl(database)) {
    // Loaded only for a postgres:// database, so the embedded SQLite default starts without it.
    const { openPostgresStore } = await import('./postgres/postgres.ts');
    return openPostgresStore(database, options);
  }
  throw new StoreError('unsupported', `Unknown database URL scheme in '${database.split(':')[0]}:'; use sqlite:PATH or postgres://.`);
}
