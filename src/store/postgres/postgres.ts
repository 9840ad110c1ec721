// The shared store on PostgreSQL through Bun's built-in client: a connection pool, a statement
// timeout on every connection, versioned migrations that several instances may start at once.
import type { Migration } from '../migrate.ts';
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
import { PostgresAudit } from './audit.ts';
import { PostgresClients } from './clients.ts';
import { Connection } from './connection.ts';
import { PostgresDeviceCodes, PostgresRateLimits } from './devices.ts';
import { PostgresMaintenance } from './maintenance.ts';
import { type MigrationResult, migratePostgres, schemaVersion } from './migrate.ts';
import { POSTGRES_MIGRATIONS } from './migrations/index.ts';
import { PostgresScopes } from './scopes.ts';
import { PostgresConsents, PostgresInteractions, PostgresSessions } from './sessions.ts';
import { PostgresSigningKeys } from './signing_keys.ts';
import { PostgresTokens } from './tokens.ts';
import { PostgresUsers } from './users.ts';

export interface PostgresStoreOptions {
  /** Most connections in the pool (database_pool_size); default 10. */
  poolSize?: number;
  /** Seconds after which the server cancels a statement (database_statement_timeout); default 10. */
  statementTimeout?: number;
  /**
   * Apply pending migrations to a database that already has some (idp db migrate, idp serve
   * --migrate). Without it such a database is refused with `needs_migration`; an empty database is
   * always initialised.
   */
  migrate?: boolean;
  /** Defaults to the migrations shipped with this build; tests pass others. */
  migrations?: Migration[];
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  const db = Connection.open(url, { poolSize: options.poolSize ?? 10, statementTimeout: options.statementTimeout ?? 10 });
  try {
    const migrated = await db.run(migratePostgres(db.sql, migrations, db.location, options.migrate === true));
    return new PostgresStore(db, migrations.length, migrated);
  } catch (error) {
    await db.close().catch(() => {});
    throw db.storeError(error);
  }
}

export class PostgresStore implements Store {
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
    private readonly db: Connection,
    private readonly latest: number,
    /** What opening did to the schema (from = to when nothing was pending). */
    readonly migrated: MigrationResult,
  ) {
    this.location = db.location;
    this.keys = new PostgresSigningKeys(db);
    this.users = new PostgresUsers(db);
    this.clients = new PostgresClients(db);
    this.sessions = new PostgresSessions(db);
    this.consents = new PostgresConsents(db);
    this.interactions = new PostgresInteractions(db);
    this.tokens = new PostgresTokens(db);
    this.maintenance = new PostgresMaintenance(db);
    this.devices = new PostgresDeviceCodes(db);
    this.rateLimits = new PostgresRateLimits(db);
    this.scopes = new PostgresScopes(db);
    this.audit = new PostgresAudit(db);
  }

  async schemaStatus(): Promise<SchemaStatus> {
    return { current: await this.db.run(schemaVersion(this.db.sql)), latest: this.latest };
  }

  async ping(): Promise<void> {
    await this.db.run(this.db.sql`SELECT 1`);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
