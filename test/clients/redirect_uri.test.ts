// Redirect URI rules: what may be registered (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1) and exact
// matching at request time (RFC 9700 §4.1.3: no prefix, no normalisation, no pattern).
import { describe, expect, it } from 'bun:test';
import { isRegisteredRedirectUri, redirectUriProblem } from '../../src/clients/redirect_uri.ts';

const accepted = (uri: string, allowInsecure = false) => expect(redirectUriProblem(uri, allowInsecure)).toBeNull();
const refused = (uri: string, allowInsecure = false) => expect(redirectUriProblem(uri, allowInsecure)).toBeString();

describe('redirectUriProblem (registration)', () => {
  it('accepts an absolute https URI, with a port, path and query', () => {
    accepted('https://app.example.test/callback');
    accepted('https://app.example.test:8443/oauth/callback?tenant=a');
  });

  it('RFC 6749 §3.1.2: refuses a relative URI', () => {
    refused('/callback');
    refused('callback');
    refused('//app.example.test/callback');
  });

  it('RFC 6749 §3.1.2: refuses a URI with a fragment, even an empty one', () => {
    refused('https://app.example.test/callback#section');
    refused('https://app.example.test/callback#');
  });

  it('RFC 8252 §7.3: allows http on the loopback hosts 127.0.0.1, localhost and [::1], with any port', () => {
    accepted('http://127.0.0.1/callback');
    accepted('http://127.0.0.1:51004/callback');
    accepted('http://localhost:3000/callback');
    accepted('http://[::1]:8080/callback');
  });

  it('refuses http on a host that is not loopback, including look-alikes of loopback', () => {
    refused('http://app.example.test/callback');
    refused('http://localhost.example.test/callback');
    refused('http://127.0.0.1.example.test/callback');
    refused('http://10.0.0.1/callback');
  });

  it('allows http on any host when insecure redirect URIs are allowed (development only)', () => {
    accepted('http://app.example.test/callback', true);
  });

  it('names --allow-insecure-redirect-uris when refusing http', () => {
    expect(redirectUriProblem('http://app.example.test/callback', false)).toContain('--allow-insecure-redirect-uris');
  });

  it('refuses javascript: and data: URIs, even when insecure redirect URIs are allowed', () => {
    for (const allowInsecure of [false, true]) {
      refused('javascript:alert(1)', allowInsecure);
      refused('javascript://app.example.test/%0Aalert(1)', allowInsecure);
      refused('data:text/html,<script>alert(1)</script>', allowInsecure);
      refused('file:///etc/passwd', allowInsecure);
    }
  });

  it('RFC 8252 §7.1: allows a private-use scheme that is a reverse domain name', () => {
    accepted('com.example.app:/callback');
    accepted('com.example.app:/oauth2redirect/example-provider');
  });

  it('RFC 8252 §7.1: refuses a private-use scheme that is not a reverse domain name', () => {
    refused('myapp:/callback');
    refused('myapp://callback');
  });

  it('refuses a URI carrying credentials', () => {
    refused('https://user:secret@app.example.test/callback');
  });
});

describe('isRegisteredRedirectUri (exact matching)', () => {
  const client = { redirect_uris: ['https://app.example.test/callback', 'http://127.0.0.1:8080/cb?mode=a'], allow_wildcards: false };

  it('matches a registered URI exactly', () => {
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/callback')).toBe(true);
    expect(isRegisteredRedirectUri(client, 'http://127.0.0.1:8080/cb?mode=a')).toBe(true);
  });

  it('a trailing slash does not match', () => {
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/callback/')).toBe(false);
  });

  it('a different case does not match, in the host or the path', () => {
    expect(isRegisteredRedirectUri(client, 'https://APP.example.test/callback')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/Callback')).toBe(false);
  });

  it('an extra or changed query does not match', () => {
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/callback?next=/admin')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'http://127.0.0.1:8080/cb?mode=b')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'http://127.0.0.1:8080/cb?mode=a&x=1')).toBe(false);
  });

  it('a prefix, a longer path, another port or another scheme does not match', () => {
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/callback/evil')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/call')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'https://app.example.test:443/callback')).toBe(false);
    expect(isRegisteredRedirectUri(client, 'http://app.example.test/callback')).toBe(false);
  });

  it('an encoded form of a registered URI does not match', () => {
    expect(isRegisteredRedirectUri(client, 'https://app.example.test/%63allback')).toBe(false);
  });
});

describe('redirectUriProblem: only strings that can match exactly', () => {
  it('refuses surrounding or embedded whitespace and control characters, which URL parsing would hide', () => {
    refused(' https://app.example.test/cb');
    refused('https://app.example.test/cb\n');
    refused('https://app.example.test/c\tb');
  });

  it('refuses a non-canonical form and names the canonical one', () => {
    expect(redirectUriProblem('https:app.example.test/cb', false)).toContain('https://app.example.test/cb');
    expect(redirectUriProblem('https://App.Example.test/cb', false)).toContain('https://app.example.test/cb');
    expect(redirectUriProblem('https://app.example.test', false)).toContain('https://app.example.test/');
  });

  it('refuses * while wildcard redirect URIs are not available', () => {
    refused('https://*.example.test/cb');
  });
});
