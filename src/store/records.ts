// Rows as the store returns them. Times are seconds since the epoch; *Hash fields are SHA-256 digests.
import type { ClientMetadata } from '../clients/metadata.ts';

export interface UserProfile {
  name?: string;
  given_name?: string;
  family_name?: string;
  preferred_username?: string;
  picture?: string;
  locale?: string;
  zoneinfo?: string;
}

/** An attribute is a string or a list of strings (`--attr groups=a,b`). */
export type UserAttributes = Record<string, string | string[]>;

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string | null;
  email: string | null;
  emailVerified: boolean;
  profile: UserProfile;
  /** Free-form attributes (`idp user update --attr`), for custom scopes and the adapter. */
  attributes: UserAttributes;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ClientRecord {
  id: string;
  secretHash: string | null;
  /** After `rotate-secret --grace`: the old secret's digest, accepted until previousSecretExpiresAt. */
  previousSecretHash: string | null;
  previousSecretExpiresAt: number | null;
  metadata: ClientMetadata;
  createdAt: number;
  updatedAt: number;
}

export interface SessionRecord {
  idHash: string;
  sid: string;
  userId: string;
  authTime: number;
  amr: string[];
  createdAt: number;
  expiresAt: number;
}

export interface InteractionRecord {
  idHash: string;
  browserHash: string;
  /** The validated authorization request, as JSON. */
  request: string;
  userId: string | null;
  loginAt: number | null;
  createdAt: number;
  expiresAt: number;
}

export interface GrantRecord {
  id: string;
  /** null for a client_credentials grant, which acts for the client itself. */
  userId: string | null;
  clientId: string;
  scope: string;
  sid: string | null;
  authTime: number;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface AuthorizationCodeRecord {
  codeHash: string;
  grantId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface AccessTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  /** null for a client_credentials token. */
  userId: string | null;
  scope: string;
  /** Claims the adapter added (accessTokenClaims), shown by introspection; null when none. */
  claims: Record<string, unknown> | null;
  createdAt: number;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  userId: string;
  scope: string;
  createdAt: number;
  expiresAt: number;
  rotatedAt: number | null;
}

/** A custom scope (`idp scope add`): its consent-page description and the user claims it releases. */
export interface ScopeRecord {
  name: string;
  description: string;
  /**
   * What the scope releases, one entry each: a profile or email claim (`email`), a user attribute under
   * its own name (`team`), or an attribute under another claim name (`roles=groups`); see users/claims.ts.
   */
  claims: string[];
  createdAt: number;
}

/** RFC 8628: a device authorization request, polled by the client with the device code. */
export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceCodeRecord {
  deviceCodeHash: string;
  /** Normalised: upper case, no dash (BDWPHQPK). */
  userCode: string;
  clientId: string;
  scope: string;
  status: DeviceCodeStatus;
  /** Set on approval: who approved, in which session, signed in when. */
  userId: string | null;
  sid: string | null;
  authTime: number | null;
  /** Seconds the client must wait between polls; grows by 5 at each slow_down (RFC 8628 §3.5). */
  pollInterval: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
}

/** One line of the append-only audit log. */
export interface AuditEventRecord {
  /** Assigned by the store, increasing. */
  id: number;
  at: number;
  /** An event type, e.g. `login.failed`; see events/types.ts. */
  type: string;
  userId: string | null;
  clientId: string | null;
  /** Event-specific fields; never secrets, tokens, codes or passwords. */
  details: Record<string, unknown>;
}
