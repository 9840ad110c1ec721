import { describe, expect, it } from 'bun:test';
import { activeAlgorithms, describeKeys, nextTransition } from '../../src/keys/lifecycle.ts';
import type { SigningKeyRecord } from '../../src/store/store.ts';

const key = (kid: string, fields: Partial<SigningKeyRecord>): SigningKeyRecord => ({
  kid,
  alg: 'RS256',
  publicJwk: '{}',
  sealedPrivateJwk: '',
  createdAt: 0,
  activatesAt: 0,
  retiredAt: null,
  ...fields,
});

const states = (records: SigningKeyRecord[], now: number) =>
  Object.fromEntries(describeKeys(records, now).map((view) => [view.kid, view.state]));

describe('key states derive from their times', () => {
  const old = key('old', { createdAt: 0, activatesAt: 0 });
  const rotated = key('new', { createdAt: 100, activatesAt: 700 });

  it('a rotated key is next until it activates, while the old key keeps signing', () => {
    expect(states([old, rotated], 100)).toEqual({ old: 'active', new: 'next' });
    expect(states([old, rotated], 699)).toEqual({ old: 'active', new: 'next' });
  });

  it('at activation the new key signs and the old one is retiring, superseded at that moment', () => {
    expect(states([old, rotated], 700)).toEqual({ old: 'retiring', new: 'active' });
    const oldView = describeKeys([old, rotated], 800).find((view) => view.kid === 'old');
    expect(oldView?.supersededAt).toBe(700);
  });

  it('a retired key is retired whatever its times', () => {
    expect(states([old, { ...rotated, retiredAt: 200 }], 900)).toEqual({ old: 'active', new: 'retired' });
  });

  it('a next key retired before activating never supersedes the signer', () => {
    const cancelled = { ...rotated, retiredAt: 200 };
    expect(describeKeys([old, cancelled], 900).find((view) => view.kid === 'old')?.supersededAt).toBeNull();
  });

  it('each algorithm has its own signer', () => {
    const es = key('es', { alg: 'ES256', createdAt: 50, activatesAt: 50 });
    expect(states([old, es], 60)).toEqual({ old: 'active', es: 'active' });
    expect(activeAlgorithms([es, old], 60)).toEqual(['RS256', 'ES256']);
  });

  it('the next transition is the earliest future activation', () => {
    expect(nextTransition([old, rotated], 100)).toBe(700);
    expect(nextTransition([old, rotated], 700)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('keys activated in the same second', () => {
  it('the one stored later is the signer (rotate --now right after init)', () => {
    const first = key('zzz', { createdAt: 5, activatesAt: 5 });
    const second = key('aaa', { createdAt: 5, activatesAt: 5 });
    expect(states([first, second], 5)).toEqual({ zzz: 'retiring', aaa: 'active' });
    expect(states([second, first], 5)).toEqual({ aaa: 'retiring', zzz: 'active' });
  });
});
