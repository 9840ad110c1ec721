// Versioned migrations on PostgreSQL. Several idp instances may start together against one
// database: each takes a session advisory lock first, then reads the version again and migrates in
// one transaction, so exactly one of them migrates and the others find nothing left to do.
import type { SQL } from 'bun';
import { type Migration, refuseNewerSchema } from '../migrate.ts';
import { StoreError } from '../store.ts';

/** Any constant will do, as long as every idp uses the same one (it is per database). */
const MIGRATION_LOCK = 7_349_120_001;

export interface MigrationResult {
  from: number;
  to: number;
}

/** The highest migration applied, 0 for a database idp never touched. */
export async function schemaVersion(sql: SQL): Promise<number> {
  const [table] = await sql<{ present: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
  if (!table?.present) return 0;
  const [row] = await sql<{ version: number }[]>`SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations`;
  return row?.version ?? 0;
}

function refuseOlderSchema(current: number, latest: number, location: string, upgrade: boolean): void {
  if (current > 0 && current < latest && !upgrade) {
    throw new StoreError(
      'needs_migration',
      `The database ${location} is at schema ${current}, this idp needs ${latest}; run \`idp db migrate\` or start with --migrate.`,
    );
  }
}

/**
 * Brings the database to the latest migration. An empty database (schema 0) is always initialised;
 * one that is behind is migrated only when `upgrade` is true (idp db migrate, idp serve --migrate).
 */
export async function migratePostgres(sql: SQL, migrations: Migration[], location: string, upgrade: boolean): Promise<MigrationResult> {
  const latest = migrations.length;
  // The common case, an up-to-date database, takes no lock and writes nothing.
  const seen = await schemaVersion(sql);
  refuseNewerSchema(seen, latest, location);
  if (seen === latest) return { from: seen, to: seen };
  refuseOlderSchema(seen, latest, location, upgrade);
  const connection = await sql.reserve();
  try {
    // The lock is taken before the migrating transaction begins, not inside it: a transaction that
    // waited for the lock would still see the catalog as it was when it began (a stale "no such
    // table"), and would try to create what the other instance just created.
    await connection.begin(async (tx) => {
      // The other instance may take a while: waiting is not a slow statement.
      await tx`SET LOCAL statement_timeout = 0`;
      await tx`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    });
    try {
      return await connection.begin(async (tx) => applyPending(tx, migrations, location, upgrade));
    } finally {
      // A broken connection has dropped the lock already; its error must not hide the migration's.
      await connection`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    }
  } finally {
    // Closing the connection (on any failure) releases a session lock too.
    await connection.release();
  }
}

async function applyPending(tx: SQL, migrations: Migration[], location: string, upgrade: boolean): Promise<MigrationResult> {
  const latest = migrations.length;
  // A migration may rewrite large tables.
  await tx`SET LOCAL statement_timeout = 0`;
  const current = await schemaVersion(tx);
  refuseNewerSchema(current, latest, location);
  refuseOlderSchema(current, latest, location, upgrade);
  const [table] = await tx<{ present: boolean }[]>`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
  if (!table?.present) {
    await tx`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;
  }
  for (const migration of migrations.slice(current)) {
    // Several statements per file: sent as one simple query, inside this transaction.
    await tx.unsafe(migration.sql);
    await tx`INSERT INTO schema_migrations (version, name, applied_at)
      VALUES (${migration.version}, ${migration.name}, ${Math.floor(Date.now() / 1000)})`;
  }
  return { from: current, to: latest };
}
