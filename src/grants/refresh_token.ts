// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): each refresh token works once. Presenting a rotated
// token again revokes its whole family (the grant), except within refresh_token_reuse_grace seconds
// of its rotation, where a retry (two tabs, a lost response) gets fresh tokens of the same family.
import { refusal } from '../authorize/decision.ts';
import { epochSeconds } from '../clock.ts';
import { grantRevoked } from '../events/tokens.ts';
import { OAuthError } from '../http/errors.ts';
import { issueTokens } from '../tokens/issue.ts';
import { hashToken } from '../tokens/secret.ts';
import type { GrantHandler } from './grant.ts';

export const refreshTokenGrant = {
  grantType: 'refresh_token',
  async handle(deps, client, params) {
    const { store, config } = deps;
    if (!params.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const tokenHash = hashToken(params.refresh_token);
    const token = await store.tokens.findRefreshToken(tokenHash);
    const now = epochSeconds(deps.clock);
    if (!token || token.clientId !== client.id || token.expiresAt <= now) {
      throw new OAuthError('invalid_grant', 'The refresh token is invalid or expired.');
    }
    const grant = await store.tokens.getGrant(token.grantId);
    const user = grant?.userId ? await store.users.getUser(grant.userId) : null;
    if (!grant || grant.revokedAt !== null || !user || user.disabled) throw new OAuthError('invalid_grant', 'The grant is no longer valid.');

    const granted = token.scope.split(' ').filter(Boolean);
    const requested = params.scope === undefined ? granted : params.scope.split(' ').filter(Boolean);
    const widened = requested.filter((scope) => !granted.includes(scope));
    if (widened.length > 0) throw new OAuthError('invalid_scope', `A refresh cannot add scopes: ${widened.join(' ')}.`);

    // The adapter may withdraw a user's access later (left a group): the grant ends with the refusal,
    // so no older refresh token of it works either, and the client must send the user to sign in again.
    const refused = await refusal(deps, { user, client, scopes: requested, grantType: 'refresh_token' });
    if (refused !== null) {
      await store.tokens.revokeGrant(grant.id, now);
      throw new OAuthError('invalid_grant', refused);
    }

    if (config.rotate_refresh_token) {
      const rotatedNow = token.rotatedAt === null && (await store.tokens.markRefreshTokenRotated(tokenHash, now));
      if (!rotatedNow) {
        const rotatedAt = token.rotatedAt ?? now;
        // Whole seconds: a grace of 0 never forgives, a grace of 5 forgives 0 to 4 elapsed seconds.
        if (now - rotatedAt >= config.refresh_token_reuse_grace) {
          await store.tokens.revokeGrant(grant.id, now);
          await grantRevoked(deps, grant.id, 'refresh_reuse');
          deps.log.warn('rotated refresh token reused; its grant was revoked', { client_id: client.id });
          throw new OAuthError('invalid_grant', 'The refresh token was already used.');
        }
      }
    }
    return issueTokens(deps, {
      client,
      user,
      grant,
      scopes: requested,
      nonce: null,
      refreshToken: config.rotate_refresh_token ? 'issue' : 'none',
      resource: params.resource,
      grantType: 'refresh_token',
    });
  },
} satisfies GrantHandler;
