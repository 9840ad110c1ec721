// The events idp emits: to the adapter's onEvent and to the append-only audit log (`idp audit`).
// Details never carry secrets, tokens, codes or passwords.

export interface EventDetails {
  'login.succeeded': { username: string; ip: string | null };
  'login.failed': { username: string; reason: 'unknown_user' | 'wrong_password' | 'disabled' | 'throttled'; ip: string | null };
  'logout': { sid: string };
  'consent.granted': { scopes: string[] };
  'consent.denied': { scopes: string[] };
  'authorization.denied': { reason: string; grant_type: string };
  'token.issued': { grant_type: string; grant_id: string; scopes: string[] };
  'token.refreshed': { grant_id: string; scopes: string[] };
  /** by: who revoked (the client at /revoke, an operator with the CLI, the server on a replayed code or refresh token). */
  'token.revoked': { grant_id: string | null; by: 'client' | 'admin' | 'code_replay' | 'refresh_reuse' | 'user_disabled' | 'client_removed' };
  'client.created': { name: string };
  'client.updated': { name: string; fields: string[] };
  'client.secret_rotated': { name: string; grace_seconds: number };
  'client.removed': { name: string };
  'user.created': { username: string };
  'user.updated': { username: string; fields: string[] };
  'user.password_changed': { username: string };
  'user.disabled': { username: string };
  'user.enabled': { username: string };
  'user.removed': { username: string };
  'key.rotated': { kid: string; alg: string; activates_at: number };
  'key.retired': { kid: string; alg: string };
  'scope.created': { name: string };
  'scope.removed': { name: string };
}

export type EventType = keyof EventDetails;

export const EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'logout',
  'consent.granted',
  'consent.denied',
  'authorization.denied',
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'client.created',
  'client.updated',
  'client.secret_rotated',
  'client.removed',
  'user.created',
  'user.updated',
  'user.password_changed',
  'user.disabled',
  'user.enabled',
  'user.removed',
  'key.rotated',
  'key.retired',
  'scope.created',
  'scope.removed',
] as const satisfies readonly EventType[];

/** One event: what happened, when (seconds since the epoch), to whom, through which client. */
export type IdpEvent = {
  [T in EventType]: { type: T; at: number; userId: string | null; clientId: string | null; details: EventDetails[T] };
}[EventType];

/** What emits events: the server and the admin CLI. */
export interface EventSink {
  /** Appends the event to the audit log and hands it to the adapter's onEvent (whose failure is only logged). */
  emit(event: IdpEvent): Promise<void>;
}
