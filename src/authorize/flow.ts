// What an authorization request needs next, given who is signed in: sign-in, consent, or a code.
// prompt=none turns a needed interaction into login_required / consent_required (OIDC Core §3.1.2.6).
// Between sign-in and consent the adapter may refuse the user (access_denied) or skip the consent page.
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { OAuthError } from '../http/errors.ts';
import type { SignedIn } from '../sessions/browser.ts';
import type { ClientRecord, GrantRecord } from '../store/store.ts';
import { hashToken, randomToken } from '../tokens/secret.ts';
import { refusal } from './decision.ts';
import type { AuthorizationRequest } from './request.ts';

export type Step = { next: 'login' } | { next: 'consent'; signedIn: SignedIn } | { next: 'issue'; signedIn: SignedIn };

export interface StepContext {
  signedIn: SignedIn | null;
  /** Set when the user signed in during this very request (prompt=login and max_age are then met). */
  loginFor: { userId: string; at: number } | null;
  /** Set when the user just answered the consent page for this request. */
  consentGiven: boolean;
}

export async function nextStep(
  deps: Pick<Deps, 'store' | 'clock' | 'hooks' | 'events'>,
  request: AuthorizationRequest,
  client: ClientRecord,
  { signedIn, loginFor, consentGiven }: StepContext,
): Promise<Step> {
  const now = epochSeconds(deps.clock);
  const freshLogin = signedIn !== null && loginFor !== null && loginFor.userId === signedIn.user.id;
  // OIDC Core §3.1.2.1 (errata): max_age=0 means the same as prompt=login.
  const tooOld =
    request.maxAge !== null && signedIn !== null && (request.maxAge === 0 || now - signedIn.session.authTime > request.maxAge);
  const mustLogin = !signedIn || (!freshLogin && (request.prompt.includes('login') || tooOld));
  if (mustLogin || !signedIn) {
    if (request.prompt.includes('none')) throw new OAuthError('login_required', 'The user is not signed in.');
    return { next: 'login' };
  }
  const { user } = signedIn;
  // RFC 6749 §4.1.2.1: a user the adapter refuses goes back to the client with access_denied and the reason.
  const grantType = request.responseType === 'code' ? 'authorization_code' : 'implicit';
  const refused = await refusal(deps, { user, client, scopes: request.scopes, grantType });
  if (refused !== null) throw new OAuthError('access_denied', refused);
  if (!consentGiven) {
    // OIDC Core §3.1.2.1: prompt=consent asks, whatever the client, a remembered consent or the adapter say.
    let skip = false;
    if (!request.prompt.includes('consent')) {
      const granted = (await deps.store.consents.getConsent(user.id, client.id))?.split(' ') ?? [];
      const covered = request.scopes.every((scope) => granted.includes(scope));
      skip = await deps.hooks.skipConsent({ user, client, scopes: request.scopes, granted, skip: client.metadata.skip_consent || covered });
    }
    if (!skip) {
      if (request.prompt.includes('none')) throw new OAuthError('consent_required', 'The user has not consented to these scopes.');
      return { next: 'consent', signedIn };
    }
  }
  return { next: 'issue', signedIn };
}

/** Remembers the scopes the user allowed, added to what they allowed this client before. */
export async function recordConsent(deps: Pick<Deps, 'store' | 'clock'>, userId: string, clientId: string, scopes: string[]): Promise<void> {
  const previous = (await deps.store.consents.getConsent(userId, clientId))?.split(' ') ?? [];
  const scope = [...new Set([...previous, ...scopes])].join(' ');
  await deps.store.consents.saveConsent(userId, clientId, scope, epochSeconds(deps.clock));
}

/** Records what the user granted this client in this sign-in, until `expiresAt` (extended as tokens are issued). */
export async function startGrant(
  deps: Pick<Deps, 'store' | 'clock'>,
  request: AuthorizationRequest,
  { session, user }: SignedIn,
  expiresAt: number,
): Promise<GrantRecord> {
  const grant: GrantRecord = {
    id: randomToken(16),
    userId: user.id,
    clientId: request.clientId,
    scope: request.scopes.join(' '),
    sid: session.sid,
    authTime: session.authTime,
    createdAt: epochSeconds(deps.clock),
    expiresAt,
    revokedAt: null,
  };
  await deps.store.tokens.insertGrant(grant);
  return grant;
}

/** Starts a grant and returns its single-use code (RFC 6749 §4.1.2), stored only as a digest. */
export async function issueAuthorizationCode(
  deps: Pick<Deps, 'store' | 'clock' | 'config' | 'hooks'>,
  request: AuthorizationRequest,
  client: ClientRecord,
  { session, user }: SignedIn,
): Promise<string> {
  const now = epochSeconds(deps.clock);
  const expiresAt = now + deps.config.authorization_code_ttl;
  const { id: grantId, scope } = await startGrant(deps, request, { session, user }, expiresAt);
  const code = await deps.hooks.token('authorization_code', client);
  await deps.store.tokens.insertAuthorizationCode({
    codeHash: hashToken(code),
    grantId,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    scope,
    nonce: request.nonce,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    createdAt: now,
    expiresAt,
    consumedAt: null,
  });
  return code;
}
