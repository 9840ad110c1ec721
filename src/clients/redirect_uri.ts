// Redirect URI rules: registration checks (absolute, no fragment, https unless loopback) and exact
// matching at /authorize and /token (RFC 9700 §4.1.3: no pattern, no prefix, no normalisation).
import type { ClientMetadata } from './metadata.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

/** Why `uri` cannot be registered, or null when it can. */
export function redirectUriProblem(uri: string, allowInsecure: boolean): string | null {
  // Whitespace and control characters would be dropped by URL parsing but kept in the stored string,
  // which could then never match.
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return `${JSON.stringify(uri)} contains whitespace or control characters`;
  if (uri.includes('*')) return `${uri} contains *, and wildcard redirect URIs are not available in this version`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} is not an absolute URI`;
  }
  // Matching is exact, so the registered form must be the one clients send: the canonical one.
  if (url.href !== uri) return `${uri} is not in canonical form; register it as ${url.href}`;
  if (uri.includes('#')) return `${uri} must not contain a fragment (RFC 6749 §3.1.2)`;
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `${uri} uses a scheme that cannot be a redirect target`;
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && !allowInsecure) {
    return `${uri} uses http on a host that is not loopback; use https (or --allow-insecure-redirect-uris for development)`;
  }
  if (url.username || url.password) return `${uri} must not contain credentials`;
  // Private-use schemes of native apps (RFC 8252 §7.1) look like com.example.app:/callback.
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && !url.protocol.slice(0, -1).includes('.')) {
    return `${uri} uses a private scheme that is not a reverse domain name (RFC 8252 §7.1), like com.example.app:/callback`;
  }
  return null;
}

/** Exact string comparison against the registered URIs. */
export function isRegisteredRedirectUri(client: Pick<ClientMetadata, 'redirect_uris'>, uri: string): boolean {
  return client.redirect_uris.includes(uri);
}
