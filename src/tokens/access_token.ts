// Access token formats: opaque (random, looked up by digest) or RFC 9068 JWT (verifiable offline
// against /jwks). Both are stored by digest, so revocation and userinfo treat them alike.
import { SignJWT } from 'jose';
import type { AccessTokenFormat, SigningAlg } from '../config/schema.ts';
import type { Keyring } from '../keys/keyring.ts';
import { randomToken } from './secret.ts';

export interface AccessTokenClaims {
  issuer: string;
  subject: string;
  clientId: string;
  audience: string[];
  scope: string;
  issuedAt: number;
  expiresAt: number;
  authTime: number;
  /** Claims an adapter added (accessTokenClaims); the claims above always win over them. */
  extra?: Record<string, unknown>;
}

export async function mintAccessToken(
  format: AccessTokenFormat,
  keyring: Keyring,
  alg: SigningAlg,
  claims: AccessTokenClaims,
  /** The value of an opaque token (the adapter's generateToken, else random). */
  opaqueValue: () => string | Promise<string> = randomToken,
): Promise<string> {
  if (format === 'opaque') return opaqueValue();
  const { kid, key } = keyring.signingKey(alg);
  return new SignJWT({ ...claims.extra, client_id: claims.clientId, scope: claims.scope, auth_time: claims.authTime })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(claims.issuer)
    .setSubject(claims.subject)
    .setAudience(claims.audience.length === 1 ? (claims.audience[0] as string) : claims.audience)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .setJti(randomToken(16))
    .sign(key);
}
