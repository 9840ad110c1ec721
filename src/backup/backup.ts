// `idp backup`: a consistent copy of the SQLite database while the server runs. VACUUM INTO reads
// inside one transaction, so under WAL it sees one snapshot and never blocks the server's writes.
// The copy is written aside (0600 from its first byte), checked, synced, then renamed into place.
import { Database } from 'bun:sqlite';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BackupError, inspectDatabase, type DatabaseReport } from './inspect.ts';

export interface BackupOptions {
  /** The installation's database file. */
  databasePath: string;
  /** Where the copy goes. */
  outPath: string;
  /** Replace `outPath` when it exists. */
  force?: boolean;
}

export function backupDatabase(options: BackupOptions): DatabaseReport {
  const source = resolve(options.databasePath);
  const out = resolve(options.outPath);
  if (!existsSync(source)) {
    throw new BackupError(`The database ${source} does not exist; there is nothing to back up (is the data dir initialised?).`);
  }
  if ([source, `${source}-wal`, `${source}-shm`].includes(out)) {
    throw new BackupError(`${out} is the live database; write the backup to another path.`);
  }
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) {
    throw new BackupError(`The directory ${dirname(out)} does not exist; create it first.`);
  }
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) throw new BackupError(`${out} is a directory; name the backup file, e.g. ${join(out, 'idp.db')}.`);
    if (!options.force) throw new BackupError(`${out} already exists; choose another path, or pass --force to replace it.`);
  }

  // VACUUM INTO accepts an existing empty file: creating it first fixes its mode before any data lands.
  const aside = join(dirname(out), `.${basename(out)}.${process.pid}.${crypto.randomUUID()}.tmp`);
  closeSync(openSync(aside, 'wx', 0o600));
  try {
    let db: Database | undefined;
    try {
      db = new Database(source, { readwrite: true, create: false });
      db.run('PRAGMA busy_timeout = 5000');
      db.run('VACUUM INTO ?', [aside]);
    } catch (error) {
      throw new BackupError(`Cannot copy the database ${source}: ${(error as Error).message.replace(/\.$/, '')}.`);
    } finally {
      db?.close();
    }
    syncFile(aside);
    const report = inspectDatabase(aside, `The backup written to ${out}`);
    renameSync(aside, out);
    syncFile(dirname(out));
    return { ...report, path: out };
  } finally {
    rmSync(aside, { force: true });
  }
}

/** fsync a file or directory, so a backup reported as written survives a power cut. */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems do not sync directories; the data itself was synced.
  } finally {
    closeSync(fd);
  }
}
