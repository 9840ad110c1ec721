// Every table of an installation, as `idp db copy` moves it: the columns both backends share, their
// kinds (SQLite keeps booleans as 0/1, PostgreSQL int8 arrives as text), in an order that satisfies
// the foreign keys. schema_migrations is not copied: the target migrates itself to the same version.
export type ColumnKind = 'text' | 'int' | 'bool';

export interface TableSpec {
  name: string;
  columns: { name: string; kind: ColumnKind }[];
  /**
   * The PostgreSQL column that keeps insertion order where it carries meaning (SQLite's rowid):
   * signing key order breaks activation ties, grant order breaks created_at ties, audit ids are kept.
   */
  postgresOrder?: 'seq' | 'id';
}

/** `'created_at:int'` → an int column; a bare name is text. */
function table(name: string, columns: string, postgresOrder?: TableSpec['postgresOrder']): TableSpec {
  return {
    name,
    columns: columns.split(/\s+/).map((column) => {
      const [columnName, kind = 'text'] = column.split(':');
      return { name: columnName as string, kind: kind as ColumnKind };
    }),
    ...(postgresOrder ? { postgresOrder } : {}),
  };
}

export const TABLES: readonly TableSpec[] = [
  table('signing_keys', 'kid alg public_jwk sealed_private_jwk created_at:int activates_at:int retired_at:int', 'seq'),
  table('users', 'id username password_hash email email_verified:bool profile attributes disabled:bool created_at:int updated_at:int'),
  table('clients', 'id secret_hash previous_secret_hash previous_secret_expires_at:int metadata created_at:int updated_at:int'),
  table('scopes', 'name description claims created_at:int'),
  table('sessions', 'id_hash sid user_id auth_time:int amr created_at:int expires_at:int'),
  table('consents', 'user_id client_id scope granted_at:int'),
  table('interactions', 'id_hash browser_hash request user_id login_at:int created_at:int expires_at:int'),
  table('grants', 'id user_id client_id scope sid auth_time:int created_at:int expires_at:int revoked_at:int', 'seq'),
  table(
    'authorization_codes',
    'code_hash grant_id client_id redirect_uri scope nonce code_challenge code_challenge_method created_at:int expires_at:int consumed_at:int',
  ),
  table('access_tokens', 'token_hash grant_id client_id user_id scope claims created_at:int expires_at:int'),
  table('refresh_tokens', 'token_hash grant_id client_id user_id scope created_at:int expires_at:int rotated_at:int'),
  table(
    'device_codes',
    'device_code_hash user_code client_id scope status user_id sid auth_time:int poll_interval:int last_polled_at:int created_at:int expires_at:int',
  ),
  table('rate_limits', 'key count:int window_start:int expires_at:int'),
  table('audit_events', 'id:int at:int type user_id client_id details', 'id'),
];

/** A row in neutral form: text as strings, integers as numbers, booleans as booleans, NULL as null. */
export type Row = (string | number | boolean | null)[];

/** Reads a whole installation, table by table in TABLES order, page by page, from one snapshot. */
export interface RowSource {
  readonly location: string;
  read(visit: (table: TableSpec, rows: Row[]) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Writes rows into an empty installation, all in one transaction. */
export interface RowTarget {
  readonly location: string;
  /** The first table that holds a row, or null when every table is empty. */
  firstNonEmptyTable(): Promise<string | null>;
  write(fill: (insert: (table: TableSpec, rows: Row[]) => Promise<void>) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export const PAGE_SIZE = 500;
