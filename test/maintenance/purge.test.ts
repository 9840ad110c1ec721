import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { epochSeconds } from '../../src/clock.ts';
import { purgeOnce, startPurging } from '../../src/maintenance/purge.ts';
import { silentLogger } from '../../src/log.ts';
import { hashToken } from '../../src/tokens/secret.ts';
import { addUser } from '../helpers/oidc.ts';
import { testApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(() => app.cleanup());

async function addSession(expiresIn: number): Promise<string> {
  const user = (await app.store.users.findUserByUsername('alice')) ?? (await addUser(app));
  const now = epochSeconds(app.clock);
  const idHash = hashToken(crypto.randomUUID());
  await app.store.sessions.insertSession({ idHash, sid: crypto.randomUUID(), userId: user.id, authTime: now, amr: ['pwd'], createdAt: now, expiresAt: now + expiresIn });
  return idHash;
}

describe('purge of expired rows', () => {
  it('deletes what expired and keeps what is live', async () => {
    const expired = await addSession(10);
    const live = await addSession(1000);
    app.clock.advance(20);
    const deps = { store: app.store, clock: app.clock, log: silentLogger };
    expect(await purgeOnce(deps)).toBe(1);
    const now = epochSeconds(app.clock);
    expect(await app.store.sessions.findSession(expired, 0)).toBeNull();
    expect(await app.store.sessions.findSession(live, now)).not.toBeNull();
  });

  it('runs periodically in the background until stopped', async () => {
    const expired = await addSession(1);
    app.clock.advance(5);
    const stop = startPurging({ store: app.store, clock: app.clock, log: silentLogger }, 0.02);
    try {
      const deadline = Date.now() + 2000;
      while ((await app.store.sessions.findSession(expired, 0)) !== null && Date.now() < deadline) await Bun.sleep(10);
      expect(await app.store.sessions.findSession(expired, 0)).toBeNull();
    } finally {
      stop();
    }
  });
});
