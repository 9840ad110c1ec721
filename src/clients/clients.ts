// Client registration rules: ids, secrets (shown once, stored as a SHA-256 digest), metadata checks.
import { type Clock, epochSeconds } from '../clock.ts';
import { ACCESS_TOKEN_FORMATS, type AccessTokenFormat, SIGNING_ALGS, type SigningAlg } from '../config/schema.ts';
import { IdpError } from '../errors.ts';
import type { ClientRecord, ClientStore } from '../store/store.ts';
import { hashToken, randomToken } from '../tokens/secret.ts';
import { STANDARD_SCOPES } from '../users/claims.ts';
import {
  AUTH_METHODS,
  type AuthMethod,
  CLIENT_TYPES,
  type ClientMetadata,
  type ClientType,
  type GrantType,
  SUBJECT_TYPES,
  type SubjectType,
  SUPPORTED_GRANT_TYPES,
} from './metadata.ts';
import { originProblem, redirectUriProblem } from './redirect_uri.ts';

export class ClientError extends IdpError {
  override readonly name = 'ClientError';
}

/** What an operator may set; anything left out keeps its current value (or the default when adding). */
export interface ClientInput {
  name?: string;
  type?: ClientType;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  corsOrigins?: string[];
  allowWildcards?: boolean;
  grantTypes?: string[];
  scopes?: string[];
  defaultScopes?: string[];
  authMethod?: string;
  skipConsent?: boolean;
  tokenFormat?: string;
  audiences?: string[];
  idTokenAlg?: string;
  allowInsecureRedirectUris?: boolean;
  subjectType?: string;
  /** A host (optionally :port) for pairwise subjects; null removes it. */
  sectorIdentifier?: string | null;
}

export interface ClientDeps {
  clients: ClientStore;
  clock: Clock;
  /**
   * Scope names a client may be allowed: the standard scopes and the custom ones (read by the caller
   * from store.scopes, see knownScopeNames in scopes/scopes.ts). Defaults to the standard scopes.
   */
  knownScopes?: readonly string[];
}

export interface ClientWithSecret {
  client: ClientRecord;
  /** The plain secret, present only right after it was made: it is never stored or shown again. */
  secret: string | null;
}

export async function createClient(deps: ClientDeps, input: ClientInput): Promise<ClientWithSecret> {
  const type = input.type ?? 'confidential';
  const grantTypes = input.grantTypes ?? ['authorization_code', 'refresh_token'];
  const metadata = buildMetadata(
    {
      client_name: '',
      client_type: type,
      redirect_uris: [],
      post_logout_redirect_uris: [],
      cors_origins: [],
      allow_wildcards: false,
      grant_types: [],
      scopes: ['openid', 'profile', 'email', ...(grantTypes.includes('refresh_token') ? ['offline_access'] : [])],
      default_scopes: ['openid'],
      token_endpoint_auth_method: type === 'public' ? 'none' : 'client_secret_basic',
      skip_consent: false,
      access_token_format: null,
      audiences: [],
      id_token_signed_response_alg: 'RS256',
      allow_insecure_redirect_uris: false,
    },
    { ...input, grantTypes },
    deps.knownScopes ?? STANDARD_SCOPES,
  );
  if (!metadata.client_name) throw new ClientError('A client needs a name (--name).');
  const now = epochSeconds(deps.clock);
  const secret = metadata.client_type === 'confidential' ? randomToken(32) : null;
  const client: ClientRecord = {
    id: randomToken(16),
    secretHash: secret === null ? null : hashToken(secret),
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    metadata,
    createdAt: now,
    updatedAt: now,
  };
  await deps.clients.insertClient(client);
  return { client, secret };
}

export async function findClient(clients: ClientStore, id: string): Promise<ClientRecord> {
  const client = await clients.getClient(id);
  if (!client) throw new ClientError(`No client has id ${id}; see: idp client list`);
  return client;
}

export async function updateClient(deps: ClientDeps, id: string, input: ClientInput): Promise<ClientRecord> {
  const client = await findClient(deps.clients, id);
  if (input.type !== undefined && input.type !== client.metadata.client_type) {
    throw new ClientError('A client type cannot change; remove the client and add it again.');
  }
  client.metadata = buildMetadata(client.metadata, input, deps.knownScopes ?? STANDARD_SCOPES);
  client.updatedAt = epochSeconds(deps.clock);
  await deps.clients.updateClient(client);
  return client;
}

/**
 * Replaces a confidential client's secret. With `graceSeconds` > 0 the current secret keeps working
 * until now + graceSeconds (only that one: a secret kept from an earlier rotation is dropped);
 * without, it stops at once.
 */
export async function rotateClientSecret(deps: ClientDeps, id: string, graceSeconds = 0): Promise<ClientWithSecret> {
  if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0) {
    throw new ClientError(`The grace period must be a whole number of seconds, 0 or more, got ${graceSeconds}.`);
  }
  const client = await findClient(deps.clients, id);
  if (client.metadata.client_type !== 'confidential') throw new ClientError(`Client ${id} is public and has no secret.`);
  const now = epochSeconds(deps.clock);
  const secret = randomToken(32);
  const keepPrevious = graceSeconds > 0 && client.secretHash !== null;
  client.previousSecretHash = keepPrevious ? client.secretHash : null;
  client.previousSecretExpiresAt = keepPrevious ? now + graceSeconds : null;
  client.secretHash = hashToken(secret);
  client.updatedAt = now;
  await deps.clients.updateClient(client);
  return { client, secret };
}

export async function removeClient(deps: ClientDeps, id: string): Promise<ClientRecord> {
  const client = await findClient(deps.clients, id);
  await deps.clients.deleteClient(id);
  return client;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ClientError(`${what} must be one of ${allowed.join(', ')}, got ${value}.`);
  return value as T;
}

/** Applies `input` over `base` and checks the result as a whole. */
function buildMetadata(base: ClientMetadata, input: ClientInput, knownScopes: readonly string[]): ClientMetadata {
  const m: ClientMetadata = structuredClone(base);
  if (input.name !== undefined) m.client_name = input.name.trim();
  if (input.type !== undefined) m.client_type = oneOf(input.type, CLIENT_TYPES, 'The client type');
  if (input.allowInsecureRedirectUris !== undefined) m.allow_insecure_redirect_uris = input.allowInsecureRedirectUris;
  if (input.redirectUris !== undefined) m.redirect_uris = [...new Set(input.redirectUris)];
  if (input.postLogoutRedirectUris !== undefined) m.post_logout_redirect_uris = [...new Set(input.postLogoutRedirectUris)];
  if (input.corsOrigins !== undefined) m.cors_origins = [...new Set(input.corsOrigins)];
  if (input.allowWildcards !== undefined) m.allow_wildcards = input.allowWildcards;
  if (input.grantTypes !== undefined) {
    m.grant_types = [...new Set(input.grantTypes.map((grant) => oneOf<GrantType>(grant, SUPPORTED_GRANT_TYPES, 'A grant type')))];
  }
  if (input.scopes !== undefined) m.scopes = [...new Set(input.scopes)];
  if (input.defaultScopes !== undefined) m.default_scopes = [...new Set(input.defaultScopes)];
  if (input.authMethod !== undefined) m.token_endpoint_auth_method = oneOf<AuthMethod>(input.authMethod, AUTH_METHODS, 'The auth method');
  if (input.skipConsent !== undefined) m.skip_consent = input.skipConsent;
  if (input.tokenFormat !== undefined) {
    m.access_token_format = oneOf<AccessTokenFormat>(input.tokenFormat, ACCESS_TOKEN_FORMATS, 'The token format');
  }
  if (input.audiences !== undefined) m.audiences = [...new Set(input.audiences)];
  if (input.idTokenAlg !== undefined) m.id_token_signed_response_alg = oneOf<SigningAlg>(input.idTokenAlg, SIGNING_ALGS, 'The ID token algorithm');
  if (input.subjectType !== undefined) m.subject_type = oneOf<SubjectType>(input.subjectType, SUBJECT_TYPES, 'The subject type');
  if (input.sectorIdentifier !== undefined) {
    if (input.sectorIdentifier === null || input.sectorIdentifier === '') delete m.sector_identifier;
    else m.sector_identifier = sectorIdentifier(input.sectorIdentifier);
  }

  if (m.client_name.length > 200) throw new ClientError('A client name is at most 200 characters.');
  for (const uri of m.redirect_uris) {
    const problem = redirectUriProblem(uri, m.allow_insecure_redirect_uris, m.allow_wildcards);
    if (problem) throw new ClientError(`Redirect URI ${problem}.`);
  }
  for (const uri of m.post_logout_redirect_uris) {
    const problem = redirectUriProblem(uri, m.allow_insecure_redirect_uris, m.allow_wildcards);
    if (problem) throw new ClientError(`Post-logout redirect URI ${problem}.`);
  }
  for (const origin of m.cors_origins) {
    const problem = originProblem(origin, m.allow_insecure_redirect_uris, m.allow_wildcards);
    if (problem) throw new ClientError(`CORS origin ${problem}.`);
  }
  if (m.grant_types.length === 0) throw new ClientError('A client needs at least one grant type.');
  if (m.grant_types.includes('authorization_code') && m.redirect_uris.length === 0) {
    throw new ClientError('The authorization_code grant needs at least one redirect URI (--redirect-uri).');
  }
  if (m.grant_types.includes('implicit') && m.redirect_uris.length === 0) {
    throw new ClientError('The implicit grant needs at least one redirect URI (--redirect-uri).');
  }
  // The device_code grant (RFC 8628) needs no redirect URI, and may come with refresh tokens.
  if (m.grant_types.includes('refresh_token') && !m.grant_types.includes('authorization_code') && !m.grant_types.includes('urn:ietf:params:oauth:grant-type:device_code')) {
    throw new ClientError('The refresh_token grant needs the authorization_code or device_code grant.');
  }
  if (m.grant_types.includes('client_credentials') && m.client_type !== 'confidential') {
    throw new ClientError('The client_credentials grant is for confidential clients only (RFC 6749 §4.4).');
  }
  for (const scope of m.scopes) {
    if (!knownScopes.includes(scope)) {
      throw new ClientError(`Unknown scope ${scope}; known scopes: ${knownScopes.join(', ')} (add a custom one with: idp scope add NAME).`);
    }
  }
  for (const scope of m.default_scopes) {
    if (!m.scopes.includes(scope)) throw new ClientError(`Default scope ${scope} is not among the client's scopes.`);
  }
  if (m.client_type === 'public' && m.token_endpoint_auth_method !== 'none') {
    throw new ClientError('A public client has no secret: its auth method is none.');
  }
  if (m.client_type === 'confidential' && m.token_endpoint_auth_method === 'none') {
    throw new ClientError('A confidential client authenticates with client_secret_basic or client_secret_post.');
  }
  for (const audience of m.audiences) {
    if (audience.trim() === '') throw new ClientError('An audience must not be empty.');
  }
  checkSubjectType(m, input);
  return m;
}

/** RFC 1123 host names (or IPv4 addresses), optionally with a port. */
const SECTOR_HOST = /^(?=[^:]{1,253}(:|$))[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$/;

/** A sector identifier (OIDC Core §8.1) as given with --sector-identifier: a host, lower-cased. */
function sectorIdentifier(value: string): string {
  const host = value.trim().toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(host)) {
    throw new ClientError(`A sector identifier is a host name such as apps.example.com, not a URL; got ${value}.`);
  }
  const port = host.includes(':') ? Number(host.slice(host.indexOf(':') + 1)) : 1;
  if (!SECTOR_HOST.test(host) || port < 1 || port > 65535) {
    throw new ClientError(`A sector identifier is a host name, optionally with a port (apps.example.com or apps.example.com:8443); got ${value}.`);
  }
  return host;
}

/**
 * OIDC Core §8.1: a pairwise subject is computed for the client's sector, by default the host of its
 * redirect URIs, so without a sector identifier they must all share one host.
 */
function checkSubjectType(m: ClientMetadata, input: ClientInput): void {
  if ((m.subject_type ?? 'public') !== 'pairwise') {
    if (m.sector_identifier === undefined) return;
    // Given now: a mistake. Kept from before a switch to public: dropped, as it no longer means anything.
    if (input.sectorIdentifier !== undefined) {
      throw new ClientError('A sector identifier is only for pairwise clients; add --subject-type pairwise.');
    }
    delete m.sector_identifier;
    return;
  }
  if (m.sector_identifier !== undefined) return;
  const hosts = new Set(m.redirect_uris.map((uri) => URL.parse(uri.replace('*', 'wildcard'))?.host ?? ''));
  if (hosts.size > 1) {
    throw new ClientError(
      `A pairwise client whose redirect URIs have more than one host (${[...hosts].map((host) => host || '(none)').join(', ')}) needs --sector-identifier HOST (OIDC Core §8.1).`,
    );
  }
}

/** A client as admin commands show it: never the secret or its digest. */
export function clientView(client: ClientRecord) {
  return {
    client_id: client.id,
    ...client.metadata,
    subject_type: client.metadata.subject_type ?? 'public',
    sector_identifier: client.metadata.sector_identifier ?? null,
    created_at: new Date(client.createdAt * 1000).toISOString().replace('.000Z', 'Z'),
    updated_at: new Date(client.updatedAt * 1000).toISOString().replace('.000Z', 'Z'),
  };
}
