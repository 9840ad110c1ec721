// The adapter contract: what an operator's module (the `adapter` setting) may export. Every method
// is optional; a missing one keeps idp's default. Methods may be async. A method that throws fails
// only the request it was called for, with `server_error` for the client and the reason in the log.
//
// Adapter authors import these types:  import type { Adapter } from 'idp/adapter';
// Only types live here, so a type-only import costs the adapter nothing at run time.
import type { ClientMetadata, GrantType } from '../clients/metadata.ts';
import type { IdpEvent } from '../events/types.ts';
import type { UserAttributes, UserProfile } from '../store/records.ts';

export type { EventDetails, EventType, IdpEvent } from '../events/types.ts';
export type { ClientMetadata, GrantType } from '../clients/metadata.ts';
export type { UserAttributes, UserProfile } from '../store/records.ts';

/** Claim values as they go into JSON: whatever JSON.stringify keeps. */
export type Claims = Record<string, unknown>;

/** A user as the adapter sees it: never the password hash. */
export interface AdapterUser {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  profile: UserProfile;
  attributes: UserAttributes;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A client as the adapter sees it: never a secret digest. */
export interface AdapterClient {
  id: string;
  metadata: ClientMetadata;
}

/** Seconds each token lives. */
export interface TokenLifetimes {
  accessToken: number;
  idToken: number;
  refreshToken: number;
}

export interface ClaimsContext {
  user: AdapterUser;
  client: AdapterClient;
  /** The scopes granted. */
  scopes: string[];
  /** Where the claims go. The same hook serves both, so the two agree unless the adapter says otherwise. */
  target: 'id_token' | 'userinfo';
  /** idp's own claims for these scopes (standard, custom scopes and mapped attributes), without sub. */
  claims: Claims;
}

export interface TokenClaimsContext {
  /** null for client_credentials, whose token acts for the client. */
  user: AdapterUser | null;
  client: AdapterClient;
  scopes: string[];
  grantType: GrantType;
  /** The claims idp would add beyond the protected ones (see PROTECTED_CLAIMS); may be empty. */
  claims: Claims;
}

export interface LifetimesContext {
  user: AdapterUser | null;
  client: AdapterClient;
  grantType: GrantType;
  scopes: string[];
  /** From the settings access_token_ttl, id_token_ttl and refresh_token_ttl. */
  defaults: TokenLifetimes;
}

export interface AuthorizeContext {
  user: AdapterUser;
  client: AdapterClient;
  scopes: string[];
  grantType: GrantType;
}

/**
 * true allows; false or { allow: false, reason } refuses: access_denied at /authorize, a refusal page at
 * /device (the device then gets access_denied), invalid_grant on refresh. The reason is sent to the client
 * as error_description, so it is 1 to 500 printable ASCII characters without `"` and `\` (RFC 6749 §4.1.2.1).
 */
export type Decision = boolean | { allow: boolean; reason?: string };

export interface ConsentContext {
  user: AdapterUser;
  client: AdapterClient;
  /** The scopes asked for now. */
  scopes: string[];
  /** Scopes the user granted this client before. */
  granted: string[];
  /** What idp would decide: true when the client skips consent or everything asked was granted before. */
  skip: boolean;
}

export interface ClientCredentialsContext {
  client: AdapterClient;
  /** The scope parameter split, or null when the request named none. */
  requested: string[] | null;
  /** What idp would grant: the requested scopes (or the client's defaults) among those the client may use. */
  scopes: string[];
}

export interface SubjectContext {
  user: AdapterUser;
  client: AdapterClient;
  /** What idp would use: the user id, or the pairwise subject for a `subject_type = pairwise` client. */
  subject: string;
}

export type TokenKind = 'access_token' | 'refresh_token' | 'authorization_code' | 'device_code';

export interface Adapter {
  /** The user claims for the ID token and userinfo: add, rename or drop claims. Protected claims (sub, iss, ...) are refused. */
  claims?(context: ClaimsContext): Claims | Promise<Claims>;
  /** Extra ID token claims, after `claims`. Protected claims (iss, sub, aud, exp, nonce, ...) may not be set. */
  idTokenClaims?(context: TokenClaimsContext): Claims | Promise<Claims>;
  /** Extra access token claims: in a JWT access token, and in introspection of an opaque one. */
  accessTokenClaims?(context: TokenClaimsContext): Claims | Promise<Claims>;
  /** Lifetimes per client and grant; return only the ones to change. */
  tokenLifetimes?(context: LifetimesContext): Partial<TokenLifetimes> | Promise<Partial<TokenLifetimes>>;
  /** Whether this user may use this client (after sign-in, at the device page, and on refresh). */
  authorize?(context: AuthorizeContext): Decision | Promise<Decision>;
  /** Whether to skip the consent page. Not asked when the request says prompt=consent: the page is shown then. */
  skipConsent?(context: ConsentContext): boolean | Promise<boolean>;
  /** The scopes a client_credentials token gets; false refuses with invalid_scope. */
  clientCredentialsScopes?(context: ClientCredentialsContext): string[] | false | Promise<string[] | false>;
  /** A device user code: 6 to 32 letters or digits once upper-cased and stripped of dashes and spaces. */
  generateUserCode?(context: { client: AdapterClient }): string | Promise<string>;
  /** A token or code value: 32 to 512 URL-safe characters (A-Z a-z 0-9 - . _ ~) with at least 128 bits of randomness. */
  generateToken?(context: { kind: TokenKind; client: AdapterClient }): string | Promise<string>;
  /** The `sub` a client sees: 1 to 255 ASCII characters, stable for the same user and client. */
  subject?(context: SubjectContext): string | Promise<string>;
  /** Every event (also written to the audit log). Errors are logged and never fail the request. */
  onEvent?(event: IdpEvent): void | Promise<void>;
}

export const ADAPTER_METHODS = [
  'claims',
  'idTokenClaims',
  'accessTokenClaims',
  'tokenLifetimes',
  'authorize',
  'skipConsent',
  'clientCredentialsScopes',
  'generateUserCode',
  'generateToken',
  'subject',
  'onEvent',
] as const satisfies readonly (keyof Adapter)[];

/** Claims that idp alone sets in tokens; an adapter returning one of them fails the request. */
export const PROTECTED_CLAIMS = [
  'iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'azp', 'at_hash', 'c_hash', 's_hash', 'sid',
  'client_id', 'scope', 'cnf', 'acr', 'amr', 'typ',
] as const;
