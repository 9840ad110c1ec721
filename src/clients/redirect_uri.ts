// Redirect URI and origin rules: registration checks (absolute, canonical, no fragment, https unless
// loopback) and matching: exact (RFC 9700 §4.1.3: no prefix, no normalisation), or, for clients
// registered with --allow-wildcards, one-label wildcards (wildcard.ts).
import type { ClientMetadata } from './metadata.ts';
import { matchesWildcard, parseWildcardPattern, type PatternKind } from './wildcard.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

/** Why `uri` cannot be registered as a redirect (or post-logout redirect) URI, or null when it can. */
export function redirectUriProblem(uri: string, allowInsecure: boolean, allowWildcards = false): string | null {
  // Whitespace and control characters would be dropped by URL parsing but kept in the stored string,
  // which could then never match.
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return `${JSON.stringify(uri)} contains whitespace or control characters`;
  if (uri.includes('*')) return wildcardProblem(uri, 'uri', allowWildcards);
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

function wildcardProblem(pattern: string, kind: PatternKind, allowWildcards: boolean): string | null {
  if (!allowWildcards) return `${pattern} contains *; only clients registered with --allow-wildcards may use wildcards`;
  const parsed = parseWildcardPattern(pattern, kind);
  return typeof parsed === 'string' ? parsed : null;
}

/** Why `origin` cannot be registered as a CORS origin (scheme://host[:port]), or null when it can. */
export function originProblem(origin: string, allowInsecure: boolean, allowWildcards = false): string | null {
  if (/[\s\x00-\x1f\x7f]/.test(origin)) return `${JSON.stringify(origin)} contains whitespace or control characters`;
  if (origin.includes('*')) return wildcardProblem(origin, 'origin', allowWildcards);
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `${origin} is not an origin like https://app.example.com`;
  }
  if (url.origin !== origin) return `${origin} is not an origin; register it as ${url.origin}`;
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname) && !allowInsecure) {
    return `${origin} uses http on a host that is not loopback; use https (or --allow-insecure-redirect-uris for development)`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${origin} must be an http(s) origin`;
  return null;
}

/** `candidate` equals a registered entry, or matches one of its wildcard patterns when allowed. */
export function matchesRegistered(registered: readonly string[], candidate: string, allowWildcards: boolean, kind: PatternKind): boolean {
  return registered.some((entry) =>
    entry.includes('*') ? allowWildcards && matchesWildcard(entry, candidate, kind) : entry === candidate,
  );
}

export function isRegisteredRedirectUri(client: Pick<ClientMetadata, 'redirect_uris' | 'allow_wildcards'>, uri: string): boolean {
  return matchesRegistered(client.redirect_uris, uri, client.allow_wildcards, 'uri');
}
