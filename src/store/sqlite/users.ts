// Users on SQLite. Usernames are unique case-insensitively (COLLATE NOCASE).
import type { Database, Statement } from 'bun:sqlite';
import { type UserAttributes, type UserProfile, type UserRecord, type UserStore, StoreError } from '../store.ts';
import { isUniqueViolation } from './errors.ts';
import { parseJsonColumn } from './json.ts';

interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  email: string | null;
  email_verified: number;
  profile: string;
  attributes: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    email: row.email,
    emailVerified: row.email_verified === 1,
    profile: parseJsonColumn<UserProfile>(row.profile, `profile of user ${row.id}`),
    attributes: parseJsonColumn<UserAttributes>(row.attributes, `attributes of user ${row.id}`),
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(user: UserRecord): UserRow {
  return {
    id: user.id,
    username: user.username,
    password_hash: user.passwordHash,
    email: user.email,
    email_verified: user.emailVerified ? 1 : 0,
    profile: JSON.stringify(user.profile),
    attributes: JSON.stringify(user.attributes),
    disabled: user.disabled ? 1 : 0,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

export class SqliteUsers implements UserStore {
  private readonly insert: Statement;
  private readonly byId: Statement<UserRow, [string]>;
  private readonly byUsername: Statement<UserRow, [string]>;
  private readonly all: Statement<UserRow, []>;
  private readonly update: Statement;
  private readonly remove: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO users
      (id, username, password_hash, email, email_verified, profile, attributes, disabled, created_at, updated_at)
      VALUES ($id, $username, $password_hash, $email, $email_verified, $profile, $attributes, $disabled, $created_at, $updated_at)`);
    this.byId = db.prepare('SELECT * FROM users WHERE id = ?');
    this.byUsername = db.prepare('SELECT * FROM users WHERE username = ?');
    this.all = db.prepare('SELECT * FROM users ORDER BY username');
    this.update = db.prepare(`UPDATE users SET username = $username, password_hash = $password_hash, email = $email,
      email_verified = $email_verified, profile = $profile, attributes = $attributes, disabled = $disabled, updated_at = $updated_at WHERE id = $id`);
    this.remove = db.prepare('DELETE FROM users WHERE id = ?');
  }

  async insertUser(user: UserRecord): Promise<void> {
    try {
      this.insert.run(toRow(user));
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', `The username ${user.username} is taken.`);
      throw error;
    }
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    const row = this.byUsername.get(username);
    return row ? toRecord(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.all.all().map(toRecord);
  }

  async updateUser(user: UserRecord): Promise<void> {
    const { created_at: _createdAt, ...row } = toRow(user);
    let changes: number;
    try {
      changes = this.update.run(row).changes;
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', `The username ${user.username} is taken.`);
      throw error;
    }
    if (changes === 0) throw new StoreError('not_found', `No user has id ${user.id}.`);
  }

  async deleteUser(id: string): Promise<void> {
    if (this.remove.run(id).changes === 0) throw new StoreError('not_found', `No user has id ${id}.`);
  }
}
