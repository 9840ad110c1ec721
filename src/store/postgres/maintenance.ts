// Purge of expired rows in small batches by primary key, so a large backlog never holds many row
// locks or one long transaction. Same tables, order and counting as the SQLite backend.
import type { MaintenanceStore } from '../store.ts';
import type { Connection } from './connection.ts';

/** Each expiring table with its primary key; codes and tokens go before the grants they hang off. */
const EXPIRING_TABLES = [
  ['authorization_codes', 'code_hash'],
  ['access_tokens', 'token_hash'],
  ['refresh_tokens', 'token_hash'],
  ['interactions', 'id_hash'],
  ['sessions', 'id_hash'],
  ['grants', 'id'],
  ['device_codes', 'device_code_hash'],
  ['rate_limits', 'key'],
] as const;

export class PostgresMaintenance implements MaintenanceStore {
  constructor(private readonly db: Connection) {}

  async purgeExpired(now: number, batchSize: number): Promise<number> {
    let deleted = 0;
    for (const [table, key] of EXPIRING_TABLES) {
      // Names come from the constant above, never from input.
      const statement = `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE expires_at <= $1 LIMIT $2)`;
      for (;;) {
        // Rows deleted by a cascade (a grant's tokens) are not counted, as in SQLite.
        const { count } = await this.db.run(this.db.sql.unsafe(statement, [now, batchSize]));
        deleted += count;
        if (count < batchSize) break;
      }
    }
    return deleted;
  }
}
