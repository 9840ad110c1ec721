// Signing keys on PostgreSQL; `seq` keeps insertion order.
import type { SQL } from 'bun';
import type { SigningAlg } from '../../config/schema.ts';
import { type SigningKeyRecord, type SigningKeyStore, StoreError } from '../store.ts';
import { type Connection, int, intOrNull } from './connection.ts';

interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  public_jwk: string;
  sealed_private_jwk: string;
  created_at: string;
  activates_at: string;
  retired_at: string | null;
}

function toRecord(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    sealedPrivateJwk: row.sealed_private_jwk,
    createdAt: int(row.created_at),
    activatesAt: int(row.activates_at),
    retiredAt: intOrNull(row.retired_at),
  };
}

/** Serialises first-time key creation; any constant will do as long as every idp uses it (see migrate.ts). */
const INITIAL_KEYS_LOCK = 7_349_120_002;

function insertKey(sql: SQL, key: SigningKeyRecord) {
  return sql`INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private_jwk, created_at, activates_at, retired_at)
    VALUES (${key.kid}, ${key.alg}, ${key.publicJwk}, ${key.sealedPrivateJwk}, ${key.createdAt}, ${key.activatesAt}, ${key.retiredAt})`;
}

export class PostgresSigningKeys implements SigningKeyStore {
  constructor(private readonly db: Connection) {}

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.db.run(insertKey(this.db.sql, key), `A signing key with kid ${key.kid} already exists.`);
  }

  async insertInitialSigningKeys(keys: SigningKeyRecord[]): Promise<boolean> {
    // The transaction-scoped advisory lock makes instances take turns; under READ COMMITTED the check
    // after it is a new snapshot, so the second one sees the keys the first one committed.
    return this.db.run(
      this.db.sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${INITIAL_KEYS_LOCK})`;
        const [row] = await tx<{ present: boolean }[]>`SELECT EXISTS (SELECT 1 FROM signing_keys) AS present`;
        if (row?.present) return false;
        for (const key of keys) await insertKey(tx, key);
        return true;
      }),
      'A signing key with one of these kids already exists.',
    );
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.run(this.db.sql<SigningKeyRow[]>`SELECT * FROM signing_keys ORDER BY seq`);
    return rows.map(toRecord);
  }

  async getSigningKey(kid: string): Promise<SigningKeyRecord | null> {
    const [row] = await this.db.run(this.db.sql<SigningKeyRow[]>`SELECT * FROM signing_keys WHERE kid = ${kid}`);
    return row ? toRecord(row) : null;
  }

  async retireSigningKey(kid: string, retiredAt: number): Promise<void> {
    const result = await this.db.run(this.db.sql`UPDATE signing_keys SET retired_at = ${retiredAt} WHERE kid = ${kid} AND retired_at IS NULL`);
    if (result.count === 0 && !(await this.getSigningKey(kid))) throw new StoreError('not_found', `No signing key has kid ${kid}.`);
  }
}
