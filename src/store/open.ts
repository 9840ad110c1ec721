// Picks the backend named by the `database` setting.
import { StoreError, type Store } from './store.ts';
import { openSqliteStore } from './sqlite/sqlite.ts';

export async function openStore(database: string): Promise<Store> {
  if (database.startsWith('sqlite:')) return openSqliteStore(database.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(database)) {
    throw new StoreError('unsupported', 'PostgreSQL storage is not available in this version of idp; use a sqlite: database.');
  }
  throw new StoreError('unsupported', `Unknown database URL scheme in '${database.split(':')[0]}:'; use sqlite:PATH.`);
}
