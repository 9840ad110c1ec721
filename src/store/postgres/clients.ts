// Registered clients on PostgreSQL; the metadata is one JSON column, kept as written.
import type { ClientMetadata } from '../../clients/metadata.ts';
import { parseJsonColumn } from '../sqlite/json.ts';
import { type ClientRecord, type ClientStore, StoreError } from '../store.ts';
import { type Connection, int, intOrNull } from './connection.ts';

interface ClientRow {
  id: string;
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: string | null;
  metadata: string;
  created_at: string;
  updated_at: string;
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: intOrNull(row.previous_secret_expires_at),
    metadata: parseJsonColumn<ClientMetadata>(row.metadata, `metadata of client ${row.id}`),
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
  };
}

export class PostgresClients implements ClientStore {
  constructor(private readonly db: Connection) {}

  async insertClient(client: ClientRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO clients
        (id, secret_hash, previous_secret_hash, previous_secret_expires_at, metadata, created_at, updated_at)
        VALUES (${client.id}, ${client.secretHash}, ${client.previousSecretHash}, ${client.previousSecretExpiresAt},
        ${JSON.stringify(client.metadata)}, ${client.createdAt}, ${client.updatedAt})`,
      `A client with id ${client.id} already exists.`,
    );
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    const [row] = await this.db.run(this.db.sql<ClientRow[]>`SELECT * FROM clients WHERE id = ${id}`);
    return row ? toRecord(row) : null;
  }

  async listClients(): Promise<ClientRecord[]> {
    // COLLATE "C": byte order, as SQLite sorts text, whatever the database's locale.
    const rows = await this.db.run(this.db.sql<ClientRow[]>`SELECT * FROM clients ORDER BY created_at, id COLLATE "C"`);
    return rows.map(toRecord);
  }

  async updateClient(client: ClientRecord): Promise<void> {
    const result = await this.db.run(
      this.db.sql`UPDATE clients SET secret_hash = ${client.secretHash}, previous_secret_hash = ${client.previousSecretHash},
        previous_secret_expires_at = ${client.previousSecretExpiresAt}, metadata = ${JSON.stringify(client.metadata)},
        updated_at = ${client.updatedAt} WHERE id = ${client.id}`,
    );
    if (result.count === 0) throw new StoreError('not_found', `No client has id ${client.id}.`);
  }

  async deleteClient(id: string): Promise<void> {
    const result = await this.db.run(this.db.sql`DELETE FROM clients WHERE id = ${id}`);
    if (result.count === 0) throw new StoreError('not_found', `No client has id ${id}.`);
  }
}
