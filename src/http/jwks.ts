// RFC 7517 JWK Set of the published keys (next, active, retiring); public members only.
import { Elysia } from 'elysia';
import { jwksMaxAge, PATHS } from '../discovery/metadata.ts';
import type { Deps } from '../deps.ts';
import { publicCors } from './cors.ts';

export function jwksEndpoint({ config, keyring }: Pick<Deps, 'config' | 'keyring'>) {
  const headers = {
    // application/json rather than jwk-set+json: some relying-party libraries accept only the former.
    'content-type': 'application/json',
    'cache-control': `public, max-age=${jwksMaxAge(config)}`,
    'access-control-allow-origin': '*',
  };
  return new Elysia({ name: 'idp.jwks' }).use(publicCors([PATHS.jwks])).get(PATHS.jwks, () => new Response(keyring.jwksBody(), { headers }));
}
