// The consent page: the client and the scopes it asks for, in words; allow or deny.
import { Elysia, t } from 'elysia';
import { recordConsent } from '../authorize/flow.ts';
import { loadInteraction } from '../authorize/interaction.ts';
import { AuthorizationError } from '../authorize/request.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { customScopesOf } from '../scopes/scopes.ts';
import { Browser } from '../sessions/browser.ts';
import { scopeDescription } from '../users/claims.ts';
import { renderConsent } from '../views/pages.ts';
import { authorizationErrorResponse, proceed } from './authorize.ts';
import { OAuthError } from './errors.ts';
import { errorPage, htmlResponse, interactionExpiredPage, redirect } from './html.ts';

const purpose = (interaction: string) => `consent:${interaction}`;

export function consentEndpoints(deps: Deps) {
  /** The interaction and its signed-in user, or the response to send instead. */
  const load = async (request: Request, id: string | undefined) => {
    const browser = new Browser(deps, request);
    const browserId = browser.existingBrowserId();
    const interaction = await loadInteraction(deps, id, browserId);
    if (!interaction || !browserId) return { response: interactionExpiredPage() };
    const signedIn = await browser.session();
    if (!signedIn) return { response: redirect(`/login?interaction=${encodeURIComponent(interaction.id)}`) };
    return { browser, browserId, interaction, signedIn };
  };

  return new Elysia({ name: 'idp.consent' })
    .get('/consent', async ({ request, query }) => {
      const loaded = await load(request, query.interaction);
      if ('response' in loaded) return loaded.response;
      const { browserId, interaction, signedIn } = loaded;
      const client = await deps.store.clients.getClient(interaction.request.clientId);
      if (!client) return errorPage('Unknown application', 'The application that sent you here is no longer registered.');
      const custom = await customScopesOf(deps);
      return htmlResponse(
        renderConsent({
          clientName: client.metadata.client_name,
          interaction: interaction.id,
          csrf: deps.csrf.token(browserId, purpose(interaction.id)),
          username: signedIn.user.username,
          scopes: interaction.request.scopes.map((name) => ({ name, description: scopeDescription(name, custom) })),
        }),
      );
    })
    .post(
      '/consent',
      async ({ request, body }) => {
        const loaded = await load(request, body.interaction);
        if ('response' in loaded) return loaded.response;
        const { browser, browserId, interaction, signedIn } = loaded;
        if (!deps.csrf.verify(browserId, purpose(interaction.id), body.csrf)) {
          return errorPage('Form expired', 'The consent form was not accepted. Go back to the application and try again.', 403);
        }
        const { request: authorization } = interaction;
        const consentEvent = (type: 'consent.granted' | 'consent.denied') =>
          deps.events.emit({
            type,
            at: epochSeconds(deps.clock),
            userId: signedIn.user.id,
            clientId: authorization.clientId,
            details: { scopes: [...authorization.scopes] },
          });
        if (body.decision === 'deny') {
          await deps.store.interactions.deleteInteraction(interaction.record.idHash);
          await consentEvent('consent.denied');
          const denied = new OAuthError('access_denied', 'The user denied the request.');
          return authorizationErrorResponse(
            deps,
            new AuthorizationError(denied, authorization.redirectUri, authorization.responseMode, authorization.state),
          );
        }
        if (body.decision !== 'allow') return errorPage('Invalid answer', 'Choose Allow or Deny.');
        await recordConsent(deps, signedIn.user.id, authorization.clientId, authorization.scopes);
        await consentEvent('consent.granted');
        // The rest (a code, or sign-in again if the session changed) is the usual path.
        return proceed(deps, browser, authorization, { signedIn, loginFor: loginOf(interaction.record), consentGiven: true }, interaction);
      },
      {
        body: t.Object({
          interaction: t.Optional(t.String()),
          csrf: t.Optional(t.String()),
          decision: t.Optional(t.String()),
        }),
      },
    );
}

function loginOf(record: { userId: string | null; loginAt: number | null }) {
  return record.userId !== null && record.loginAt !== null ? { userId: record.userId, at: record.loginAt } : null;
}
