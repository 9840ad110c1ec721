// Brute-force and abuse limits, counted in the store so that they hold across instances:
// - Sign-in (the login page and the device page's form): failures are counted per username, known or
//   not, and per client address (trust_proxy decides which address that is). After
//   login_max_failures (or login_ip_max_failures) failures, each further attempt must wait 1, 2, 4 ...
//   seconds, at most 15 minutes, after the last failure; an attempt during the wait is refused with
//   429 and Retry-After without checking the password, the same way whether the account exists or not.
//   A success forgets the username's failures, not the address's.
// - Client authentication (/token, /revoke, /introspect, /device_authorization): the same back-off on
//   invalid_client, per claimed client id and address.
// - The token endpoint: at most token_rate_limit requests per minute per authenticated client.
// RFC 8628 device polling keeps its own slow_down (grants/device_code.ts), and user-code entry its
// per-browser limit (http/device.ts).
import { authenticateClient, claimedClientId, type ClientCredentials } from '../clients/authenticate.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { isLoopbackAddress } from '../http/client_ip.ts';
import { OAuthError } from '../http/errors.ts';
import type { ClientRecord, RateLimitRecord, UserRecord } from '../store/store.ts';
import { hashToken } from '../tokens/secret.ts';
import { verifyCredentials } from '../users/users.ts';

export type ThrottleDeps = Pick<Deps, 'config' | 'store' | 'clock'>;

/** How many failures go unpunished, and the longest wait after the last failure (seconds). */
export interface BackOffPolicy {
  free: number;
  maxDelay: number;
}

/**
 * Failures are forgotten this long after the last one. It is longer than the longest wait, so a
 * guesser who keeps waiting the full 15 minutes never gets a fresh set of free attempts.
 */
export const FAILURE_WINDOW = 30 * 60;
export const MAX_SIGN_IN_DELAY = 15 * 60;
/**
 * Client secrets are 256-bit random values, so guessing one is hopeless; this back-off only keeps a
 * client with a stale secret (or a guesser) from hammering, and a short cap lets a client whose
 * secret was fixed in again within a minute.
 */
export const CLIENT_AUTH_POLICY: BackOffPolicy = { free: 10, maxDelay: 60 };
/** token_rate_limit counts requests in windows of this many seconds. */
export const TOKEN_RATE_WINDOW = 60;

/** Seconds to wait after the last of `failures` failures: 0 while free, then 1, 2, 4 ... up to maxDelay. */
export function backOffDelay(failures: number, policy: BackOffPolicy): number {
  if (policy.free <= 0 || failures < policy.free) return 0;
  return Math.min(2 ** Math.min(failures - policy.free, 30), policy.maxDelay);
}

/** Seconds from `now` until the next attempt is allowed (0: now). A failure counter's windowStart is its last failure. */
export function waitFor(record: RateLimitRecord | null, policy: BackOffPolicy, now: number): number {
  if (!record) return 0;
  return Math.max(0, record.windowStart + backOffDelay(record.count, policy) - now);
}

/** "Too many attempts. Try again in 8 seconds." (minutes from two minutes on). */
export function tooManyAttemptsMessage(retryAfter: number): string {
  const wait =
    retryAfter < 120 ? `${retryAfter} second${retryAfter === 1 ? '' : 's'}` : `${Math.ceil(retryAfter / 60)} minutes`;
  return `Too many attempts. Try again in ${wait}.`;
}

/** Marks a response (a page for people) as refused for `retryAfter` seconds. */
export function withRetryAfter(response: Response, retryAfter: number): Response {
  response.headers.set('retry-after', String(retryAfter));
  return response;
}

/**
 * HTTP 429 (RFC 6585 §4) with Retry-After and an RFC 6749 §5.2 body. §5.2 has no code for "too many
 * requests", and implementations differ: Hydra and node-oidc-provider have no built-in limiter (a
 * proxy's bare 429 is left to answer), Keycloak's brute-force detection answers the password grant
 * with invalid_grant. invalid_request would tell the client its request is malformed, so not worth
 * repeating; slow_down is defined for device polling only (RFC 8628 §3.5). temporarily_unavailable is
 * the registered OAuth code that means "try again later" (RFC 6749 §4.1.2.1), and the status and
 * Retry-After say when.
 */
export function tooManyRequests(retryAfter: number, description: string): OAuthError {
  return new OAuthError('temporarily_unavailable', description, 429, { 'retry-after': String(retryAfter) });
}

// ---------------------------------------------------------------------------------------------
// Sign-in

export type SignInOutcome = { kind: 'signed_in'; user: UserRecord } | { kind: 'failed' } | { kind: 'throttled'; retryAfter: number };

/**
 * The username's counter. Its digest, not the name: people type passwords into the username field.
 * Trimmed and lowercased like the lookup (usernames are case-insensitive), so "Alice " counts for alice.
 */
function usernameKey(username: string): string {
  return `login-user:${hashToken(username.trim().toLowerCase())}`;
}

/**
 * verifyCredentials behind the back-off. `ip` is clientIp(...) of the request, null when unknown (then,
 * and for loopback, only the username is counted). Unknown usernames are counted, reserved and refused
 * exactly like known ones, so neither the answer nor its timing tells whether an account exists.
 */
export async function signInWithPassword(
  deps: ThrottleDeps,
  input: { username: string; password: string; ip: string | null },
): Promise<SignInOutcome> {
  const limits = deps.store.rateLimits;
  const now = epochSeconds(deps.clock);
  const account = { key: usernameKey(input.username), policy: { free: deps.config.login_max_failures, maxDelay: MAX_SIGN_IN_DELAY } };
  // A loopback peer is a reverse proxy on the same machine when trust_proxy is off: counting it would
  // make every user share one address, and a few failures among them would make everyone wait.
  const address =
    input.ip !== null && !isLoopbackAddress(input.ip) && deps.config.login_ip_max_failures > 0
      ? { key: `login-ip:${input.ip}`, policy: { free: deps.config.login_ip_max_failures, maxDelay: MAX_SIGN_IN_DELAY } }
      : null;
  const countAccount = account.policy.free > 0;

  const [accountBefore, addressBefore] = await Promise.all([
    countAccount ? limits.peek(account.key, now) : null,
    address ? limits.peek(address.key, now) : null,
  ]);
  const wait = Math.max(waitFor(accountBefore, account.policy, now), address ? waitFor(addressBefore, address.policy, now) : 0);
  if (wait > 0) return { kind: 'throttled', retryAfter: wait };

  if (countAccount) {
    // The attempt is counted as a failure before the password is checked (a success forgets it), so
    // requests racing on one username when a wait ends cannot all get a guess: each sees the others'.
    const count = await limits.recordFailure(account.key, FAILURE_WINDOW, now);
    const before = count - 1;
    if (before > (accountBefore?.count ?? 0)) {
      // Others failed since our look, just now: judge this attempt by their last failure.
      const racing = backOffDelay(before, account.policy);
      if (racing > 0) return { kind: 'throttled', retryAfter: racing };
    }
  }

  const user = await verifyCredentials(deps.store.users, input.username, input.password);
  if (user) {
    if (countAccount) await limits.reset(account.key);
    return { kind: 'signed_in', user };
  }
  if (address) await limits.recordFailure(address.key, FAILURE_WINDOW, now);
  return { kind: 'failed' };
}

// ---------------------------------------------------------------------------------------------
// Clients

/**
 * authenticateClient behind the back-off: invalid_client answers are counted per claimed client id and
 * address, and once past CLIENT_AUTH_POLICY.free they make the next attempts wait (429) before any
 * check. Per address as well as per id because client ids are public (they are in every authorization
 * URL): a count per id alone would let anyone lock a client out of its own token endpoint.
 */
export async function authenticateClientThrottled(deps: ThrottleDeps, credentials: ClientCredentials, ip: string | null): Promise<ClientRecord> {
  const now = epochSeconds(deps.clock);
  const claimed = claimedClientId(credentials);
  if (claimed === null) return authenticateClient(deps.store.clients, credentials, now);
  const limits = deps.store.rateLimits;
  // A digest: the claimed id is whatever the caller sent.
  const key = `client-auth:${hashToken(`${claimed}\n${ip ?? ''}`)}`;
  const before = await limits.peek(key, now);
  const wait = waitFor(before, CLIENT_AUTH_POLICY, now);
  if (wait > 0) throw tooManyRequests(wait, `Too many failed client authentications; retry in ${wait} seconds.`);
  try {
    const client = await authenticateClient(deps.store.clients, credentials, now);
    if (before) await limits.reset(key);
    return client;
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'invalid_client') await limits.recordFailure(key, FAILURE_WINDOW, now);
    throw error;
  }
}

/**
 * token_rate_limit: counts this token request of an authenticated client and refuses it (429) past the
 * limit of the current minute. Public clients are counted per address too, since one public client is
 * every installation of an app (each TV polling for its device code, each browser refreshing).
 */
export async function checkTokenRate(deps: ThrottleDeps, client: ClientRecord, ip: string | null): Promise<void> {
  const limit = deps.config.token_rate_limit;
  if (limit <= 0) return;
  const now = epochSeconds(deps.clock);
  const key = client.metadata.client_type === 'public' && ip !== null ? `token:${client.id}:${ip}` : `token:${client.id}`;
  const count = await deps.store.rateLimits.hit(key, TOKEN_RATE_WINDOW, now);
  if (count <= limit) return;
  const record = await deps.store.rateLimits.peek(key, now);
  const retryAfter = Math.max(1, (record?.expiresAt ?? now + TOKEN_RATE_WINDOW) - now);
  throw tooManyRequests(retryAfter, `Too many token requests for this client; retry in ${retryAfter} seconds.`);
}
