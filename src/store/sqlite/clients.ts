// Registered clients on SQLite; the metadata is one JSON column.
import type { Database, Statement } from 'bun:sqlite';
import type { ClientMetadata } from '../../clients/metadata.ts';
import { type ClientRecord, type ClientStore, StoreError } from '../store.ts';
import { isUniqueViolation } from './errors.ts';
import { parseJsonColumn } from './json.ts';

interface ClientRow {
  id: string;
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: number | null;
  metadata: string;
  created_at: number;
  updated_at: number;
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    metadata: parseJsonColumn<ClientMetadata>(row.metadata, `metadata of client ${row.id}`),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteClients implements ClientStore {
  private readonly insert: Statement;
  private readonly byId: Statement<ClientRow, [string]>;
  private readonly all: Statement<ClientRow, []>;
  private readonly update: Statement;
  private readonly remove: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO clients
      (id, secret_hash, previous_secret_hash, previous_secret_expires_at, metadata, created_at, updated_at)
      VALUES ($id, $secret_hash, $previous_secret_hash, $previous_secret_expires_at, $metadata, $created_at, $updated_at)`);
    this.byId = db.prepare('SELECT * FROM clients WHERE id = ?');
    this.all = db.prepare('SELECT * FROM clients ORDER BY created_at, id');
    this.update = db.prepare(`UPDATE clients SET secret_hash = $secret_hash, previous_secret_hash = $previous_secret_hash,
      previous_secret_expires_at = $previous_secret_expires_at, metadata = $metadata, updated_at = $updated_at WHERE id = $id`);
    this.remove = db.prepare('DELETE FROM clients WHERE id = ?');
  }

  async insertClient(client: ClientRecord): Promise<void> {
    try {
      this.insert.run({
        id: client.id,
        secret_hash: client.secretHash,
        previous_secret_hash: client.previousSecretHash,
        previous_secret_expires_at: client.previousSecretExpiresAt,
        metadata: JSON.stringify(client.metadata),
        created_at: client.createdAt,
        updated_at: client.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', `A client with id ${client.id} already exists.`);
      throw error;
    }
  }

  async getClient(id: string): Promise<ClientRecord | null> {
    const row = this.byId.get(id);
    return row ? toRecord(row) : null;
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.all.all().map(toRecord);
  }

  async updateClient(client: ClientRecord): Promise<void> {
    const changes = this.update.run({
      id: client.id,
      secret_hash: client.secretHash,
      previous_secret_hash: client.previousSecretHash,
      previous_secret_expires_at: client.previousSecretExpiresAt,
      metadata: JSON.stringify(client.metadata),
      updated_at: client.updatedAt,
    }).changes;
    if (changes === 0) throw new StoreError('not_found', `No client has id ${client.id}.`);
  }

  async deleteClient(id: string): Promise<void> {
    if (this.remove.run(id).changes === 0) throw new StoreError('not_found', `No client has id ${id}.`);
  }
}
