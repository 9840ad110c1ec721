// Wildcard redirect URIs and origins (clients with --allow-wildcards): one `*` in the leftmost host
// label; everything else exact. Table-driven, with the known attacks on pattern matching.
import { describe, expect, it } from 'bun:test';
import { matchesRegistered, originProblem, redirectUriProblem } from '../../src/clients/redirect_uri.ts';
import { matchesWildcard, parseWildcardPattern } from '../../src/clients/wildcard.ts';

describe('registering a wildcard', () => {
  const accepted = [
    'https://*.preview.example.com/cb',
    'https://myapp-*.vercel.app/cb',
    'https://*-preview.example.com/cb',
    'https://*.example.com:8443/cb?tenant=a',
    'http://*.localhost:3000/cb',
  ];
  for (const pattern of accepted) {
    it(`accepts ${pattern}`, () => expect(redirectUriProblem(pattern, false, true)).toBeNull());
  }

  const refused: [string, string][] = [
    ['https://*.com/cb', 'registrable domain'],
    ['https://*.vercel.app/cb', 'shared domain'],
    ['https://*.co.uk/cb', 'shared domain'],
    ['https://a.*.example.com/cb', 'leftmost label'],
    ['https://*.*.example.com/cb', 'exactly one'],
    ['https://example.com/*/cb', 'leftmost label'],
    ['https://*.example.com/cb#x', 'fragment'],
    ['http://*.example.com/cb', 'https'],
    ['https://user@*.example.com/cb', 'credentials'],
    ['https://*.EXAMPLE.com/cb', 'canonical'],
    ['https://*.10.0.0/cb', 'not an absolute URI'],
  ];
  for (const [pattern, reason] of refused) {
    it(`refuses ${pattern} (${reason})`, () => expect(redirectUriProblem(pattern, false, true)).toContain(reason));
  }

  it('refuses any wildcard for a client without --allow-wildcards', () => {
    expect(redirectUriProblem('https://*.example.com/cb', false, false)).toContain('--allow-wildcards');
    expect(originProblem('https://*.example.com', false, false)).toContain('--allow-wildcards');
  });

  it('parses the prefix, suffix and the exact rest', () => {
    expect(parseWildcardPattern('https://myapp-*.vercel.app/cb?x=1', 'uri')).toEqual({
      protocol: 'https:',
      port: '',
      rest: '/cb?x=1',
      prefix: 'myapp-',
      suffix: '',
      domain: 'vercel.app',
    });
  });
});

describe('matching a redirect URI against https://myapp-*.vercel.app/cb', () => {
  const pattern = 'https://myapp-*.vercel.app/cb';
  const cases: [string, boolean, string][] = [
    ['https://myapp-git-feature-x.vercel.app/cb', true, 'one label after the prefix'],
    ['https://myapp-1.vercel.app/cb', true, 'a short label'],
    ['https://myapp-.vercel.app/cb', false, 'the * must stand for at least one character'],
    ['https://myapp-a.b.vercel.app/cb', false, 'never across a dot'],
    ['https://evil.com/cb?x=.vercel.app', false, 'a query that looks like the domain'],
    ['https://evil.com/?myapp-x.vercel.app/cb', false, 'the pattern text in a query'],
    ['https://myapp-x.vercel.app@evil.com/cb', false, 'userinfo @'],
    ['https://evil.com@myapp-x.vercel.app/cb', false, 'userinfo before the host'],
    ['https://myapp-x%2Eevil.vercel.app/cb', false, 'an encoded dot'],
    ['https://myapp-x.vercel.app./cb', false, 'a trailing dot'],
    ['https://MYAPP-X.vercel.app/cb', false, 'upper case (not canonical)'],
    ['https://myapp-x.vercel.app:443/cb', false, 'an explicit default port (not canonical)'],
    ['https://myapp-x.vercel.app:8443/cb', false, 'another port'],
    ['http://myapp-x.vercel.app/cb', false, 'another scheme'],
    ['https://myapp-x.vercel.app/cb/', false, 'another path'],
    ['https://myapp-x.vercel.app/cb?x=1', false, 'an added query'],
    ['https://myapp-x.vercel.app/cb#f', false, 'a fragment'],
    ['https://myapp-x.vercеl.app/cb', false, 'an IDN homograph of the domain (Cyrillic е)'],
    ['https://myapp-ü.vercel.app/cb', false, 'a Unicode label (not canonical)'],
    ['https://xmyapp-x.vercel.app/cb', false, 'text before the prefix'],
    ['https://myapp-x.vercel.app.evil.com/cb', false, 'the domain as a subdomain of another'],
  ];
  for (const [candidate, expected, why] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${candidate}: ${why}`, () => {
      expect(matchesWildcard(pattern, candidate, 'uri')).toBe(expected);
    });
  }
});

describe('matching a suffix pattern and a port', () => {
  it('https://*-preview.example.com:8443/cb', () => {
    const pattern = 'https://*-preview.example.com:8443/cb';
    expect(matchesWildcard(pattern, 'https://pr-12-preview.example.com:8443/cb', 'uri')).toBe(true);
    expect(matchesWildcard(pattern, 'https://-preview.example.com:8443/cb', 'uri')).toBe(false);
    expect(matchesWildcard(pattern, 'https://pr-12-preview.example.com/cb', 'uri')).toBe(false);
    expect(matchesWildcard(pattern, 'https://pr-12-previewx.example.com:8443/cb', 'uri')).toBe(false);
  });
});

describe('matching origins', () => {
  const pattern = 'https://*.app.example.test';
  it('matches an origin one label deep, and nothing with a path or another depth', () => {
    expect(matchesWildcard(pattern, 'https://pr-1.app.example.test', 'origin')).toBe(true);
    expect(matchesWildcard(pattern, 'https://a.b.app.example.test', 'origin')).toBe(false);
    expect(matchesWildcard(pattern, 'https://evilapp.example.test', 'origin')).toBe(false);
    expect(matchesWildcard(pattern, 'https://pr-1.app.example.test/', 'origin')).toBe(false);
    expect(matchesWildcard(pattern, 'null', 'origin')).toBe(false);
  });
});

describe('matchesRegistered', () => {
  const registered = ['https://app.example.com/cb', 'https://*.preview.example.com/cb'];
  it('uses the wildcard only for clients that allow wildcards', () => {
    expect(matchesRegistered(registered, 'https://pr-1.preview.example.com/cb', true, 'uri')).toBe(true);
    expect(matchesRegistered(registered, 'https://pr-1.preview.example.com/cb', false, 'uri')).toBe(false);
  });

  it('never matches the pattern text itself: a pattern is not a URI', () => {
    expect(matchesRegistered(registered, 'https://*.preview.example.com/cb', true, 'uri')).toBe(false);
    expect(matchesRegistered(registered, 'https://*.preview.example.com/cb', false, 'uri')).toBe(false);
  });
});
