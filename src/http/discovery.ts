// OIDC Discovery 1.0 §4 and RFC 8414 §3: the same metadata at both well-known paths. The body is
// serialised once and rebuilt only when the set of signing algorithms or of custom scopes changes
// (custom scopes are read at most every 10 seconds, see scopes/scopes.ts).
import { Elysia } from 'elysia';
import { buildMetadata, PATHS } from '../discovery/metadata.ts';
import type { Deps } from '../deps.ts';
import { customScopesOf } from '../scopes/scopes.ts';
import { publicCors } from './cors.ts';

export function discoveryEndpoints(deps: Pick<Deps, 'config' | 'keyring' | 'store' | 'clock'>) {
  const { config, keyring } = deps;
  // Both lists are the same array instances until they change (a key activates, the custom scopes are
  // re-read), so comparing identities is enough to know when to serialise again.
  let cachedFor: { algs: unknown; scopes: unknown } = { algs: null, scopes: null };
  let body = '';
  const respond = async () => {
    const algs = keyring.signingAlgorithms();
    const scopes = await customScopesOf(deps);
    if (algs !== cachedFor.algs || scopes !== cachedFor.scopes) {
      body = JSON.stringify(buildMetadata(config, algs, scopes));
      cachedFor = { algs, scopes };
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
