// Browser sessions, remembered consent and pending authorization requests on PostgreSQL.
import { parseJsonColumn } from '../sqlite/json.ts';
import type { ConsentStore, InteractionRecord, InteractionStore, SessionRecord, SessionStore } from '../store.ts';
import { type Connection, int, intOrNull } from './connection.ts';

interface SessionRow {
  id_hash: string;
  sid: string;
  user_id: string;
  auth_time: string;
  amr: string;
  created_at: string;
  expires_at: string;
}

export class PostgresSessions implements SessionStore {
  constructor(private readonly db: Connection) {}

  async insertSession(session: SessionRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO sessions (id_hash, sid, user_id, auth_time, amr, created_at, expires_at)
        VALUES (${session.idHash}, ${session.sid}, ${session.userId}, ${session.authTime}, ${JSON.stringify(session.amr)},
        ${session.createdAt}, ${session.expiresAt})`,
    );
  }

  async findSession(idHash: string, now: number): Promise<SessionRecord | null> {
    const [row] = await this.db.run(this.db.sql<SessionRow[]>`SELECT * FROM sessions WHERE id_hash = ${idHash} AND expires_at > ${now}`);
    if (!row) return null;
    return {
      idHash: row.id_hash,
      sid: row.sid,
      userId: row.user_id,
      authTime: int(row.auth_time),
      amr: parseJsonColumn<string[]>(row.amr, `amr of session ${row.sid}`),
      createdAt: int(row.created_at),
      expiresAt: int(row.expires_at),
    };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.run(this.db.sql`DELETE FROM sessions WHERE id_hash = ${idHash}`);
  }

  async deleteSessionsOfUser(userId: string): Promise<number> {
    return (await this.db.run(this.db.sql`DELETE FROM sessions WHERE user_id = ${userId}`)).count;
  }

  async countActiveSessions(now: number): Promise<number> {
    const [row] = await this.db.run(this.db.sql<{ count: number }[]>`SELECT COUNT(*)::int AS count FROM sessions WHERE expires_at > ${now}`);
    return row?.count ?? 0;
  }
}

export class PostgresConsents implements ConsentStore {
  constructor(private readonly db: Connection) {}

  async getConsent(userId: string, clientId: string): Promise<string | null> {
    const [row] = await this.db.run(
      this.db.sql<{ scope: string }[]>`SELECT scope FROM consents WHERE user_id = ${userId} AND client_id = ${clientId}`,
    );
    return row?.scope ?? null;
  }

  async saveConsent(userId: string, clientId: string, scope: string, grantedAt: number): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (${userId}, ${clientId}, ${scope}, ${grantedAt})
        ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at`,
    );
  }
}

interface InteractionRow {
  id_hash: string;
  browser_hash: string;
  request: string;
  user_id: string | null;
  login_at: string | null;
  created_at: string;
  expires_at: string;
}

export class PostgresInteractions implements InteractionStore {
  constructor(private readonly db: Connection) {}

  async insertInteraction(interaction: InteractionRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO interactions (id_hash, browser_hash, request, user_id, login_at, created_at, expires_at)
        VALUES (${interaction.idHash}, ${interaction.browserHash}, ${interaction.request}, ${interaction.userId},
        ${interaction.loginAt}, ${interaction.createdAt}, ${interaction.expiresAt})`,
    );
  }

  async findInteraction(idHash: string, now: number): Promise<InteractionRecord | null> {
    const [row] = await this.db.run(
      this.db.sql<InteractionRow[]>`SELECT * FROM interactions WHERE id_hash = ${idHash} AND expires_at > ${now}`,
    );
    if (!row) return null;
    return {
      idHash: row.id_hash,
      browserHash: row.browser_hash,
      request: row.request,
      userId: row.user_id,
      loginAt: intOrNull(row.login_at),
      createdAt: int(row.created_at),
      expiresAt: int(row.expires_at),
    };
  }

  async recordInteractionLogin(idHash: string, userId: string, loginAt: number): Promise<void> {
    await this.db.run(this.db.sql`UPDATE interactions SET user_id = ${userId}, login_at = ${loginAt} WHERE id_hash = ${idHash}`);
  }

  async deleteInteraction(idHash: string): Promise<void> {
    await this.db.run(this.db.sql`DELETE FROM interactions WHERE id_hash = ${idHash}`);
  }
}
