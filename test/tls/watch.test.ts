// Certificate files are polled; a change is acted on once it has held for one poll, and only once.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSignature, type FileWatch, watchFiles } from '../../src/tls/watch.ts';
import { eventually } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

let dir: ReturnType<typeof tempDir>;
let watch: FileWatch | undefined;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  watch?.stop();
  dir.remove();
});

const INTERVAL = 40;

function watchCounting(paths: string[]): { count: () => number } {
  let changes = 0;
  watch = watchFiles(paths, { intervalMs: INTERVAL, onChange: () => changes++ });
  return { count: () => changes };
}

describe('watchFiles', () => {
  it('reports a rewritten file once, after it settled', async () => {
    const file = join(dir.path, 'tls.crt');
    writeFileSync(file, 'one');
    const seen = watchCounting([file]);
    await Bun.sleep(INTERVAL * 3);
    expect(seen.count()).toBe(0);
    writeFileSync(file, 'two, longer');
    await eventually('one change', async () => (seen.count() === 1 ? true : undefined), 2_000);
    await Bun.sleep(INTERVAL * 4);
    expect(seen.count()).toBe(1);
  });

  it('follows a symlink swapped to a new target (certbot live/, Kubernetes ..data)', async () => {
    writeFileSync(join(dir.path, 'cert1.pem'), 'one');
    writeFileSync(join(dir.path, 'cert2.pem'), 'two');
    const link = join(dir.path, 'fullchain.pem');
    symlinkSync('cert1.pem', link);
    const seen = watchCounting([link]);
    symlinkSync('cert2.pem', `${link}.new`);
    renameSync(`${link}.new`, link);
    await eventually('the swap', async () => (seen.count() === 1 ? true : undefined), 2_000);
  });

  it('does not report what markSeen already took (a SIGHUP reload)', async () => {
    const file = join(dir.path, 'tls.key');
    writeFileSync(file, 'one');
    const seen = watchCounting([file]);
    writeFileSync(file, 'two, longer');
    watch?.markSeen();
    await Bun.sleep(INTERVAL * 5);
    expect(seen.count()).toBe(0);
  });

  it('treats a removed file as a change, and its return as another', async () => {
    const file = join(dir.path, 'tls.crt');
    writeFileSync(file, 'one');
    expect(fileSignature([file])).not.toBe('missing');
    const seen = watchCounting([file]);
    rmSync(file);
    await eventually('the removal', async () => (seen.count() === 1 ? true : undefined), 2_000);
    expect(fileSignature([file])).toBe('missing');
    writeFileSync(file, 'back again');
    await eventually('the return', async () => (seen.count() === 2 ? true : undefined), 2_000);
  });
});
