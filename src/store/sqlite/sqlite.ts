// The embedded store on bun:sqlite: WAL journal, a busy timeout, prepared statements, versioned migrations.
import { Database, type Statement } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import type { SigningAlg } from '../../config/schema.ts';
import { refuseNewerSchema, type Migration } from '../migrate.ts';
import { type SchemaStatus, type SigningKeyRecord, type SigningKeyStore, type Store, StoreError } from '../store.ts';
import { SQLITE_MIGRATIONS } from './migrations/index.ts';

interface SigningKeyRow {
  kid: string;
  alg: SigningAlg;
  public_jwk: string;
  sealed_private_jwk: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

export interface SqliteStoreOptions {
  /** Defaults to the migrations shipped with this build; tests pass others. */
  migrations?: Migration[];
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const migrations = options.migrations ?? SQLITE_MIGRATIONS;
  // The database holds sealed private keys and (later) token hashes: owner-only from the first byte.
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  let db: Database | undefined;
  try {
    db = new Database(path, { strict: true });
    db.run('PRAGMA journal_mode = WAL');
    db.run('PRAGMA busy_timeout = 5000');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    db.run('PRAGMA synchronous = NORMAL');
    db.run('PRAGMA foreign_keys = ON');
    migrate(db, migrations, path);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
    }
    return new SqliteStore(db, path, migrations.length);
  } catch (error) {
    db?.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('unreadable', `Cannot open the SQLite database ${path}: ${(error as Error).message}.`);
  }
}

function migrate(db: Database, migrations: Migration[], path: string): void {
  db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  // BEGIN IMMEDIATE takes the write lock first, so two processes starting together migrate once.
  db.transaction(() => {
    const current = currentVersion(db);
    refuseNewerSchema(current, migrations.length, path);
    for (const migration of migrations.slice(current)) {
      db.run(migration.sql);
      db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        Math.floor(Date.now() / 1000),
      ]);
    }
  }).immediate();
}

function currentVersion(db: Database): number {
  const row = db.query<{ version: number | null }, []>('SELECT MAX(version) AS version FROM schema_migrations').get();
  return row?.version ?? 0;
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

class SqliteSigningKeys implements SigningKeyStore {
  private readonly insert: Statement;
  private readonly list: Statement<SigningKeyRow, []>;
  private readonly get: Statement<SigningKeyRow, [string]>;
  private readonly retire: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO signing_keys
      (kid, alg, public_jwk, sealed_private_jwk, created_at, activates_at, retired_at)
      VALUES ($kid, $alg, $public_jwk, $sealed_private_jwk, $created_at, $activates_at, $retired_at)`);
    this.list = db.prepare('SELECT * FROM signing_keys ORDER BY rowid');
    this.get = db.prepare('SELECT * FROM signing_keys WHERE kid = ?');
    this.retire = db.prepare('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL');
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
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

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed|PRIMARY KEY/.test(error.message);
}

export class SqliteStore implements Store {
  readonly keys: SigningKeyStore;
  readonly location: string;

  constructor(
    private readonly db: Database,
    path: string,
    private readonly latest: number,
  ) {
    this.location = `sqlite:${path}`;
    this.keys = new SqliteSigningKeys(db);
  }

  async schemaStatus(): Promise<SchemaStatus> {
    return { current: currentVersion(this.db), latest: this.latest };
  }

  async close(): Promise<void> {
    // Folds the WAL back into the main file so a copied idp.db is complete.
    try {
      this.db.run('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // Another process may hold the database; the WAL stays and is still valid.
    }
    this.db.close();
  }
}
