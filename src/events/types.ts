// The events idp emits: to the adapter's onEvent and to the append-only audit log (`idp audit`).
// Details never carry secrets, tokens, codes or passwords.

export interface EventDetails {
  /** username: the account's; ip: the peer address the server saw (a proxy's, behind one), null when unknown. */
  'login.succeeded': { username: string; ip: string | null };
  /**
   * username: as typed (trimmed, at most 256 characters). reason: no such user; the account exists but the
   * password is wrong or unset; the account is disabled (whatever the password); or too many recent failures
   * for this username or address, so the password was not checked (src/security/throttle.ts).
   */
  'login.failed': { username: string; reason: 'unknown_user' | 'wrong_password' | 'disabled' | 'throttled'; ip: string | null };
  /** sid: the session's `sid` claim (not its cookie). */
  'logout': { sid: string };
  /** At the consent page, or the device page's Allow / Deny. */
  'consent.granted': { scopes: string[] };
  'consent.denied': { scopes: string[] };
  'authorization.denied': { reason: string; grant_type: string };
  /** grant_id is null for an implicit `id_token` response, which stores nothing. scopes: of the access token. */
  'token.issued': { grant_type: string; grant_id: string | null; scopes: string[] };
  'token.refreshed': { grant_id: string; scopes: string[] };
  /**
   * by: who revoked (the client at /revoke, an operator with the CLI, the server on a replayed code or
   * refresh token, or the CLI as part of `user disable` / `client remove`). what: one grant with every
   * token issued under it (grant_id), one access token alone (grant_id: its grant), or every live grant
   * of the event's user or client (grant_id null). grants: how many grants were revoked.
   */
  'token.revoked': {
    by: 'client' | 'admin' | 'code_replay' | 'refresh_reuse' | 'user_disabled' | 'client_removed';
    what: 'grant' | 'access_token' | 'all_grants';
    grant_id: string | null;
    grants: number;
  };
  'client.created': { name: string };
  /** fields: the metadata names that changed (redirect_uris, scopes, ...). */
  'client.updated': { name: string; fields: string[] };
  /** grace_seconds: how long the previous secret keeps working (0: it stopped at once). */
  'client.secret_rotated': { name: string; grace_seconds: number };
  'client.removed': { name: string };
  'user.created': { username: string };
  /** fields: what changed (username, email, email_verified, a profile claim, attributes, ...). */
  'user.updated': { username: string; fields: string[] };
  'user.password_changed': { username: string };
  'user.disabled': { username: string };
  'user.enabled': { username: string };
  'user.removed': { username: string };
  /** activates_at: when the key starts signing (seconds since the epoch). */
  'key.rotated': { kid: string; alg: string; activates_at: number };
  /** force: retired with --force while tokens it signed may still be valid. */
  'key.retired': { kid: string; alg: string; force: boolean };
  'scope.created': { name: string };
  'scope.removed': { name: string };
}

export type EventType = keyof EventDetails;

/** One event: what happened, when (seconds since the epoch), to whom, through which client. */
export type IdpEvent = {
  [T in EventType]: { type: T; at: number; userId: string | null; clientId: string | null; details: EventDetails[T] };
}[EventType];

/** What emits events: the server and the admin CLI. */
export interface EventSink {
  /** Appends the event to the audit log and hands it to the adapter's onEvent (whose failure is only logged). */
  emit(event: IdpEvent): Promise<void>;
}
