import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { defaultHooks } from '../../src/adapter/hooks.ts';
import { createEvents } from '../../src/events/events.ts';
import { epochSeconds } from '../../src/clock.ts';
import { OAuthError } from '../../src/http/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { issueTokens } from '../../src/tokens/issue.ts';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { testApp, type TestApp } from '../helpers/app.ts';
import { addClient, addUser } from '../helpers/oidc.ts';

let app: TestApp;
beforeEach(async () => {
  app = await testApp();
});
afterEach(() => app.cleanup());

describe('issuing tokens', () => {
  it('hands out nothing, and keeps nothing usable, when the grant was revoked meanwhile', async () => {
    const user = await addUser(app);
    const { client } = await addClient(app);
    const now = epochSeconds(app.clock);
    const grant = { id: 'g1', userId: user.id, clientId: client.id, scope: 'openid offline_access', sid: null, authTime: now, createdAt: now, expiresAt: now + 60, revokedAt: null };
    await app.store.tokens.insertGrant(grant);
    await app.store.tokens.revokeGrant('g1', now);
    const hooks = defaultHooks({ secret: new Uint8Array(32), config: app.config, log: silentLogger });
    const events = createEvents({ audit: app.store.audit, hooks, log: silentLogger, auditTokenEvents: false });
    const deps = { config: app.config, store: app.store, keyring: app.keyring, clock: app.clock, hooks, events };
    let failure: unknown;
    try {
      await issueTokens(deps, { client, user, grant, scopes: ['openid', 'offline_access'], nonce: null, refreshToken: 'issue', grantType: 'authorization_code' });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(OAuthError);
    expect((failure as OAuthError).code).toBe('invalid_grant');
    expect(await app.store.tokens.listGrants({ userId: user.id }, now)).toEqual([]);
    // No access or refresh token row survives under the grant.
    const db = new Database(join(app.dir, 'idp.db'), { readonly: true });
    try {
      for (const table of ['access_tokens', 'refresh_tokens']) {
        expect(db.query<{ n: number }, [string]>(`SELECT COUNT(*) AS n FROM ${table} WHERE grant_id = ?`).get('g1')?.n).toBe(0);
      }
    } finally {
      db.close();
    }
  });
});
