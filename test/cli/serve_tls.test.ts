// `idp serve --tls-cert --tls-key` on 127.0.0.1: HTTPS with Bun's TLS, certificates re-read on SIGHUP and
// when the files change, a bad new pair keeping the old one, unusable files refused at start, and the
// start-up warning for a plain-http issuer that is not loopback.
import { beforeAll, describe, expect, it } from 'bun:test';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import {
  asRecord,
  eventually,
  expectCleanFailure,
  freePort,
  runIdp,
  type RunningServer,
  serveArgs,
  useSandbox,
} from '../helpers/cli.ts';
import { fingerprintOfDer, makeCertificate, presentedFingerprint, type TestCertificate } from '../helpers/tls.ts';

const sandbox = useSandbox();

/** Puts a certificate pair where the server reads its files, as a renewal would. */
function install(certificate: TestCertificate, files: { cert: string; key: string }): void {
  copyFileSync(certificate.keyFile, files.key);
  copyFileSync(certificate.certFile, files.cert);
}

/** Waits until stderr has `text` in a line written after the first `skip` characters. */
function logged(server: RunningServer, text: string, skip: number, timeoutMs = 5_000): Promise<string> {
  return eventually(`"${text}" in the server log`, async () => {
    const line = server.stderr().slice(skip).split('\n').find((candidate) => candidate.includes(text));
    return line;
  }, timeoutMs);
}

describe('idp serve --tls-cert --tls-key', () => {
  let dir: string;
  let a: TestCertificate;
  let b: TestCertificate;
  let c: TestCertificate;
  let files: { cert: string; key: string };
  let server: RunningServer;

  beforeAll(async () => {
    dir = await sandbox.tempDir();
    [a, b, c] = ['a', 'b', 'c'].map((name) => makeCertificate(dir, name)) as [TestCertificate, TestCertificate, TestCertificate];
    files = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    install(a, files);
    const port = freePort();
    const dataDir = await sandbox.initDataDir(['--issuer', `https://127.0.0.1:${port}`]);
    server = await sandbox.serve(dataDir, { port, args: ['--tls-cert', files.cert, '--tls-key', files.key] });
  });

  it('prints an https URL and serves discovery over TLS, verified against the certificate', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const response = await fetch(`${server.url}/.well-known/openid-configuration`, { tls: { ca: a.pem } });
    expect(response.status).toBe(200);
    expect(asRecord(await response.json()).issuer).toBe(server.url);
    expect(await presentedFingerprint(server.port)).toBe(a.fingerprint);
  });

  it('does not warn about an https issuer', () => {
    expect(server.stderr()).not.toContain('WARNING');
  });

  it('SIGHUP: new connections get the new certificate; a request in flight on an old connection completes', async () => {
    // An old connection with a request half sent: its handler is running when the certificate changes.
    const body = 'grant_type=client_credentials&client_id=nobody&client_secret=nothing';
    const old = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false });
    await new Promise((resolve, reject) => old.once('secureConnect', resolve).once('error', reject));
    let received = '';
    old.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    expect(fingerprintOfDer(old.getPeerCertificate().raw)).toBe(a.fingerprint);
    old.write(
      `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await Bun.sleep(100);

    const mark = server.stderr().length;
    install(b, files);
    process.kill(server.pid, 'SIGHUP');
    const line = await logged(server, 'TLS certificate reloaded', mark);
    expect(line).toContain('trigger=SIGHUP');
    expect(line).toContain(b.fingerprint);

    expect(await presentedFingerprint(server.port)).toBe(b.fingerprint);
    const response = await fetch(`${server.url}/jwks`, { tls: { ca: b.pem } });
    expect(response.status).toBe(200);

    // The rest of the body goes to the listener that had the old certificate, which still answers it.
    old.write(body.slice(10));
    const answer = await eventually('the answer on the old connection', async () => (received.includes('"error"') ? received : undefined));
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    old.destroy();
  });

  it('a bad new certificate keeps the old one and logs an error naming the file', async () => {
    const mark = server.stderr().length;
    writeFileSync(files.cert, 'not a certificate\n');
    process.kill(server.pid, 'SIGHUP');
    const line = await logged(server, 'TLS certificate not reloaded', mark);
    expect(line).toContain(files.cert);
    expect(await presentedFingerprint(server.port)).toBe(b.fingerprint);
    expect((await fetch(`${server.url}/healthz`, { tls: { ca: b.pem } })).status).toBe(200);
  });

  it('picks up certificate files changed on disk without a signal', async () => {
    install(c, files);
    await eventually('the new certificate', async () => ((await presentedFingerprint(server.port)) === c.fingerprint ? true : undefined), 10_000);
    expect(server.stderr()).toContain('trigger="file change"');
  }, 15_000);

  it('a second TLS server on the same port fails, though the listeners share the port (SO_REUSEPORT) among themselves', async () => {
    const second = await runIdp(serveArgs(await sandbox.initDataDir(), server.port, ['--tls-cert', a.certFile, '--tls-key', a.keyFile]), {
      timeoutMs: 15_000,
    });
    const sentence = expectCleanFailure(second);
    expect(sentence).toContain(`${server.port}: the port is already in use`);
    expect(await presentedFingerprint(server.port)).toBe(c.fingerprint);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await server.stop()).toBe(0);
  });
});

describe('idp serve refuses TLS files it cannot serve, in one sentence naming the file', () => {
  let dir: string;
  let dataDir: string;
  let a: TestCertificate;
  let b: TestCertificate;

  beforeAll(async () => {
    dir = await sandbox.tempDir();
    a = makeCertificate(dir, 'a');
    b = makeCertificate(dir, 'b');
    dataDir = await sandbox.initDataDir();
  });

  const serveWith = (extra: string[]) => runIdp(serveArgs(dataDir, 0, extra), { timeoutMs: 15_000 });

  it('a missing certificate file', async () => {
    const missing = join(dir, 'missing.crt');
    const sentence = expectCleanFailure(await serveWith(['--tls-cert', missing, '--tls-key', a.keyFile]));
    expect(sentence).toBe(`idp: Cannot read the TLS certificate file ${missing}: no such file.`);
  });

  it('a key that belongs to another certificate', async () => {
    const sentence = expectCleanFailure(await serveWith(['--tls-cert', a.certFile, '--tls-key', b.keyFile]));
    expect(sentence).toContain(b.keyFile);
    expect(sentence).toContain('does not belong to');
  });

  it('a certificate file that is not PEM', async () => {
    const garbage = join(dir, 'garbage.crt');
    writeFileSync(garbage, 'hello\n');
    const sentence = expectCleanFailure(await serveWith(['--tls-cert', garbage, '--tls-key', a.keyFile]));
    expect(sentence).toContain(`The TLS certificate file ${garbage} does not hold a PEM certificate`);
  });

  it('a certificate without a key', async () => {
    const sentence = expectCleanFailure(await serveWith(['--tls-cert', a.certFile]));
    expect(sentence).toBe(
      "idp: Setting 'tls_cert' from flag --tls-cert needs 'tls_key' too: set both tls_cert and tls_key to serve HTTPS, or neither.",
    );
  });
});

describe('idp serve warns about a plain-http issuer that is not loopback', () => {
  it('prints a loud warning on stderr and logs it', async () => {
    const server = await sandbox.serve(await sandbox.initDataDir(), { args: ['--issuer', 'http://id.example.com'] });
    await logged(server, 'the issuer is plain http on a host that is not loopback', 0);
    expect(server.stderr()).toContain('WARNING: the issuer http://id.example.com is plain http on a host that is not loopback.');
    expect(await server.stop()).toBe(0);
  });

  it('says nothing for an http issuer on loopback', async () => {
    const port = freePort();
    const server = await sandbox.serve(await sandbox.initDataDir(), { port, args: ['--issuer', `http://127.0.0.1:${port}`] });
    expect(server.stderr()).not.toContain('WARNING');
    expect(server.stderr()).not.toContain('plain http');
    expect(await server.stop()).toBe(0);
  });
});
