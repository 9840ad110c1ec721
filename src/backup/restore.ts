// `idp restore`: replaces the installation's SQLite database with a backup. The backup is copied into
// the data dir (0600) and checked there before anything changes; the old database is folded
// (checkpointed) and renamed aside together with its -wal and -shm, so the restored file never meets
// the old write-ahead log; then the copy is renamed into place.
import { Database } from 'bun:sqlite';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createSealer } from '../keys/seal.ts';
import { readServerSecret } from '../keys/server_secret.ts';
import { runningServer, type RunLockInfo } from '../run_lock.ts';
import { syncFile } from './backup.ts';
import { BackupError, inspectDatabase, refuseUnusableSchema, type DatabaseReport } from './inspect.ts';

export interface RestoreOptions {
  /** The backup to restore. */
  backupPath: string;
  /** The installation's database file (replaced). */
  databasePath: string;
  dataDir: string;
  env: Record<string, string | undefined>;
  /** Go ahead although a server runs on the data dir. */
  force?: boolean;
  now?: () => Date;
}

export interface RestoreResult {
  database: string;
  restoredFrom: string;
  report: DatabaseReport;
  /** Where the replaced database was kept, or null when there was none. */
  previous: string | null;
  /** The server that was running on the data dir (restore went ahead with force), or null. */
  runningServer: RunLockInfo | null;
  /** Whether this installation's server secret opens the restored keys, or there is no secret yet. */
  secret: 'ok' | 'missing';
}

export async function restoreDatabase(options: RestoreOptions): Promise<RestoreResult> {
  const backup = resolve(options.backupPath);
  const database = resolve(options.databasePath);
  if (backup === database) throw new BackupError(`${backup} is the installation's own database; name a backup file.`);
  if (!existsSync(backup)) throw new BackupError(`${backup} does not exist.`);
  const wal = `${backup}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    throw new BackupError(
      `${backup} has an unmerged write-ahead log next to it (${wal}); restore a file made by idp backup, or a copy taken with the server stopped.`,
    );
  }
  // In a container, restore may run as the very pid a previous server had: that is not a server.
  const found = runningServer(options.dataDir);
  const server = found && found.pid !== process.pid ? found : null;
  if (server && !options.force) {
    throw new BackupError(
      `A server (pid ${server.pid}) is running on ${options.dataDir}; stop it first, or pass --force and restart it right after the restore.`,
    );
  }

  mkdirSync(dirname(database), { recursive: true, mode: 0o700 });
  const copy = join(dirname(database), `.${basename(database)}.restore.${process.pid}.${crypto.randomUUID()}`);
  try {
    copyPrivate(backup, copy);
    const report = inspectDatabase(copy, backup);
    refuseUnusableSchema(report, backup);
    const secret = await checkSecret(report, options, backup);
    const previous = replace(database, copy, options.now ?? (() => new Date()));
    return { database, restoredFrom: backup, report: { ...report, path: database }, previous, runningServer: server, secret };
  } finally {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(copy + suffix, { force: true });
  }
}

/** Keys sealed under another secret would leave the installation unable to sign: refuse before replacing. */
async function checkSecret(report: DatabaseReport, options: RestoreOptions, label: string): Promise<'ok' | 'missing'> {
  const secret = readServerSecret({ dataDir: options.dataDir, env: options.env });
  if (!secret || !report.newestKey) return 'missing';
  const sealer = await createSealer(secret);
  try {
    await sealer.open(report.newestKey.sealedPrivateJwk, report.newestKey.kid);
    return 'ok';
  } catch {
    const source = options.env.IDP_SECRET !== undefined ? 'IDP_SECRET' : join(options.dataDir, 'secret');
    throw new BackupError(
      `The signing keys in ${label} are sealed under another server secret than this installation's (${source}); put the backed-up installation's secret in place first.`,
    );
  }
}

/** Copies `from` to a new file `to` created 0600 (never readable by others, not even while copying), then syncs it. */
function copyPrivate(from: string, to: string): void {
  const input = openSync(from, 'r');
  try {
    const output = openSync(to, 'wx', 0o600);
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const read = readSync(input, buffer, 0, buffer.length, null);
        if (read === 0) break;
        let written = 0;
        while (written < read) written += writeSync(output, buffer, written, read - written);
      }
      fsyncSync(output);
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}

/** Moves the old database (and its -wal, -shm) aside, then the checked copy into place. */
function replace(database: string, copy: string, now: () => Date): string | null {
  let previous: string | null = null;
  if (existsSync(database)) {
    foldWal(database);
    previous = asideName(database, now());
    renameSync(database, previous);
    // What a running server (restore --force) still writes goes on with the old file under its new name:
    // SQLite finds a database's log by name, so the old log moves with it and never meets the restored file.
    for (const suffix of ['-wal', '-shm', '-journal']) {
      if (existsSync(database + suffix)) renameSync(database + suffix, previous + suffix);
    }
  }
  try {
    renameSync(copy, database);
  } catch (error) {
    if (previous) renameSync(previous, database);
    throw new BackupError(`Cannot put the restored database in place at ${database}: ${(error as Error).message.replace(/\.$/, '')}.`);
  }
  syncFile(dirname(database));
  return previous;
}

/** Checkpoints the old database's write-ahead log into it, so the copy kept aside is complete on its own. */
function foldWal(database: string): void {
  let db: Database | undefined;
  try {
    db = new Database(database, { readwrite: true, create: false });
    // Short: a running server's writers wait while a full checkpoint is pending; what is not folded moves with the log.
    db.run('PRAGMA busy_timeout = 1000');
    db.run('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch {
    // A corrupt or busy old database is moved aside as it is, with its log.
  } finally {
    db?.close();
  }
}

/** `idp.db.before-restore-20260102T030405Z`, with a counter when two restores share a second. */
function asideName(database: string, at: Date): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
  const base = `${database}.before-restore-${stamp}`;
  let name = base;
  for (let n = 2; existsSync(name) || existsSync(`${name}-wal`); n++) name = `${base}-${n}`;
  return name;
}
