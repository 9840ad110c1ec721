// Custom scopes on PostgreSQL: the name is the primary key, the released claims a JSON array.
import { parseJsonColumn } from '../sqlite/json.ts';
import { type ScopeRecord, type ScopeStore, StoreError } from '../store.ts';
import { type Connection, int } from './connection.ts';

interface ScopeRow {
  name: string;
  description: string;
  claims: string;
  created_at: string;
}

function toRecord(row: ScopeRow): ScopeRecord {
  return {
    name: row.name,
    description: row.description,
    claims: parseJsonColumn<string[]>(row.claims, `claims of scope ${row.name}`),
    createdAt: int(row.created_at),
  };
}

export class PostgresScopes implements ScopeStore {
  constructor(private readonly db: Connection) {}

  async insertScope(scope: ScopeRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO scopes (name, description, claims, created_at)
        VALUES (${scope.name}, ${scope.description}, ${JSON.stringify(scope.claims)}, ${scope.createdAt})`,
      `The scope ${scope.name} exists.`,
    );
  }

  async getScope(name: string): Promise<ScopeRecord | null> {
    const [row] = await this.db.run(this.db.sql<ScopeRow[]>`SELECT * FROM scopes WHERE name = ${name}`);
    return row ? toRecord(row) : null;
  }

  async listScopes(): Promise<ScopeRecord[]> {
    const rows = await this.db.run(this.db.sql<ScopeRow[]>`SELECT * FROM scopes ORDER BY name COLLATE "C"`);
    return rows.map(toRecord);
  }

  async deleteScope(name: string): Promise<void> {
    const result = await this.db.run(this.db.sql`DELETE FROM scopes WHERE name = ${name}`);
    if (result.count === 0) throw new StoreError('not_found', `No scope is named ${name}.`);
  }
}
