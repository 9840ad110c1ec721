// RFC 8628 §3.4-3.5: the device polls with its device code until the user has answered on /device.
// Tokens are handed out once (the approved code is consumed); later polls get invalid_grant.
import { epochSeconds } from '../clock.ts';
import { OAuthError } from '../http/errors.ts';
import type { GrantRecord } from '../store/store.ts';
import { allowsRefreshToken, issueTokens } from '../tokens/issue.ts';
import { hashToken, randomToken } from '../tokens/secret.ts';
import type { GrantHandler } from './grant.ts';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

export const deviceCodeGrant = {
  grantType: DEVICE_CODE_GRANT_TYPE,
  async handle(deps, client, params) {
    const { store } = deps;
    if (!params.device_code) throw new OAuthError('invalid_request', 'device_code is required.');
    const deviceCodeHash = hashToken(params.device_code);
    const code = await store.devices.findByDeviceCodeHash(deviceCodeHash);
    // A code issued to another client is answered like an unknown one.
    if (!code || code.clientId !== client.id) throw new OAuthError('invalid_grant', 'The device code is invalid.');
    const now = epochSeconds(deps.clock);
    if (code.status === 'consumed') throw new OAuthError('invalid_grant', 'The device code was already used.');
    if (code.expiresAt <= now) throw new OAuthError('expired_token', 'The device code has expired; start again.');
    if (code.status === 'denied') throw new OAuthError('access_denied', 'The user denied the request.');
    if (code.status === 'pending') {
      if (await store.devices.recordPoll(deviceCodeHash, now)) {
        throw new OAuthError('slow_down', `Polling too fast; wait at least ${code.pollInterval + 5} seconds between requests.`);
      }
      throw new OAuthError('authorization_pending', 'The user has not answered yet.');
    }
    // Approved: exactly one poll gets the tokens.
    if (!(await store.devices.consume(deviceCodeHash))) throw new OAuthError('invalid_grant', 'The device code was already used.');
    const user = code.userId ? await store.users.getUser(code.userId) : null;
    if (!user || user.disabled) throw new OAuthError('invalid_grant', 'The user who approved is no longer valid.');
    const scopes = code.scope.split(' ').filter(Boolean);
    const grant: GrantRecord = {
      id: randomToken(16),
      userId: user.id,
      clientId: client.id,
      scope: scopes.join(' '),
      sid: code.sid,
      authTime: code.authTime ?? now,
      createdAt: now,
      expiresAt: now + deps.config.access_token_ttl,
      revokedAt: null,
    };
    await store.tokens.insertGrant(grant);
    return issueTokens(deps, {
      client,
      user,
      grant,
      scopes,
      nonce: null,
      refreshToken: allowsRefreshToken(client, scopes) ? 'issue' : 'none',
      resource: params.resource,
      grantType: DEVICE_CODE_GRANT_TYPE,
    });
  },
} satisfies GrantHandler;
