// `idp init`: creates an owner-only data dir, prints one JSON document, refuses to run twice and
// reports bad or missing answers as one sentence naming the flag or setting.
import { describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { asKeys, asRecord, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();

const mode = (path: string) => statSync(path).mode & 0o777;

describe('idp init', () => {
  it('creates idp.toml, idp.db and secret with mode 0600 in a data dir with mode 0700', async () => {
    const dataDir = await sandbox.dataDir();
    const result = await runIdp(['init', '--yes', '--data-dir', dataDir]);
    expect(result.exitCode).toBe(0);
    expect(mode(dataDir)).toBe(0o700);
    for (const file of ['idp.toml', 'idp.db', 'secret']) {
      expect(mode(join(dataDir, file))).toBe(0o600);
    }
  });

  it('--json prints exactly one JSON document with the issuer and an active RS256 key', async () => {
    const dataDir = await sandbox.dataDir();
    const document = asRecord(expectJson(await runIdp(['init', '--yes', '--json', '--data-dir', dataDir])));
    expect(document.issuer).toBe('http://localhost:9000');
    const keys = asKeys(document.keys);
    expect(keys.map(({ alg, state }) => ({ alg, state }))).toEqual([{ alg: 'RS256', state: 'active' }]);
  });

  it('--alg ES256 creates an active ES256 key besides the mandatory RS256 key', async () => {
    const dataDir = await sandbox.dataDir();
    const document = asRecord(expectJson(await runIdp(['init', '--yes', '--json', '--alg', 'ES256', '--data-dir', dataDir])));
    const active = asKeys(document.keys)
      .filter((key) => key.state === 'active')
      .map((key) => key.alg)
      .sort();
    expect(active).toEqual(['ES256', 'RS256']);
  });

  it('--issuer is written as the issuer of the new data dir', async () => {
    const dataDir = await sandbox.dataDir();
    const args = ['init', '--yes', '--json', '--issuer', 'https://id.example.test/', '--data-dir', dataDir];
    const document = asRecord(expectJson(await runIdp(args)));
    // OIDC Discovery §3: kept without the trailing slash so `${issuer}/jwks` is well formed.
    expect(document.issuer).toBe('https://id.example.test');
    const exported = asRecord(expectJson(await runIdp(['discovery', 'export', '--data-dir', dataDir])));
    expect(exported.issuer).toBe('https://id.example.test');
  });

  it('refuses to overwrite an initialised data dir, in one sentence and without touching the secret', async () => {
    const dataDir = await sandbox.initDataDir();
    const secret = readFileSync(join(dataDir, 'secret'));
    const sentence = expectCleanFailure(await runIdp(['init', '--yes', '--data-dir', dataDir]));
    expect(sentence).toContain('already initialised');
    expect(readFileSync(join(dataDir, 'secret'))).toEqual(secret);
  });

  it('without a terminal and without --yes or --issuer, fails naming --issuer and creates nothing', async () => {
    const dataDir = await sandbox.dataDir();
    const sentence = expectCleanFailure(await runIdp(['init', '--data-dir', dataDir]));
    expect(sentence).toContain('--issuer');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses --alg HS256 in the option parser, naming --alg', async () => {
    const dataDir = await sandbox.dataDir();
    const sentence = expectCleanFailure(await runIdp(['init', '--yes', '--alg', 'HS256', '--data-dir', dataDir]));
    expect(sentence).toContain('--alg');
    expect(sentence).toContain('HS256');
  });

  it('refuses an issuer that is not an http(s) URL, naming the issuer setting, before creating anything', async () => {
    const dataDir = await sandbox.dataDir();
    const sentence = expectCleanFailure(await runIdp(['init', '--yes', '--issuer', 'ftp://x', '--data-dir', dataDir]));
    expect(sentence).toContain("'issuer'");
    expect(sentence).toContain('ftp://x');
    expect(existsSync(dataDir)).toBe(false);
  });
});
