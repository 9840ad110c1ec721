// The storage contract. Every method is asynchronous so that the SQLite and PostgreSQL backends
// are interchangeable; callers never see driver errors, only StoreError codes.
import { IdpError } from '../errors.ts';
import type { SigningAlg } from '../config/schema.ts';

export type StoreErrorCode =
  | 'not_found' // the row named does not exist
  | 'conflict' // a unique key is already taken
  | 'schema_too_new' // the database was migrated by a newer idp
  | 'unreadable' // the database cannot be opened or is corrupt
  | 'unsupported'; // the database URL names a backend this build does not have

export class StoreError extends IdpError {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A signing key as stored. Times are seconds since the epoch; the private key is sealed (AES-GCM). */
export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  /** The public JWK as JSON text. */
  publicJwk: string;
  /** The private JWK sealed with the server secret; see keys/seal.ts. */
  sealedPrivateJwk: string;
  createdAt: number;
  /** When the key starts signing. It is published in the JWKS from createdAt on. */
  activatesAt: number;
  /** When the key stopped being published; null while it is published. */
  retiredAt: number | null;
}

export interface SigningKeyStore {
  /** Fails with `conflict` when the kid exists. */
  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  /** Every key, retired ones included, in insertion order (which breaks activation-time ties). */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  getSigningKey(kid: string): Promise<SigningKeyRecord | null>;
  /** Marks a key retired; fails with `not_found` for an unknown kid. */
  retireSigningKey(kid: string, retiredAt: number): Promise<void>;
}

export interface SchemaStatus {
  /** Highest migration applied to the database. */
  current: number;
  /** Highest migration this build knows. */
  latest: number;
}

export interface Store {
  readonly keys: SigningKeyStore;
  /** Human description of where the data lives, for logs and errors (never includes a password). */
  readonly location: string;
  schemaStatus(): Promise<SchemaStatus>;
  close(): Promise<void>;
}
