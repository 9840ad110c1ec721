// The append-only audit log on SQLite.
import type { Database, Statement } from 'bun:sqlite';
import type { AuditEventRecord, AuditQuery, AuditStore } from '../store.ts';
import { parseJsonColumn } from './json.ts';

interface AuditRow {
  id: number;
  at: number;
  type: string;
  user_id: string | null;
  client_id: string | null;
  details: string;
}

export class SqliteAudit implements AuditStore {
  private readonly insert: Statement;
  private readonly select: Statement<AuditRow, [number, string | null, string | null, number]>;
  private readonly deleteOld: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO audit_events (at, type, user_id, client_id, details)
      VALUES ($at, $type, $user_id, $client_id, $details)`);
    // Newest first so LIMIT keeps the newest; list() turns them back into time order.
    this.select = db.prepare(`SELECT * FROM audit_events
      WHERE at >= ?1 AND (?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR client_id = ?3)
      ORDER BY id DESC LIMIT ?4`);
    this.deleteOld = db.prepare('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? ORDER BY id LIMIT ?)');
  }

  async append(event: Omit<AuditEventRecord, 'id'>): Promise<void> {
    this.insert.run({
      at: event.at,
      type: event.type,
      user_id: event.userId,
      client_id: event.clientId,
      details: JSON.stringify(event.details),
    });
  }

  async list(query: AuditQuery): Promise<AuditEventRecord[]> {
    const rows = this.select.all(query.since ?? 0, query.userId ?? null, query.clientId ?? null, query.limit);
    return rows.reverse().map((row) => ({
      id: row.id,
      at: row.at,
      type: row.type,
      userId: row.user_id,
      clientId: row.client_id,
      details: parseJsonColumn<Record<string, unknown>>(row.details, `details of audit event ${row.id}`),
    }));
  }

  async deleteOlderThan(before: number, batchSize: number): Promise<number> {
    return this.deleteOld.run(before, batchSize).changes;
  }
}
