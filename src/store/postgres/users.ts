// Users on PostgreSQL. Usernames are unique case-insensitively through an index on
// lower(username COLLATE "C"), which folds ASCII letters only, as SQLite's NOCASE does.
import { parseJsonColumn } from '../sqlite/json.ts';
import { type UserAttributes, type UserProfile, type UserRecord, type UserStore, StoreError } from '../store.ts';
import { type Connection, int } from './connection.ts';

interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  email: string | null;
  email_verified: boolean;
  profile: string;
  attributes: string;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    email: row.email,
    emailVerified: row.email_verified,
    profile: parseJsonColumn<UserProfile>(row.profile, `profile of user ${row.id}`),
    attributes: parseJsonColumn<UserAttributes>(row.attributes, `attributes of user ${row.id}`),
    disabled: row.disabled,
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
  };
}

export class PostgresUsers implements UserStore {
  constructor(private readonly db: Connection) {}

  async insertUser(user: UserRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO users
        (id, username, password_hash, email, email_verified, profile, attributes, disabled, created_at, updated_at)
        VALUES (${user.id}, ${user.username}, ${user.passwordHash}, ${user.email}, ${user.emailVerified},
        ${JSON.stringify(user.profile)}, ${JSON.stringify(user.attributes)}, ${user.disabled}, ${user.createdAt}, ${user.updatedAt})`,
      `The username ${user.username} is taken.`,
    );
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const [row] = await this.db.run(this.db.sql<UserRow[]>`SELECT * FROM users WHERE id = ${id}`);
    return row ? toRecord(row) : null;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    const [row] = await this.db.run(
      this.db.sql<UserRow[]>`SELECT * FROM users WHERE lower(username COLLATE "C") = lower(${username} COLLATE "C")`,
    );
    return row ? toRecord(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    const rows = await this.db.run(this.db.sql<UserRow[]>`SELECT * FROM users ORDER BY lower(username COLLATE "C"), username COLLATE "C"`);
    return rows.map(toRecord);
  }

  async updateUser(user: UserRecord): Promise<void> {
    const result = await this.db.run(
      this.db.sql`UPDATE users SET username = ${user.username}, password_hash = ${user.passwordHash}, email = ${user.email},
        email_verified = ${user.emailVerified}, profile = ${JSON.stringify(user.profile)}, attributes = ${JSON.stringify(user.attributes)},
        disabled = ${user.disabled}, updated_at = ${user.updatedAt} WHERE id = ${user.id}`,
      `The username ${user.username} is taken.`,
    );
    if (result.count === 0) throw new StoreError('not_found', `No user has id ${user.id}.`);
  }

  async deleteUser(id: string): Promise<void> {
    const result = await this.db.run(this.db.sql`DELETE FROM users WHERE id = ${id}`);
    if (result.count === 0) throw new StoreError('not_found', `No user has id ${id}.`);
  }
}
