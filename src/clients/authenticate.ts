// Client authentication at the token endpoint (RFC 6749 §2.3.1): client_secret_basic,
// client_secret_post, or none for public clients. A client must use the method it registered, and
// exactly one method per request. Secrets are compared as SHA-256 digests in constant time; after
// `idp client rotate-secret --grace`, the previous secret is accepted too until it expires.
import { OAuthError } from '../http/errors.ts';
import type { ClientRecord, ClientStore } from '../store/store.ts';
import { matchesHash } from '../tokens/secret.ts';
import type { AuthMethod } from './metadata.ts';

export interface ClientCredentials {
  authorization: string | null;
  clientId: string | undefined;
  clientSecret: string | undefined;
}

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description, 401, { 'www-authenticate': 'Basic realm="idp", charset="UTF-8"' });
}

/** Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1). */
function parseBasic(header: string): { id: string; secret: string } {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match) throw invalidClient('The Authorization header is not valid Basic credentials.');
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('The Authorization header is not valid Basic credentials.');
  try {
    const decode = (part: string) => decodeURIComponent(part.replaceAll('+', ' '));
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient('The Authorization header is not valid Basic credentials.');
  }
}

/** The client id a request claims (Basic or client_id), before any check; null when it names none or is malformed. */
export function claimedClientId(credentials: ClientCredentials): string | null {
  try {
    const basic = credentials.authorization?.toLowerCase().startsWith('basic ') ? parseBasic(credentials.authorization) : null;
    return basic?.id || credentials.clientId || null;
  } catch {
    return null;
  }
}

/**
 * The secret matches the current digest, or the previous one (kept by `rotate-secret --grace`) while
 * previousSecretExpiresAt > now. Both digests are compared, each in constant time, whichever matches.
 */
function secretMatches(client: ClientRecord, secret: string, now: number): boolean {
  const current = client.secretHash !== null && matchesHash(secret, client.secretHash);
  const previous = client.previousSecretHash !== null && matchesHash(secret, client.previousSecretHash);
  const previousLive = client.previousSecretExpiresAt !== null && client.previousSecretExpiresAt > now;
  return current || (previous && previousLive);
}

/** `now` is in seconds since the epoch: epochSeconds(deps.clock). */
export async function authenticateClient(
  clients: ClientStore,
  credentials: ClientCredentials,
  now: number,
): Promise<ClientRecord> {
  const basic = credentials.authorization?.toLowerCase().startsWith('basic ') ? parseBasic(credentials.authorization) : null;
  if (basic && credentials.clientSecret !== undefined) {
    throw new OAuthError('invalid_request', 'Use one client authentication method, not Basic and client_secret together.');
  }
  if (basic && credentials.clientId !== undefined && credentials.clientId !== basic.id) {
    throw invalidClient('client_id does not match the Basic credentials.');
  }
  const clientId = basic?.id ?? credentials.clientId;
  if (!clientId) throw invalidClient('Client authentication is required.');
  const used: AuthMethod = basic ? 'client_secret_basic' : credentials.clientSecret !== undefined ? 'client_secret_post' : 'none';
  const secret = basic?.secret ?? credentials.clientSecret;

  const client = await clients.getClient(clientId);
  if (!client) throw invalidClient('Unknown client or wrong credentials.');
  if (used !== client.metadata.token_endpoint_auth_method) {
    throw invalidClient(`This client authenticates with ${client.metadata.token_endpoint_auth_method}.`);
  }
  if (used !== 'none' && (secret === undefined || !secretMatches(client, secret, now))) {
    throw invalidClient('Unknown client or wrong credentials.');
  }
  return client;
}
