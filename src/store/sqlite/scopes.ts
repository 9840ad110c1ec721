// Custom scopes on SQLite: the name is the primary key, the released claims a JSON array.
import type { Database } from 'bun:sqlite';
import { type ScopeRecord, type ScopeStore, StoreError } from '../store.ts';
import { isUniqueViolation } from './errors.ts';
import { parseJsonColumn } from './json.ts';

interface ScopeRow {
  name: string;
  description: string;
  claims: string;
  created_at: number;
}

function toRecord(row: ScopeRow): ScopeRecord {
  return {
    name: row.name,
    description: row.description,
    claims: parseJsonColumn<string[]>(row.claims, `claims of scope ${row.name}`),
    createdAt: row.created_at,
  };
}

export class SqliteScopes implements ScopeStore {
  // Statements are prepared at first use (db.query caches them), so a store opened on a database
  // migrated only up to an older version (as migration tests do) still opens.
  constructor(private readonly db: Database) {}

  async insertScope(scope: ScopeRecord): Promise<void> {
    try {
      this.db
        .query('INSERT INTO scopes (name, description, claims, created_at) VALUES ($name, $description, $claims, $created_at)')
        .run({ name: scope.name, description: scope.description, claims: JSON.stringify(scope.claims), created_at: scope.createdAt });
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', `The scope ${scope.name} exists.`);
      throw error;
    }
  }

  async getScope(name: string): Promise<ScopeRecord | null> {
    const row = this.db.query<ScopeRow, [string]>('SELECT * FROM scopes WHERE name = ?').get(name);
    return row ? toRecord(row) : null;
  }

  async listScopes(): Promise<ScopeRecord[]> {
    return this.db.query<ScopeRow, []>('SELECT * FROM scopes ORDER BY name').all().map(toRecord);
  }

  async deleteScope(name: string): Promise<void> {
    const result = this.db.query('DELETE FROM scopes WHERE name = ?').run(name);
    if (result.changes === 0) throw new StoreError('not_found', `No scope is named ${name}.`);
  }
}
