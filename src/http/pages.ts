// The landing page and the stylesheet shared by every page.
import { Elysia } from 'elysia';
import css from '../../templates/idp.css' with { type: 'text' };
import type { Deps } from '../deps.ts';
import { PATHS } from '../discovery/metadata.ts';
import { VERSION } from '../version.ts';
import { renderHome } from '../views/home.ts';

export function pages({ config }: Pick<Deps, 'config'>) {
  const home = renderHome({
    issuer: config.issuer,
    discoveryUrl: config.issuer + PATHS.openidConfiguration,
    jwksUrl: config.issuer + PATHS.jwks,
    version: VERSION,
  });
  return new Elysia({ name: 'idp.pages' })
    .get('/', () => new Response(home, { headers: { 'content-type': 'text/html; charset=utf-8' } }))
    .get(
      '/assets/idp.css',
      () => new Response(css, { headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=86400' } }),
    );
}
