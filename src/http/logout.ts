// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), GET and POST /logout (§2).
// The request is validated first and never half-trusted (§4): an id_token_hint must be an ID token
// we signed, even an expired one; client_id must agree with it; a post_logout_redirect_uri is used
// only when registered for the identified client (§3), else the browser lands on our own
// signed-out page. The user is asked before the session ends unless the hint proves who they are
// (§2, §6), or the operator turned the question off (logout_asks_confirmation).
import { compactVerify, createLocalJWKSet, type JWK } from 'jose';
import { Elysia } from 'elysia';
import { type Params, requestParams } from '../authorize/params.ts';
import { matchesRegistered } from '../clients/redirect_uri.ts';
import { epochSeconds } from '../clock.ts';
import { SIGNING_ALGS } from '../config/schema.ts';
import type { Deps } from '../deps.ts';
import { PATHS } from '../discovery/metadata.ts';
import type { PublicJwk } from '../keys/jwks.ts';
import { Browser, type SignedIn } from '../sessions/browser.ts';
import type { ClientRecord } from '../store/store.ts';
import { renderLoggedOut, renderLogout } from '../views/pages.ts';
import { errorPage, htmlResponse, redirect } from './html.ts';

export const LOGOUT_PATH = PATHS.logout;
/** Where the browser lands after signing out when there is no (registered) place to send it. */
export const SIGNED_OUT_PATH = '/logout/done';

/** The parameters of §2, posted back from the confirmation page once validated. */
const LOGOUT_PARAMS = ['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales'] as const;

/** CSRF tokens of the confirmation form are bound to the browser and to the session they end. */
const purpose = (sid: string) => `logout:${sid}`;

/** What a verified id_token_hint says. */
export interface IdTokenHint {
  sub: string;
  aud: string[];
  azp: string | null;
  sid: string | null;
}

export interface LogoutRequest {
  hint: IdTokenHint | null;
  client: ClientRecord | null;
  /** A post-logout redirect URI registered for `client`; null means: no redirect. */
  redirectUri: string | null;
  state: string | null;
  /** The validated parameters, as hidden fields of the confirmation form. */
  fields: Record<string, string>;
}

/** A request that fails validation: the user is told, nothing is done, nobody is redirected (§4). */
class LogoutRequestError extends Error {}

const keySets = new WeakMap<readonly PublicJwk[], ReturnType<typeof createLocalJWKSet>>();

/**
 * The claims of `token` when it is a JWT signed by one of our published keys with our issuer, else
 * null. `exp` is deliberately not checked: §2 asks the OP to accept an expired ID token as a hint.
 */
export async function verifyIdTokenHint(deps: Pick<Deps, 'keyring' | 'config'>, token: string): Promise<IdTokenHint | null> {
  const keys = deps.keyring.publicKeys();
  let keySet = keySets.get(keys);
  if (!keySet) {
    keySet = createLocalJWKSet({ keys: keys.map((key) => ({ ...key }) as JWK) });
    keySets.set(keys, keySet);
  }
  let claims: unknown;
  try {
    const { payload, protectedHeader } = await compactVerify(token, keySet, { algorithms: [...SIGNING_ALGS] });
    // Our JWT access tokens (typ at+jwt) share the keys and the issuer; they are not ID tokens.
    if (protectedHeader.typ !== undefined && protectedHeader.typ.toUpperCase() !== 'JWT') return null;
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  if (typeof claims !== 'object' || claims === null) return null;
  const { iss, sub, aud, azp, sid } = claims as Record<string, unknown>;
  if (iss !== deps.config.issuer || typeof sub !== 'string' || sub === '') return null;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.length === 0 || !audiences.every((entry): entry is string => typeof entry === 'string')) return null;
  return { sub, aud: audiences, azp: typeof azp === 'string' ? azp : null, sid: typeof sid === 'string' ? sid : null };
}

/** Validates the parameters of §2 and §3. Throws LogoutRequestError when they cannot be trusted. */
export async function parseLogoutRequest(deps: Pick<Deps, 'keyring' | 'config' | 'store'>, { values, repeated }: Params): Promise<LogoutRequest> {
  const twice = LOGOUT_PARAMS.filter((name) => repeated.includes(name));
  if (twice.length > 0) throw new LogoutRequestError(`The request repeats ${twice.join(', ')}.`);

  const hintToken = values.get('id_token_hint');
  let hint: IdTokenHint | null = null;
  if (hintToken !== undefined) {
    hint = await verifyIdTokenHint(deps, hintToken);
    if (!hint) throw new LogoutRequestError('The id_token_hint was not issued by this provider.');
  }

  const clientId = values.get('client_id');
  let client: ClientRecord | null = null;
  if (clientId !== undefined) {
    client = await deps.store.clients.getClient(clientId);
    if (!client) throw new LogoutRequestError('The application that sent you here is not registered.');
    // §2: with both, the client must be the one the ID token was issued to.
    if (hint && !hint.aud.includes(clientId)) throw new LogoutRequestError('The client_id does not match the id_token_hint.');
  } else if (hint) {
    const issuedTo = hint.aud.length === 1 ? hint.aud[0] : hint.azp !== null && hint.aud.includes(hint.azp) ? hint.azp : undefined;
    // A client removed since is simply not identified: no redirect, the logout itself still works.
    if (issuedTo !== undefined) client = await deps.store.clients.getClient(issuedTo);
  }

  // §3: redirect only to a URI registered for the identified client, exactly (or by its wildcard).
  const requested = values.get('post_logout_redirect_uri');
  const redirectUri =
    requested !== undefined &&
    client !== null &&
    matchesRegistered(client.metadata.post_logout_redirect_uris, requested, client.metadata.allow_wildcards, 'uri')
      ? requested
      : null;

  const fields: Record<string, string> = {};
  for (const name of LOGOUT_PARAMS) {
    const value = values.get(name);
    if (value === undefined) continue;
    if (name === 'post_logout_redirect_uri' && redirectUri === null) continue;
    fields[name] = value;
  }
  return { hint, client, redirectUri, state: values.get('state') ?? null, fields };
}

/**
 * The hint names the signed-in user (and, when it carries one, this very session). Its sub is the one
 * the client it was issued to sees (OIDC Core §8: pairwise for a pairwise client).
 */
async function hintProvesUser(deps: Pick<Deps, 'hooks'>, request: LogoutRequest, signedIn: SignedIn): Promise<boolean> {
  const { hint, client } = request;
  if (!hint) return false;
  const expected = client ? await deps.hooks.subject(signedIn.user, client) : signedIn.user.id;
  if (hint.sub !== expected) return false;
  return hint.sid === null || hint.sid === signedIn.session.sid;
}

export function logoutEndpoints(deps: Deps) {
  /** Ends the session (if any) and sends the browser on: to the RP with `state`, or to our page. */
  const finish = async (browser: Browser, request: LogoutRequest, signedIn: SignedIn | null): Promise<Response> => {
    await browser.signOut();
    if (signedIn) {
      deps.log.info('signed out', { sid: signedIn.session.sid, client_id: request.client?.id ?? null });
      await deps.events.emit({
        type: 'logout',
        at: epochSeconds(deps.clock),
        userId: signedIn.user.id,
        clientId: request.client?.id ?? null,
        details: { sid: signedIn.session.sid },
      });
    }
    if (request.redirectUri === null) return redirect(SIGNED_OUT_PATH, browser.setCookies);
    const target = new URL(request.redirectUri);
    if (request.state !== null) target.searchParams.append('state', request.state);
    return redirect(target.href, browser.setCookies);
  };

  const logout = async ({ request }: { request: Request }) => {
    const params = await requestParams(request);
    let logoutRequest: LogoutRequest;
    try {
      logoutRequest = await parseLogoutRequest(deps, params);
    } catch (error) {
      if (error instanceof LogoutRequestError) return errorPage('Invalid sign-out request', error.message);
      throw error;
    }
    const confirm = request.method === 'POST' ? params.values.get('confirm') : undefined;
    if (request.method === 'POST' && confirm === undefined) {
      // A POST from the RP's page is cross-site: SameSite=Lax keeps the session cookie out of it.
      // The same request as a top-level GET carries the cookie.
      return redirect(`${LOGOUT_PATH}?${new URLSearchParams(logoutRequest.fields).toString()}`);
    }

    const browser = new Browser(deps, request);
    const signedIn = await browser.session();
    // Nothing to end (or to ask about): the same outcome as a completed logout.
    if (!signedIn) return finish(browser, logoutRequest, null);

    if (confirm !== undefined) {
      if (confirm === 'no') {
        return htmlResponse(renderLoggedOut('You are still signed in', 'You chose not to sign out of idp.'));
      }
      const browserId = browser.existingBrowserId();
      if (!browserId || !deps.csrf.verify(browserId, purpose(signedIn.session.sid), params.values.get('csrf'))) {
        return errorPage('Form expired', 'The sign-out form was not accepted. Go back to the application and try again.', 403);
      }
      if (confirm !== 'yes') return errorPage('Invalid answer', 'Choose Sign out or Cancel.');
      return finish(browser, logoutRequest, signedIn);
    }

    // §2: ask unless the ID token shows the RP is signing out this very user (and session).
    if (deps.config.logout_asks_confirmation && !(await hintProvesUser(deps, logoutRequest, signedIn))) {
      const browserId = browser.browserId();
      return htmlResponse(
        renderLogout({
          clientName: logoutRequest.client?.metadata.client_name ?? null,
          username: signedIn.user.username,
          csrf: deps.csrf.token(browserId, purpose(signedIn.session.sid)),
          fields: logoutRequest.fields,
        }),
        200,
        browser.setCookies,
      );
    }
    return finish(browser, logoutRequest, signedIn);
  };

  return new Elysia({ name: 'idp.logout' })
    .get(LOGOUT_PATH, logout)
    .post(LOGOUT_PATH, logout, { parse: 'none' })
    .get(SIGNED_OUT_PATH, () => htmlResponse(renderLoggedOut('You have signed out', 'You are no longer signed in to idp in this browser.')));
}
