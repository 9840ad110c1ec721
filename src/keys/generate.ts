// New signing keys: generated with jose, kid = RFC 7638 thumbprint, private part sealed before storage.
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { SigningAlg } from '../config/schema.ts';
import type { SigningKeyRecord } from '../store/store.ts';
import { toPublicJwk } from './jwks.ts';
import type { Sealer } from './seal.ts';

export interface GenerateSigningKeyOptions {
  createdAt: number;
  activatesAt: number;
}

export async function generateSigningKey(
  alg: SigningAlg,
  sealer: Sealer,
  { createdAt, activatesAt }: GenerateSigningKeyOptions,
): Promise<SigningKeyRecord> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk, 'sha256');
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(toPublicJwk(privateJwk, kid, alg)),
    sealedPrivateJwk: await sealer.seal(JSON.stringify(privateJwk), kid),
    createdAt,
    activatesAt,
    retiredAt: null,
  };
}
