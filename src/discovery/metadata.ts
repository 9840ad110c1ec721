// One builder for /.well-known/openid-configuration, /.well-known/oauth-authorization-server and
// `idp discovery export`. It lists only what this build implements; later features add their members.
import { AUTH_METHODS, SUPPORTED_GRANT_TYPES } from '../clients/metadata.ts';
import type { Config, SigningAlg } from '../config/schema.ts';
import { PROMPTS, RESPONSE_MODES, RESPONSE_TYPES } from '../authorize/request.ts';
import { CLAIMS_SUPPORTED, type CustomScope, customScopeClaimNames, STANDARD_SCOPES } from '../users/claims.ts';

export interface ProviderMetadata {
  issuer: string;
  jwks_uri: string;
  response_types_supported: string[];
  subject_types_supported: string[];
  id_token_signing_alg_values_supported: SigningAlg[];
  [member: string]: unknown;
}

export const PATHS = {
  openidConfiguration: '/.well-known/openid-configuration',
  oauthAuthorizationServer: '/.well-known/oauth-authorization-server',
  jwks: '/jwks',
  authorize: '/authorize',
  token: '/token',
  userinfo: '/userinfo',
  revoke: '/revoke',
  introspect: '/introspect',
  logout: '/logout',
  deviceAuthorization: '/device_authorization',
} as const;

/**
 * `signingAlgs` are the algorithms with an active key now (Keyring.signingAlgorithms()); `customScopes`
 * the custom scopes (`idp scope add`): their names are listed after the standard ones, and the claims
 * they release (user attributes among them) after the standard claims.
 */
export function buildMetadata(
  config: Pick<Config, 'issuer'>,
  signingAlgs: readonly SigningAlg[],
  customScopes: readonly Pick<CustomScope, 'name' | 'claims'>[] = [],
): ProviderMetadata {
  const customClaims = customScopeClaimNames(customScopes).filter((claim) => !CLAIMS_SUPPORTED.includes(claim));
  return {
    issuer: config.issuer,
    authorization_endpoint: `${config.issuer}${PATHS.authorize}`,
    token_endpoint: `${config.issuer}${PATHS.token}`,
    userinfo_endpoint: `${config.issuer}${PATHS.userinfo}`,
    jwks_uri: `${config.issuer}${PATHS.jwks}`,
    // RFC 8414 §2: RFC 7009 revocation (public clients too) and RFC 7662 introspection (confidential clients only).
    revocation_endpoint: `${config.issuer}${PATHS.revoke}`,
    revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
    introspection_endpoint: `${config.issuer}${PATHS.introspect}`,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS.filter((method) => method !== 'none'),
    // OIDC RP-Initiated Logout 1.0 §2.1 (no front- or back-channel logout: not implemented).
    end_session_endpoint: `${config.issuer}${PATHS.logout}`,
    // RFC 8628 §4.
    device_authorization_endpoint: `${config.issuer}${PATHS.deviceAuthorization}`,
    scopes_supported: [...STANDARD_SCOPES, ...customScopes.map((scope) => scope.name)],
    response_types_supported: [...RESPONSE_TYPES],
    response_modes_supported: [...RESPONSE_MODES],
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    // OIDC Core §8: pairwise for clients registered with --subject-type pairwise.
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: [...signingAlgs],
    token_endpoint_auth_methods_supported: [...AUTH_METHODS],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [...CLAIMS_SUPPORTED, ...customClaims],
    prompt_values_supported: PROMPTS.filter((prompt) => prompt !== 'select_account'),
    // RFC 9207: authorization responses carry iss.
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  };
}

/**
 * How long a client may cache the JWKS. A rotated key reaches every instance within
 * key_reload_interval and starts signing key_activation_delay after it is published, so a cached
 * copy must expire within the difference; otherwise a client could meet a kid it has not fetched.
 */
export function jwksMaxAge(config: Pick<Config, 'key_activation_delay' | 'key_reload_interval'>): number {
  return Math.max(0, Math.min(300, config.key_activation_delay - config.key_reload_interval));
}
