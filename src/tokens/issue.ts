// Issues the tokens of one token response: an access token, an ID token when `openid` was granted,
// and a refresh token when the grant allows one. Everything is stored by digest under the grant.
import { epochSeconds } from '../clock.ts';
import { tokensIssued } from '../events/tokens.ts';
import { OAuthError } from '../http/errors.ts';
import type { Deps } from '../deps.ts';
import type { GrantType } from '../clients/metadata.ts';
import type { AccessTokenRecord, ClientRecord, GrantRecord, RefreshTokenRecord, UserRecord } from '../store/store.ts';
import { mintAccessToken } from './access_token.ts';
import { signIdToken } from './id_token.ts';
import { hashToken } from './secret.ts';
import { idTokenClaimsFor } from './user_claims.ts';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}

export interface IssueInput {
  client: ClientRecord;
  /** null for client_credentials: the token acts for the client, whose id is then the subject. */
  user: UserRecord | null;
  grant: GrantRecord;
  /** The grant is new (client_credentials) and not stored yet: it is stored with the tokens. */
  newGrant?: boolean;
  /** Scopes of the access token (may be narrower than the grant on refresh). */
  scopes: string[];
  nonce: string | null;
  refreshToken: 'issue' | 'none';
  /** RFC 8707 `resource` of the token request, already checked against the client's audiences. */
  resource?: string | undefined;
  /** The grant being redeemed: the adapter's lifetimes and claims hooks see it. */
  grantType: GrantType;
}

/**
 * The audience of a JWT access token: the requested resource (RFC 8707), else the client's
 * configured audiences, else the client itself. A resource must be one of the configured audiences.
 */
export function accessTokenAudience(client: ClientRecord, resource: string | undefined): string[] {
  if (resource === undefined) return client.metadata.audiences.length > 0 ? [...client.metadata.audiences] : [client.id];
  if (!client.metadata.audiences.includes(resource)) {
    throw new OAuthError('invalid_target', `This client may not request tokens for ${resource}; register it with --audience.`);
  }
  return [resource];
}

/**
 * When a refresh token is issued: the client has the refresh_token grant and, for an OpenID request,
 * the user granted offline_access (OIDC Core §11); a plain OAuth request needs only the grant type.
 */
export function allowsRefreshToken(client: ClientRecord, scopes: readonly string[]): boolean {
  return client.metadata.grant_types.includes('refresh_token') && (scopes.includes('offline_access') || !scopes.includes('openid'));
}

export async function issueTokens(deps: Pick<Deps, 'config' | 'store' | 'keyring' | 'clock' | 'hooks' | 'events'>, input: IssueInput): Promise<TokenResponse> {
  const { config, store, keyring } = deps;
  const { client, user, grant, scopes } = input;
  const now = epochSeconds(deps.clock);
  const scope = scopes.join(' ');
  const { grantType } = input;
  // The adapter's tokenLifetimes (per client and grant), else the *_ttl settings.
  const lifetimes = await deps.hooks.lifetimes({ user, client, scopes, grantType });
  const extra = await deps.hooks.accessTokenClaims({ user, client, scopes, grantType });
  const accessExpiresAt = now + lifetimes.accessToken;
  // OIDC Core §8: the sub this client sees (pairwise or the user id); client_credentials acts for the client.
  const subject = user ? await deps.hooks.subject(user, client) : client.id;
  const accessToken = await mintAccessToken(client.metadata.access_token_format ?? config.access_token_format, keyring, config.signing_alg, {
    issuer: config.issuer,
    subject,
    clientId: client.id,
    audience: accessTokenAudience(client, input.resource),
    scope,
    issuedAt: now,
    expiresAt: accessExpiresAt,
    authTime: grant.authTime,
    extra,
  }, () => deps.hooks.token('access_token', client));
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: lifetimes.accessToken, scope };

  if (user && scopes.includes('openid')) {
    response.id_token = await signIdToken(keyring, {
      issuer: config.issuer,
      subject,
      clientId: client.id,
      issuedAt: now,
      expiresAt: now + lifetimes.idToken,
      authTime: grant.authTime,
      nonce: input.nonce,
      sid: grant.sid,
      accessToken,
      claims: await idTokenClaimsFor(deps, { user, client, scopes, grantType }),
      alg: client.metadata.id_token_signed_response_alg,
    });
  }

  // Stored only once every token is signed, so a signing failure leaves no usable token behind.
  const accessRecord: AccessTokenRecord = {
    tokenHash: hashToken(accessToken),
    grantId: grant.id,
    clientId: client.id,
    userId: user?.id ?? null,
    scope,
    // Kept for /introspect, which answers for opaque and JWT tokens alike from this row.
    claims: Object.keys(extra).length > 0 ? extra : null,
    createdAt: now,
    expiresAt: accessExpiresAt,
  };
  let grantExpiresAt = accessExpiresAt;
  let refreshRecord: RefreshTokenRecord | undefined;
  if (user && input.refreshToken === 'issue') {
    const refreshToken = await deps.hooks.token('refresh_token', client);
    const refreshExpiresAt = now + lifetimes.refreshToken;
    refreshRecord = {
      tokenHash: hashToken(refreshToken),
      grantId: grant.id,
      clientId: client.id,
      userId: user.id,
      // RFC 6749 §6: a new refresh token keeps the scope of the grant, whatever the access token got.
      scope: grant.scope,
      createdAt: now,
      expiresAt: refreshExpiresAt,
      rotatedAt: null,
    };
    response.refresh_token = refreshToken;
    grantExpiresAt = Math.max(grantExpiresAt, refreshExpiresAt);
  }
  // One transaction: the new grant (client_credentials), the tokens, and the grant's extension.
  await store.tokens.recordIssued({
    ...(input.newGrant ? { grant } : {}),
    accessToken: accessRecord,
    ...(refreshRecord ? { refreshToken: refreshRecord } : {}),
    grantExpiresAt,
  });
  // The grant may have been revoked while the tokens were signed (idp tokens revoke, a replayed
  // code): then the tokens just stored are revoked with it and none is handed out.
  const current = await store.tokens.getGrant(grant.id);
  if (!current || current.revokedAt !== null) {
    await store.tokens.revokeGrant(grant.id, now);
    throw new OAuthError('invalid_grant', 'The grant was revoked.');
  }
  await tokensIssued(deps, { grantType, grantId: grant.id, userId: user?.id ?? null, clientId: client.id, scopes });
  return response;
}
