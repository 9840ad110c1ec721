// Wildcard redirect URIs and origins for preview deployments (clients with --allow-wildcards).
// One `*` in the leftmost host label stands for the rest of that one label, optionally after a
// prefix or before a suffix (https://myapp-*.vercel.app/cb). Everything else (scheme, the other
// labels, port, path, query) must match exactly, and the candidate must be in canonical form, so
// encoded dots, upper case, trailing dots, userinfo and Unicode hosts never match by accident.

/** Label-safe stand-in for `*` while the URL parser reads the pattern. */
const TOKEN = 'idp0wildcard0idp';
const LABEL_PART = /^[a-z0-9-]*$/;

/**
 * Shared hosting domains: a bare `*` directly under one of them would match every customer of that
 * host. A prefix or suffix (myapp-*.vercel.app) keeps the pattern to the operator's own names.
 */
const SHARED_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.au', 'net.au', 'org.au', 'co.jp', 'co.nz', 'com.br', 'co.in', 'com.cn',
  'vercel.app', 'netlify.app', 'github.io', 'gitlab.io', 'pages.dev', 'workers.dev', 'herokuapp.com', 'web.app',
  'firebaseapp.com', 'appspot.com', 'azurewebsites.net', 'azurestaticapps.net', 'cloudfront.net', 'onrender.com',
  'fly.dev', 'railway.app', 'amplifyapp.com', 'ngrok.io', 'ngrok-free.app', 'glitch.me', 'surge.sh',
]);

export type PatternKind = 'uri' | 'origin';

interface ParsedPattern {
  protocol: string;
  port: string;
  /** pathname + search for URIs, empty for origins. */
  rest: string;
  prefix: string;
  suffix: string;
  /** The labels after the wildcard label, joined: "vercel.app". */
  domain: string;
}

function canonical(url: URL, kind: PatternKind): string {
  return kind === 'origin' ? url.origin : url.href;
}

/** The parsed pattern, or why it cannot be registered. */
export function parseWildcardPattern(pattern: string, kind: PatternKind): ParsedPattern | string {
  if (pattern.split('*').length !== 2) return `${pattern} must contain exactly one *`;
  const text = pattern.replace('*', TOKEN);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${pattern} is not an absolute URI`;
  }
  if (canonical(url, kind) !== text) return `${pattern} is not in canonical form (lower case, no default port, a path)`;
  if (url.username || url.password || text.includes('#')) return `${pattern} must not contain credentials or a fragment`;
  const labels = url.hostname.split('.');
  const first = labels[0] ?? '';
  const [prefix = '', suffix = ''] = first.split(TOKEN);
  if (!first.includes(TOKEN) || labels.slice(1).some((label) => label.includes(TOKEN))) {
    return `${pattern} may have * only in the leftmost label of the host`;
  }
  if (!LABEL_PART.test(prefix) || !LABEL_PART.test(suffix)) return `${pattern} has an invalid host label around *`;
  const domain = labels.slice(1).join('.');
  const loopback = domain === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return `${pattern} must use https (http only under localhost)`;
  }
  if (!loopback) {
    if (labels.length < 3 || !/[a-z]/.test(labels.at(-1) ?? '')) {
      return `${pattern} puts * in the registrable domain; put it below a domain you own, like https://*.example.com`;
    }
    if (prefix === '' && suffix === '' && SHARED_SUFFIXES.has(domain)) {
      return `${pattern} would match every site on the shared domain ${domain}; add a prefix, like https://myapp-*.${domain}`;
    }
  }
  return { protocol: url.protocol, port: url.port, rest: kind === 'origin' ? '' : url.pathname + url.search, prefix, suffix, domain };
}

export function matchesWildcard(pattern: string, candidate: string, kind: PatternKind): boolean {
  const parsed = parseWildcardPattern(pattern, kind);
  if (typeof parsed === 'string') return false;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (canonical(url, kind) !== candidate || url.username || url.password || candidate.includes('#')) return false;
  if (url.protocol !== parsed.protocol || url.port !== parsed.port) return false;
  if (kind === 'uri' && url.pathname + url.search !== parsed.rest) return false;
  const dot = url.hostname.indexOf('.');
  if (dot < 0 || url.hostname.slice(dot + 1) !== parsed.domain) return false;
  const label = url.hostname.slice(0, dot);
  if (!label.startsWith(parsed.prefix) || !label.endsWith(parsed.suffix)) return false;
  const middle = label.slice(parsed.prefix.length, label.length - parsed.suffix.length);
  return label.length > parsed.prefix.length + parsed.suffix.length && /^[a-z0-9-]+$/.test(middle);
}
