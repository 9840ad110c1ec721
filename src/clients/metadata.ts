// What a registered client is allowed to do. Wire names (snake_case) as in RFC 7591 client metadata.
import type { AccessTokenFormat, SigningAlg } from '../config/schema.ts';

export const CLIENT_TYPES = ['confidential', 'public'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** Grant types this build implements; SPEC.md names more, which arrive with their features. */
export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'implicit',
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;
export type GrantType = (typeof SUPPORTED_GRANT_TYPES)[number];

export const SUBJECT_TYPES = ['public', 'pairwise'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface ClientMetadata {
  client_name: string;
  client_type: ClientType;
  redirect_uris: string[];
  /** Where /logout may send the browser afterwards (OIDC RP-Initiated Logout §3). */
  post_logout_redirect_uris: string[];
  /** Browser origins that may call the token, userinfo, revocation and introspection endpoints. */
  cors_origins: string[];
  /** Allows one-label `*` patterns in the three lists above (preview deployments). */
  allow_wildcards: boolean;
  grant_types: GrantType[];
  /** Scopes the client may be granted. */
  scopes: string[];
  /** Scopes used when a request names none. */
  default_scopes: string[];
  token_endpoint_auth_method: AuthMethod;
  skip_consent: boolean;
  /** null: the access_token_format setting decides. */
  access_token_format: AccessTokenFormat | null;
  /** Audiences of JWT access tokens; the client id when empty. */
  audiences: string[];
  id_token_signed_response_alg: SigningAlg;
  /** Allows http redirect URIs on hosts other than loopback (development setups only). */
  allow_insecure_redirect_uris: boolean;
  /** OIDC Core §8: `pairwise` gives each sector a different `sub` for the same user. Absent means public. */
  subject_type?: SubjectType;
  /** The host pairwise subjects are computed for; absent means the one host of the redirect URIs. */
  sector_identifier?: string;
}
