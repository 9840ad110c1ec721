// The user claims of an ID token or a UserInfo response (OIDC Core §5.4): idp's own for the granted
// scopes, passed through the adapter's claims hook; an ID token then gets idTokenClaims on top. The
// hooks refuse protected claims, and the token builders set those last anyway.
import type { Claims } from '../adapter/types.ts';
import type { GrantType } from '../clients/metadata.ts';
import type { Deps } from '../deps.ts';
import { customScopesOf } from '../scopes/scopes.ts';
import type { ClientRecord, UserRecord } from '../store/store.ts';
import { claimsForScopes } from '../users/claims.ts';

export interface UserClaimsInput {
  user: UserRecord;
  client: ClientRecord;
  scopes: string[];
}

/** What `target` releases for these scopes, as the adapter shapes it (without sub). */
export async function userClaimsFor(
  deps: Pick<Deps, 'hooks' | 'store' | 'clock'>,
  input: UserClaimsInput & { target: 'id_token' | 'userinfo' },
): Promise<Claims> {
  const defaults = claimsForScopes(input.user, input.scopes, await customScopesOf(deps));
  return deps.hooks.userClaims({ ...input, defaults });
}

/** The claims of an ID token beyond the protected ones: the user claims, then the adapter's idTokenClaims. */
export async function idTokenClaimsFor(
  deps: Pick<Deps, 'hooks' | 'store' | 'clock'>,
  input: UserClaimsInput & { grantType: GrantType },
): Promise<Claims> {
  const { grantType, ...rest } = input;
  const claims = await userClaimsFor(deps, { ...rest, target: 'id_token' });
  return { ...claims, ...(await deps.hooks.idTokenClaims({ ...rest, grantType })) };
}
