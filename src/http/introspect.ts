// Token introspection (RFC 7662). Only a confidential client that authenticates (as at the token
// endpoint) may ask (§2.1, §4: otherwise anyone could probe tokens). A token is active when its row
// exists, it has not expired, its grant is not revoked, and its user and client still exist with the
// user enabled; everything else is {"active": false} with no other member (§2.2).
import { decodeJwt } from 'jose';
import { Elysia, t } from 'elysia';
import { authenticateClientThrottled } from '../security/throttle.ts';
import { clientIp } from './client_ip.ts';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { type FoundToken, findToken } from '../tokens/lookup.ts';
import { clientCors } from './cors.ts';
import { OAuthError } from './errors.ts';
import { omitEmpty, requireForm } from './form.ts';

export const INTROSPECT_PATH = '/introspect';

const param = t.Optional(t.String({ maxLength: 4096 }));

export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  exp?: number;
  iat?: number;
  token_type?: 'Bearer' | 'refresh_token';
  /** RFC 7662 §2.2 extension members: claims the adapter added to an access token (accessTokenClaims). */
  [claim: string]: unknown;
}

const INACTIVE: IntrospectionResponse = { active: false };

/** The audience a JWT access token was minted with; null for an opaque token. */
function jwtAudience(token: string): string[] | null {
  if (token.split('.').length !== 3) return null;
  try {
    const { aud } = decodeJwt(token);
    if (typeof aud === 'string') return [aud];
    return Array.isArray(aud) ? aud : null;
  } catch {
    return null;
  }
}

async function describe(deps: Deps, token: string, found: FoundToken | null): Promise<IntrospectionResponse> {
  if (!found) return INACTIVE;
  const { store, config } = deps;
  const { record } = found;
  const now = epochSeconds(deps.clock);
  if (record.expiresAt <= now) return INACTIVE;
  // A rotated refresh token is spent: after the reuse grace, presenting it revokes its family.
  if (found.type === 'refresh_token' && found.record.rotatedAt !== null && now - found.record.rotatedAt >= config.refresh_token_reuse_grace) {
    return INACTIVE;
  }
  const grant = await store.tokens.getGrant(record.grantId);
  if (!grant || grant.revokedAt !== null) return INACTIVE;
  // A client_credentials token has no user: its subject is the client (RFC 6749 §4.4).
  const user = record.userId === null ? null : await store.users.getUser(record.userId);
  if (record.userId !== null && (!user || user.disabled)) return INACTIVE;
  const owner = await store.clients.getClient(record.clientId);
  if (!owner) return INACTIVE;
  const common = {
    active: true,
    scope: record.scope,
    client_id: owner.id,
    // A pairwise client's tokens must not link the user across sectors, so they carry no username.
    ...(user && (owner.metadata.subject_type ?? 'public') === 'public' ? { username: user.username } : {}),
    // OIDC Core §8: the sub the token's client sees (pairwise or the user id), as in its tokens.
    sub: user ? await deps.hooks.subject(user, owner) : owner.id,
    iss: config.issuer,
    exp: record.expiresAt,
    iat: record.createdAt,
  };
  if (found.type === 'refresh_token') return { ...common, aud: [owner.id], token_type: 'refresh_token' };
  // The same audience rule as tokens/issue.ts; a JWT states the audience it was minted with.
  const aud = jwtAudience(token) ?? (owner.metadata.audiences.length > 0 ? [...owner.metadata.audiences] : [owner.id]);
  // The adapter's claims, stored with the token (opaque or JWT), never replace the members above.
  return { ...found.record.claims, ...common, aud, token_type: 'Bearer' };
}

export function introspectionEndpoint(deps: Deps) {
  return new Elysia({ name: 'idp.introspect' })
    .use(clientCors(deps, INTROSPECT_PATH))
    .post(
    INTROSPECT_PATH,
    async ({ body: form, request, server }) => {
      // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
      const body = omitEmpty(form);
      const credentials = { authorization: request.headers.get('authorization'), clientId: body.client_id, clientSecret: body.client_secret };
      const client = await authenticateClientThrottled(deps, credentials, clientIp(deps.config, server, request));
      if (client.metadata.client_type !== 'confidential' || client.metadata.token_endpoint_auth_method === 'none') {
        throw new OAuthError('invalid_client', 'Introspection needs a confidential client.', 401, {
          'www-authenticate': 'Basic realm="idp", charset="UTF-8"',
        });
      }
      if (!body.token) throw new OAuthError('invalid_request', 'token is required.');
      const found = await findToken(deps.store.tokens, body.token, body.token_type_hint);
      return new Response(JSON.stringify(await describe(deps, body.token, found)), {
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
      });
    },
    {
      beforeHandle: requireForm('introspection'),
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
