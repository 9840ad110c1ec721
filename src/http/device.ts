// RFC 8628 device authorization: the device asks at /device_authorization for a device code and a
// user code; the person signs in at /device, types the user code and allows or denies; the device
// polls /token (grants/device_code.ts). Code entry is rate limited per browser: a user code is only
// ~34 bits, so guessing must stay slow (RFC 8628 §5.1). The sign-in form has the login page's
// back-off (security/throttle.ts).
import { Elysia, t } from 'elysia';
import { refusal } from '../authorize/decision.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { loginFailed, loginSucceeded } from '../events/login.ts';
import { clientIp } from './client_ip.ts';
import { formatUserCode, normalizeUserCode } from '../device/user_code.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../grants/device_code.ts';
import { Browser, type SignedIn } from '../sessions/browser.ts';
import { StoreError } from '../store/store.ts';
import { hashToken } from '../tokens/secret.ts';
import { customScopesOf } from '../scopes/scopes.ts';
import { scopeDescription } from '../users/claims.ts';
import { authenticateClientThrottled, signInWithPassword, tooManyAttemptsMessage, withRetryAfter } from '../security/throttle.ts';
import { renderDevice, renderDeviceDone, renderError, type DeviceView } from '../views/pages.ts';
import { OAuthError } from './errors.ts';
import { omitEmpty, requireForm } from './form.ts';
import { errorPage, htmlResponse } from './html.ts';

export const DEVICE_AUTHORIZATION_PATH = '/device_authorization';
export const DEVICE_PATH = '/device';

/** Code entries allowed per browser and window (RFC 8628 §5.1). */
export const DEVICE_CODE_ATTEMPTS = 5;
export const DEVICE_CODE_WINDOW = 60;

const ENTRY_PURPOSE = 'device';
const confirmPurpose = (userCode: string) => `device:${userCode}`;

const param = t.Optional(t.String({ maxLength: 4096 }));

export function deviceEndpoints(deps: Deps) {
  const formExpired = () => errorPage('Form expired', 'The form was not accepted. Open the device page again and retry.', 403);

  const page = (view: DeviceView, status: number, browser: Browser) => htmlResponse(renderDevice(view), status, browser.setCookies);

  const signInPage = (browser: Browser, browserId: string, userCode: string, username: string, error: string | null, status = 200) =>
    page({ step: 'signin', csrf: deps.csrf.token(browserId, ENTRY_PURPOSE), userCode, username, error }, status, browser);

  const codePage = (browser: Browser, browserId: string, signedIn: SignedIn, userCode: string, error: string | null, status = 200) =>
    page({ step: 'code', csrf: deps.csrf.token(browserId, ENTRY_PURPOSE), userCode, username: signedIn.user.username, error }, status, browser);

  /** A code typed by the person: counted against the limit, then looked up. */
  const enterCode = async (browser: Browser, browserId: string, signedIn: SignedIn, typed: string) => {
    const now = epochSeconds(deps.clock);
    const attempts = await deps.store.rateLimits.hit(`device:${hashToken(browserId)}`, DEVICE_CODE_WINDOW, now);
    // Also per user: the browser id is a cookie the client picks, so a signed-in guesser could rotate it.
    const userAttempts = await deps.store.rateLimits.hit(`device-user:${signedIn.user.id}`, DEVICE_CODE_WINDOW, now);
    if (attempts > DEVICE_CODE_ATTEMPTS || userAttempts > DEVICE_CODE_ATTEMPTS) {
      deps.log.warn('device code entry rate limited', { sid: signedIn.session.sid });
      const response = htmlResponse(
        renderError('Too many attempts', 'Too many codes were entered from this browser. Wait a minute, then try again.'),
        429,
        browser.setCookies,
      );
      response.headers.set('retry-after', String(DEVICE_CODE_WINDOW));
      return response;
    }
    const userCode = normalizeUserCode(typed);
    const record = userCode ? await deps.store.devices.findByUserCode(userCode, now) : null;
    const client = record?.status === 'pending' ? await deps.store.clients.getClient(record.clientId) : null;
    if (!userCode || !record || !client) {
      return codePage(browser, browserId, signedIn, typed, 'That code is not valid or has expired. Check the code on your device and try again.', 400);
    }
    const scopes = record.scope.split(' ').filter(Boolean);
    const custom = await customScopesOf(deps);
    return page(
      {
        step: 'confirm',
        csrf: deps.csrf.token(browserId, confirmPurpose(userCode)),
        userCode: formatUserCode(userCode),
        username: signedIn.user.username,
        clientName: client.metadata.client_name,
        scopes: scopes.map((name) => ({ name, description: scopeDescription(name, custom) })),
      },
      200,
      browser,
    );
  };

  return new Elysia({ name: 'idp.device' })
    .post(
      DEVICE_AUTHORIZATION_PATH,
      async ({ body: form, request, server }) => {
        // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
        const body = omitEmpty(form);
        const now = epochSeconds(deps.clock);
        const client = await authenticateClientThrottled(deps, {
          authorization: request.headers.get('authorization'),
          clientId: body.client_id,
          clientSecret: body.client_secret,
        }, clientIp(deps.config, server, request));
        if (!client.metadata.grant_types.includes(DEVICE_CODE_GRANT_TYPE)) {
          throw new OAuthError('unauthorized_client', 'This client may not use the device_code grant.');
        }
        // As at /authorize: requested scopes the client may not have are dropped; none asked → defaults.
        const requested = (body.scope ?? '').split(' ').filter(Boolean);
        const allowed = client.metadata.scopes;
        const scopes = requested.length === 0 ? [...client.metadata.default_scopes] : [...new Set(requested.filter((scope) => allowed.includes(scope)))];
        if (requested.length > 0 && scopes.length === 0) throw new OAuthError('invalid_scope', 'None of the requested scopes is allowed for this client.');

        const deviceCode = await deps.hooks.token('device_code', client);
        const interval = deps.config.device_code_interval;
        const expiresIn = deps.config.device_code_ttl;
        let userCode = '';
        for (let attempt = 0; ; attempt++) {
          userCode = await deps.hooks.userCode(client);
          try {
            await deps.store.devices.insertDeviceCode({
              deviceCodeHash: hashToken(deviceCode),
              userCode,
              clientId: client.id,
              scope: scopes.join(' '),
              status: 'pending',
              userId: null,
              sid: null,
              authTime: null,
              pollInterval: interval,
              lastPolledAt: null,
              createdAt: now,
              expiresAt: now + expiresIn,
            });
            break;
          } catch (error) {
            // A live user code collided: draw another.
            if (!(error instanceof StoreError && error.code === 'conflict') || attempt >= 4) throw error;
          }
        }
        const formatted = formatUserCode(userCode);
        const verificationUri = `${deps.config.issuer}${DEVICE_PATH}`;
        return new Response(
          JSON.stringify({
            device_code: deviceCode,
            user_code: formatted,
            verification_uri: verificationUri,
            verification_uri_complete: `${verificationUri}?user_code=${encodeURIComponent(formatted)}`,
            expires_in: expiresIn,
            interval,
          }),
          { headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' } },
        );
      },
      {
        beforeHandle: requireForm('device authorization'),
        body: t.Object({ client_id: param, client_secret: param, scope: param }),
      },
    )
    .get(DEVICE_PATH, async ({ request, query }) => {
      const browser = new Browser(deps, request);
      const browserId = browser.browserId();
      const typed = typeof query.user_code === 'string' ? query.user_code : '';
      const normalized = normalizeUserCode(typed);
      const userCode = normalized ? formatUserCode(normalized) : typed.slice(0, 32);
      const signedIn = await browser.session();
      if (!signedIn) return signInPage(browser, browserId, userCode, '', null);
      return codePage(browser, browserId, signedIn, userCode, null);
    })
    .post(
      DEVICE_PATH,
      async ({ request, body, server }) => {
        const browser = new Browser(deps, request);
        const browserId = browser.existingBrowserId();
        if (!browserId) return formExpired();
        const typed = body.user_code ?? '';

        if (body.decision !== undefined) {
          const signedIn = await browser.session();
          if (!signedIn) return signInPage(browser, browserId, typed, '', 'Sign in again to continue.');
          const userCode = normalizeUserCode(typed);
          if (!userCode || !deps.csrf.verify(browserId, confirmPurpose(userCode), body.csrf)) return formExpired();
          const now = epochSeconds(deps.clock);
          const record = await deps.store.devices.findByUserCode(userCode, now);
          if (body.decision !== 'allow' && body.decision !== 'deny') return errorPage('Invalid answer', 'Choose Allow or Deny.');
          if (record !== null && body.decision === 'allow') {
            // The adapter may refuse this user for this client: the code is denied, so the device's
            // next poll gets access_denied (RFC 8628 §3.5), and the person is told why.
            const client = await deps.store.clients.getClient(record.clientId);
            const scopes = record.scope.split(' ').filter(Boolean);
            const refused = client && (await refusal(deps, { user: signedIn.user, client, scopes, grantType: DEVICE_CODE_GRANT_TYPE }));
            if (refused) {
              await deps.store.devices.deny(record.deviceCodeHash, now);
              return htmlResponse(renderError('Access denied', `${refused} The device was not given access.`), 403, browser.setCookies);
            }
          }
          const done =
            record !== null &&
            (body.decision === 'allow'
              ? await deps.store.devices.approve(record.deviceCodeHash, signedIn.user.id, signedIn.session.sid, signedIn.session.authTime, now)
              : await deps.store.devices.deny(record.deviceCodeHash, now));
          if (!done) return codePage(browser, browserId, signedIn, '', 'That code has expired or was already used. Start again on your device.', 400);
          deps.log.info(body.decision === 'allow' ? 'device approved' : 'device denied', { client_id: record.clientId, sid: signedIn.session.sid });
          await deps.events.emit({
            type: body.decision === 'allow' ? 'consent.granted' : 'consent.denied',
            at: now,
            userId: signedIn.user.id,
            clientId: record.clientId,
            details: { scopes: record.scope.split(' ').filter(Boolean) },
          });
          return htmlResponse(renderDeviceDone(body.decision === 'allow'), 200, browser.setCookies);
        }

        if (!deps.csrf.verify(browserId, ENTRY_PURPOSE, body.csrf)) return formExpired();
        let signedIn = await browser.session();
        if (body.username !== undefined || body.password !== undefined) {
          const ip = clientIp(deps.config, server, request);
          const attempt = await signInWithPassword(deps, { username: body.username ?? '', password: body.password ?? '', ip });
          if (attempt.kind === 'throttled') {
            deps.log.info('login throttled', { page: DEVICE_PATH });
            await loginFailed(deps, { typed: body.username ?? '', clientId: null, ip, throttled: true });
            const refused = signInPage(browser, browserId, typed, body.username ?? '', tooManyAttemptsMessage(attempt.retryAfter), 429);
            return withRetryAfter(refused, attempt.retryAfter);
          }
          if (attempt.kind === 'failed') {
            deps.log.info('login failed', { page: DEVICE_PATH });
            await loginFailed(deps, { typed: body.username ?? '', clientId: null, ip });
            return signInPage(browser, browserId, typed, body.username ?? '', 'Incorrect username or password.', 401);
          }
          const user = attempt.user;
          signedIn = await browser.signIn(user, ['pwd']);
          deps.log.info('login succeeded', { page: DEVICE_PATH, sid: signedIn.session.sid });
          await loginSucceeded(deps, { user, clientId: null, ip });
          if (!typed.trim()) return codePage(browser, browserId, signedIn, '', null);
        }
        if (!signedIn) return signInPage(browser, browserId, typed, '', null);
        return enterCode(browser, browserId, signedIn, typed);
      },
      {
        body: t.Object({
          csrf: t.Optional(t.String({ maxLength: 256 })),
          user_code: t.Optional(t.String({ maxLength: 64 })),
          username: t.Optional(t.String({ maxLength: 256 })),
          password: t.Optional(t.String({ maxLength: 1024 })),
          decision: t.Optional(t.String({ maxLength: 16 })),
        }),
      },
    );
}
