// `idp keys` and `idp discovery export`: the key lifecycle next → active → retiring → retired, the
// retire safety rules, and the discovery document built from the active algorithms.
import { describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asKey,
  asRecord,
  asStringArray,
  expectCleanFailure,
  expectJson,
  type KeyJson,
  listKeys,
  rotateKey,
  runIdp,
  useSandbox,
  waitForNextSecond,
} from '../helpers/cli.ts';

const sandbox = useSandbox();

const seconds = (time: string) => Date.parse(time) / 1000;

function only(keys: KeyJson[], predicate: (key: KeyJson) => boolean): KeyJson {
  const found = keys.filter(predicate);
  if (found.length !== 1 || !found[0]) throw new Error(`expected one matching key in ${JSON.stringify(keys)}`);
  return found[0];
}

// `--` keeps these tests independent of how a kid starting with '-' is parsed (tested below).
const retire = (dataDir: string, kid: string, ...flags: string[]) =>
  runIdp(['keys', 'retire', '--json', '--data-dir', dataDir, ...flags, '--', kid]);

/** A data dir whose first RS256 key was superseded by `keys rotate --now` a moment ago. */
async function withSupersededKey(): Promise<{ dataDir: string; old: KeyJson; current: KeyJson }> {
  const dataDir = await sandbox.initDataDir();
  const [old] = await listKeys(dataDir);
  if (!old) throw new Error('init created no key');
  const current = await rotateKey(dataDir, ['--now']);
  return { dataDir, old, current };
}

describe('idp keys', () => {
  it('keys list --json prints an array of keys with kid, alg, state and their lifecycle times', async () => {
    const dataDir = await sandbox.initDataDir();
    const keys = expectJson(await runIdp(['keys', 'list', '--json', '--data-dir', dataDir]));
    if (!Array.isArray(keys)) throw new Error('keys list --json is not an array');
    expect(keys).toHaveLength(1);
    expect(Object.keys(asRecord(keys[0])).sort()).toEqual(
      ['activates_at', 'alg', 'kid', 'published_at', 'retired_at', 'state', 'superseded_at'].sort(),
    );
    expect(asKey(keys[0])).toMatchObject({ alg: 'RS256', state: 'active', superseded_at: null, retired_at: null });
  });

  it('keys rotate publishes a next key that signs key_activation_delay (600 s by default) after publication', async () => {
    const dataDir = await sandbox.initDataDir();
    const rotated = await rotateKey(dataDir);
    expect(rotated.state).toBe('next');
    expect(seconds(rotated.activates_at) - seconds(rotated.published_at)).toBe(600);
    const keys = await listKeys(dataDir);
    expect(only(keys, (key) => key.kid === rotated.kid).state).toBe('next');
    // The previous key keeps signing until the new one activates.
    expect(only(keys, (key) => key.kid !== rotated.kid).state).toBe('active');
  });

  it('keys rotate honours key_activation_delay from the environment', async () => {
    const dataDir = await sandbox.initDataDir();
    const rotated = await rotateKey(dataDir, [], { env: { IDP_KEY_ACTIVATION_DELAY: '30' } });
    expect(seconds(rotated.activates_at) - seconds(rotated.published_at)).toBe(30);
  });

  it('keys rotate --now makes the new key active and the previous key of that alg retiring', async () => {
    const { dataDir, old, current } = await withSupersededKey();
    expect(current.state).toBe('active');
    const keys = await listKeys(dataDir);
    expect(only(keys, (key) => key.kid === current.kid).state).toBe('active');
    const superseded = only(keys, (key) => key.kid === old.kid);
    expect(superseded.state).toBe('retiring');
    expect(superseded.superseded_at).toBe(current.activates_at);
  });

  it('keys rotate --now in the same second as the previous key still makes the new key active', async () => {
    // Key times are whole seconds; start right after a second boundary so init and rotate share one.
    // A slow machine may cross a boundary anyway, so try a few times and require one same-second pair.
    let sameSecond = 0;
    for (let attempt = 0; attempt < 3 && sameSecond === 0; attempt++) {
      await waitForNextSecond();
      const { dataDir, old, current } = await withSupersededKey();
      expect(current.state).toBe('active');
      expect(only(await listKeys(dataDir), (key) => key.kid === old.kid).state).toBe('retiring');
      if (current.activates_at === old.activates_at) sameSecond++;
    }
    expect(sameSecond).toBe(1);
  });

  it('keys rotate --alg EdDSA adds an EdDSA key without touching the RS256 signer', async () => {
    const dataDir = await sandbox.initDataDir();
    const [rs256] = await listKeys(dataDir);
    const eddsa = await rotateKey(dataDir, ['--alg', 'EdDSA', '--now']);
    expect(eddsa).toMatchObject({ alg: 'EdDSA', state: 'active' });
    expect(only(await listKeys(dataDir), (key) => key.kid === rs256?.kid).state).toBe('active');
  });

  it('keys retire refuses the active key of an algorithm', async () => {
    const dataDir = await sandbox.initDataDir();
    const active = only(await listKeys(dataDir), (key) => key.state === 'active');
    const sentence = expectCleanFailure(await retire(dataDir, active.kid));
    expect(sentence).toContain(active.kid);
    expect(only(await listKeys(dataDir), (key) => key.kid === active.kid).state).toBe('active');
  });

  it('keys retire refuses a just-superseded key without --force, saying --force would do it', async () => {
    const { dataDir, old } = await withSupersededKey();
    const sentence = expectCleanFailure(await retire(dataDir, old.kid));
    expect(sentence).toContain('--force');
    expect(only(await listKeys(dataDir), (key) => key.kid === old.kid).state).toBe('retiring');
  });

  it('keys retire --force retires a just-superseded key', async () => {
    const { dataDir, old } = await withSupersededKey();
    const retired = asKey(expectJson(await retire(dataDir, old.kid, '--force')));
    expect(retired).toMatchObject({ kid: old.kid, state: 'retired' });
    const listed = only(await listKeys(dataDir), (key) => key.kid === old.kid);
    expect(listed.state).toBe('retired');
    expect(listed.retired_at).not.toBeNull();
  });

  it('keys retire retires a next key that never signed', async () => {
    const dataDir = await sandbox.initDataDir();
    const next = await rotateKey(dataDir);
    expect(asKey(expectJson(await retire(dataDir, next.kid)))).toMatchObject({ kid: next.kid, state: 'retired' });
    expect(only(await listKeys(dataDir), (key) => key.kid === next.kid).state).toBe('retired');
  });

  it('keys retire refuses an unknown kid', async () => {
    const dataDir = await sandbox.initDataDir();
    const sentence = expectCleanFailure(await retire(dataDir, 'no-such-kid'));
    expect(sentence).toContain('no-such-kid');
  });

  // A kid is base64url, so about one key in 64 has a kid starting with '-'.
  it('keys retire takes a kid that starts with "-" as the kid, not as an option', async () => {
    const dataDir = await sandbox.initDataDir();
    const sentence = expectCleanFailure(await runIdp(['keys', 'retire', '-no-such-kid', '--data-dir', dataDir]));
    expect(sentence).toContain('No signing key has kid -no-such-kid');
  });
});

describe('idp discovery export', () => {
  const activeAlgs = (keys: KeyJson[]) => keys.filter((key) => key.state === 'active').map((key) => key.alg);

  it('prints issuer, jwks_uri and id_token_signing_alg_values_supported equal to the active algorithms', async () => {
    const dataDir = await sandbox.initDataDir(['--alg', 'ES256', '--issuer', 'https://id.example.test']);
    const metadata = asRecord(expectJson(await runIdp(['discovery', 'export', '--data-dir', dataDir])));
    expect(metadata.issuer).toBe('https://id.example.test');
    expect(metadata.jwks_uri).toBe('https://id.example.test/jwks');
    const algs = asStringArray(metadata.id_token_signing_alg_values_supported);
    expect(algs[0]).toBe('RS256'); // OIDC Core §15.1: RS256 is always offered
    expect([...algs].sort()).toEqual(activeAlgs(await listKeys(dataDir)).sort());
  });

  it('does not list an algorithm whose only key is still next', async () => {
    const dataDir = await sandbox.initDataDir();
    await rotateKey(dataDir, ['--alg', 'EdDSA']);
    const metadata = asRecord(expectJson(await runIdp(['discovery', 'export', '--data-dir', dataDir])));
    expect(asStringArray(metadata.id_token_signing_alg_values_supported)).toEqual(['RS256']);
  });

  it('--out FILE writes the same document it prints', async () => {
    const dataDir = await sandbox.initDataDir(['--alg', 'EdDSA']);
    const out = join(await sandbox.tempDir(), 'openid-configuration.json');
    const printed = expectJson(await runIdp(['discovery', 'export', '--data-dir', dataDir]));
    expect((await runIdp(['discovery', 'export', '--out', out, '--data-dir', dataDir])).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(printed);
  });
});

describe('commands on a data dir that was never initialised', () => {
  const commands: string[][] = [
    ['keys', 'list'],
    ['keys', 'rotate'],
    ['keys', 'retire', 'some-kid'],
    ['discovery', 'export'],
  ];
  for (const command of commands) {
    it(`${command.join(' ')} fails naming idp init and does not create the data dir`, async () => {
      const dataDir = await sandbox.dataDir();
      const sentence = expectCleanFailure(await runIdp([...command, '--data-dir', dataDir]));
      expect(sentence).toContain('idp init');
      expect(existsSync(dataDir)).toBe(false);
    });
  }
});
