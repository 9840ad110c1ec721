// The sign-in page. Failures say only "incorrect username or password" (no enumeration), and an
// unknown user costs the same argon2id verification as a wrong password.
import { Elysia, t } from 'elysia';
import { epochSeconds } from '../clock.ts';
import { loadInteraction } from '../authorize/interaction.ts';
import type { Deps } from '../deps.ts';
import { loginFailed, loginSucceeded } from '../events/login.ts';
import { clientIp } from './client_ip.ts';
import { Browser } from '../sessions/browser.ts';
import { verifyCredentials } from '../users/users.ts';
import { renderLogin } from '../views/pages.ts';
import { RESUME_PATH } from './authorize.ts';
import { errorPage, htmlResponse, interactionExpiredPage, redirect } from './html.ts';

const purpose = (interaction: string) => `login:${interaction}`;

export function loginEndpoints(deps: Deps) {
  const clientName = async (clientId: string) => (await deps.store.clients.getClient(clientId))?.metadata.client_name ?? 'the application';

  return new Elysia({ name: 'idp.login' })
    .get('/login', async ({ request, query }) => {
      const browser = new Browser(deps, request);
      const browserId = browser.existingBrowserId();
      const interaction = await loadInteraction(deps, query.interaction, browserId);
      if (!interaction || !browserId) return interactionExpiredPage();
      return htmlResponse(
        renderLogin({
          clientName: await clientName(interaction.request.clientId),
          interaction: interaction.id,
          csrf: deps.csrf.token(browserId, purpose(interaction.id)),
          username: interaction.request.loginHint ?? '',
          error: null,
        }),
      );
    })
    .post(
      '/login',
      async ({ request, body, server }) => {
        const browser = new Browser(deps, request);
        const browserId = browser.existingBrowserId();
        const interaction = await loadInteraction(deps, body.interaction, browserId);
        if (!interaction || !browserId) return interactionExpiredPage();
        if (!deps.csrf.verify(browserId, purpose(interaction.id), body.csrf)) {
          return errorPage('Form expired', 'The sign-in form was not accepted. Go back to the application and try again.', 403);
        }
        const user = await verifyCredentials(deps.store.users, body.username ?? '', body.password ?? '');
        if (!user) {
          deps.log.info('login failed', { client_id: interaction.request.clientId });
          await loginFailed(deps, { typed: body.username ?? '', clientId: interaction.request.clientId, ip: clientIp(deps.config, server, request) });
          return htmlResponse(
            renderLogin({
              clientName: await clientName(interaction.request.clientId),
              interaction: interaction.id,
              csrf: deps.csrf.token(browserId, purpose(interaction.id)),
              username: body.username ?? '',
              error: 'Incorrect username or password.',
            }),
            401,
          );
        }
        const { session } = await browser.signIn(user, ['pwd']);
        await deps.store.interactions.recordInteractionLogin(interaction.record.idHash, user.id, epochSeconds(deps.clock));
        deps.log.info('login succeeded', { client_id: interaction.request.clientId, sid: session.sid });
        await loginSucceeded(deps, { user, clientId: interaction.request.clientId, ip: clientIp(deps.config, server, request) });
        return redirect(`${RESUME_PATH}?interaction=${encodeURIComponent(interaction.id)}`, browser.setCookies);
      },
      {
        body: t.Object({
          interaction: t.Optional(t.String()),
          csrf: t.Optional(t.String()),
          username: t.Optional(t.String({ maxLength: 256 })),
          password: t.Optional(t.String({ maxLength: 1024 })),
        }),
      },
    );
}
