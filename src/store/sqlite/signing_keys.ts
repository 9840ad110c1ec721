// Signing keys on SQLite.
import type { Database, Statement } from 'bun:sqlite';
import type { SigningAlg } from '../../config/schema.ts';
import { type SigningKeyRecord, type SigningKeyStore, StoreError } from '../store.ts';
import { isUniqueViolation } from './errors.ts';

interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  public_jwk: string;
  sealed_private_jwk: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

function toRecord(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealedPrivateJwk: row.sealed_private_jwk,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
  };
}

export class SqliteSigningKeys implements SigningKeyStore {
  private readonly insert: Statement;
  private readonly list: Statement<SigningKeyRow, []>;
  private readonly get: Statement<SigningKeyRow, [string]>;
  private readonly retire: Statement;
  private readonly any: Statement<{ present: number }, []>;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(`INSERT INTO signing_keys
      (kid, alg, public_jwk, sealed_private_jwk, created_at, activates_at, retired_at)
      VALUES ($kid, $alg, $public_jwk, $sealed_private_jwk, $created_at, $activates_at, $retired_at)`);
    this.list = db.prepare('SELECT * FROM signing_keys ORDER BY rowid');
    this.get = db.prepare('SELECT * FROM signing_keys WHERE kid = ?');
    this.retire = db.prepare('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL');
    this.any = db.prepare('SELECT 1 AS present FROM signing_keys LIMIT 1');
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    this.insertOne(key);
  }

  private insertOne(key: SigningKeyRecord): void {
    try {
      this.insert.run({
        kid: key.kid,
        alg: key.alg,
        public_jwk: key.publicJwk,
        sealed_private_jwk: key.sealedPrivateJwk,
        created_at: key.createdAt,
        activates_at: key.activatesAt,
        retired_at: key.retiredAt,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', `A signing key with kid ${key.kid} already exists.`);
      throw error;
    }
  }

  async insertInitialSigningKeys(keys: SigningKeyRecord[]): Promise<boolean> {
    // BEGIN IMMEDIATE takes the write lock before the check: another process waits (busy_timeout)
    // and then finds the keys this one stored.
    return this.db
      .transaction((): boolean => {
        if (this.any.get()) return false;
        for (const key of keys) this.insertOne(key);
        return true;
      })
      .immediate();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.list.all().map(toRecord);
  }

  async getSigningKey(kid: string): Promise<SigningKeyRecord | null> {
    const row = this.get.get(kid);
    return row ? toRecord(row) : null;
  }

  async retireSigningKey(kid: string, retiredAt: number): Promise<void> {
    const changes = this.retire.run(retiredAt, kid).changes;
    if (changes === 0 && !this.get.get(kid)) throw new StoreError('not_found', `No signing key has kid ${kid}.`);
  }
}
