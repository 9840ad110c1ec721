// The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2), GET and POST, and the point where a
// request resumes after the login page. Client and redirect URI errors show a page; every later
// error goes back to the client with `state` and `iss`.
import { Elysia } from 'elysia';
import { issueAuthorizationCode, nextStep, type StepContext } from '../authorize/flow.ts';
import { createInteraction, type Interaction, loadInteraction } from '../authorize/interaction.ts';
import { issueImplicit } from '../authorize/implicit.ts';
import { requestParams } from '../authorize/params.ts';
import {
  AuthorizationError,
  type AuthorizationRequest,
  AuthorizePageError,
  parseAuthorizationRequest,
  verifyClientAndRedirectUri,
} from '../authorize/request.ts';
import { authorizationResponse } from '../authorize/respond.ts';
import type { Deps } from '../deps.ts';
import { Browser } from '../sessions/browser.ts';
import { errorPage, interactionExpiredPage, redirect } from './html.ts';
import { OAuthError } from './errors.ts';

export const AUTHORIZE_PATH = '/authorize';
export const RESUME_PATH = '/authorize/resume';

/** Sends an error back to the client's redirect URI. */
export function authorizationErrorResponse(deps: Pick<Deps, 'config'>, error: AuthorizationError, setCookies: readonly string[] = []): Response {
  return authorizationResponse(
    error.redirectUri,
    error.responseMode,
    { error: error.code, error_description: error.description, state: error.state, iss: deps.config.issuer },
    setCookies,
  );
}

/**
 * Moves a validated request on: to the login or consent page (through an interaction bound to this
 * browser), or straight back to the client with a code, or the implicit flow's tokens.
 */
export async function proceed(
  deps: Deps,
  browser: Browser,
  request: AuthorizationRequest,
  context: StepContext,
  interaction: Interaction | null,
): Promise<Response> {
  const client = await deps.store.clients.getClient(request.clientId);
  if (!client) return errorPage('Unknown application', 'The application that sent you here is no longer registered.');
  let step;
  try {
    step = await nextStep(deps, request, client, context);
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (interaction) await deps.store.interactions.deleteInteraction(interaction.record.idHash);
    const redirectError = new AuthorizationError(error, request.redirectUri, request.responseMode, request.state);
    return authorizationErrorResponse(deps, redirectError, browser.setCookies);
  }
  if (step.next === 'issue') {
    if (interaction) await deps.store.interactions.deleteInteraction(interaction.record.idHash);
    let issued: Record<string, string | undefined>;
    if (request.responseType === 'code') {
      issued = { code: await issueAuthorizationCode(deps, request, client, step.signedIn) };
    } else {
      try {
        issued = { ...(await issueImplicit(deps, request, client, step.signedIn)) };
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        const redirectError = new AuthorizationError(error, request.redirectUri, request.responseMode, request.state);
        return authorizationErrorResponse(deps, redirectError, browser.setCookies);
      }
    }
    return authorizationResponse(
      request.redirectUri,
      request.responseMode,
      { ...issued, state: request.state, iss: deps.config.issuer },
      browser.setCookies,
    );
  }
  const id = interaction?.id ?? (await createInteraction(deps, browser.browserId(), request));
  const page = step.next === 'login' ? '/login' : '/consent';
  return redirect(`${page}?interaction=${encodeURIComponent(id)}`, browser.setCookies);
}

export function authorizeEndpoints(deps: Deps) {
  const authorize = async ({ request }: { request: Request }) => {
    const params = await requestParams(request);
    let authorizationRequest: AuthorizationRequest;
    try {
      const target = await verifyClientAndRedirectUri(deps.store.clients, params);
      authorizationRequest = parseAuthorizationRequest(target, params);
    } catch (error) {
      if (error instanceof AuthorizePageError) return errorPage('Invalid sign-in request', error.message);
      if (error instanceof AuthorizationError) return authorizationErrorResponse(deps, error);
      throw error;
    }
    const browser = new Browser(deps, request);
    return proceed(deps, browser, authorizationRequest, { signedIn: await browser.session(), loginFor: null, consentGiven: false }, null);
  };

  return new Elysia({ name: 'idp.authorize' })
    .get(AUTHORIZE_PATH, authorize)
    .post(AUTHORIZE_PATH, authorize, { parse: 'none' })
    .get(RESUME_PATH, async ({ request, query }) => {
      const browser = new Browser(deps, request);
      const interaction = await loadInteraction(deps, query.interaction, browser.existingBrowserId());
      if (!interaction) return interactionExpiredPage();
      const { userId, loginAt } = interaction.record;
      const loginFor = userId !== null && loginAt !== null ? { userId, at: loginAt } : null;
      return proceed(deps, browser, interaction.request, { signedIn: await browser.session(), loginFor, consentGiven: false }, interaction);
    });
}
