import { describe, expect, it } from 'bun:test';
import { KeyError } from '../../src/keys/errors.ts';
import { testSealer } from '../helpers/deps.ts';

describe('sealing private keys with AES-GCM', () => {
  it('opens what it sealed, and the sealed text does not contain the plaintext', async () => {
    const sealer = await testSealer();
    const sealed = await sealer.seal('{"d":"private"}', 'kid-1');
    expect(sealed).not.toContain('private');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(await sealer.open(sealed, 'kid-1')).toBe('{"d":"private"}');
  });

  it('uses a fresh IV each time', async () => {
    const sealer = await testSealer();
    expect(await sealer.seal('x', 'k')).not.toBe(await sealer.seal('x', 'k'));
  });

  it('refuses another server secret with a message naming the key and the secret', async () => {
    const sealed = await (await testSealer(1)).seal('secret', 'kid-1');
    const open = (await testSealer(2)).open(sealed, 'kid-1');
    await expect(open).rejects.toBeInstanceOf(KeyError);
    await expect(open).rejects.toThrow('server secret');
  });

  it('binds the kid: a sealed key moved to another kid does not open', async () => {
    const sealer = await testSealer();
    const sealed = await sealer.seal('secret', 'kid-1');
    await expect(sealer.open(sealed, 'kid-2')).rejects.toBeInstanceOf(KeyError);
  });

  it('refuses tampered or malformed input', async () => {
    const sealer = await testSealer();
    const sealed = await sealer.seal('secret', 'kid-1');
    const [version, iv, ciphertext] = sealed.split('.') as [string, string, string];
    const flipped = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
    await expect(sealer.open([version, iv, flipped].join('.'), 'kid-1')).rejects.toBeInstanceOf(KeyError);
    await expect(sealer.open('garbage', 'kid-1')).rejects.toThrow('not in a format');
  });
});
