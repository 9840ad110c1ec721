// One error type per protocol error, rendered in one place as RFC 6749 §5.2 JSON. Anything
// unexpected becomes `server_error`, logged with its reason; the client never sees a stack trace.
import { Elysia } from 'elysia';
import type { Logger } from '../log.ts';
import { errorPage } from './html.ts';
import { requestContext } from './request_context.ts';

/** Routes a browser shows to a person. */
const PAGE_PATHS = new Set(['/authorize', '/authorize/resume', '/login', '/consent', '/logout', '/device']);

function pageMessage(error: OAuthError): string {
  return error.code === 'server_error'
    ? 'The server could not complete the request. Try again in a moment.'
    : 'The form or link was not valid. Go back to the application and try again.';
}

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_target'
  | 'not_found'
  | 'method_not_allowed'
  // RFC 8628 §3.5: device access token polling.
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token';

const DEFAULT_STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  // RFC 6749 §5.2 and RFC 8628 §3.5: token endpoint errors are 400 (at /authorize it is redirected).
  access_denied: 400,
  unsupported_response_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  request_not_supported: 400,
  request_uri_not_supported: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_target: 400,
  not_found: 404,
  method_not_allowed: 405,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
};

export class OAuthError extends Error {
  readonly status: number;
  constructor(
    readonly code: OAuthErrorCode,
    readonly description?: string,
    status?: number,
    /** Extra response headers, such as WWW-Authenticate for invalid_client and invalid_token. */
    readonly headers: Record<string, string> = {},
  ) {
    super(description ?? code);
    this.status = status ?? DEFAULT_STATUS[code];
  }

  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description ? { error: this.code, error_description: this.description } : { error: this.code };
  }
}

export function errorResponse(error: OAuthError): Response {
  return new Response(JSON.stringify(error), {
    status: error.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache', ...error.headers },
  });
}

export function errorHandler(log: Logger) {
  const toOAuthError = (code: unknown, error: unknown, request: Request): OAuthError => {
    if (error instanceof OAuthError) return error;
    switch (code) {
      case 'NOT_FOUND':
        return new OAuthError('not_found', 'No such endpoint.');
      case 'VALIDATION':
        return new OAuthError('invalid_request', 'The request parameters are malformed.');
      case 'PARSE':
        return new OAuthError('invalid_request', 'The request body cannot be parsed.');
      default: {
        const reason = error instanceof Error ? error.message : String(error);
        const { id, path } = requestContext(request);
        log.error('request failed', { request_id: id, method: request.method, path, reason });
        return new OAuthError('server_error', 'The server could not complete the request.');
      }
    }
  };
  return new Elysia({ name: 'idp.errors' }).error({ OAuthError }).onError({ as: 'global' }, ({ code, error, request, set }) => {
    const oauthError = toOAuthError(code, error, request);
    set.status = oauthError.status; // read by the request log
    // People get a page, programs get RFC 6749 §5.2 JSON.
    if (PAGE_PATHS.has(requestContext(request).path)) return errorPage('Something went wrong', pageMessage(oauthError), oauthError.status);
    return errorResponse(oauthError);
  });
}
