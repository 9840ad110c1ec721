// The embedded store on bun:sqlite: WAL journal, a busy timeout, prepared statements, versioned migrations.
import { Database } from 'bun:sqlite';
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { refuseNewerSchema, type Migration } from '../migrate.ts';
import type {
  AuditStore,
  ClientStore,
  ConsentStore,
  DeviceCodeStore,
  InteractionStore,
  MaintenanceStore,
  RateLimitStore,
  SchemaStatus,
  ScopeStore,
  SessionStore,
  SigningKeyStore,
  Store,
  TokenStore,
  UserStore,
} from '../store.ts';
import { StoreError } from '../store.ts';
import { SqliteAudit } from './audit.ts';
import { SqliteClients } from './clients.ts';
import { SqliteDeviceCodes, SqliteRateLimits } from './devices.ts';
import { SqliteMaintenance } from './maintenance.ts';
import { SQLITE_MIGRATIONS } from './migrations/index.ts';
import { SqliteScopes } from './scopes.ts';
import { SqliteConsents, SqliteInteractions, SqliteSessions } from './sessions.ts';
import { SqliteSigningKeys } from './signing_keys.ts';
import { SqliteTokens } from './tokens.ts';
import { SqliteUsers } from './users.ts';

export interface SqliteStoreOptions {
  /** Defaults to the migrations shipped with this build; tests pass others. */
  migrations?: Migration[];
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const migrations = options.migrations ?? SQLITE_MIGRATIONS;
  // The database holds sealed private keys and (later) token hashes: owner-only from the first byte.
  if (!existsSync(path)) {
    try {
      closeSync(openSync(path, 'a', 0o600));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist' : (error as Error).message;
      throw new StoreError('unreadable', `Cannot create the SQLite database ${path}: ${reason}.`);
    }
  }
  let db: Database | undefined;
  try {
    db = new Database(path, { strict: true });
    db.run('PRAGMA journal_mode = WAL');
    db.run('PRAGMA busy_timeout = 5000');
    // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commits.
    db.run('PRAGMA synchronous = NORMAL');
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
  // Foreign keys are off while migrating, so a migration may rebuild a referenced table (SQLite's
  // "generalized ALTER TABLE" procedure); the result is checked before they are turned back on.
  db.run('PRAGMA foreign_keys = OFF');
  try {
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
      const violations = db.query('PRAGMA foreign_key_check').all();
      if (violations.length > 0) throw new Error(`migration left ${violations.length} foreign key violations`);
    }).immediate();
  } finally {
    db.run('PRAGMA foreign_keys = ON');
  }
}

function currentVersion(db: Database): number {
  const row = db.query<{ version: number | null }, []>('SELECT MAX(version) AS version FROM schema_migrations').get();
  return row?.version ?? 0;
}

export class SqliteStore implements Store {
  readonly keys: SigningKeyStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  readonly sessions: SessionStore;
  readonly consents: ConsentStore;
  readonly interactions: InteractionStore;
  readonly tokens: TokenStore;
  readonly maintenance: MaintenanceStore;
  readonly devices: DeviceCodeStore;
  readonly rateLimits: RateLimitStore;
  readonly scopes: ScopeStore;
  readonly audit: AuditStore;
  readonly location: string;

  constructor(
    private readonly db: Database,
    path: string,
    private readonly latest: number,
  ) {
    this.location = `sqlite:${path}`;
    this.keys = new SqliteSigningKeys(db);
    this.users = new SqliteUsers(db);
    this.clients = new SqliteClients(db);
    this.sessions = new SqliteSessions(db);
    this.consents = new SqliteConsents(db);
    this.interactions = new SqliteInteractions(db);
    this.tokens = new SqliteTokens(db);
    this.maintenance = new SqliteMaintenance(db);
    this.devices = new SqliteDeviceCodes(db);
    this.rateLimits = new SqliteRateLimits(db);
    this.scopes = new SqliteScopes(db);
    this.audit = new SqliteAudit(db);
  }

  async schemaStatus(): Promise<SchemaStatus> {
    return { current: currentVersion(this.db), latest: this.latest };
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
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
