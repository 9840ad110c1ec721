// idp serve warns about a plain-http issuer unless its host is loopback (localhost, 127.0.0.0/8, ::1).
import { describe, expect, it } from 'bun:test';
import { insecureIssuerWarning, isLoopbackHost } from '../../src/config/insecure_issuer.ts';

describe('isLoopbackHost', () => {
  it('accepts localhost, *.localhost, 127.0.0.0/8 and ::1', () => {
    for (const host of ['localhost', 'LOCALHOST', 'id.localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:127.0.0.1]', '0:0:0:0:0:0:0:1']) {
      expect([host, isLoopbackHost(host)]).toEqual([host, true]);
    }
  });

  it('refuses every other name and address, including look-alikes', () => {
    for (const host of ['id.example.com', '127.0.0.1.nip.io', 'localhost.example.com', '128.0.0.1', '10.0.0.1', '0.0.0.0', '[::]', '[::2]', '[2001:db8::1]']) {
      expect([host, isLoopbackHost(host)]).toEqual([host, false]);
    }
  });
});

describe('insecureIssuerWarning', () => {
  it('says nothing for an https issuer, on any host', () => {
    expect(insecureIssuerWarning('https://id.example.com')).toEqual([]);
  });

  it('says nothing for http on loopback (development)', () => {
    expect(insecureIssuerWarning('http://localhost:9000')).toEqual([]);
    expect(insecureIssuerWarning('http://127.0.0.1:9000')).toEqual([]);
    expect(insecureIssuerWarning('http://[::1]:9000')).toEqual([]);
  });

  it('warns loudly, naming the issuer, for http anywhere else', () => {
    const lines = insecureIssuerWarning('http://id.example.com');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.startsWith('WARNING: '))).toBe(true);
    expect(lines[0]).toContain('http://id.example.com');
    expect(insecureIssuerWarning('http://192.168.1.10:9000').length).toBeGreaterThan(0);
  });
});
