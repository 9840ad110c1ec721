import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { KeyError } from '../../src/keys/errors.ts';
import { createInitialKeys, listKeys, retireKey, rotateKey } from '../../src/keys/manage.ts';
import { testEnv, type TestEnv } from '../helpers/deps.ts';

let env: TestEnv;
beforeEach(async () => {
  env = await testEnv();
});
afterEach(() => env.cleanup());

const admin = () => ({ store: env.store.keys, sealer: env.sealer, clock: env.clock, config: env.config });

async function retireError(kid: string, force = false): Promise<KeyError> {
  try {
    await retireKey(admin(), kid, { force });
  } catch (error) {
    if (error instanceof KeyError) return error;
    throw error;
  }
  throw new Error('expected retire to be refused');
}

describe('initial keys', () => {
  it('always include an active RS256 key (OIDC Core §15.1)', async () => {
    const keys = await createInitialKeys(admin(), 'EdDSA');
    expect(keys.map((key) => [key.alg, key.state])).toEqual(
      expect.arrayContaining([
        ['RS256', 'active'],
        ['EdDSA', 'active'],
      ]),
    );
    expect(keys).toHaveLength(2);
  });

  it('store private keys only sealed', async () => {
    await createInitialKeys(admin(), 'ES256');
    for (const record of await env.store.keys.listSigningKeys()) {
      expect(record.sealedPrivateJwk.startsWith('v1.')).toBe(true);
      expect(record.sealedPrivateJwk).not.toContain('"d"');
      expect(JSON.parse(record.publicJwk)).not.toHaveProperty('d');
    }
  });
});

describe('rotation', () => {
  it('publishes the new key now and activates it after key_activation_delay', async () => {
    await createInitialKeys(admin(), 'RS256');
    const view = await rotateKey(admin(), 'RS256', { now: false });
    expect(view.state).toBe('next');
    expect(view.activatesAt - view.createdAt).toBe(env.config.key_activation_delay);
  });
});

describe('retirement', () => {
  it('never retires the active signer', async () => {
    const [rs] = await createInitialKeys(admin(), 'RS256');
    const error = await retireError(rs!.kid, true);
    expect(error.message).toContain('active RS256 signer');
    expect(error.message).toContain('idp keys rotate --alg RS256 --now');
  });

  it('refuses while tokens the key signed may still be valid, unless forced', async () => {
    const [old] = await createInitialKeys(admin(), 'RS256');
    await rotateKey(admin(), 'RS256', { now: true });
    expect((await retireError(old!.kid)).message).toContain('--force');
    const retired = await retireKey(admin(), old!.kid, { force: true });
    expect(retired.state).toBe('retired');
  });

  it('allows retirement once the longest token lifetime and a reload interval have passed', async () => {
    const [old] = await createInitialKeys(admin(), 'RS256');
    await rotateKey(admin(), 'RS256', { now: true });
    const { access_token_ttl, id_token_ttl, key_reload_interval } = env.config;
    env.clock.advance(Math.max(access_token_ttl, id_token_ttl) + key_reload_interval - 1);
    await retireError(old!.kid);
    env.clock.advance(1);
    expect((await retireKey(admin(), old!.kid, { force: false })).state).toBe('retired');
    expect((await listKeys(admin())).find((key) => key.kid === old!.kid)?.state).toBe('retired');
  });

  it('retires a next key that never signed without --force', async () => {
    await createInitialKeys(admin(), 'RS256');
    const next = await rotateKey(admin(), 'RS256', { now: false });
    expect((await retireKey(admin(), next.kid, { force: false })).state).toBe('retired');
  });

  it('refuses an unknown or already retired kid', async () => {
    await createInitialKeys(admin(), 'RS256');
    expect((await retireError('nope')).message).toContain('No signing key has kid nope');
    const next = await rotateKey(admin(), 'RS256', { now: false });
    await retireKey(admin(), next.kid, { force: false });
    expect((await retireError(next.kid)).message).toContain('already retired');
  });
});

describe('retiring an extra algorithm', () => {
  it('retires the active key of an algorithm other than RS256 and signing_alg only with --force', async () => {
    await createInitialKeys(admin(), 'RS256');
    const eddsa = await rotateKey(admin(), 'EdDSA', { now: true });
    expect((await retireError(eddsa.kid)).message).toContain('--force');
    expect((await retireKey(admin(), eddsa.kid, { force: true })).state).toBe('retired');
  });
});
