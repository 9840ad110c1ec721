// The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), validated once in two steps:
// first the client and redirect URI, whose failure must never redirect (an error page instead);
// then everything else, whose failure is reported to the now trusted redirect URI.
import { isRegisteredRedirectUri } from '../clients/redirect_uri.ts';
import type { ClientRecord, ClientStore } from '../store/store.ts';
import { OAuthError } from '../http/errors.ts';
import type { Params } from './params.ts';

export const RESPONSE_MODES = ['query', 'fragment', 'form_post'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];
export const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPTS)[number];
/** code (RFC 6749 §4.1) and the implicit flow (OIDC Core §3.2): an ID token, with or without an access token. */
export const RESPONSE_TYPES = ['code', 'id_token', 'id_token token'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

/** The response type a response_type value names: its words in any order; null when unsupported. */
export function responseTypeOf(value: string | undefined): ResponseType | null {
  const words = (value ?? '').split(' ');
  if (words.length === 1 && words[0] === 'code') return 'code';
  if (words.length === 1 && words[0] === 'id_token') return 'id_token';
  if (words.length === 2 && words.includes('id_token') && words.includes('token')) return 'id_token token';
  return null;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseType: ResponseType;
  responseMode: ResponseMode;
  /** Granted scopes: requested ∩ allowed for the client, or the client's defaults when none were asked. */
  scopes: string[];
  state: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  prompt: Prompt[];
  maxAge: number | null;
  loginHint: string | null;
}

/** A request whose client or redirect URI cannot be trusted: shown as a page, never redirected. */
export class AuthorizePageError extends Error {}

/** A protocol error to send back to the (verified) redirect URI. */
export class AuthorizationError extends OAuthError {
  constructor(
    error: OAuthError,
    readonly redirectUri: string,
    readonly responseMode: ResponseMode,
    readonly state: string | null,
  ) {
    super(error.code, error.description);
  }
}

export interface VerifiedTarget {
  client: ClientRecord;
  redirectUri: string;
}

export async function verifyClientAndRedirectUri(clients: ClientStore, { values: params, repeated }: Params): Promise<VerifiedTarget> {
  if (repeated.includes('client_id') || repeated.includes('redirect_uri')) {
    throw new AuthorizePageError('The request repeats client_id or redirect_uri.');
  }
  const clientId = params.get('client_id');
  if (!clientId) throw new AuthorizePageError('The request has no client_id.');
  const client = await clients.getClient(clientId);
  if (!client) throw new AuthorizePageError('The application that sent you here is not registered.');
  if (!client.metadata.grant_types.includes('authorization_code') && !client.metadata.grant_types.includes('implicit')) {
    throw new AuthorizePageError('This application may not sign users in.');
  }
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri) throw new AuthorizePageError('The request has no redirect_uri.');
  if (!isRegisteredRedirectUri(client.metadata, redirectUri)) {
    throw new AuthorizePageError('The redirect_uri is not registered for this application.');
  }
  return { client, redirectUri };
}

const CODE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

export function parseAuthorizationRequest({ client, redirectUri }: VerifiedTarget, { values: params, repeated }: Params): AuthorizationRequest {
  const state = repeated.includes('state') ? null : (params.get('state') ?? null);
  const modeParam = params.get('response_mode');
  const validMode = (RESPONSE_MODES as readonly string[]).includes(modeParam ?? '') ? (modeParam as ResponseMode) : null;
  const responseType = responseTypeOf(params.get('response_type'));
  const implicit = responseType === 'id_token' || responseType === 'id_token token';
  // OIDC Core §3.2.2.5: implicit responses, errors included, never go in the query.
  const errorMode: ResponseMode = implicit ? (validMode === 'form_post' ? 'form_post' : 'fragment') : (validMode ?? 'query');
  const fail = (code: OAuthError['code'], description: string): never => {
    throw new AuthorizationError(new OAuthError(code, description), redirectUri, errorMode, state);
  };

  if (repeated.length > 0) fail('invalid_request', `Parameters must not be repeated: ${[...new Set(repeated)].join(', ')}.`);
  if (params.has('request')) fail('request_not_supported', 'The request parameter is not supported.');
  if (params.has('request_uri')) fail('request_uri_not_supported', 'The request_uri parameter is not supported.');
  if (modeParam !== undefined && !validMode) fail('invalid_request', `response_mode must be one of ${RESPONSE_MODES.join(', ')}.`);

  if (!params.get('response_type')) fail('invalid_request', 'response_type is required.');
  if (responseType === null) fail('unsupported_response_type', `response_type must be one of: ${RESPONSE_TYPES.join(', ')}.`);
  const grantType = implicit ? 'implicit' : 'authorization_code';
  if (!client.metadata.grant_types.includes(grantType)) {
    fail('unauthorized_client', `This client may not use response_type=${responseType}.`);
  }
  if (implicit && validMode === 'query') fail('invalid_request', 'Tokens are never sent in the query: use fragment or form_post.');

  const requested = (params.get('scope') ?? '').split(' ').filter(Boolean);
  const allowed = client.metadata.scopes;
  const scopes = requested.length === 0 ? [...client.metadata.default_scopes] : [...new Set(requested.filter((scope) => allowed.includes(scope)))];
  if (requested.length > 0 && scopes.length === 0) fail('invalid_scope', 'None of the requested scopes is allowed for this client.');
  if (implicit) {
    if (!scopes.includes('openid')) fail('invalid_request', 'The implicit flow needs the openid scope.');
    // OIDC Core §11: offline_access is ignored when no code is returned (no refresh token comes).
    const offline = scopes.indexOf('offline_access');
    if (offline >= 0) scopes.splice(offline, 1);
  }

  // PKCE belongs to the code: the implicit flow ignores its parameters.
  const codeChallenge = implicit ? null : (params.get('code_challenge') ?? null);
  const method = implicit ? undefined : params.get('code_challenge_method');
  if (codeChallenge === null && method !== undefined) fail('invalid_request', 'code_challenge_method without code_challenge.');
  if (codeChallenge !== null) {
    // RFC 7636 §4.3 defaults the method to plain, which RFC 9700 §2.1.1 rules out.
    if (method !== 'S256') fail('invalid_request', 'code_challenge_method must be S256.');
    if (!CODE_CHALLENGE.test(codeChallenge)) fail('invalid_request', 'code_challenge is malformed.');
  }
  if (!implicit && client.metadata.client_type === 'public' && codeChallenge === null) {
    fail('invalid_request', 'Public clients must use PKCE (code_challenge with S256).');
  }

  const prompt = (params.get('prompt') ?? '').split(' ').filter(Boolean);
  for (const value of prompt) {
    if (!(PROMPTS as readonly string[]).includes(value)) fail('invalid_request', `Unknown prompt value ${value}.`);
  }
  if (prompt.includes('none') && prompt.length > 1) fail('invalid_request', 'prompt=none cannot be combined with other values.');

  const maxAgeParam = params.get('max_age');
  if (maxAgeParam !== undefined && !/^\d{1,9}$/.test(maxAgeParam)) fail('invalid_request', 'max_age must be a non-negative integer.');

  const nonce = params.get('nonce') ?? null;
  // OIDC Core §3.2.2.1: the nonce is what ties a token in the front channel to the client's session.
  if (implicit && !nonce) fail('invalid_request', 'nonce is required for the implicit flow.');
  if (nonce !== null && nonce.length > 512) fail('invalid_request', 'nonce is too long.');
  if (state !== null && state.length > 2048) fail('invalid_request', 'state is too long.');
  const loginHint = params.get('login_hint') ?? null;
  if (loginHint !== null && loginHint.length > 512) fail('invalid_request', 'login_hint is too long.');

  return {
    clientId: client.id,
    redirectUri,
    responseType: responseType as ResponseType,
    responseMode: validMode ?? (implicit ? 'fragment' : 'query'),
    scopes,
    state,
    nonce,
    codeChallenge,
    codeChallengeMethod: codeChallenge === null ? null : 'S256',
    prompt: prompt as Prompt[],
    maxAge: maxAgeParam === undefined ? null : Number(maxAgeParam),
    loginHint,
  };
}
