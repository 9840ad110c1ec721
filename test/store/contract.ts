// The storage contract: every backend runs this whole suite through a factory of fresh stores.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import type { SigningKeyRecord, Store } from '../../src/store/store.ts';
import { StoreError } from '../../src/store/store.ts';

export interface StoreFactory {
  make(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

function keyRecord(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'RS256',
    publicJwk: JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB' }),
    sealedPrivateJwk: 'v1.iv.ciphertext',
    createdAt: 1000,
    activatesAt: 1000,
    retiredAt: null,
    ...overrides,
  };
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StoreError) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

export function storeContract(backend: string, factory: StoreFactory): void {
  describe(`storage contract: ${backend}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory.make());
    });
    afterEach(async () => cleanup());

    it('starts at the latest schema version', async () => {
      const status = await store.schemaStatus();
      expect(status.current).toBe(status.latest);
      expect(status.latest).toBeGreaterThan(0);
    });

    it('stores and returns a signing key unchanged', async () => {
      const record = keyRecord('k1', { alg: 'ES256', createdAt: 5, activatesAt: 605 });
      await store.keys.insertSigningKey(record);
      expect(await store.keys.getSigningKey('k1')).toEqual(record);
      expect(await store.keys.listSigningKeys()).toEqual([record]);
    });

    it('returns null for an unknown kid', async () => {
      expect(await store.keys.getSigningKey('nope')).toBeNull();
    });

    it('refuses a duplicate kid with conflict', async () => {
      await store.keys.insertSigningKey(keyRecord('k1'));
      expect((await storeError(store.keys.insertSigningKey(keyRecord('k1')))).code).toBe('conflict');
    });

    it('lists keys in insertion order, even within one second', async () => {
      await store.keys.insertSigningKey(keyRecord('b'));
      await store.keys.insertSigningKey(keyRecord('c'));
      await store.keys.insertSigningKey(keyRecord('a'));
      expect((await store.keys.listSigningKeys()).map((key) => key.kid)).toEqual(['b', 'c', 'a']);
    });

    it('retires a key once and keeps its first retirement time', async () => {
      await store.keys.insertSigningKey(keyRecord('k1'));
      await store.keys.retireSigningKey('k1', 2000);
      await store.keys.retireSigningKey('k1', 3000);
      expect((await store.keys.getSigningKey('k1'))?.retiredAt).toBe(2000);
    });

    it('answers not_found when retiring an unknown kid', async () => {
      expect((await storeError(store.keys.retireSigningKey('nope', 1))).code).toBe('not_found');
    });
  });
}
