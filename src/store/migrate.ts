// Versioned migrations shared by every backend: numbered, applied in order, each in a transaction,
// recorded in schema_migrations. A database newer than this build is refused, never touched.
import { StoreError } from './store.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Builds the ordered list from files named like `0001_init.sql`. */
export function migrationList(files: Record<string, string>): Migration[] {
  const list = Object.entries(files).map(([file, sql]) => {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file name ${file} must look like 0001_name.sql`);
    return { version: Number(match[1]), name: match[2] as string, sql };
  });
  list.sort((a, b) => a.version - b.version);
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) throw new Error(`migrations must be numbered 1..n without gaps`);
  });
  return list;
}

export function refuseNewerSchema(current: number, latest: number, location: string): void {
  if (current > latest) {
    throw new StoreError(
      'schema_too_new',
      `The database ${location} is at schema version ${current}, newer than this idp understands (${latest}); run a newer idp binary.`,
    );
  }
}
