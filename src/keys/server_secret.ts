// The server secret seals private keys (and, later, signs cookies). It comes from IDP_SECRET, or
// from DATA_DIR/secret, created with mode 0600 the first time a data dir is initialised.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from './errors.ts';

export const SECRET_FILE_NAME = 'secret';
const MIN_SECRET_CHARS = 32;

export interface SecretSource {
  dataDir: string;
  env: Record<string, string | undefined>;
}

/**
 * The secret, or null when neither IDP_SECRET nor the secret file exists. Both hold the same kind
 * of text, so `IDP_SECRET="$(cat DATA_DIR/secret)"` moves an installation from the file to the variable.
 */
export function readServerSecret({ dataDir, env }: SecretSource): Uint8Array<ArrayBuffer> | null {
  const fromEnv = env.IDP_SECRET;
  if (fromEnv !== undefined) return secretBytes(fromEnv.trim(), 'IDP_SECRET');
  const file = join(dataDir, SECRET_FILE_NAME);
  if (!existsSync(file)) return null;
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new KeyError(`The secret file ${file} is readable by other users; run: chmod 600 ${file}`);
  }
  return secretBytes(readFileSync(file, 'utf8').trim(), `The secret file ${file}`);
}

function secretBytes(text: string, source: string): Uint8Array<ArrayBuffer> {
  if (text.length < MIN_SECRET_CHARS) {
    throw new KeyError(`${source} must hold at least ${MIN_SECRET_CHARS} characters (try: openssl rand -base64 32).`);
  }
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** Writes a new random secret file unless IDP_SECRET is set; returns the secret in use. */
export function createServerSecret(source: SecretSource): Uint8Array<ArrayBuffer> {
  const existing = readServerSecret(source);
  if (existing) return existing;
  // 32 random bytes as 43 base64url characters.
  const text = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  writeFileSync(join(source.dataDir, SECRET_FILE_NAME), text + '\n', { mode: 0o600, flag: 'wx' });
  return secretBytes(text, 'The new secret');
}
