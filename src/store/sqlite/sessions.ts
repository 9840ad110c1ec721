// Browser sessions, remembered consent and pending authorization requests on SQLite.
import type { Database, Statement } from 'bun:sqlite';
import type {
  ConsentStore,
  InteractionRecord,
  InteractionStore,
  SessionRecord,
  SessionStore,
} from '../store.ts';
import { parseJsonColumn } from './json.ts';

interface SessionRow {
  id_hash: string;
  sid: string;
  user_id: string;
  auth_time: number;
  amr: string;
  created_at: number;
  expires_at: number;
}

export class SqliteSessions implements SessionStore {
  private readonly insert: Statement;
  private readonly find: Statement<SessionRow, [string, number]>;
  private readonly remove: Statement;
  private readonly removeOfUser: Statement;
  private readonly countLive: Statement<{ count: number }, [number]>;

  constructor(db: Database) {
    this.removeOfUser = db.prepare('DELETE FROM sessions WHERE user_id = ?');
    this.countLive = db.prepare('SELECT COUNT(*) AS count FROM sessions WHERE expires_at > ?');
    this.insert = db.prepare(`INSERT INTO sessions (id_hash, sid, user_id, auth_time, amr, created_at, expires_at)
      VALUES ($id_hash, $sid, $user_id, $auth_time, $amr, $created_at, $expires_at)`);
    this.find = db.prepare('SELECT * FROM sessions WHERE id_hash = ? AND expires_at > ?');
    this.remove = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
  }

  async insertSession(session: SessionRecord): Promise<void> {
    this.insert.run({
      id_hash: session.idHash,
      sid: session.sid,
      user_id: session.userId,
      auth_time: session.authTime,
      amr: JSON.stringify(session.amr),
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    });
  }

  async findSession(idHash: string, now: number): Promise<SessionRecord | null> {
    const row = this.find.get(idHash, now);
    if (!row) return null;
    return {
      idHash: row.id_hash,
      sid: row.sid,
      userId: row.user_id,
      authTime: row.auth_time,
      amr: parseJsonColumn<string[]>(row.amr, `amr of session ${row.sid}`),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async deleteSession(idHash: string): Promise<void> {
    this.remove.run(idHash);
  }

  async deleteSessionsOfUser(userId: string): Promise<number> {
    return this.removeOfUser.run(userId).changes;
  }

  async countActiveSessions(now: number): Promise<number> {
    return this.countLive.get(now)?.count ?? 0;
  }
}

export class SqliteConsents implements ConsentStore {
  private readonly get: Statement<{ scope: string }, [string, string]>;
  private readonly save: Statement;

  constructor(db: Database) {
    this.get = db.prepare('SELECT scope FROM consents WHERE user_id = ? AND client_id = ?');
    this.save = db.prepare(`INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at`);
  }

  async getConsent(userId: string, clientId: string): Promise<string | null> {
    return this.get.get(userId, clientId)?.scope ?? null;
  }

  async saveConsent(userId: string, clientId: string, scope: string, grantedAt: number): Promise<void> {
    this.save.run(userId, clientId, scope, grantedAt);
  }
}

interface InteractionRow {
  id_hash: string;
  browser_hash: string;
  request: string;
  user_id: string | null;
  login_at: number | null;
  created_at: number;
  expires_at: number;
}

export class SqliteInteractions implements InteractionStore {
  private readonly insert: Statement;
  private readonly find: Statement<InteractionRow, [string, number]>;
  private readonly login: Statement;
  private readonly remove: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO interactions (id_hash, browser_hash, request, user_id, login_at, created_at, expires_at)
      VALUES ($id_hash, $browser_hash, $request, $user_id, $login_at, $created_at, $expires_at)`);
    this.find = db.prepare('SELECT * FROM interactions WHERE id_hash = ? AND expires_at > ?');
    this.login = db.prepare('UPDATE interactions SET user_id = ?, login_at = ? WHERE id_hash = ?');
    this.remove = db.prepare('DELETE FROM interactions WHERE id_hash = ?');
  }

  async insertInteraction(interaction: InteractionRecord): Promise<void> {
    this.insert.run({
      id_hash: interaction.idHash,
      browser_hash: interaction.browserHash,
      request: interaction.request,
      user_id: interaction.userId,
      login_at: interaction.loginAt,
      created_at: interaction.createdAt,
      expires_at: interaction.expiresAt,
    });
  }

  async findInteraction(idHash: string, now: number): Promise<InteractionRecord | null> {
    const row = this.find.get(idHash, now);
    if (!row) return null;
    return {
      idHash: row.id_hash,
      browserHash: row.browser_hash,
      request: row.request,
      userId: row.user_id,
      loginAt: row.login_at,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  async recordInteractionLogin(idHash: string, userId: string, loginAt: number): Promise<void> {
    this.login.run(userId, loginAt, idHash);
  }

  async deleteInteraction(idHash: string): Promise<void> {
    this.remove.run(idHash);
  }
}
