// Token events: what was issued or revoked, named by grant id and scopes, never by a token or digest.
import type { GrantType } from '../clients/metadata.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { hashToken } from '../tokens/secret.ts';
import type { EventDetails } from './types.ts';

type EventDeps = Pick<Deps, 'store' | 'clock' | 'events'>;

/**
 * token.issued (token.refreshed for the refresh_token grant) for a response whose access token was
 * just stored: its record names the grant, the user and the scopes, so no grant has to report them.
 */
export async function tokensIssued(deps: EventDeps, grantType: GrantType, accessToken: string): Promise<void> {
  const record = await deps.store.tokens.findAccessToken(hashToken(accessToken));
  // Revoked in the meantime: nothing usable was handed out.
  if (!record) return;
  const at = epochSeconds(deps.clock);
  const scopes = record.scope.split(' ').filter(Boolean);
  const who = { at, userId: record.userId, clientId: record.clientId };
  if (grantType === 'refresh_token') {
    await deps.events.emit({ type: 'token.refreshed', ...who, details: { grant_id: record.grantId, scopes } });
  } else {
    await deps.events.emit({ type: 'token.issued', ...who, details: { grant_type: grantType, grant_id: record.grantId, scopes } });
  }
}

/** token.revoked for one grant the server (or a client) revoked, with the grant's user and client. */
export async function grantRevoked(deps: EventDeps, grantId: string, by: EventDetails['token.revoked']['by']): Promise<void> {
  const grant = await deps.store.tokens.getGrant(grantId);
  await deps.events.emit({
    type: 'token.revoked',
    at: epochSeconds(deps.clock),
    userId: grant?.userId ?? null,
    clientId: grant?.clientId ?? null,
    details: { by, what: 'grant', grant_id: grantId, grants: 1 },
  });
}

/** token.issued for an implicit response: through its access token, or (id_token alone) with no grant. */
export async function implicitIssued(
  deps: EventDeps,
  accessToken: string | undefined,
  request: { userId: string; clientId: string; scopes: readonly string[] },
): Promise<void> {
  if (accessToken !== undefined) return tokensIssued(deps, 'implicit', accessToken);
  await deps.events.emit({
    type: 'token.issued',
    at: epochSeconds(deps.clock),
    userId: request.userId,
    clientId: request.clientId,
    details: { grant_type: 'implicit', grant_id: null, scopes: [...request.scopes] },
  });
}
