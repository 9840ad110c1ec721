// Whether this user may use this client: the adapter's authorize hook, asked where a user is about to
// get tokens (after sign-in at /authorize, when approving a device, on every refresh). A refusal is
// recorded as an authorization.denied event; each caller answers it in its own protocol's words.
import type { GrantType } from '../clients/metadata.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { ClientRecord, UserRecord } from '../store/store.ts';

/** Said to the client (error_description) when the adapter refuses without a reason. */
export const DEFAULT_DENIAL = 'The user is not allowed to use this application.';

/** null when the user may go on; otherwise the reason, already recorded as an event. */
export async function refusal(
  deps: Pick<Deps, 'hooks' | 'events' | 'clock'>,
  input: { user: UserRecord; client: ClientRecord; scopes: string[]; grantType: GrantType },
): Promise<string | null> {
  const decided = await deps.hooks.authorize(input);
  if (decided.allow) return null;
  const reason = decided.reason ?? DEFAULT_DENIAL;
  await deps.events.emit({
    type: 'authorization.denied',
    at: epochSeconds(deps.clock),
    userId: input.user.id,
    clientId: input.client.id,
    details: { reason, grant_type: input.grantType },
  });
  return reason;
}
