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
    const deps = { store: app.store, config: app.config, clock: app.clock, log: silentLogger };
    expect(await purgeOnce(deps)).toBe(1);
    const now = epochSeconds(app.clock);
    expect(await app.store.sessions.findSession(expired, 0)).toBeNull();
    expect(await app.store.sessions.findSession(live, now)).not.toBeNull();
  });

  it('runs periodically in the background until stopped', async () => {
    const expired = await addSession(1);
    app.clock.advance(5);
    const stop = startPurging({ store: app.store, config: app.config, clock: app.clock, log: silentLogger }, 0.02);
    try {
      const deadline = Date.now() + 2000;
      while ((await app.store.sessions.findSession(expired, 0)) !== null && Date.now() < deadline) await Bun.sleep(10);
      expect(await app.store.sessions.findSession(expired, 0)).toBeNull();
    } finally {
      stop();
    }
  });
});

describe('audit retention', () => {
  const DAY = 24 * 3600;

  async function appendEvents(count: number, ageSeconds: number): Promise<void> {
    const at = epochSeconds(app.clock) - ageSeconds;
    for (let i = 0; i < count; i++) {
      await app.store.audit.append({ at, type: 'login.failed', userId: null, clientId: null, details: { username: `u${i}`, reason: 'unknown_user', ip: null } });
    }
  }

  it('deletes events older than audit_retention, in batches, and keeps the newer ones', async () => {
    // More than one batch (500) of old events, so the purge has to come back for the rest.
    await appendEvents(1_201, 91 * DAY);
    await appendEvents(3, 89 * DAY);
    const deps = { store: app.store, config: app.config, clock: app.clock, log: silentLogger };
    expect(app.config.audit_retention).toBe(90 * DAY);
    expect(await purgeOnce(deps)).toBe(1_201);
    const left = await app.store.audit.list({ limit: 10_000 });
    expect(left).toHaveLength(3);
    expect(left.every((event) => event.at === epochSeconds(app.clock) - 89 * DAY)).toBe(true);
    expect(await purgeOnce(deps)).toBe(0);
  });

  it('follows the setting, and keeps everything when it is 0', async () => {
    await appendEvents(2, 2 * DAY);
    const keepAll = { store: app.store, config: { audit_retention: 0 }, clock: app.clock, log: silentLogger };
    expect(await purgeOnce(keepAll)).toBe(0);
    expect(await app.store.audit.list({ limit: 10 })).toHaveLength(2);
    const oneDay = { ...keepAll, config: { audit_retention: DAY } };
    expect(await purgeOnce(oneDay)).toBe(2);
    expect(await app.store.audit.list({ limit: 10 })).toHaveLength(0);
  });

  it('is part of the background purge', async () => {
    await appendEvents(1, 91 * DAY);
    const stop = startPurging({ store: app.store, config: app.config, clock: app.clock, log: silentLogger }, 0.02);
    try {
      const deadline = Date.now() + 2000;
      while ((await app.store.audit.list({ limit: 1 })).length > 0 && Date.now() < deadline) await Bun.sleep(10);
      expect(await app.store.audit.list({ limit: 1 })).toEqual([]);
    } finally {
      stop();
    }
  });
});
