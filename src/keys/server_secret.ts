// The server secret seals private keys (and, later, signs cookies). It comes from IDP_SECRET, or
// from DATA_DIR/secret, created with mode 0600 the first time a data dir is initialised.
import { existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  return ensureServerSecret(source).secret;
}

/**
 * createServerSecret, also saying whether this call wrote the secret file (`createdFile`). Two
 * processes initialising one data dir together end with one file and both use it: the file appears
 * complete (written aside, then linked into place) and only the first link succeeds.
 */
export function ensureServerSecret(source: SecretSource): { secret: Uint8Array<ArrayBuffer>; createdFile: boolean } {
  const existing = readServerSecret(source);
  if (existing) return { secret: existing, createdFile: false };
  // 32 random bytes as 43 base64url characters.
  const text = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const file = join(source.dataDir, SECRET_FILE_NAME);
  const aside = join(source.dataDir, `.${SECRET_FILE_NAME}.${process.pid}.${crypto.randomUUID()}`);
  writeFileSync(aside, text + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    const winner = (error as { code?: string }).code === 'EEXIST' ? readServerSecret(source) : null;
    if (winner) return { secret: winner, createdFile: false };
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
  return { secret: secretBytes(text, 'The new secret'), createdFile: true };
}

/** Removes the secret file ensureServerSecret created, when it turned out not to be needed. */
export function removeServerSecretFile(dataDir: string): void {
  rmSync(join(dataDir, SECRET_FILE_NAME), { force: true });
}
