// DATA_DIR/serve.pid: written by a running server, ignored once stale (process gone, or its pid recycled).
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { holdRunLock, processStartTime, readRunLock, runLockPath, runningServer } from '../src/run_lock.ts';
import { tempDir } from './helpers/temp.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function dataDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = Bun.spawn(['true']);
  await child.exited;
  return child.pid;
}

function writeLock(dir: string, content: Record<string, unknown>): void {
  writeFileSync(runLockPath(dir), JSON.stringify(content));
}

describe('run lock', () => {
  it('holdRunLock writes pid and start time (0600); runningServer sees it; release removes it', () => {
    const dir = dataDir();
    const lock = holdRunLock(dir, () => 1_700_000_000_000);
    expect(lock.held).toBe(true);
    expect(statSync(lock.path).mode & 0o777).toBe(0o600);
    expect(readRunLock(dir)).toEqual({ pid: process.pid, startedAt: 1_700_000_000, procStart: processStartTime(process.pid) });
    expect(runningServer(dir)?.pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    expect(runningServer(dir)).toBeNull();
    lock.release(); // twice is harmless
  });

  it('a file left by a process that is gone (SIGKILL, crash) is stale, and the next server replaces it', async () => {
    const dir = dataDir();
    writeLock(dir, { pid: await deadPid(), started_at: 1 });
    expect(readRunLock(dir)).not.toBeNull();
    expect(runningServer(dir)).toBeNull();
    const lock = holdRunLock(dir);
    expect(lock.held).toBe(true);
    expect(readRunLock(dir)?.pid).toBe(process.pid);
    lock.release();
  });

  it.skipIf(processStartTime(process.pid) === null)('a recycled pid (same number, other start time) is stale', () => {
    const dir = dataDir();
    writeLock(dir, { pid: process.pid, started_at: 1, proc_start: '1' });
    expect(runningServer(dir)).toBeNull();
  });

  it('a malformed or empty file is no lock', () => {
    const dir = dataDir();
    for (const text of ['', '{"pid":', '{"pid":"12","started_at":1}', '[]', '{"pid":-1,"started_at":1}']) {
      writeFileSync(runLockPath(dir), text);
      expect(readRunLock(dir)).toBeNull();
      expect(runningServer(dir)).toBeNull();
    }
  });

  it("a live other server's file is left alone, and not removed by our release", async () => {
    const dir = dataDir();
    const other = Bun.spawn(['sleep', '30']);
    try {
      writeLock(dir, { pid: other.pid, started_at: 1, proc_start: processStartTime(other.pid) });
      const before = readFileSync(runLockPath(dir), 'utf8');
      const lock = holdRunLock(dir);
      expect(lock.held).toBe(false);
      lock.release();
      expect(readFileSync(runLockPath(dir), 'utf8')).toBe(before);
      expect(runningServer(dir)?.pid).toBe(other.pid);
    } finally {
      other.kill('SIGKILL');
      await other.exited;
    }
  });

  it('release leaves a file that another server wrote since', () => {
    const dir = dataDir();
    const lock = holdRunLock(dir);
    writeLock(dir, { pid: 1, started_at: 1 });
    lock.release();
    expect(readRunLock(dir)?.pid).toBe(1);
  });
});
