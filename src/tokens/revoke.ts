// Revocation by an operator (`idp tokens revoke`, `idp user disable`): one token, every grant of a
// client, or every grant and session of a user. Revoking a grant deletes every code, access token
// and refresh token issued under it, so none of them works at /token, /userinfo or /introspect.
// Callers resolve names to ids (and report unknown ones) first; these functions take ids.
import { type Clock, epochSeconds } from '../clock.ts';
import type { GrantOwner, GrantRecord, Store } from '../store/store.ts';
import { hashToken } from './secret.ts';

export interface RevokeDeps {
  store: Pick<Store, 'tokens' | 'sessions'>;
  clock: Clock;
}

/** What revoking a client's or a user's tokens ended. */
export interface RevokeCounts {
  /** Live grants revoked, each with its codes and tokens. */
  grants: number;
  /** Browser sessions ended (always 0 for a client). */
  sessions: number;
}

export type RevokedTokenType = 'refresh_token' | 'access_token';

/**
 * Revokes one token given in full. A refresh token revokes its grant (the whole token family and
 * every access token issued under it); an access token (opaque or JWT) is deleted alone. Answers what
 * the token was, or null when no stored token matches (unknown, expired and purged, or revoked).
 */
export async function revokeToken(deps: RevokeDeps, token: string): Promise<RevokedTokenType | null> {
  const { tokens } = deps.store;
  const hash = hashToken(token);
  const refresh = await tokens.findRefreshToken(hash);
  if (refresh) {
    await tokens.revokeGrant(refresh.grantId, epochSeconds(deps.clock));
    return 'refresh_token';
  }
  return (await tokens.deleteAccessToken(hash)) ? 'access_token' : null;
}

/** Revokes every live grant of a client, with their codes and tokens. */
export async function revokeTokensOfClient(deps: RevokeDeps, clientId: string): Promise<RevokeCounts> {
  const grants = await deps.store.tokens.revokeGrantsOf({ clientId }, epochSeconds(deps.clock));
  return { grants, sessions: 0 };
}

/** Revokes every live grant of a user, with their codes and tokens, and ends every session of the user. */
export async function revokeTokensOfUser(deps: RevokeDeps, userId: string): Promise<RevokeCounts> {
  // Sessions first: a live session could otherwise start a new grant while the old ones are revoked.
  const sessions = await deps.store.sessions.deleteSessionsOfUser(userId);
  const grants = await deps.store.tokens.revokeGrantsOf({ userId }, epochSeconds(deps.clock));
  return { grants, sessions };
}

/** Live grants (not revoked, not expired) of a user or a client, oldest first. */
export function listGrants(deps: RevokeDeps, owner: GrantOwner): Promise<GrantRecord[]> {
  return deps.store.tokens.listGrants(owner, epochSeconds(deps.clock));
}
