// Self-signed certificates made with the openssl command (X.509 cannot be built with node:crypto), and a
// TLS client that reports which certificate a server presented.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** The PEM text of the certificate, to trust it as a CA. */
  pem: string;
  /** SHA-256 of the DER certificate, as node:tls reports it (AA:BB:…). */
  fingerprint: string;
}

/** A P-256 certificate for 127.0.0.1 valid one day, written as DIR/NAME.crt and DIR/NAME.key. */
export function makeCertificate(dir: string, name: string): TestCertificate {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const argv = [
    'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1',
    '-keyout', keyFile, '-out', certFile,
  ];
  let result: ReturnType<typeof Bun.spawnSync>;
  try {
    result = Bun.spawnSync(argv, { stdout: 'pipe', stderr: 'pipe' });
  } catch {
    throw new Error('the TLS tests need the openssl command (Debian: apt-get install openssl)');
  }
  if (result.exitCode !== 0) throw new Error(`openssl req failed: ${result.stderr?.toString() ?? ''}`);
  const pem = readFileSync(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint: new X509Certificate(pem).fingerprint256 };
}

/** The SHA-256 fingerprint a fresh TLS connection to 127.0.0.1:port is shown (not verified). */
export function presentedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(fingerprintOfDer(raw));
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}

export function fingerprintOfDer(der: Buffer): string {
  return (createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? []).join(':');
}
