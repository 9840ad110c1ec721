// The sign-in page. Failures say only "incorrect username or password" (no enumeration), and an
// unknown user costs the same argon2id verification as a wrong password. Repeated failures make the
// next attempt wait (security/throttle.ts): 429 with Retry-After, the same for every username.
import { Elysia, t } from 'elysia';
import { epochSeconds } from '../clock.ts';
import { loadInteraction } from '../authorize/interaction.ts';
import type { Deps } from '../deps.ts';
import { loginFailed, loginSucceeded } from '../events/login.ts';
import { clientIp } from './client_ip.ts';
import { Browser } from '../sessions/browser.ts';
import { signInWithPassword, tooManyAttemptsMessage, withRetryAfter } from '../security/throttle.ts';
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
        const ip = clientIp(deps.config, server, request);
        const attempt = await signInWithPassword(deps, { username: body.username ?? '', password: body.password ?? '', ip });
        if (attempt.kind !== 'signed_in') {
          const throttled = attempt.kind === 'throttled';
          deps.log.info(throttled ? 'login throttled' : 'login failed', { client_id: interaction.request.clientId });
          await loginFailed(deps, { typed: body.username ?? '', clientId: interaction.request.clientId, ip, throttled });
          const response = htmlResponse(
            renderLogin({
              clientName: await clientName(interaction.request.clientId),
              interaction: interaction.id,
              csrf: deps.csrf.token(browserId, purpose(interaction.id)),
              username: body.username ?? '',
              error: throttled ? tooManyAttemptsMessage(attempt.retryAfter) : 'Incorrect username or password.',
            }),
            throttled ? 429 : 401,
          );
          return throttled ? withRetryAfter(response, attempt.retryAfter) : response;
        }
        const user = attempt.user;
        const { session } = await browser.signIn(user, ['pwd']);
        await deps.store.interactions.recordInteractionLogin(interaction.record.idHash, user.id, epochSeconds(deps.clock));
        deps.log.info('login succeeded', { client_id: interaction.request.clientId, sid: session.sid });
        await loginSucceeded(deps, { user, clientId: interaction.request.clientId, ip });
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
