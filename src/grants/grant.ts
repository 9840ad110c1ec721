// A grant handler does only its own part; the token endpoint has already authenticated the client,
// checked that the client may use this grant type, and will add Cache-Control: no-store.
import type { GrantType } from '../clients/metadata.ts';
import type { Deps } from '../deps.ts';
import type { ClientRecord } from '../store/store.ts';
import type { TokenResponse } from '../tokens/issue.ts';

/** The token request parameters, each present at most once (the endpoint refuses repeats). */
export type TokenParams = Partial<Record<'code' | 'redirect_uri' | 'code_verifier' | 'refresh_token' | 'scope' | 'device_code' | 'resource', string>>;

export interface GrantHandler {
  grantType: GrantType;
  handle(deps: Deps, client: ClientRecord, params: TokenParams): Promise<TokenResponse>;
}
