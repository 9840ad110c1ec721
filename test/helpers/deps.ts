// Real components for unit tests: a SQLite file in a temp dir, a sealer, a clock tests can move.
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { Keyring } from '../../src/keys/keyring.ts';
import { createSealer, type Sealer } from '../../src/keys/seal.ts';
import { silentLogger } from '../../src/log.ts';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { tempDir } from './temp.ts';

/** A clock fixed at `start` (ms) until a test moves it. */
export function fixedClock(start = Date.UTC(2026, 0, 1)): Clock & { advance(seconds: number): void } {
  let now = start;
  const clock = (() => now) as Clock & { advance(seconds: number): void };
  clock.advance = (seconds) => {
    now += seconds * 1000;
  };
  return clock;
}

export async function testSealer(seed = 1): Promise<Sealer> {
  return createSealer(new Uint8Array(32).fill(seed));
}

export interface TestEnv {
  dir: string;
  config: Config;
  store: SqliteStore;
  sealer: Sealer;
  clock: ReturnType<typeof fixedClock>;
  keyring: Keyring;
  cleanup(): Promise<void>;
}

export async function testEnv(settings: Record<string, string | number> = {}): Promise<TestEnv> {
  const dir = tempDir();
  const config = loadConfig({ dataDir: dir.path, env: {}, flags: { issuer: 'https://id.example.test', ...settings } });
  const store = openSqliteStore(join(dir.path, 'idp.db'));
  const sealer = await testSealer();
  const clock = fixedClock();
  const keyring = new Keyring({ store: store.keys, sealer, clock, log: silentLogger });
  return {
    dir: dir.path,
    config,
    store,
    sealer,
    clock,
    keyring,
    async cleanup() {
      await store.close();
      dir.remove();
    },
  };
}
