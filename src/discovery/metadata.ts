// One builder for /.well-known/openid-configuration, /.well-known/oauth-authorization-server and
// `idp discovery export`. It lists only what this build implements; later features add their members.
import type { Config, SigningAlg } from '../config/schema.ts';

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
} as const;

/** `signingAlgs` are the algorithms with an active key now (Keyring.signingAlgorithms()). */
export function buildMetadata(config: Pick<Config, 'issuer'>, signingAlgs: readonly SigningAlg[]): ProviderMetadata {
  return {
    issuer: config.issuer,
    jwks_uri: `${config.issuer}${PATHS.jwks}`,
    // No response type is served until the authorization endpoint exists.
    response_types_supported: [],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...signingAlgs],
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
