// Client addresses for throttling and the audit log: the socket peer, unless trust_proxy says one reverse
// proxy sits in front, and then only the X-Forwarded-For entry that proxy appended (the last one).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { SETTINGS } from '../../src/config/schema.ts';
import { clientIp, type PeerAddress } from '../../src/http/client_ip.ts';

const peer = (address: string): PeerAddress => ({ requestIP: () => ({ address }) });
const request = (forwardedFor?: string) =>
  new Request('http://idp.test/login', forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } });

const TRUSTED = { trust_proxy: true };
const UNTRUSTED = { trust_proxy: false };

describe('clientIp with trust_proxy on', () => {
  it('takes the entry the proxy appended, ignoring those the client wrote before it', () => {
    // The client sent "X-Forwarded-For: 1.2.3.4, 5.6.7.8"; nginx's $proxy_add_x_forwarded_for appended the real peer.
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request('1.2.3.4, 5.6.7.8, 203.0.113.7'))).toBe('203.0.113.7');
  });

  it('takes a single entry, trimmed, and IPv6 as written', () => {
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request('  203.0.113.7 '))).toBe('203.0.113.7');
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request('2001:db8::1'))).toBe('2001:db8::1');
  });

  it('falls back to the socket peer when the header is missing or its last entry is empty', () => {
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request())).toBe('10.0.0.2');
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request('1.2.3.4, '))).toBe('10.0.0.2');
  });

  it('caps what it keeps from the header at 64 characters', () => {
    expect(clientIp(TRUSTED, peer('10.0.0.2'), request('x'.repeat(500)))).toHaveLength(64);
  });
});

describe('clientIp with trust_proxy off', () => {
  it('is off by default', () => {
    expect(SETTINGS.trust_proxy.default).toBe(false);
  });

  it('uses the socket peer and never the header, which anyone can send', () => {
    expect(clientIp(UNTRUSTED, peer('198.51.100.9'), request('1.2.3.4'))).toBe('198.51.100.9');
  });

  it('is null without a socket (app.handle() in tests) or when Bun cannot tell', () => {
    expect(clientIp(UNTRUSTED, null, request('1.2.3.4'))).toBeNull();
    const throwing: PeerAddress = {
      requestIP: () => {
        throw new Error('request is not from this server');
      },
    };
    expect(clientIp(UNTRUSTED, throwing, request())).toBeNull();
  });
});

describe('clientIp on a real loopback socket', () => {
  let server: ReturnType<typeof Bun.serve>;
  let trust = false;
  beforeAll(() => {
    server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (req, srv) => new Response(clientIp({ trust_proxy: trust }, srv, req) ?? 'null'),
    });
  });
  afterAll(() => server.stop(true));

  const ask = async (forwardedFor: string) =>
    (await fetch(`http://127.0.0.1:${server.port}/`, { headers: { 'x-forwarded-for': forwardedFor } })).text();

  it('off: answers the peer address 127.0.0.1 whatever X-Forwarded-For says', async () => {
    trust = false;
    expect(await ask('203.0.113.7')).toBe('127.0.0.1');
  });

  it('on: answers the last X-Forwarded-For entry', async () => {
    trust = true;
    expect(await ask('6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
  });
});
