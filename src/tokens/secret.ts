// Random values, their digests, and constant-time comparison. Random secrets (client secrets,
// tokens, codes) are hashed with SHA-256, not argon2: they carry 256 bits of entropy already, and
// the token endpoint must stay fast.
import { createHash, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: 256 bits, URL-safe. */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

/** The SHA-256 digest stored in place of a secret, base64url. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Constant-time equality of two strings (lengths may differ; that alone is not secret). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Compares a presented secret with a stored digest in constant time. */
export function matchesHash(presented: string, storedHash: string): boolean {
  return safeEqual(hashToken(presented), storedHash);
}
