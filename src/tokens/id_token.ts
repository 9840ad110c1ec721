// ID tokens (OIDC Core §2): signed with the active key of the client's chosen algorithm.
import { SignJWT } from 'jose';
import type { SigningAlg } from '../config/schema.ts';
import type { Keyring } from '../keys/keyring.ts';
import { leftHalfHash } from './hash_claim.ts';

export interface IdTokenInput {
  issuer: string;
  subject: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
  authTime: number;
  nonce: string | null;
  sid: string | null;
  /** The access token issued alongside, hashed into at_hash; none without one (response_type=id_token). */
  accessToken?: string;
  /** User claims released by the granted scopes, and those an adapter added; the protected ones below win. */
  claims: Record<string, unknown>;
  alg: SigningAlg;
}

export async function signIdToken(keyring: Keyring, input: IdTokenInput): Promise<string> {
  const { kid, key } = keyring.signingKey(input.alg);
  return new SignJWT({
    ...input.claims,
    auth_time: input.authTime,
    ...(input.nonce !== null ? { nonce: input.nonce } : {}),
    azp: input.clientId,
    ...(input.accessToken !== undefined ? { at_hash: leftHalfHash(input.accessToken, input.alg) } : {}),
    ...(input.sid !== null ? { sid: input.sid } : {}),
  })
    .setProtectedHeader({ alg: input.alg, kid, typ: 'JWT' })
    .setIssuer(input.issuer)
    .setSubject(input.subject)
    .setAudience(input.clientId)
    .setIssuedAt(input.issuedAt)
    .setExpirationTime(input.expiresAt)
    .sign(key);
}
