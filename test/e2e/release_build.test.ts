// `bun build.ts --target all`: the binary for this machine's CPU and a SHA256SUMS that sha256sum accepts.
// The other CPU's Bun runtime is made unreachable (an empty download cache and a dead proxy), so the
// test is the same with or without network: that target is skipped with a message, never a crash.
import { beforeAll, describe, expect, it } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { freePort, runCommand, type RunResult, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();
const native = process.arch === 'x64' || process.arch === 'arm64' ? `linux-${process.arch}` : undefined;
const foreign = native === 'linux-x64' ? 'linux-arm64' : 'linux-x64';

describe.skipIf(process.platform !== 'linux' || native === undefined)('bun build.ts --target all', () => {
  let outdir: string;
  let build: RunResult;

  beforeAll(async () => {
    const dir = await sandbox.tempDir();
    outdir = join(dir, 'dist');
    const cache = join(dir, 'bun-cache');
    mkdirSync(cache);
    build = await runCommand([process.execPath, 'build.ts', '--target', 'all', '--outdir', outdir], {
      env: { BUN_INSTALL_CACHE_DIR: cache, HTTPS_PROXY: `http://127.0.0.1:${freePort()}`, https_proxy: `http://127.0.0.1:${freePort()}` },
      timeoutMs: 180_000,
    });
  }, 200_000);

  it('builds the binary for this CPU and exits 0', () => {
    expect(build.exitCode).toBe(0);
    expect(build.stdout).toContain(`built ${join(outdir, `idp-${native}`)}`);
    expect(existsSync(join(outdir, `idp-${native}`))).toBe(true);
  });

  it('skips the other CPU with a message saying why, and leaves no binary for it', () => {
    expect(build.stderr).toContain(`skipped ${join(outdir, `idp-${foreign}`)}: Bun could not build for ${foreign}`);
    expect(build.stderr).toContain('npm registry');
    expect(build.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(outdir, `idp-${foreign}`))).toBe(false);
  });

  it('writes SHA256SUMS in sha256sum format for exactly what was built', () => {
    const sums = readFileSync(join(outdir, 'SHA256SUMS'), 'utf8');
    const digest = createHash('sha256').update(readFileSync(join(outdir, `idp-${native}`))).digest('hex');
    expect(sums).toBe(`${digest}  idp-${native}\n`);
  });

  it('passes sha256sum -c', async () => {
    if (!Bun.which('sha256sum')) return;
    const check = await runCommand(['sha256sum', '-c', 'SHA256SUMS'], { cwd: outdir });
    expect(check.exitCode).toBe(0);
    expect(check.stdout.trim()).toBe(`idp-${native}: OK`);
  });

  it('the binary runs', async () => {
    const version = await runCommand([join(outdir, `idp-${native}`), '--version'], { cwd: outdir });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
