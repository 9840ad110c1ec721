// `idp backup` and `idp restore` as child processes: an online backup while `idp serve` answers token
// requests, restores refused while the server's serve.pid is live (unless --force), and every file
// that is not a usable idp database refused in one sentence, before anything is replaced.
import { Database } from 'bun:sqlite';
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLockPath } from '../../src/run_lock.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.ts';
import {
  asRecord,
  expectCleanFailure,
  expectJson,
  isRecord,
  type RunOptions,
  runIdp,
  useSandbox,
} from '../helpers/cli.ts';
import { basicAuth } from '../helpers/oidc.ts';

const sandbox = useSandbox();
// Each test spawns the CLI several times (and servers): far beyond bun's default 5 s on a busy machine.
setDefaultTimeout(60_000);
const PASSWORD = 'correct horse battery staple';
const LATEST = SQLITE_MIGRATIONS.length;

interface Machine {
  id: string;
  secret: string;
}

const idp = (dataDir: string, args: string[], options: RunOptions = {}) => runIdp([...args, '--data-dir', dataDir], options);

/** An initialised data dir with the user alice and a client_credentials client. */
async function installation(): Promise<{ dataDir: string; client: Machine }> {
  const dataDir = await sandbox.initDataDir();
  expectJson(await idp(dataDir, ['user', 'add', '--json', '--username', 'alice', '--password-stdin'], { stdin: `${PASSWORD}\n` }));
  const created = asRecord(expectJson(await idp(dataDir, ['client', 'add', '--json', '--name', 'Batch job', '--grant-type', 'client_credentials'])));
  return { dataDir, client: { id: String(created.client_id), secret: String(created.client_secret) } };
}

async function addUser(dataDir: string, username: string): Promise<void> {
  expectJson(await idp(dataDir, ['user', 'add', '--json', '--username', username, '--password-stdin'], { stdin: `${PASSWORD}\n` }));
}

async function usernames(dataDir: string): Promise<string[]> {
  const users = expectJson(await idp(dataDir, ['user', 'list', '--json']));
  if (!Array.isArray(users)) throw new Error('user list --json did not print an array');
  return users.map((user) => String(asRecord(user).username)).sort();
}

async function backup(dataDir: string, out: string, args: string[] = []): Promise<Record<string, unknown>> {
  return asRecord(expectJson(await idp(dataDir, ['backup', '--json', '--out', out, ...args])));
}

/** Runs `sql` on a database opened read-only. */
function query<T>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.query<T, []>(sql).all();
  } finally {
    db.close();
  }
}

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function tokenRequest(url: string, client: Machine): Promise<Response> {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
    body: 'grant_type=client_credentials',
    signal: AbortSignal.timeout(5_000),
  });
}

/** Token requests from `workers` loops until stop() is called; counts the 200 answers. */
function traffic(url: string, client: Machine, workers = 4) {
  let running = true;
  let ok = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const response = await tokenRequest(url, client);
      await response.arrayBuffer();
      if (response.status === 200) ok++;
    }
  });
  return {
    ok: () => ok,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(['true']);
  await child.exited;
  return child.pid;
}

function leftovers(dataDir: string): string[] {
  return readdirSync(dataDir).filter((name) => name.includes('.restore.') || name.endsWith('.tmp'));
}

describe('idp backup', () => {
  it('copies the database while the server runs and serves traffic: the copy opens, passes integrity_check, has the users, clients and keys', async () => {
    const { dataDir, client } = await installation();
    const server = await sandbox.serve(dataDir);
    const load = traffic(server.url, client);
    try {
      while (load.ok() < 50) await Bun.sleep(10);
      const before = load.ok();
      const out = join(await sandbox.tempDir(), 'idp-backup.db');
      const printed = await backup(dataDir, out);
      const after = load.ok();
      await load.stop();

      expect(printed.path).toBe(out);
      expect(printed.size).toBe(statSync(out).size);
      expect(printed.schema_version).toBe(LATEST);
      expect(printed.integrity).toBe('ok');
      expect(printed.includes_secret).toBe(false);
      expect(printed.counts).toEqual({ users: 1, clients: 1, signing_keys: 1 });
      expect(String(printed.note)).toContain(join(dataDir, 'secret'));
      expect(mode(out)).toBe(0o600);
      expect(existsSync(`${out}-wal`)).toBe(false);

      expect(query<{ integrity_check: string }>(out, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(query<{ username: string }>(out, 'SELECT username FROM users')).toEqual([{ username: 'alice' }]);
      expect(query<{ id: string }>(out, 'SELECT id FROM clients')).toEqual([{ id: client.id }]);
      const kids = query<{ kid: string }>(out, 'SELECT kid FROM signing_keys').map((row) => row.kid);
      const listed = expectJson(await idp(dataDir, ['keys', 'list', '--json']));
      expect(Array.isArray(listed) && listed.map((key) => asRecord(key).kid)).toEqual(kids);
      // One snapshot: at least the tokens answered before the backup began, at most those answered by its end.
      const [{ n: tokens } = { n: -1 }] = query<{ n: number }>(out, 'SELECT COUNT(*) AS n FROM access_tokens');
      expect(tokens).toBeGreaterThanOrEqual(before);
      expect(tokens).toBeLessThanOrEqual(after + 4);
    } finally {
      await load.stop();
      await server.stop();
    }
  });

  it('says in words where the secret is and that the backup does not hold it', async () => {
    const { dataDir } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    const result = await idp(dataDir, ['backup', '--out', out], { env: { IDP_SECRET: readFileSync(join(dataDir, 'secret'), 'utf8').trim() } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`to ${out}`);
    expect(result.stdout).toMatch(/schema version\s+\d+/);
    expect(result.stdout).toContain('holds no server secret');
    expect(result.stdout).toContain('keep IDP_SECRET');
  });

  it('an existing output file is refused in one sentence and left alone; --force replaces it', async () => {
    const { dataDir } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    writeFileSync(out, 'keep me');
    const sentence = expectCleanFailure(await idp(dataDir, ['backup', '--out', out]));
    expect(sentence).toContain(out);
    expect(sentence).toContain('--force');
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect((await backup(dataDir, out, ['--force'])).integrity).toBe('ok');
    expect(mode(out)).toBe(0o600);
    expect(readdirSync(join(out, '..'))).toEqual(['b.db']);
  });

  it('a missing directory, the live database itself and an uninitialised data dir are refused in one sentence', async () => {
    const { dataDir } = await installation();
    const missing = join(await sandbox.tempDir(), 'no', 'such', 'b.db');
    expect(expectCleanFailure(await idp(dataDir, ['backup', '--out', missing]))).toContain('does not exist');
    expect(expectCleanFailure(await idp(dataDir, ['backup', '--force', '--out', join(dataDir, 'idp.db')]))).toContain('live database');
    const empty = await sandbox.dataDir();
    expect(expectCleanFailure(await idp(empty, ['backup', '--out', join(await sandbox.tempDir(), 'b.db')]))).toContain('nothing to back up');
  });

  it('a PostgreSQL database is refused with one sentence pointing to pg_dump', async () => {
    const { dataDir } = await installation();
    const env = { IDP_DATABASE: 'postgres://idp:secret@127.0.0.1:9/idp' };
    const out = join(await sandbox.tempDir(), 'b.db');
    expect(expectCleanFailure(await idp(dataDir, ['backup', '--out', out], { env }))).toContain('pg_dump');
    expect(existsSync(out)).toBe(false);
  });
});

describe('idp restore', () => {
  it('is refused while serve.pid is live, allowed with --force (restart asked for), and allowed once the server stops', async () => {
    const { dataDir, client } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    await backup(dataDir, out);
    await addUser(dataDir, 'bob');
    const server = await sandbox.serve(dataDir);
    try {
      expect((await tokenRequest(server.url, client)).status).toBe(200);
      const pid = JSON.parse(readFileSync(runLockPath(dataDir), 'utf8')).pid;
      const database = join(dataDir, 'idp.db');
      const refused = expectCleanFailure(await idp(dataDir, ['restore', out]));
      expect(refused).toContain(`pid ${pid}`);
      expect(refused).toContain('--force');
      expect(await usernames(dataDir)).toEqual(['alice', 'bob']);

      const forced = asRecord(expectJson(await idp(dataDir, ['restore', out, '--force', '--json'])));
      expect(forced.restart_required).toBe(true);
      expect(isRecord(forced.server_running) && forced.server_running.pid).toBe(pid);
      expect(String(forced.notes)).toContain('restart it now');
      const previous = String(forced.previous);
      expect(previous).toStartWith(`${database}.before-restore-`);
      expect(mode(database)).toBe(0o600);
      expect(mode(previous)).toBe(0o600);
      expect(leftovers(dataDir)).toEqual([]);
      expect(await server.stop()).toBe(0);
      expect(existsSync(runLockPath(dataDir))).toBe(false);

      // The restored database has the backup's users; the kept one (with its log, folded by the stopping server) has bob.
      expect(await usernames(dataDir)).toEqual(['alice']);
      expect(query<{ username: string }>(previous, 'SELECT username FROM users ORDER BY username').map((row) => row.username)).toEqual(['alice', 'bob']);

      const again = asRecord(expectJson(await idp(dataDir, ['restore', out, '--json'])));
      expect(again.restart_required).toBe(false);
      expect(again.server_running).toBeNull();
      expect(again.secret).toBe('ok');
      expect(again.counts).toEqual({ users: 1, clients: 1, signing_keys: 1 });

      // The server runs on the restored database.
      const restarted = await sandbox.serve(dataDir);
      expect((await tokenRequest(restarted.url, client)).status).toBe(200);
      expect(await restarted.stop()).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('a stale serve.pid (its server was killed) does not block a restore', async () => {
    const { dataDir } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    await backup(dataDir, out);
    writeFileSync(runLockPath(dataDir), JSON.stringify({ pid: await deadPid(), started_at: 1 }));
    const result = await idp(dataDir, ['restore', out]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Restored ${out}`);
    expect(result.stdout).not.toContain('restart');
  });

  it('the old database is kept aside with what its write-ahead log held, and the restored one never meets that log', async () => {
    const { dataDir } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    await backup(dataDir, out);
    // A reader holding a snapshot from before bob was added keeps the checkpoints (the CLI's, restore's)
    // from folding bob into idp.db: he is only in idp.db-wal when restore runs, as with a busy server.
    const database = join(dataDir, 'idp.db');
    const reader = new Database(database);
    let open = true;
    try {
      reader.run('BEGIN');
      reader.query('SELECT COUNT(*) FROM users').get();
      await addUser(dataDir, 'bob');
      expect(statSync(`${database}-wal`).size).toBeGreaterThan(0);

      const printed = asRecord(expectJson(await idp(dataDir, ['restore', out, '--json'])));
      const previous = String(printed.previous);
      expect(existsSync(`${database}-wal`)).toBe(false);
      expect(statSync(`${previous}-wal`).size).toBeGreaterThan(0);
      const kept = () => query<{ username: string }>(previous, 'SELECT username FROM users ORDER BY username').map((row) => row.username);
      expect(kept()).toEqual(['alice', 'bob']);

      // The old connection ends (a server stopping) and folds its log into the file kept aside.
      reader.run('COMMIT');
      reader.close();
      open = false;
      expect(kept()).toEqual(['alice', 'bob']);
      expect(await usernames(dataDir)).toEqual(['alice']);
      expect(query<{ integrity_check: string }>(database, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      if (open) reader.close();
    }
  });

  it('files that are not a usable idp database are refused in one sentence, and nothing is replaced', async () => {
    const { dataDir } = await installation();
    const dir = await sandbox.tempDir();
    const good = join(dir, 'good.db');
    await backup(dataDir, good);

    const notSqlite = join(dir, 'notes.txt');
    writeFileSync(notSqlite, 'these are not the tables you are looking for\n'.repeat(100));
    const otherApp = join(dir, 'other.db');
    const other = new Database(otherApp);
    other.run('CREATE TABLE notes (body TEXT)');
    other.close();
    const corrupt = join(dir, 'corrupt.db');
    copyFileSync(good, corrupt);
    const bytes = readFileSync(corrupt);
    bytes.fill(0xa5, Math.floor(bytes.length / 2 / 4096) * 4096, Math.floor(bytes.length / 2 / 4096) * 4096 + 3 * 4096);
    writeFileSync(corrupt, bytes);
    const newer = join(dir, 'newer.db');
    copyFileSync(good, newer);
    const future = new Database(newer);
    future.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [LATEST + 1, 'from_the_future', 0]);
    future.close();

    const database = join(dataDir, 'idp.db');
    const before = digest(database);
    const cases: [string, string][] = [
      [join(dir, 'missing.db'), 'does not exist'],
      [notSqlite, 'is not a SQLite database'],
      [otherApp, 'not an idp database'],
      [corrupt, 'is corrupt'],
      [newer, `schema version ${LATEST + 1}, newer than this idp understands (${LATEST})`],
    ];
    for (const [file, words] of cases) {
      const sentence = expectCleanFailure(await idp(dataDir, ['restore', file]));
      expect(sentence).toContain(words);
      expect(sentence).toContain(file);
    }
    expect(digest(database)).toBe(before);
    expect(readdirSync(dataDir).filter((name) => name.includes('before-restore'))).toEqual([]);
    expect(leftovers(dataDir)).toEqual([]);
  });

  it('a backup whose keys are sealed under another server secret is refused', async () => {
    const a = await installation();
    const b = await installation();
    const out = join(await sandbox.tempDir(), 'a.db');
    await backup(a.dataDir, out);
    const sentence = expectCleanFailure(await idp(b.dataDir, ['restore', out]));
    expect(sentence).toContain('another server secret');
    expect(await usernames(b.dataDir)).toEqual(['alice']);
  });

  it('restores into a new, empty data dir; the secret is put back separately', async () => {
    const { dataDir } = await installation();
    await addUser(dataDir, 'carol');
    const out = join(await sandbox.tempDir(), 'b.db');
    await backup(dataDir, out);
    const fresh = await sandbox.dataDir();
    const printed = asRecord(expectJson(await idp(fresh, ['restore', out, '--json'])));
    expect(printed.secret).toBe('missing');
    expect(printed.previous).toBeNull();
    expect(String(printed.notes)).toContain(join(fresh, 'secret'));
    expect(mode(fresh)).toBe(0o700);
    expect(mode(join(fresh, 'idp.db'))).toBe(0o600);
    expect(expectCleanFailure(await idp(fresh, ['user', 'list']))).toContain('secret is missing');
    copyFileSync(join(dataDir, 'secret'), join(fresh, 'secret'));
    chmodSync(join(fresh, 'secret'), 0o600);
    expect(await usernames(fresh)).toEqual(['alice', 'carol']);
  });

  it('a PostgreSQL database is refused with one sentence pointing to pg_restore', async () => {
    const { dataDir } = await installation();
    const out = join(await sandbox.tempDir(), 'b.db');
    await backup(dataDir, out);
    const env = { IDP_DATABASE: 'postgres://idp:secret@127.0.0.1:9/idp' };
    expect(expectCleanFailure(await idp(dataDir, ['restore', out], { env }))).toContain('pg_restore');
  });
});
