// RFC 6749 §4.4: a confidential client gets an access token for itself. No ID token and no refresh
// token; the token's subject is the client. Scopes about a user (openid, profile, email,
// offline_access) make no sense here and are refused like any scope the client may not have.
import { epochSeconds } from '../clock.ts';
import { OAuthError } from '../http/errors.ts';
import { issueTokens } from '../tokens/issue.ts';
import { randomToken } from '../tokens/secret.ts';
import { STANDARD_SCOPES } from '../users/claims.ts';
import type { GrantHandler } from './grant.ts';

const USER_SCOPES: readonly string[] = STANDARD_SCOPES;

export const clientCredentialsGrant = {
  grantType: 'client_credentials',
  async handle(deps, client, params) {
    const allowed = client.metadata.scopes.filter((scope) => !USER_SCOPES.includes(scope));
    const requested = params.scope === undefined ? client.metadata.default_scopes.filter((scope) => allowed.includes(scope)) : params.scope.split(' ').filter(Boolean);
    const refused = requested.filter((scope) => !allowed.includes(scope));
    if (refused.length > 0) throw new OAuthError('invalid_scope', `This client may not request: ${refused.join(' ')}.`);
    // The adapter may narrow or pick among `allowed`, or refuse the request.
    const scopes = await deps.hooks.clientCredentialsScopes({
      client,
      requested: params.scope === undefined ? null : requested,
      scopes: [...new Set(requested)],
      allowed,
    });
    if (scopes === false) throw new OAuthError('invalid_scope', 'The requested scopes are not available to this client.');
    const now = epochSeconds(deps.clock);
    const grant = {
      id: randomToken(16),
      userId: null,
      clientId: client.id,
      scope: scopes.join(' '),
      sid: null,
      authTime: now,
      createdAt: now,
      expiresAt: now + deps.config.access_token_ttl,
      revokedAt: null,
    };
    // Stored by issueTokens with the access token, in one transaction.
    return issueTokens(deps, { client, user: null, grant, newGrant: true, scopes, nonce: null, refreshToken: 'none', resource: params.resource, grantType: 'client_credentials' });
  },
} satisfies GrantHandler;
