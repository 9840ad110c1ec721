// at_hash and c_hash (OIDC Core §3.1.3.6, §3.3.2.11): the left half of the token's hash, with the
// hash of the signing algorithm (SHA-256 for RS256/ES256; SHA-512 for EdDSA with Ed25519).
import { createHash } from 'node:crypto';
import type { SigningAlg } from '../config/schema.ts';

export function leftHalfHash(value: string, alg: SigningAlg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
