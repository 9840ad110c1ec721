// An http issuer is fine on loopback (development) and dangerous anywhere else: passwords, session cookies,
// codes and tokens would cross the network in clear text. `idp serve` warns loudly instead of refusing,
// because a test network may have reasons; production must use https (RFC 9700 §4.1.1, OIDC Core §3.1.2.1).
import { isIP } from 'node:net';

/** localhost (and *.localhost, RFC 6761), 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host) || /^(0+:){7}0*1$/.test(host);
  return false;
}

/** The lines of the warning `idp serve` prints for this issuer, or none when it is https or loopback. */
export function insecureIssuerWarning(issuer: string): string[] {
  const url = new URL(issuer);
  if (url.protocol === 'https:' || isLoopbackHost(url.hostname)) return [];
  return [
    `WARNING: the issuer ${issuer} is plain http on a host that is not loopback.`,
    'WARNING: passwords, session cookies, authorization codes and tokens will cross the network unencrypted.',
    'WARNING: use an https issuer, with --tls-cert/--tls-key or TLS at a reverse proxy (docs/deploy.md).',
  ];
}
