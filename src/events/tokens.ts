// Token events: what was issued or revoked, named by grant id and scopes, never by a token or digest.
import type { GrantType } from '../clients/metadata.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { EventDetails } from './types.ts';

type EventDeps = Pick<Deps, 'store' | 'clock' | 'events'>;

/** What a token response handed out, as issueTokens and the implicit flow know it. */
export interface IssuedTokens {
  grantType: GrantType;
  /** null for an implicit ID token alone, which stores nothing. */
  grantId: string | null;
  userId: string | null;
  clientId: string;
  scopes: readonly string[];
}

/** token.issued, or token.refreshed for the refresh_token grant. */
export async function tokensIssued(deps: EventDeps, issued: IssuedTokens): Promise<void> {
  const who = { at: epochSeconds(deps.clock), userId: issued.userId, clientId: issued.clientId };
  const scopes = [...issued.scopes];
  if (issued.grantType === 'refresh_token' && issued.grantId !== null) {
    await deps.events.emit({ type: 'token.refreshed', ...who, details: { grant_id: issued.grantId, scopes } });
  } else {
    await deps.events.emit({ type: 'token.issued', ...who, details: { grant_type: issued.grantType, grant_id: issued.grantId, scopes } });
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
