// RFC 8628 §6.1: user codes a person types on another device. Eight characters from an alphabet of
// consonants without look-alikes (20^8 ≈ 2^34.5), shown as BDWP-HQPK, compared normalised. An
// adapter's generateUserCode may use other letters, digits and lengths (USER_CODE_PATTERN).
import { randomInt } from 'node:crypto';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** A fresh normalised user code (no dash), each character drawn uniformly. */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** Any normalised user code: 6 to 32 letters or digits (what an adapter's generateUserCode may return). */
export const USER_CODE_PATTERN = /^[A-Z0-9]{6,32}$/;

/** BDWPHQPK → BDWP-HQPK: up to 8 characters in two halves (ABC-DEF), longer ones in groups of 4. */
export function formatUserCode(code: string): string {
  if (code.length <= 8) {
    const half = Math.ceil(code.length / 2);
    return `${code.slice(0, half)}-${code.slice(half)}`;
  }
  return code.match(/.{1,4}/g)?.join('-') ?? code;
}

/** What a person typed, upper-cased without dashes and spaces; null when it cannot be a user code. */
export function normalizeUserCode(input: string | undefined | null): string | null {
  if (!input) return null;
  const code = input.toUpperCase().replace(/[-\s]/g, '');
  // Not only the default alphabet: an adapter may hand out codes with digits or of another length.
  return USER_CODE_PATTERN.test(code) ? code : null;
}
