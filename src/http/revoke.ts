// Token revocation (RFC 7009). The client authenticates exactly as at the token endpoint (a public
// client sends its client_id alone). A refresh token revokes its whole grant: the refresh token
// family and every access token issued under it (§2.1). An access token is deleted alone. A token
// that is unknown, expired, already revoked or issued to another client is answered 200 all the
// same and left alone (§2.2): the answer tells the caller nothing about other clients' tokens.
import { Elysia, t } from 'elysia';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { grantRevoked } from '../events/tokens.ts';
import { authenticateClientThrottled } from '../security/throttle.ts';
import { findToken } from '../tokens/lookup.ts';
import { clientIp } from './client_ip.ts';
import { clientCors } from './cors.ts';
import { OAuthError } from './errors.ts';
import { omitEmpty, requireForm } from './form.ts';

export const REVOKE_PATH = '/revoke';

const param = t.Optional(t.String({ maxLength: 4096 }));

export function revocationEndpoint(deps: Deps) {
  return new Elysia({ name: 'idp.revoke' })
    .use(clientCors(deps, REVOKE_PATH))
    .post(
    REVOKE_PATH,
    async ({ body: form, request, server }) => {
      // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
      const body = omitEmpty(form);
      const now = epochSeconds(deps.clock);
      const credentials = { authorization: request.headers.get('authorization'), clientId: body.client_id, clientSecret: body.client_secret };
      const client = await authenticateClientThrottled(deps, credentials, clientIp(deps.config, server, request));
      if (!body.token) throw new OAuthError('invalid_request', 'token is required.');
      const found = await findToken(deps.store.tokens, body.token, body.token_type_hint);
      if (found && found.record.clientId === client.id && found.record.expiresAt > now) {
        if (found.type === 'refresh_token') {
          await deps.store.tokens.revokeGrant(found.record.grantId, now);
          await grantRevoked(deps, found.record.grantId, 'client');
        } else if (await deps.store.tokens.deleteAccessToken(found.hash)) {
          const { grantId, userId } = found.record;
          const details = { by: 'client', what: 'access_token', grant_id: grantId, grants: 0 } as const;
          await deps.events.emit({ type: 'token.revoked', at: now, userId, clientId: client.id, details });
        }
      }
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store', pragma: 'no-cache' } });
    },
    {
      beforeHandle: requireForm('revocation'),
      // A repeated parameter arrives as an array and fails this schema: invalid_request.
      body: t.Object({
        token: param,
        token_type_hint: param,
        client_id: param,
        client_secret: param,
      }),
    },
  );
}
