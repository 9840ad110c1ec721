// RFC 7517 public keys: only the public members of each key type are ever copied out.
import type { JWK } from 'jose';
import type { SigningAlg } from '../config/schema.ts';
import { KeyError } from './errors.ts';

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: SigningAlg;
  use: 'sig';
  [member: string]: string;
}

const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

/** Copies the public members of `jwk` (public or private) into a fresh JWK with kid, alg and use. */
export function toPublicJwk(jwk: JWK, kid: string, alg: SigningAlg): PublicJwk {
  const members = jwk.kty ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (!members) throw new KeyError(`Signing key ${kid} has an unsupported key type ${String(jwk.kty)}.`);
  const out: PublicJwk = { kty: jwk.kty as string, kid, alg, use: 'sig' };
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member];
    if (typeof value !== 'string') throw new KeyError(`Signing key ${kid} is missing its public member ${member}.`);
    out[member] = value;
  }
  return out;
}

/** Parses a stored public JWK, refusing damaged rows with a message naming the key. */
export function parseStoredPublicJwk(text: string, kid: string, alg: SigningAlg): PublicJwk {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new KeyError(`The stored public key of signing key ${kid} is damaged (not JSON).`);
  }
  if (typeof jwk !== 'object' || jwk === null) throw new KeyError(`The stored public key of signing key ${kid} is damaged.`);
  return toPublicJwk(jwk as JWK, kid, alg);
}
