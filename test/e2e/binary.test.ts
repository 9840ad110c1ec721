// The compiled single binary, run from a directory other than the repository: version, help,
// init + serve, OIDC Discovery 1.0 and RFC 7517 conformance, sealed keys at rest, live rotation.
import { beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import {
  asKey,
  asRecord,
  asStringArray,
  buildBinary,
  expectJson,
  fetchJson,
  fetchJwks,
  freePort,
  type RunningServer,
  runCommand,
  type RunOptions,
  serveArgs,
  useSandbox,
  waitForPublishedKid,
} from '../helpers/cli.ts';

const sandbox = useSandbox();

let workDir: string;
let binary: string;

/** Runs the built binary with the temp dir, not the repository, as its working directory. */
const runBinary = (args: string[], options: RunOptions = {}) => runCommand([binary, ...args], { cwd: workDir, ...options });

beforeAll(async () => {
  workDir = await sandbox.tempDir();
  binary = await buildBinary(workDir);
});

describe('the idp binary', () => {
  it('--version prints the version in package.json', async () => {
    const result = await runBinary(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists the init, serve, keys and discovery commands', async () => {
    const result = await runBinary(['--help']);
    expect(result.exitCode).toBe(0);
    for (const command of ['init', 'serve', 'keys', 'discovery']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    }
  });
});

describe('a data dir initialised and served by the binary', () => {
  // Relative to workDir: the binary must resolve it against its own working directory.
  const dataDir = 'data';
  let issuer: string;
  let server: RunningServer;

  beforeAll(async () => {
    const port = freePort();
    issuer = `http://127.0.0.1:${port}`;
    expectJson(await runBinary(['init', '--yes', '--json', '--issuer', issuer, '--data-dir', dataDir]));
    server = await sandbox.spawnServer([binary, ...serveArgs(dataDir, port)], {
      cwd: workDir,
      env: { IDP_KEY_RELOAD_INTERVAL: '1' },
    });
  });

  const discovery = async () => asRecord(await fetchJson(`${issuer}/.well-known/openid-configuration`));

  it('keeps the data dir under its working directory', () => {
    expect(existsSync(join(workDir, dataDir, 'idp.db'))).toBe(true);
    expect(server.url).toBe(issuer);
  });

  it('OIDC Discovery 1.0 §4.3: issuer equals the configured issuer exactly and jwks_uri is under it', async () => {
    const metadata = await discovery();
    expect(metadata.issuer).toBe(issuer);
    expect(typeof metadata.jwks_uri).toBe('string');
    expect(String(metadata.jwks_uri).startsWith(`${issuer}/`)).toBe(true);
  });

  it('OIDC Discovery 1.0 §3: subject_types_supported and id_token_signing_alg_values_supported (with RS256) are present', async () => {
    const metadata = await discovery();
    expect(asStringArray(metadata.subject_types_supported).length).toBeGreaterThan(0);
    expect(asStringArray(metadata.id_token_signing_alg_values_supported)).toContain('RS256');
    expect(Array.isArray(metadata.response_types_supported)).toBe(true);
  });

  it('RFC 7517: every published key has kid, alg, use=sig and kty and no private member', async () => {
    const keys = await fetchJwks(String((await discovery()).jwks_uri));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(typeof key.kid).toBe('string');
      expect(typeof key.alg).toBe('string');
      expect(typeof key.kty).toBe('string');
      expect(key.use).toBe('sig');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(Object.hasOwn(key, member)).toBe(false);
    }
  });

  it('keys rotate run through the binary reaches the running binary server within key_reload_interval', async () => {
    const rotated = asKey(expectJson(await runBinary(['keys', 'rotate', '--now', '--json', '--data-dir', dataDir])));
    await waitForPublishedKid(String((await discovery()).jwks_uri), rotated.kid);
  });

  // After the rotation above, so a key written while the server holds the database is checked too.
  it('the database holds private keys only AES-GCM sealed: no JWK "d" member in idp.db or its WAL', () => {
    const files = ['idp.db', 'idp.db-wal'].map((name) => join(workDir, dataDir, name)).filter((file) => existsSync(file));
    const bytes = files.map((file) => readFileSync(file).toString('latin1')).join('');
    // The public JWKs are stored as JSON, so the search does see JWK members when they are in clear.
    expect(bytes).toContain('"kty"');
    expect(bytes).not.toContain('"d"');
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
  });
});
