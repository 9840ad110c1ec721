// Certificate and key files are checked before they are served: each mistake is one sentence naming the file.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTlsMaterial, TlsError } from '../../src/tls/material.ts';
import { tempDir } from '../helpers/temp.ts';
import { makeCertificate, type TestCertificate } from '../helpers/tls.ts';

let dir: ReturnType<typeof tempDir>;
let a: TestCertificate;
let b: TestCertificate;

beforeAll(() => {
  dir = tempDir();
  a = makeCertificate(dir.path, 'a');
  b = makeCertificate(dir.path, 'b');
});
afterAll(() => dir.remove());

const failure = (cert: string, key: string): string => {
  try {
    loadTlsMaterial({ cert, key });
  } catch (error) {
    expect(error).toBeInstanceOf(TlsError);
    return (error as Error).message;
  }
  throw new Error('expected loadTlsMaterial to fail');
};

describe('loadTlsMaterial', () => {
  it('reads a matching certificate and key and describes the leaf', () => {
    const material = loadTlsMaterial({ cert: a.certFile, key: a.keyFile });
    expect(material.subject).toBe('CN=a');
    expect(material.fingerprint).toBe(a.fingerprint);
    expect(material.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(material.cert).toBe(a.pem);
  });

  it('gives the same digest for the same files and another one for other files', () => {
    const again = loadTlsMaterial({ cert: a.certFile, key: a.keyFile });
    expect(again.digest).toBe(loadTlsMaterial({ cert: a.certFile, key: a.keyFile }).digest);
    expect(again.digest).not.toBe(loadTlsMaterial({ cert: b.certFile, key: b.keyFile }).digest);
  });

  it('accepts a chain (leaf first, then an intermediate)', () => {
    const chain = join(dir.path, 'chain.crt');
    writeFileSync(chain, a.pem + b.pem);
    expect(loadTlsMaterial({ cert: chain, key: a.keyFile }).subject).toBe('CN=a');
  });

  it('names a missing file', () => {
    const missing = join(dir.path, 'missing.crt');
    expect(failure(missing, a.keyFile)).toBe(`Cannot read the TLS certificate file ${missing}: no such file.`);
  });

  it.skipIf(process.getuid?.() === 0)('names a file idp may not read', () => {
    const locked = join(dir.path, 'locked.key');
    writeFileSync(locked, readFileSync(a.keyFile));
    chmodSync(locked, 0o000);
    expect(failure(a.certFile, locked)).toContain(`Cannot read the TLS key file ${locked}: permission denied`);
  });

  it('names a certificate file that holds no certificate (a key, say)', () => {
    expect(failure(a.keyFile, a.keyFile)).toBe(`The TLS certificate file ${a.keyFile} does not hold a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  });

  it('names a key file that holds no key', () => {
    expect(failure(a.certFile, a.certFile)).toContain(`The TLS key file ${a.certFile} does not hold a PEM private key`);
  });

  it('names a key that belongs to another certificate', () => {
    expect(failure(a.certFile, b.keyFile)).toBe(`The TLS key file ${b.keyFile} does not belong to the first certificate in ${a.certFile}.`);
  });

  it('refuses an encrypted key, saying how to decrypt it', () => {
    const encrypted = join(dir.path, 'encrypted.key');
    const result = Bun.spawnSync(['openssl', 'pkcs8', '-topk8', '-in', a.keyFile, '-passout', 'pass:secret', '-out', encrypted]);
    expect(result.exitCode).toBe(0);
    expect(failure(a.certFile, encrypted)).toContain(`The TLS key file ${encrypted} is encrypted`);
  });
});
