// RFC 8628 §6.1: user codes a person types on another device. Eight characters from an alphabet of
// consonants without look-alikes (20^8 ≈ 2^34.5), shown as BDWP-HQPK, compared normalised.
import { randomInt } from 'node:crypto';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** A fresh normalised user code (no dash), each character drawn uniformly. */
export function generateUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** BDWPHQPK → BDWP-HQPK. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What a person typed, upper-cased without dashes and spaces; null when it cannot be a user code. */
export function normalizeUserCode(input: string | undefined | null): string | null {
  if (!input) return null;
  const code = input.toUpperCase().replace(/[-\s]/g, '');
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const char of code) if (!USER_CODE_ALPHABET.includes(char)) return null;
  return code;
}
