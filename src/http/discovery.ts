// OIDC Discovery 1.0 §4 and RFC 8414 §3: the same metadata at both well-known paths. The body is
// serialised once and rebuilt only when the set of signing algorithms changes.
import { Elysia } from 'elysia';
import { buildMetadata, PATHS } from '../discovery/metadata.ts';
import type { Deps } from '../deps.ts';
import { publicCors } from './cors.ts';

export function discoveryEndpoints({ config, keyring }: Pick<Deps, 'config' | 'keyring'>) {
  let cachedFor = '';
  let body = '';
  const respond = () => {
    const algs = keyring.signingAlgorithms();
    const signature = algs.join(',');
    if (signature !== cachedFor) {
      body = JSON.stringify(buildMetadata(config, algs));
      cachedFor = signature;
    }
    return new Response(body, {
      headers: {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=300',
        // Public metadata: browser apps on any origin may read it.
        'access-control-allow-origin': '*',
      },
    });
  };
  return new Elysia({ name: 'idp.discovery' })
    .use(publicCors([PATHS.openidConfiguration, PATHS.oauthAuthorizationServer]))
    .get(PATHS.openidConfiguration, respond).get(PATHS.oauthAuthorizationServer, respond);
}
