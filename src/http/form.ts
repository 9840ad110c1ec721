// The form bodies of the OAuth endpoints (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1, RFC 8628
// §3.1): application/x-www-form-urlencoded only, and a parameter without a value counts as omitted
// (RFC 6749 §3.1).
import { OAuthError } from './errors.ts';

export function isFormRequest(request: Request): boolean {
  return (request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
}

/** An Elysia beforeHandle that refuses any other body with invalid_request. */
export function requireForm(what: string) {
  return ({ request }: { request: Request }): void => {
    if (!isFormRequest(request)) throw new OAuthError('invalid_request', `The ${what} request must be application/x-www-form-urlencoded.`);
  };
}

/** The parameters without the empty ones. */
export function omitEmpty<T extends Record<string, string | undefined>>(form: T): T {
  return Object.fromEntries(Object.entries(form).filter(([, value]) => value !== '')) as T;
}
