// A certified relying party library (openid-client v6 over oauth4webapi) drives a real idp over
// HTTP: discovery, the authorization code flow with PKCE, nonce and state through the real login
// and consent pages, ID token validation (signature against /jwks, iss, aud, nonce, at_hash, RFC
// 9207 iss), UserInfo, refresh token rotation, the three client authentication methods, ES256 ID
// tokens and RFC 9068 JWT access tokens, and the failures the library must detect.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  type ClientAuth,
  clientCredentialsGrant,
  ClientError,
  ClientSecretBasic,
  ClientSecretPost,
  type Configuration,
  discovery,
  fetchUserInfo,
  None,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
  refreshTokenGrant,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import type { UserRecord } from '../../src/store/store.ts';
import { signInOverFetch } from '../helpers/fetch_browser.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** Registered for every client; nothing listens there: the flow stops at the redirect. */
const REDIRECT_URI = 'http://127.0.0.1/callback';
const TIMEOUT_MS = 5_000;

let server: TestServer;
let alice: UserRecord;

beforeAll(async () => {
  // ES256 as the installation's default algorithm: RS256 and ES256 keys both sign. No grace for a
  // reused refresh token, since this process cannot move the server's clock.
  server = await startTestServer({ signingAlg: 'ES256', settings: { refresh_token_reuse_grace: 0 } });
  alice = await server.addUser('alice');
});

afterAll(async () => {
  await server?.stop();
});

/** The library's view of a client, discovered from the issuer over plain http (loopback only). */
async function configure(clientId: string, metadata: Record<string, string> | undefined, auth: ClientAuth): Promise<Configuration> {
  const config = await discovery(new URL(server.issuer), clientId, metadata, auth, {
    execute: [allowInsecureRequests],
    timeout: TIMEOUT_MS / 1000,
  });
  config.timeout = TIMEOUT_MS / 1000;
  return config;
}

// ---- A browser: a cookie jar over fetch, following redirects by hand through login and consent ----

interface Answers {
  password?: string;
  decision?: 'allow' | 'deny';
}

/**
 * Opens `authorizationUrl` in a fresh browser, signs in as alice, answers the consent page and
 * returns the URL the provider finally redirects to on `redirectUri`.
 */
function signInWithBrowser(authorizationUrl: URL, answers: Answers = {}): Promise<URL> {
  return signInOverFetch(authorizationUrl, {
    redirectUri: REDIRECT_URI,
    username: 'alice',
    password: answers.password ?? TEST_PASSWORD,
    consent: answers.decision ?? 'allow',
    timeoutMs: TIMEOUT_MS,
  });
}

interface Started {
  url: URL;
  pkceCodeVerifier: string;
  state: string;
  nonce: string;
}

async function authorizationRequest(config: Configuration, scope = 'openid profile email', extra: Record<string, string> = {}): Promise<Started> {
  const pkceCodeVerifier = randomPKCECodeVerifier();
  const state = randomState();
  const nonce = randomNonce();
  const url = buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, pkceCodeVerifier, state, nonce };
}

/** The whole code flow; resolves to the library's validated token response. */
async function codeFlow(config: Configuration, scope?: string) {
  const started = await authorizationRequest(config, scope);
  const callback = await signInWithBrowser(started.url);
  return authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: started.pkceCodeVerifier,
    expectedState: started.state,
    expectedNonce: started.nonce,
    idTokenExpected: true,
  });
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The messages of an error and of its causes, outermost first. */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) parts.push(current.message);
  return parts.join(' ← ');
}

/** Asserts `error` is the library's own check failing (a ClientError with `code`) and returns its message chain. */
function libraryCheck(error: unknown, code: string): string {
  if (!(error instanceof ClientError)) throw new Error(`expected a ClientError, got ${messages(error)}`);
  expect(error.code).toBe(code);
  return messages(error);
}

/** The OAuth error code a library error carries, from its body when it is a 401 challenge. */
async function oauthErrorCode(error: unknown): Promise<string | undefined> {
  if (!(error instanceof Error)) return undefined;
  if ('error' in error && typeof error.error === 'string') return error.error;
  if ('response' in error && error.response instanceof Response) {
    const body: unknown = await error.response.clone().json();
    if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') return body.error;
  }
  return undefined;
}

// ---- The tests ----

describe('openid-client discovers the provider', () => {
  it('Discovery: the library accepts the metadata and finds the endpoints, S256 PKCE and RFC 9207 iss support', async () => {
    const { clientId, secret } = await server.addClient({ redirectUris: [REDIRECT_URI] });
    const config = await configure(clientId, undefined, ClientSecretBasic(secret ?? ''));
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    expect(metadata.authorization_endpoint).toBe(`${server.issuer}/authorize`);
    expect(metadata.token_endpoint).toBe(`${server.issuer}/token`);
    expect(metadata.userinfo_endpoint).toBe(`${server.issuer}/userinfo`);
    expect(metadata.jwks_uri).toBe(`${server.issuer}/jwks`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.supportsPKCE()).toBe(true);
  });
});

describe('a confidential client (client_secret_basic) through openid-client', () => {
  let config: Configuration;

  beforeAll(async () => {
    const { clientId, secret } = await server.addClient({ redirectUris: [REDIRECT_URI] });
    config = await configure(clientId, undefined, ClientSecretBasic(secret ?? ''));
  });

  it('the code flow with PKCE, state and nonce yields an ID token the library validates (signature, iss, aud, nonce, at_hash, iss response parameter)', async () => {
    const tokens = await codeFlow(config);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(typeof tokens.access_token).toBe('string');
    const claims = tokens.claims();
    expect(claims?.iss).toBe(server.issuer);
    expect(claims?.sub).toBe(alice.id);
    expect(claims?.aud).toBe(config.clientMetadata().client_id);
    expect(claims?.email).toBe('alice@example.test');
    // The client registered no algorithm: RS256, the OIDC default.
    expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('RS256');
    // No offline_access asked: no refresh token for an OpenID request (OIDC Core §11).
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('the authorization response carries iss equal to the issuer (RFC 9207)', async () => {
    const started = await authorizationRequest(config);
    const callback = await signInWithBrowser(started.url);
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    expect(callback.searchParams.get('state')).toBe(started.state);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('UserInfo answers the access token with the ID token subject and the scoped claims', async () => {
    const tokens = await codeFlow(config);
    const userinfo = await fetchUserInfo(config, tokens.access_token, alice.id);
    expect(userinfo.sub).toBe(alice.id);
    expect(userinfo.email).toBe('alice@example.test');
    expect(userinfo.email_verified).toBe(true);
    expect(userinfo.name).toBe('Alice Liddell');
  });

  it('UserInfo for another expected subject is rejected by the library', async () => {
    const tokens = await codeFlow(config);
    const error = await rejection(fetchUserInfo(config, tokens.access_token, 'someone-else'));
    expect(libraryCheck(error, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED')).toMatch(/"sub"/);
  });

  it('offline_access yields a refresh token that rotates; the old one fails with invalid_grant once the reuse grace has passed', async () => {
    const tokens = await codeFlow(config, 'openid profile offline_access');
    const first = tokens.refresh_token;
    if (!first) throw new Error('no refresh token for offline_access');

    const refreshed = await refreshTokenGrant(config, first);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(alice.id);

    // refresh_token_reuse_grace is 0: one second later the rotated token is a replay.
    await Bun.sleep(1_100);
    const error = await rejection(refreshTokenGrant(config, first));
    expect(await oauthErrorCode(error)).toBe('invalid_grant');
    // The replay revoked the family: the token issued by the rotation is dead too.
    const second = await rejection(refreshTokenGrant(config, refreshed.refresh_token ?? ''));
    expect(await oauthErrorCode(second)).toBe('invalid_grant');
  });

  it('a wrong client secret makes the token request fail with invalid_client', async () => {
    const wrong = await configure(config.clientMetadata().client_id, undefined, ClientSecretBasic('not-the-secret'));
    const started = await authorizationRequest(wrong);
    const callback = await signInWithBrowser(started.url);
    const error = await rejection(
      authorizationCodeGrant(wrong, callback, { pkceCodeVerifier: started.pkceCodeVerifier, expectedState: started.state, expectedNonce: started.nonce }),
    );
    // RFC 6749 §5.2: 401 with a Basic challenge, which the library surfaces as the challenge error
    // (it carries the response, whose body names invalid_client).
    if (!(error instanceof WWWAuthenticateChallengeError)) throw new Error(`expected a WWW-Authenticate challenge, got ${messages(error)}`);
    expect(error.status).toBe(401);
    expect(error.cause[0]?.scheme).toBe('basic');
    expect(await oauthErrorCode(error)).toBe('invalid_client');
  });

  it('a state that does not match the one sent is detected by the library before any token request', async () => {
    const started = await authorizationRequest(config);
    const callback = await signInWithBrowser(started.url);
    const error = await rejection(
      authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.pkceCodeVerifier, expectedState: randomState(), expectedNonce: started.nonce }),
    );
    expect(libraryCheck(error, 'OAUTH_INVALID_RESPONSE')).toMatch(/"state"/);
    // The code was never sent, so it still works with the right state.
    const tokens = await authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: started.pkceCodeVerifier,
      expectedState: started.state,
      expectedNonce: started.nonce,
    });
    expect(tokens.claims()?.sub).toBe(alice.id);
  });

  it('a nonce that does not match the one sent is detected by the library', async () => {
    const started = await authorizationRequest(config);
    const callback = await signInWithBrowser(started.url);
    const error = await rejection(
      authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.pkceCodeVerifier, expectedState: started.state, expectedNonce: randomNonce() }),
    );
    expect(libraryCheck(error, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED')).toMatch(/"nonce"/);
  });

  it('a denied consent reaches the library as access_denied', async () => {
    // alice allowed this client before; prompt=consent asks her again.
    const started = await authorizationRequest(config, undefined, { prompt: 'consent' });
    const callback = await signInWithBrowser(started.url, { decision: 'deny' });
    expect(callback.searchParams.get('iss')).toBe(server.issuer);
    const error = await rejection(
      authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.pkceCodeVerifier, expectedState: started.state, expectedNonce: started.nonce }),
    );
    expect(await oauthErrorCode(error)).toBe('access_denied');
  });
});

describe('other client kinds through openid-client', () => {
  it('a public client (auth method none) completes the code flow with PKCE and no secret', async () => {
    const { clientId, secret } = await server.addClient({ type: 'public', redirectUris: [REDIRECT_URI] });
    expect(secret).toBeNull();
    const config = await configure(clientId, undefined, None());
    const tokens = await codeFlow(config);
    expect(tokens.claims()?.sub).toBe(alice.id);
    expect(tokens.claims()?.aud).toBe(clientId);
  });

  it('a client_secret_post client authenticates with the secret in the form body', async () => {
    const { clientId, secret } = await server.addClient({ authMethod: 'client_secret_post', redirectUris: [REDIRECT_URI] });
    const config = await configure(clientId, { client_secret: secret ?? '' }, ClientSecretPost(secret ?? ''));
    const tokens = await codeFlow(config);
    expect(tokens.claims()?.sub).toBe(alice.id);
  });

  it('a client that registered ES256 gets ES256 ID tokens that the library validates as ES256', async () => {
    const { clientId, secret } = await server.addClient({ idTokenAlg: 'ES256', redirectUris: [REDIRECT_URI] });
    const config = await configure(clientId, { id_token_signed_response_alg: 'ES256' }, ClientSecretBasic(secret ?? ''));
    const tokens = await codeFlow(config);
    expect(decodeProtectedHeader(tokens.id_token ?? '').alg).toBe('ES256');
    expect(tokens.claims()?.sub).toBe(alice.id);
  });

  it('a jwt token-format client gets an RFC 9068 access token that verifies against /jwks (typ at+jwt, iss, sub, aud, client_id)', async () => {
    const { clientId, secret } = await server.addClient({ tokenFormat: 'jwt', redirectUris: [REDIRECT_URI] });
    const config = await configure(clientId, undefined, ClientSecretBasic(secret ?? ''));
    const tokens = await codeFlow(config);
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`), { timeoutDuration: TIMEOUT_MS });
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, typ: 'at+jwt', audience: clientId });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.sub).toBe(alice.id);
    expect(payload.client_id).toBe(clientId);
    expect(String(payload.scope).split(' ')).toContain('openid');
    // A JWT access token works at UserInfo like an opaque one.
    expect((await fetchUserInfo(config, tokens.access_token, alice.id)).sub).toBe(alice.id);
  });
});

describe('a machine client through openid-client', () => {
  it('RFC 6749 §4.4: clientCredentialsGrant gets a JWT access token whose subject is the client, for the requested resource', async () => {
    const api = 'https://api.example.test';
    const { clientId, secret } = await server.addClient({
      grantTypes: ['client_credentials'],
      redirectUris: [],
      tokenFormat: 'jwt',
      audiences: [api, 'https://other.example.test'],
    });
    const config = await configure(clientId, undefined, ClientSecretBasic(secret ?? ''));
    const tokens = await clientCredentialsGrant(config, { resource: api });
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`), { timeoutDuration: TIMEOUT_MS });
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: server.issuer, typ: 'at+jwt', audience: api });
    expect(payload.sub).toBe(clientId);
    expect(payload.aud).toBe(api);
  });
});
