// HTML responses for people: never cached (they carry forms and CSRF tokens), never framed.
import { renderError } from '../views/pages.ts';

export function htmlResponse(body: string, status = 200, setCookies: readonly string[] = []): Response {
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    // No form-action: browsers apply it to the redirects after a form post, and the consent form
    // ends in a redirect to the client, possibly on a private-use scheme (RFC 8252 §7.1).
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
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
