// The UserInfo endpoint (OIDC Core §5.3), GET and POST, with a bearer token in the Authorization
// header or (POST) in the form body (RFC 6750 §2.1, §2.2). Claims follow the token's scopes.
import { Elysia } from 'elysia';
import { epochSeconds } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { hashToken } from '../tokens/secret.ts';
import { userClaimsFor } from '../tokens/user_claims.ts';
import { clientCors } from './cors.ts';
import { OAuthError } from './errors.ts';
import { isFormRequest } from './form.ts';

export const USERINFO_PATH = '/userinfo';

function bearerError(code: 'invalid_token' | 'invalid_request' | 'insufficient_scope', description: string, status: number): OAuthError {
  return new OAuthError(code, description, status, {
    'www-authenticate': `Bearer realm="idp", error="${code}", error_description="${description}"`,
  });
}

async function presentedToken(request: Request): Promise<string> {
  const header = request.headers.get('authorization');
  let fromBody: string | undefined;
  if (request.method === 'POST' && isFormRequest(request)) {
    const values = new URLSearchParams(await request.text()).getAll('access_token');
    if (values.length > 1) throw bearerError('invalid_request', 'access_token is repeated.', 400);
    fromBody = values[0];
  }
  if (header && fromBody !== undefined) throw bearerError('invalid_request', 'Send the token once, in the header or the body.', 400);
  if (header) {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (!match) throw bearerError('invalid_token', 'The Authorization header is not a bearer token.', 401);
    return match[1] as string;
  }
  if (fromBody) return fromBody;
  // RFC 6750 §3.1: no error code when the request carried no token at all.
  throw new OAuthError('invalid_token', 'A bearer token is required.', 401, { 'www-authenticate': 'Bearer realm="idp"' });
}

export function userinfoEndpoint(deps: Deps) {
  const userinfo = async ({ request }: { request: Request }) => {
    const token = await deps.store.tokens.findAccessToken(hashToken(await presentedToken(request)));
    if (!token || token.expiresAt <= epochSeconds(deps.clock)) throw bearerError('invalid_token', 'The access token is invalid or expired.', 401);
    const scopes = token.scope.split(' ');
    // A client_credentials token never carries openid: it acts for a client, not a user.
    if (!scopes.includes('openid') || token.userId === null) {
      throw bearerError('insufficient_scope', 'The access token was not granted the openid scope.', 403);
    }
    const user = await deps.store.users.getUser(token.userId);
    if (!user || user.disabled) throw bearerError('invalid_token', 'The access token is invalid or expired.', 401);
    // OIDC Core §8: the sub the token's client sees (pairwise or the user id), as in its ID token.
    const client = await deps.store.clients.getClient(token.clientId);
    if (!client) throw bearerError('invalid_token', 'The access token is invalid or expired.', 401);
    return new Response(JSON.stringify({ sub: await deps.hooks.subject(user, client), ...(await userClaimsFor(deps, { user, client, scopes, target: 'userinfo' })) }), {
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' },
    });
  };
  return new Elysia({ name: 'idp.userinfo' })
    // Browser apps may read bearer errors (RFC 6750 §3) from WWW-Authenticate.
    .use(clientCors(deps, USERINFO_PATH, { methods: ['GET', 'POST'], exposeHeaders: ['WWW-Authenticate'] }))
    .get(USERINFO_PATH, userinfo)
    .post(USERINFO_PATH, userinfo, { parse: 'none' });
}
