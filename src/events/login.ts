// The sign-in events of the login and device pages. A failure's reason is worked out afterwards, for
// the audit log only: the page says "incorrect username or password" whatever it is.
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import type { UserRecord } from '../store/store.ts';

/** What the audit log keeps of a typed username. */
const MAX_USERNAME = 256;

type LoginDeps = Pick<Deps, 'store' | 'clock' | 'events'>;

export async function loginSucceeded(deps: LoginDeps, input: { user: UserRecord; clientId: string | null; ip: string | null }): Promise<void> {
  await deps.events.emit({
    type: 'login.succeeded',
    at: epochSeconds(deps.clock),
    userId: input.user.id,
    clientId: input.clientId,
    details: { username: input.user.username, ip: input.ip },
  });
}

/**
 * `typed` is the username exactly as posted (verifyCredentials looked up the same string). `throttled`: the
 * attempt was refused before the password was checked.
 */
export async function loginFailed(
  deps: LoginDeps,
  input: { typed: string; clientId: string | null; ip: string | null; throttled?: boolean },
): Promise<void> {
  const user = input.typed === '' ? null : await deps.store.users.findUserByUsername(input.typed);
  const reason = input.throttled ? 'throttled' : !user ? 'unknown_user' : user.disabled ? 'disabled' : 'wrong_password';
  await deps.events.emit({
    type: 'login.failed',
    at: epochSeconds(deps.clock),
    userId: user?.id ?? null,
    clientId: input.clientId,
    details: { username: input.typed.trim().slice(0, MAX_USERNAME), reason, ip: input.ip },
  });
}
