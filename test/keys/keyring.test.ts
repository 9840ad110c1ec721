import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { epochSeconds } from '../../src/clock.ts';
import { createInitialKeys, rotateKey } from '../../src/keys/manage.ts';
import { testEnv, type TestEnv } from '../helpers/deps.ts';

let env: TestEnv;
beforeEach(async () => {
  env = await testEnv();
});
afterEach(() => env.cleanup());

const admin = () => ({ store: env.store.keys, sealer: env.sealer, clock: env.clock, config: env.config });

async function signWithCurrentKey(alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256'): Promise<string> {
  const signer = env.keyring.signingKey(alg);
  return new SignJWT({ sub: 'x' })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid })
    .setIssuedAt(epochSeconds(env.clock))
    .sign(signer.key);
}

describe('keyring', () => {
  it('publishes only public members of every key', async () => {
    await createInitialKeys(admin(), 'ES256');
    await rotateKey(admin(), 'EdDSA', { now: true });
    await env.keyring.reload();
    const { keys } = JSON.parse(env.keyring.jwksBody()) as { keys: Record<string, string>[] };
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) {
      expect(key.use).toBe('sig');
      expect(typeof key.kid).toBe('string');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) expect(key).not.toHaveProperty(member);
    }
  });

  it('signs with the active key; the token verifies against the published JWKS', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    const token = await signWithCurrentKey();
    const jwks = createLocalJWKSet(JSON.parse(env.keyring.jwksBody()));
    const { protectedHeader } = await jwtVerify(token, jwks);
    expect(protectedHeader.kid).toBe(env.keyring.signingKey('RS256').kid);
  });

  it('rotation never breaks a client that cached the JWKS: the new key is published before it signs', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    const oldKid = env.keyring.signingKey('RS256').kid;
    const rotated = await rotateKey(admin(), 'RS256', { now: false });
    await env.keyring.reload();

    // A client fetches the JWKS now and caches it.
    const cached = createLocalJWKSet(JSON.parse(env.keyring.jwksBody()));
    expect(env.keyring.signingKey('RS256').kid).toBe(oldKid);

    env.clock.advance(env.config.key_activation_delay);
    expect(env.keyring.signingKey('RS256').kid).toBe(rotated.kid);
    // The token signed by the new key verifies against the copy cached before the switch.
    await jwtVerify(await signWithCurrentKey(), cached);
  });

  it('--now switches the signer at once and keeps the old key published', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    const oldKid = env.keyring.signingKey('RS256').kid;
    const rotated = await rotateKey(admin(), 'RS256', { now: true });
    await env.keyring.reload();
    expect(env.keyring.signingKey('RS256').kid).toBe(rotated.kid);
    expect(env.keyring.publicKeys().map((key) => key.kid)).toContain(oldKid);
  });

  it('lists as signing algorithms only those with an active key, RS256 first', async () => {
    await createInitialKeys(admin(), 'RS256');
    await rotateKey(admin(), 'ES256', { now: false });
    await env.keyring.reload();
    expect(env.keyring.signingAlgorithms()).toEqual(['RS256']);
    env.clock.advance(env.config.key_activation_delay);
    expect(env.keyring.signingAlgorithms()).toEqual(['RS256', 'ES256']);
  });

  it('refuses to sign with an algorithm that has no active key', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    expect(() => env.keyring.signingKey('EdDSA')).toThrow('No active EdDSA signing key');
  });

  it('a running keyring picks up a rotation made elsewhere on its next reload', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    const stop = env.keyring.startReloading(0.05);
    try {
      const rotated = await rotateKey(admin(), 'RS256', { now: true });
      const deadline = Date.now() + 2000;
      while (env.keyring.signingKey('RS256').kid !== rotated.kid && Date.now() < deadline) await Bun.sleep(20);
      expect(env.keyring.signingKey('RS256').kid).toBe(rotated.kid);
    } finally {
      stop();
    }
  });

  it('keeps the previous keys when a reload fails', async () => {
    await createInitialKeys(admin(), 'RS256');
    await env.keyring.reload();
    const kid = env.keyring.signingKey('RS256').kid;
    env.store.keys.listSigningKeys = async () => {
      throw new Error('database unavailable');
    };
    await expect(env.keyring.reload()).rejects.toThrow('database unavailable');
    expect(env.keyring.signingKey('RS256').kid).toBe(kid);
  });
});
