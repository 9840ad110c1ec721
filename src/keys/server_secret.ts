// The server secret seals private keys (and, later, signs cookies). It comes from IDP_SECRET, or
// from DATA_DIR/secret, created with mode 0600 the first time a data dir is initialised.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyError } from './errors.ts';

export const SECRET_FILE_NAME = 'secret';
const MIN_SECRET_BYTES = 32;

export interface SecretSource {
  dataDir: string;
  env: Record<string, string | undefined>;
}

/** The secret, or null when neither IDP_SECRET nor the secret file exists. */
export function readServerSecret({ dataDir, env }: SecretSource): Uint8Array<ArrayBuffer> | null {
  const fromEnv = env.IDP_SECRET;
  if (fromEnv !== undefined) {
    const bytes = new TextEncoder().encode(fromEnv);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new KeyError(`IDP_SECRET must be at least ${MIN_SECRET_BYTES} characters long (try: openssl rand -base64 32).`);
    }
    return bytes;
  }
  const file = join(dataDir, SECRET_FILE_NAME);
  if (!existsSync(file)) return null;
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new KeyError(`The secret file ${file} is readable by other users; run: chmod 600 ${file}`);
  }
  const bytes = new Uint8Array(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url'));
  if (bytes.length < MIN_SECRET_BYTES) throw new KeyError(`The secret file ${file} is too short or damaged.`);
  return bytes;
}

/** Writes a new random secret file unless IDP_SECRET is set; returns the secret in use. */
export function createServerSecret(source: SecretSource): Uint8Array<ArrayBuffer> {
  const existing = readServerSecret(source);
  if (existing) return existing;
  const bytes = crypto.getRandomValues(new Uint8Array(MIN_SECRET_BYTES));
  writeFileSync(join(source.dataDir, SECRET_FILE_NAME), Buffer.from(bytes).toString('base64url') + '\n', {
    mode: 0o600,
    flag: 'wx',
  });
  return bytes;
}
