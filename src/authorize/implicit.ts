// The implicit flow's response (OIDC Core §3.2.2.5): an ID token, and with response_type
// `id_token token` an access token, sent straight from the authorization endpoint in the fragment
// or a form_post. No code and never a refresh token. The access token is stored by digest under a
// new grant, so /userinfo, revocation and `idp tokens` treat it like any other.
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { tokensIssued } from '../events/tokens.ts';
import { OAuthError } from '../http/errors.ts';
import type { SignedIn } from '../sessions/browser.ts';
import type { ClientRecord } from '../store/store.ts';
import { mintAccessToken } from '../tokens/access_token.ts';
import { signIdToken } from '../tokens/id_token.ts';
import { hashToken } from '../tokens/secret.ts';
import { idTokenClaimsFor } from '../tokens/user_claims.ts';
import { startGrant } from './flow.ts';
import type { AuthorizationRequest } from './request.ts';

export interface ImplicitResponse {
  id_token: string;
  access_token?: string;
  token_type?: 'Bearer';
  expires_in?: string;
  scope?: string;
}

export async function issueImplicit(
  deps: Pick<Deps, 'store' | 'clock' | 'config' | 'keyring' | 'hooks' | 'events'>,
  request: AuthorizationRequest,
  client: ClientRecord,
  signedIn: SignedIn,
): Promise<ImplicitResponse> {
  const { config, keyring, store } = deps;
  const { session, user } = signedIn;
  const now = epochSeconds(deps.clock);
  const scope = request.scopes.join(' ');
  const scopes = request.scopes;
  // The adapter's lifetimes and claims, as at the token endpoint (tokens/issue.ts), for grant type implicit.
  const lifetimes = await deps.hooks.lifetimes({ user, client, scopes, grantType: 'implicit' });
  const idClaims = await idTokenClaimsFor(deps, { user, client, scopes, grantType: 'implicit' });
  // OIDC Core §8: the sub this client sees (pairwise or the user id).
  const subject = await deps.hooks.subject(user, client);
  const idToken = (accessToken?: string) =>
    signIdToken(keyring, {
      issuer: config.issuer,
      subject,
      clientId: client.id,
      issuedAt: now,
      expiresAt: now + lifetimes.idToken,
      authTime: session.authTime,
      nonce: request.nonce,
      sid: session.sid,
      accessToken,
      claims: idClaims,
      alg: client.metadata.id_token_signed_response_alg,
    });

  // OIDC Core §3.2.2.10: with response_type=id_token nothing but the ID token is issued or stored.
  const issued = { grantType: 'implicit' as const, userId: user.id, clientId: client.id, scopes };
  if (request.responseType !== 'id_token token') {
    const id_token = await idToken();
    await tokensIssued(deps, { ...issued, grantId: null });
    return { id_token };
  }

  const expiresAt = now + lifetimes.accessToken;
  const extra = await deps.hooks.accessTokenClaims({ user, client, scopes, grantType: 'implicit' });
  const grant = await startGrant(deps, request, signedIn, expiresAt);
  const accessToken = await mintAccessToken(client.metadata.access_token_format ?? config.access_token_format, keyring, config.signing_alg, {
    issuer: config.issuer,
    subject,
    clientId: client.id,
    audience: client.metadata.audiences.length > 0 ? client.metadata.audiences : [client.id],
    scope,
    issuedAt: now,
    expiresAt,
    authTime: session.authTime,
    extra,
  }, () => deps.hooks.token('access_token', client));
  const response: ImplicitResponse = {
    // OIDC Core §3.2.2.10: at_hash binds the ID token to the access token beside it.
    id_token: await idToken(accessToken),
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: String(lifetimes.accessToken),
    scope,
  };
  await store.tokens.insertAccessToken({
    tokenHash: hashToken(accessToken),
    grantId: grant.id,
    clientId: client.id,
    userId: user.id,
    scope,
    claims: Object.keys(extra).length > 0 ? extra : null,
    createdAt: now,
    expiresAt,
  });
  // As in issueTokens: a grant revoked while the tokens were signed hands out nothing.
  const current = await store.tokens.getGrant(grant.id);
  if (!current || current.revokedAt !== null) {
    await store.tokens.revokeGrant(grant.id, now);
    throw new OAuthError('access_denied', 'The grant was revoked.');
  }
  await tokensIssued(deps, { ...issued, grantId: grant.id });
  return response;
}
