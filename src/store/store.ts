// The storage contract. Every method is asynchronous so that the SQLite and PostgreSQL backends
// are interchangeable; callers never see driver errors, only StoreError codes.
import { IdpError } from '../errors.ts';
import type { SigningAlg } from '../config/schema.ts';
import type {
  AccessTokenRecord,
  AuditEventRecord,
  AuthorizationCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  GrantRecord,
  InteractionRecord,
  RefreshTokenRecord,
  ScopeRecord,
  SessionRecord,
  UserRecord,
} from './records.ts';

export type * from './records.ts';

export type StoreErrorCode =
  | 'not_found' // the row named does not exist
  | 'conflict' // a unique key is already taken
  | 'schema_too_new' // the database was migrated by a newer idp
  | 'needs_migration' // the database is at an older schema and this open may not migrate it (idp db migrate)
  | 'unreadable' // the database cannot be opened or is corrupt
  | 'unsupported'; // the database URL names a backend this build does not have

export class StoreError extends IdpError {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A signing key as stored. Times are seconds since the epoch; the private key is sealed (AES-GCM). */
export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  /** The public JWK as JSON text. */
  publicJwk: string;
  /** The private JWK sealed with the server secret; see keys/seal.ts. */
  sealedPrivateJwk: string;
  createdAt: number;
  /** When the key starts signing. It is published in the JWKS from createdAt on. */
  activatesAt: number;
  /** When the key stopped being published; null while it is published. */
  retiredAt: number | null;
}

export interface SigningKeyStore {
  /** Fails with `conflict` when the kid exists. */
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /**
   * The first keys of an installation: stores all of `keys`, in order, only when the store holds no
   * signing key at all, as one serialised step. Of several instances initialising one empty database
   * at the same moment exactly one gets true; the others get false and store nothing.
   */
  insertInitialSigningKeys(keys: SigningKeyRecord[]): Promise<boolean>;
  /** Every key, retired ones included, in insertion order (which breaks activation-time ties). */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  getSigningKey(kid: string): Promise<SigningKeyRecord | null>;
  /** Marks a key retired; fails with `not_found` for an unknown kid. */
  retireSigningKey(kid: string, retiredAt: number): Promise<void>;
}

export interface UserStore {
  /** Fails with `conflict` when the username is taken (case-insensitively). */
  insertUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  /** Case-insensitive. */
  findUserByUsername(username: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  /** Replaces every field but id and createdAt; `not_found`, or `conflict` on a taken username. */
  updateUser(user: UserRecord): Promise<void>;
  /** Removes the user with its sessions, consents, grants and tokens; `not_found` when absent. */
  deleteUser(id: string): Promise<void>;
}

export interface ClientStore {
  /** Fails with `conflict` when the id exists. */
  insertClient(client: ClientRecord): Promise<void>;
  getClient(id: string): Promise<ClientRecord | null>;
  listClients(): Promise<ClientRecord[]>;
  /** Replaces the secret digests, metadata and updatedAt; `not_found` when absent. */
  updateClient(client: ClientRecord): Promise<void>;
  /** Removes the client with its consents, grants and tokens; `not_found` when absent. */
  deleteClient(id: string): Promise<void>;
}

export interface ScopeStore {
  /** Fails with `conflict` when the name exists. */
  insertScope(scope: ScopeRecord): Promise<void>;
  getScope(name: string): Promise<ScopeRecord | null>;
  /** Every custom scope, by name. */
  listScopes(): Promise<ScopeRecord[]>;
  /** `not_found` when absent. */
  deleteScope(name: string): Promise<void>;
}

export interface SessionStore {
  insertSession(session: SessionRecord): Promise<void>;
  /** A live session (not expired at `now`), or null. */
  findSession(idHash: string, now: number): Promise<SessionRecord | null>;
  deleteSession(idHash: string): Promise<void>;
  /** Ends every session of a user; returns how many there were. */
  deleteSessionsOfUser(userId: string): Promise<number>;
  /** How many sessions are live at `now` (expiresAt > now), for the idp_active_sessions gauge. */
  countActiveSessions(now: number): Promise<number>;
}

export interface ConsentStore {
  /** The scopes the user granted the client, or null when never asked. */
  getConsent(userId: string, clientId: string): Promise<string | null>;
  saveConsent(userId: string, clientId: string, scope: string, grantedAt: number): Promise<void>;
}

export interface InteractionStore {
  insertInteraction(interaction: InteractionRecord): Promise<void>;
  /** A live interaction (not expired at `now`), or null. */
  findInteraction(idHash: string, now: number): Promise<InteractionRecord | null>;
  recordInteractionLogin(idHash: string, userId: string, loginAt: number): Promise<void>;
  deleteInteraction(idHash: string): Promise<void>;
}

export type GrantOwner = { userId: string } | { clientId: string };

/** What one token response stores (TokenStore.recordIssued). */
export interface TokenIssue {
  /** A grant created for this response (client_credentials), inserted first. */
  grant?: GrantRecord;
  accessToken: AccessTokenRecord;
  refreshToken?: RefreshTokenRecord;
  /** The grant (accessToken.grantId) then lives at least this long; an earlier expiry is ignored. */
  grantExpiresAt: number;
}

export interface TokenStore {
  insertGrant(grant: GrantRecord): Promise<void>;
  getGrant(id: string): Promise<GrantRecord | null>;
  /** Revokes the grant and deletes every code and token issued under it. */
  revokeGrant(id: string, revokedAt: number): Promise<void>;
  /** Moves a grant's expiry (a refresh extends it). */
  extendGrant(id: string, expiresAt: number): Promise<void>;
  /** Live grants (not revoked, not expired at `now`) of a user or a client, oldest first. */
  listGrants(owner: GrantOwner, now: number): Promise<GrantRecord[]>;
  /** Revokes every live grant of a user or a client, with their codes and tokens; returns how many. */
  revokeGrantsOf(owner: GrantOwner, revokedAt: number): Promise<number>;

  insertAuthorizationCode(code: AuthorizationCodeRecord): Promise<void>;
  findAuthorizationCode(codeHash: string): Promise<AuthorizationCodeRecord | null>;
  /** Marks the code used; true for exactly one caller, false when it was already used. */
  consumeAuthorizationCode(codeHash: string, consumedAt: number): Promise<boolean>;

  insertAccessToken(token: AccessTokenRecord): Promise<void>;
  findAccessToken(tokenHash: string): Promise<AccessTokenRecord | null>;
  /** Deletes one access token (RFC 7009 revocation); true when it existed. */
  deleteAccessToken(tokenHash: string): Promise<boolean>;

  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /** Marks the token exchanged; true for exactly one caller, false when it was already rotated. */
  markRefreshTokenRotated(tokenHash: string, rotatedAt: number): Promise<boolean>;

  /**
   * Stores one token response in one transaction: the new grant when given, the access token, the
   * refresh token when given, and extends the grant to at least grantExpiresAt (as extendGrant).
   * On any failure nothing of it is stored; a duplicate key is a `conflict`.
   */
  recordIssued(issue: TokenIssue): Promise<void>;
}

export interface DeviceCodeStore {
  /** Fails with `conflict` when the user code (or device code digest) is taken. */
  insertDeviceCode(code: DeviceCodeRecord): Promise<void>;
  /** The code whatever its status or expiry, or null. */
  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | null>;
  /** A live code (not expired at `now`) by its normalised user code, whatever its status, or null. */
  findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | null>;
  /** pending → approved by this user and session; true when it was pending and live at `now`. */
  approve(deviceCodeHash: string, userId: string, sid: string, authTime: number, now: number): Promise<boolean>;
  /** pending → denied; true when it was pending and live at `now`. */
  deny(deviceCodeHash: string, now: number): Promise<boolean>;
  /**
   * Records a poll at `now`. True when it came sooner than the current interval after the previous
   * poll (slow_down, RFC 8628 §3.5): the interval then grows by 5 seconds.
   */
  recordPoll(deviceCodeHash: string, now: number): Promise<boolean>;
  /** approved → consumed; true for exactly one caller. */
  consume(deviceCodeHash: string): Promise<boolean>;
}

/** One counter as it stands: for `hit`, windowStart is its first hit; for `recordFailure`, its last failure. */
export interface RateLimitRecord {
  count: number;
  windowStart: number;
  expiresAt: number;
}

export interface RateLimitStore {
  /** Counts one hit on `key` in a fixed window of `windowSeconds` starting at its first hit; returns the count after this hit. */
  hit(key: string, windowSeconds: number, now: number): Promise<number>;
  /**
   * Counts one failure on `key` in a sliding window: the window starts again at every failure (so
   * windowStart is the time of the last one) and the counter is forgotten `windowSeconds` after it.
   * An ended window starts again at 1. Returns the count after this failure; concurrent calls (from
   * any instance) each get their own count.
   */
  recordFailure(key: string, windowSeconds: number, now: number): Promise<number>;
  /** The live counter (expiresAt > now) of `key`, or null. */
  peek(key: string, now: number): Promise<RateLimitRecord | null>;
  /** Forgets `key`'s counter. */
  reset(key: string): Promise<void>;
}

export interface AuditQuery {
  /** Events at or after this time. */
  since?: number;
  userId?: string;
  clientId?: string;
  /** The newest `limit` matching events are returned. */
  limit: number;
}

export interface AuditStore {
  /** Appends one event; the store assigns its id. */
  append(event: Omit<AuditEventRecord, 'id'>): Promise<void>;
  /** The newest `limit` events matching the query, oldest first. */
  list(query: AuditQuery): Promise<AuditEventRecord[]>;
  /** Retention (the audit_retention setting): deletes up to `batchSize` events older than `before`; returns how many. */
  deleteOlderThan(before: number, batchSize: number): Promise<number>;
}

export interface MaintenanceStore {
  /**
   * Deletes rows whose expiry is at or before `now` (codes, tokens, sessions, interactions, grants), at most
   * `batchSize` rows per statement so that no write holds the database for long. Returns rows deleted.
   */
  purgeExpired(now: number, batchSize: number): Promise<number>;
}

export interface SchemaStatus {
  /** Highest migration applied to the database. */
  current: number;
  /** Highest migration this build knows. */
  latest: number;
}

export interface Store {
  readonly keys: SigningKeyStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  readonly sessions: SessionStore;
  readonly consents: ConsentStore;
  readonly interactions: InteractionStore;
  readonly tokens: TokenStore;
  readonly maintenance: MaintenanceStore;
  readonly devices: DeviceCodeStore;
  readonly rateLimits: RateLimitStore;
  readonly scopes: ScopeStore;
  readonly audit: AuditStore;
  /** Human description of where the data lives, for logs and errors (never includes a password). */
  readonly location: string;
  schemaStatus(): Promise<SchemaStatus>;
  /** The cheapest round trip to the database (readiness); throws when it does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
