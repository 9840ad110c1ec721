// Sends the authorization response or error to the client's redirect URI, in the response mode it
// asked for: query, fragment, or form_post (OAuth 2.0 Form Post Response Mode). Every response
// carries `iss` (RFC 9207) so the client can tell which provider answered.
import { htmlResponse } from '../http/html.ts';
import { escapeHtml } from '../views/render.ts';
import { renderFormPost } from '../views/pages.ts';
import type { ResponseMode } from './request.ts';

export function authorizationResponse(
  redirectUri: string,
  mode: ResponseMode,
  params: Record<string, string | null | undefined>,
  setCookies: readonly string[] = [],
): Response {
  const values = Object.entries(params).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  if (mode === 'form_post') {
    const fields = values.map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('\n');
    // The page carries the code: the same no-store, no-framing headers as every other page.
    return htmlResponse(renderFormPost(redirectUri, fields), 200, setCookies);
  }
  const headers = new Headers({ 'cache-control': 'no-store' });
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  const url = new URL(redirectUri);
  if (mode === 'query') {
    for (const [name, value] of values) url.searchParams.append(name, value);
  } else {
    url.hash = new URLSearchParams(values).toString();
  }
  headers.set('location', url.href);
  return new Response(null, { status: 303, headers });
}
