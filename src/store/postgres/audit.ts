// The append-only audit log on PostgreSQL.
import { parseJsonColumn } from '../sqlite/json.ts';
import type { AuditEventRecord, AuditQuery, AuditStore } from '../store.ts';
import { type Connection, int } from './connection.ts';

interface AuditRow {
  id: string;
  at: string;
  type: string;
  user_id: string | null;
  client_id: string | null;
  details: string;
}

export class PostgresAudit implements AuditStore {
  constructor(private readonly db: Connection) {}

  async append(event: Omit<AuditEventRecord, 'id'>): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO audit_events (at, type, user_id, client_id, details)
        VALUES (${event.at}, ${event.type}, ${event.userId}, ${event.clientId}, ${JSON.stringify(event.details)})`,
    );
  }

  async list(query: AuditQuery): Promise<AuditEventRecord[]> {
    const userId = query.userId ?? null;
    const clientId = query.clientId ?? null;
    // Newest first so LIMIT keeps the newest; the result is turned back into time order.
    const rows = await this.db.run(
      this.db.sql<AuditRow[]>`SELECT * FROM audit_events
        WHERE at >= ${query.since ?? 0} AND (${userId}::text IS NULL OR user_id = ${userId}) AND (${clientId}::text IS NULL OR client_id = ${clientId})
        ORDER BY id DESC LIMIT ${query.limit}`,
    );
    return rows.reverse().map((row) => ({
      id: int(row.id),
      at: int(row.at),
      type: row.type,
      userId: row.user_id,
      clientId: row.client_id,
      details: parseJsonColumn<Record<string, unknown>>(row.details, `details of audit event ${row.id}`),
    }));
  }

  async deleteOlderThan(before: number, batchSize: number): Promise<number> {
    const result = await this.db.run(
      this.db.sql`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ${before} ORDER BY id LIMIT ${batchSize})`,
    );
    return result.count;
  }
}
