// Purge of expired rows in small batches, so a large backlog never holds the write lock for long.
import type { Database, Statement } from 'bun:sqlite';
import type { MaintenanceStore } from '../store.ts';

const EXPIRING_TABLES = [
  'authorization_codes',
  'access_tokens',
  'refresh_tokens',
  'interactions',
  'sessions',
  'grants',
  'device_codes',
  'rate_limits',
] as const;

export class SqliteMaintenance implements MaintenanceStore {
  private purges: Statement[] | undefined;

  constructor(private readonly db: Database) {}

  async purgeExpired(now: number, batchSize: number): Promise<number> {
    // Prepared on first use (then kept), so a store opened on an older schema in tests can still open.
    this.purges ??= EXPIRING_TABLES.map((table) =>
      this.db.prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE expires_at <= ? LIMIT ?)`),
    );
    let deleted = 0;
    for (const purge of this.purges) {
      for (;;) {
        const changes = purge.run(now, batchSize).changes;
        deleted += changes;
        if (changes < batchSize) break;
        // Let requests waiting on the database run between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return deleted;
  }
}
