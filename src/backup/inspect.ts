// Checks that a SQLite file is an intact idp database: SQLite's header, PRAGMA integrity_check, the
// schema_migrations and signing_keys tables, and the schema version. Backups are checked after they
// are written, and restores before anything is replaced.
import { Database } from 'bun:sqlite';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { IdpError } from '../errors.ts';
import { SQLITE_MIGRATIONS } from '../store/sqlite/migrations/index.ts';

/** A backup or restore that cannot go ahead; the message is one sentence for the operator. */
export class BackupError extends IdpError {
  override readonly name = 'BackupError';
}

export interface DatabaseCounts {
  users: number;
  clients: number;
  signing_keys: number;
}

export interface DatabaseReport {
  path: string;
  size: number;
  schemaVersion: number;
  /** The latest schema this build knows. */
  latestSchema: number;
  counts: DatabaseCounts;
  /** The most recently created signing key (its private part sealed), to check the server secret against. */
  newestKey: { kid: string; sealedPrivateJwk: string } | null;
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * Inspects the SQLite file at `path`, read-only. `label` names the file in error sentences. Throws a
 * BackupError when it is not a SQLite database, fails the integrity check, or is not an idp database.
 */
export function inspectDatabase(path: string, label = path): DatabaseReport {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new BackupError(`${label} is not a file.`);
    size = stat.size;
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`${label} does not exist or cannot be read.`);
  }
  if (readHeader(path) !== SQLITE_HEADER) throw new BackupError(`${label} is not a SQLite database.`);

  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    const problems = db.query<{ integrity_check: string }, []>('PRAGMA integrity_check').all().map((row) => row.integrity_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new BackupError(`${label} failed SQLite's integrity check (${problems[0] ?? 'no answer'}).`);
    }
    const tables = new Set(
      db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name),
    );
    if (!tables.has('schema_migrations') || !tables.has('signing_keys')) {
      throw new BackupError(`${label} is a SQLite database but not an idp database (it has no schema_migrations or signing_keys table).`);
    }
    const schemaVersion = db.query<{ version: number | null }, []>('SELECT MAX(version) AS version FROM schema_migrations').get()?.version ?? 0;
    const count = (table: string) =>
      tables.has(table) ? (db?.query<{ n: number }, []>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0) : 0;
    const newest = db
      .query<{ kid: string; sealed_private_jwk: string }, []>('SELECT kid, sealed_private_jwk FROM signing_keys ORDER BY rowid DESC LIMIT 1')
      .get();
    return {
      path,
      size,
      schemaVersion,
      latestSchema: SQLITE_MIGRATIONS.length,
      counts: { users: count('users'), clients: count('clients'), signing_keys: count('signing_keys') },
      newestKey: newest ? { kid: newest.kid, sealedPrivateJwk: newest.sealed_private_jwk } : null,
    };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    const reason = (error as Error).message.replace(/\.$/, '');
    const code = String((error as { code?: unknown }).code ?? '');
    if (code.startsWith('SQLITE_CORRUPT')) throw new BackupError(`${label} is corrupt (${reason}).`);
    if (code === 'SQLITE_NOTADB') throw new BackupError(`${label} is not a SQLite database.`);
    throw new BackupError(`${label} cannot be read as a SQLite database (${reason}).`);
  } finally {
    db?.close();
  }
}

/** Refuses a database this build cannot run: newer than its migrations, or with no schema at all. */
export function refuseUnusableSchema(report: DatabaseReport, label: string): void {
  if (report.schemaVersion > report.latestSchema) {
    throw new BackupError(
      `${label} is at schema version ${report.schemaVersion}, newer than this idp understands (${report.latestSchema}); restore it with a newer idp binary.`,
    );
  }
  if (report.schemaVersion < 1 || report.newestKey === null) {
    throw new BackupError(`${label} is not an initialised idp database (it holds no schema or no signing key).`);
  }
}

function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('latin1');
  } finally {
    closeSync(fd);
  }
}
