// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is single-use and bound to the client, the
// redirect URI and the code challenge. A replayed code revokes everything issued from it (§4.1.2).
import { createHash } from 'node:crypto';
import { epochSeconds } from '../clock.ts';
import { grantRevoked } from '../events/tokens.ts';
import { OAuthError } from '../http/errors.ts';
import { allowsRefreshToken, issueTokens } from '../tokens/issue.ts';
import { hashToken, safeEqual } from '../tokens/secret.ts';
import type { GrantHandler } from './grant.ts';

const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const authorizationCodeGrant = {
  grantType: 'authorization_code',
  async handle(deps, client, params) {
    const { store } = deps;
    if (!params.code) throw new OAuthError('invalid_request', 'code is required.');
    if (!params.redirect_uri) throw new OAuthError('invalid_request', 'redirect_uri is required.');
    const codeHash = hashToken(params.code);
    const code = await store.tokens.findAuthorizationCode(codeHash);
    // A code issued to another client is answered like an unknown one, and left alone.
    if (!code || code.clientId !== client.id) throw new OAuthError('invalid_grant', 'The code is invalid.');
    const now = epochSeconds(deps.clock);
    if (!(await store.tokens.consumeAuthorizationCode(codeHash, now))) {
      await store.tokens.revokeGrant(code.grantId, now);
      await grantRevoked(deps, code.grantId, 'code_replay');
      deps.log.warn('authorization code replayed; its grant was revoked', { client_id: client.id });
      throw new OAuthError('invalid_grant', 'The code was already used.');
    }
    if (code.expiresAt <= now) throw new OAuthError('invalid_grant', 'The code has expired.');
    if (code.redirectUri !== params.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request.');
    if (code.codeChallenge !== null) {
      if (!params.code_verifier || !CODE_VERIFIER.test(params.code_verifier)) {
        throw new OAuthError('invalid_grant', 'A valid code_verifier is required.');
      }
      const challenge = createHash('sha256').update(params.code_verifier, 'ascii').digest('base64url');
      if (!safeEqual(challenge, code.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge.');
    } else if (params.code_verifier !== undefined) {
      // RFC 9700 §4.8.2: a verifier for a code issued without a challenge signals a downgrade attack.
      throw new OAuthError('invalid_grant', 'code_verifier sent for a code issued without PKCE.');
    }
    const grant = await store.tokens.getGrant(code.grantId);
    const user = grant?.userId ? await store.users.getUser(grant.userId) : null;
    if (!grant || grant.revokedAt !== null || !user || user.disabled) throw new OAuthError('invalid_grant', 'The grant is no longer valid.');
    const scopes = code.scope.split(' ').filter(Boolean);
    return issueTokens(deps, {
      client,
      user,
      grant,
      scopes,
      nonce: code.nonce,
      refreshToken: allowsRefreshToken(client, scopes) ? 'issue' : 'none',
      resource: params.resource,
      grantType: 'authorization_code',
    });
  },
} satisfies GrantHandler;
