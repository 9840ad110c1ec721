// The landing page and the stylesheet shared by every page.
import { Elysia } from 'elysia';
import css from '../../templates/idp.css' with { type: 'text' };
import formPostJs from '../../templates/form_post.js' with { type: 'text' };
import type { Deps } from '../deps.ts';
import { PATHS } from '../discovery/metadata.ts';
import { VERSION } from '../version.ts';
import { renderHome } from '../views/home.ts';
import { PAGE_HEADERS } from './html.ts';

export function pages({ config }: Pick<Deps, 'config'>) {
  const home = renderHome({
    issuer: config.issuer,
    discoveryUrl: config.issuer + PATHS.openidConfiguration,
    jwksUrl: config.issuer + PATHS.jwks,
    version: VERSION,
  });
  return new Elysia({ name: 'idp.pages' })
    .get('/', () => new Response(home, { headers: PAGE_HEADERS }))
    .get('/assets/idp.css', () => asset(css, 'text/css'))
    .get('/assets/form_post.js', () => asset(formPostJs, 'text/javascript'));
}

function asset(body: string, type: string): Response {
  return new Response(body, { headers: { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'public, max-age=3600' } });
}
