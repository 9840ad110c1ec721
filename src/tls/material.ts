// Reads and checks the certificate chain and private key `idp serve` presents over HTTPS, so that a
// wrong file is one sentence naming it (at start, or in the log on a reload) instead of a failed handshake.
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdpError } from '../errors.ts';

export interface TlsFiles {
  /** PEM certificate chain, leaf first (tls_cert). */
  cert: string;
  /** PEM private key of the leaf, unencrypted (tls_key). */
  key: string;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 of both files' text: a reload with the same digest changes nothing. */
  digest: string;
  /** The leaf certificate, for logs. */
  subject: string;
  fingerprint: string;
  notAfter: Date;
}

/** A certificate or key file that cannot be served; the message names the file. */
export class TlsError extends IdpError {
  override readonly name = 'TlsError';
}

export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = readPem(files.cert, 'certificate');
  const key = readPem(files.key, 'key');
  let leaf: X509Certificate;
  try {
    if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate block');
    leaf = new X509Certificate(cert);
  } catch {
    throw new TlsError(`The TLS certificate file ${files.cert} does not hold a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    const encrypted = (error as { code?: string }).code === 'ERR_MISSING_PASSPHRASE';
    throw new TlsError(
      encrypted
        ? `The TLS key file ${files.key} is encrypted; idp needs the private key without a passphrase (openssl pkey -in ${files.key} -out plain.key).`
        : `The TLS key file ${files.key} does not hold a PEM private key (-----BEGIN PRIVATE KEY-----).`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsError(`The TLS key file ${files.key} does not belong to the first certificate in ${files.cert}.`);
  }
  return {
    cert,
    key,
    digest: createHash('sha256').update(cert).update('\0').update(key).digest('hex'),
    subject: leaf.subject.replaceAll('\n', ', '),
    fingerprint: leaf.fingerprint256,
    notAfter: new Date(leaf.validTo),
  };
}

function readPem(path: string, what: 'certificate' | 'key'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied (the user running idp must be able to read it)'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message;
    throw new TlsError(`Cannot read the TLS ${what} file ${path}: ${reason}.`);
  }
}
