// The pool, and the one place where driver errors become StoreErrors. Every message names the
// database by its password-free location, and any password is scrubbed from what the driver says.
import { SQL } from 'bun';
import { StoreError } from '../store.ts';

export interface ConnectionOptions {
  /** Most connections in the pool (database_pool_size). */
  poolSize: number;
  /** Seconds after which the server cancels a statement (database_statement_timeout). */
  statementTimeout: number;
}

interface Target {
  location: string;
  hostname: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  database: string | undefined;
}

function parseTarget(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The text may hold a password: never repeat it.
    throw new StoreError('unreadable', 'The PostgreSQL database URL is malformed; expected postgres://user:password@host:port/database.');
  }
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const username = parsed.username === '' ? undefined : decode(parsed.username);
  const database = parsed.pathname.length > 1 ? decode(parsed.pathname.slice(1)) : undefined;
  const host = parsed.host === '' ? 'localhost' : parsed.host;
  return {
    location: `${parsed.protocol}//${parsed.username === '' ? '' : `${parsed.username}@`}${host}${parsed.pathname}`,
    hostname: parsed.hostname === '' ? 'localhost' : parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    username,
    password: parsed.password === '' ? undefined : decode(parsed.password),
    database,
  };
}

/** A pool plus what its errors need: where it points, and the secret never to print. */
export class Connection {
  private constructor(
    readonly sql: SQL,
    readonly location: string,
    private readonly password: string | undefined,
  ) {}

  static open(url: string, options: ConnectionOptions): Connection {
    const target = parseTarget(url);
    // Explicit fields, because Bun lets PGDATABASE and friends override parts of a URL; the URL still
    // carries its query (sslmode and the like).
    const sql = new SQL({
      url,
      hostname: target.hostname,
      port: target.port,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      ...(target.database === undefined ? {} : { database: target.database }),
      max: options.poolSize,
      idleTimeout: 60,
      connectionTimeout: 10,
      connection: { statement_timeout: options.statementTimeout * 1000, application_name: 'idp' },
    });
    return new Connection(sql, target.location, target.password);
  }

  /** Awaits a query; a driver failure becomes a StoreError (a unique violation `conflict`, with this message). */
  async run<T>(query: PromiseLike<T>, conflictMessage?: string): Promise<T> {
    try {
      return await query;
    } catch (error) {
      throw this.storeError(error, conflictMessage);
    }
  }

  storeError(error: unknown, conflictMessage = 'That key is already taken.'): StoreError {
    if (error instanceof StoreError) return error;
    const { code, errno, message } = error as { code?: string; errno?: string; message?: string };
    const reason = this.scrub(String(message ?? error)).replace(/[.\s]+$/, '');
    if (errno === '23505') return new StoreError('conflict', conflictMessage);
    if (isConnectionFailure(code, errno)) {
      const why = code === 'ERR_POSTGRES_CONNECTION_REFUSED' ? 'the connection was refused or the host is unknown' : reason;
      return new StoreError('unreadable', `Cannot reach the PostgreSQL database ${this.location}: ${why}.`);
    }
    if (errno === '57014') {
      return new StoreError('unreadable', `A statement on the PostgreSQL database ${this.location} ran longer than database_statement_timeout and was cancelled.`);
    }
    return new StoreError('unreadable', `The PostgreSQL database ${this.location} failed a statement: ${reason}.`);
  }

  private scrub(text: string): string {
    return this.password ? text.replaceAll(this.password, '***') : text;
  }

  async close(): Promise<void> {
    await this.sql.close({ timeout: 5 });
  }
}

/** Bun's own connection errors, and the server's connection, authentication and shutdown classes. */
function isConnectionFailure(code: string | undefined, errno: string | undefined): boolean {
  const bunCodes = /^ERR_POSTGRES_(CONNECTION_|TLS_|AUTHENTICATION_|SASL_|CHANNEL_BINDING_|UNKNOWN_AUTHENTICATION|UNSUPPORTED_AUTHENTICATION|INVALID_SERVER_|IDLE_TIMEOUT|LIFETIME_TIMEOUT)/;
  if (code !== undefined && bunCodes.test(code)) return true;
  return errno !== undefined && (/^(08|28|57P)/.test(errno) || errno === '3D000');
}

/** BIGINT columns arrive as strings: epoch seconds and counts fit a double exactly. */
export function int(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int(value);
}
