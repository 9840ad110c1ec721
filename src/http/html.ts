// HTML responses for people: never cached (they carry forms and CSRF tokens), never framed, and
// under a Content-Security-Policy that allows no inline script or style.
import { renderError } from '../views/pages.ts';

/**
 * Only our own stylesheet and script (/assets/form_post.js) load; nothing inline, no plugins, no
 * <base>, no framing (RFC 6749 §10.13 clickjacking). form-action is not here: each page declares
 * it in a <meta> policy (views/render.ts), because only the page knows where its forms lead.
 */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

/** Headers of every HTML page, cached or not. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function htmlResponse(body: string, status = 200, setCookies: readonly string[] = []): Response {
  const headers = new Headers({ ...PAGE_HEADERS, 'cache-control': 'no-store' });
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  return new Response(body, { status, headers });
}

export function errorPage(title: string, message: string, status = 400): Response {
  return htmlResponse(renderError(title, message), status);
}

export function redirect(location: string, setCookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of setCookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** The interaction link has expired, or was opened in a browser other than the one that started it. */
export function interactionExpiredPage(): Response {
  return errorPage(
    'This sign-in request has expired',
    'The request expired or was opened in another browser. Go back to the application and sign in again.',
  );
}
