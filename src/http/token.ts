// The token endpoint (RFC 6749 §3.2): the shared steps live here, so no grant can forget them:
// form body only, no repeated parameters, client authentication (with back-off on invalid_client), the
// per-client rate limit, the grant type allowed for this client, then the grant's handler, and every
// answer marked no-store (§5.1).
import { Elysia, t } from 'elysia';
import type { Deps } from '../deps.ts';
import { authorizationCodeGrant } from '../grants/authorization_code.ts';
import { clientCredentialsGrant } from '../grants/client_credentials.ts';
import { deviceCodeGrant } from '../grants/device_code.ts';
import type { GrantHandler } from '../grants/grant.ts';
import { refreshTokenGrant } from '../grants/refresh_token.ts';
import { authenticateClientThrottled, checkTokenRate } from '../security/throttle.ts';
import { clientIp } from './client_ip.ts';
import { clientCors, requestingClientOrigins } from './cors.ts';
import { accessTokenAudience } from '../tokens/issue.ts';
import { OAuthError } from './errors.ts';
import { omitEmpty, requireForm } from './form.ts';

export const TOKEN_PATH = '/token';

const GRANTS: readonly GrantHandler[] = [authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant, deviceCodeGrant];

const param = t.Optional(t.String({ maxLength: 4096 }));

export function tokenEndpoint(deps: Deps) {
  const handlers = new Map(GRANTS.map((handler) => [handler.grantType as string, handler]));
  // CORS: only the requesting client's origins, decided once it has authenticated.
  const corsClient = requestingClientOrigins(deps.store.clients);
  return new Elysia({ name: 'idp.token' }).use(clientCors(deps, TOKEN_PATH, { allowOrigin: corsClient.allowOrigin })).post(
    TOKEN_PATH,
    async ({ body: form, request, server }) => {
      // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
      const body = omitEmpty(form);
      const ip = clientIp(deps.config, server, request);
      const client = await authenticateClientThrottled(deps, {
        authorization: request.headers.get('authorization'),
        clientId: body.client_id,
        clientSecret: body.client_secret,
      }, ip);
      corsClient.authenticated(request, client);
      // Before the grant runs, so a refused request consumes no code.
      await checkTokenRate(deps, client, ip);
      if (!body.grant_type) throw new OAuthError('invalid_request', 'grant_type is required.');
      const handler = handlers.get(body.grant_type);
      if (!handler) throw new OAuthError('unsupported_grant_type', `grant_type ${body.grant_type} is not supported.`);
      if (!client.metadata.grant_types.includes(handler.grantType)) {
        throw new OAuthError('unauthorized_client', `This client may not use the ${handler.grantType} grant.`);
      }
      // RFC 8707: checked before the grant runs, so a bad resource never consumes a code.
      if (body.resource !== undefined) accessTokenAudience(client, body.resource);
      const tokens = await handler.handle(deps, client, body);
      return new Response(JSON.stringify(tokens), {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
      });
    },
    {
      beforeHandle: requireForm('token'),
      // A repeated parameter arrives as an array and fails this schema: invalid_request (§3.2).
      body: t.Object({
        grant_type: param,
        client_id: param,
        client_secret: param,
        code: param,
        redirect_uri: param,
        code_verifier: param,
        refresh_token: param,
        scope: param,
        device_code: param,
        resource: param,
      }),
    },
  );
}
