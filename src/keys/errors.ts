import { IdpError } from '../errors.ts';

/** A signing key operation refused or impossible; the message says why and what to do. */
export class KeyError extends IdpError {
  override readonly name = 'KeyError';
}
