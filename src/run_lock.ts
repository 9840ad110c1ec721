// DATA_DIR/serve.pid: the trace a running `idp serve` leaves, so that `idp restore` does not swap the
// database under it. Written at start, removed at exit; a server killed with SIGKILL (or a crash)
// leaves it behind, so readers check that the process still exists (and, on Linux, that it is the
// same process: a recycled pid has another start time) before believing it.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_LOCK_FILE = 'serve.pid';

export interface RunLockInfo {
  pid: number;
  /** When the server started, seconds since the epoch. */
  startedAt: number;
  /** Linux: the process start time in clock ticks since boot (/proc/PID/stat field 22), else null. */
  procStart: string | null;
}

export interface RunLock {
  path: string;
  /** Whether this process wrote the file (false when another live server already holds it). */
  held: boolean;
  /** Removes the file if it is still this process's; safe to call more than once. */
  release(): void;
}

export function runLockPath(dataDir: string): string {
  return join(dataDir, RUN_LOCK_FILE);
}

/** The lock file's content, or null when there is none or it is not one (a truncated write, say). */
export function readRunLock(dataDir: string): RunLockInfo | null {
  let text: string;
  try {
    text = readFileSync(runLockPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { pid, started_at: startedAt, proc_start: procStart } = parsed as Record<string, unknown>;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return null;
    if (typeof startedAt !== 'number') return null;
    return { pid, startedAt, procStart: typeof procStart === 'string' ? procStart : null };
  } catch {
    return null;
  }
}

/** Linux: field 22 of /proc/PID/stat (start time since boot); null where /proc is not available. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether `pid` names a live process (one of another user counts: EPERM still means it exists). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The server holding the data dir, or null when the file is missing, malformed or stale. */
export function runningServer(dataDir: string): RunLockInfo | null {
  const lock = readRunLock(dataDir);
  if (!lock || !isProcessAlive(lock.pid)) return null;
  if (lock.procStart !== null) {
    const current = processStartTime(lock.pid);
    // A pid recycled by another process after a crash: not our server.
    if (current !== null && current !== lock.procStart) return null;
  }
  return lock;
}

/**
 * Writes DATA_DIR/serve.pid for this process and removes it when the process exits (after a clean
 * shutdown, or any process.exit). A stale file is replaced; a live other server's file is left alone.
 */
export function holdRunLock(dataDir: string, now: () => number = Date.now): RunLock {
  const path = runLockPath(dataDir);
  const other = runningServer(dataDir);
  if (other && other.pid !== process.pid) return { path, held: false, release() {} };
  const content = JSON.stringify({ pid: process.pid, started_at: Math.floor(now() / 1000), proc_start: processStartTime(process.pid) });
  // Written aside and renamed, so a reader never sees half a file.
  const aside = join(dataDir, `.${RUN_LOCK_FILE}.${process.pid}`);
  writeFileSync(aside, content + '\n', { mode: 0o600 });
  renameSync(aside, path);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only our own file: another server may have replaced it since.
    if (existsSync(path) && readRunLock(dataDir)?.pid === process.pid) rmSync(path, { force: true });
  };
  process.once('exit', release);
  return { path, held: true, release };
}
