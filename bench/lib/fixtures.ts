// Setting up what the benchmark measures: an idp data dir with a user and clients (through the real
// CLI), the oidc-provider configuration with the same clients, and signing in through each server's
// browser flow to get a session cookie, refresh tokens and access tokens to load with.
import { cpSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { run } from './procs.ts';

export interface Credentials {
  id: string;
  secret: string;
}

export interface ClientSet {
  /** auth code + refresh + client credentials; opaque access tokens; ES256 ID tokens. */
  main: Credentials;
  /** client credentials only; JWT access tokens (signing_alg of the server, or a resource on oidc-provider). */
  jwt: Credentials;
  /** auth code + refresh; RS256 ID tokens. */
  rs: Credentials;
}

export const REDIRECT_URI = 'http://127.0.0.1:1/cb';
export const USER = { username: 'bench', password: 'bench-password-123' };
/**
 * The scope of the measured signed-in flow, on both providers: an ID token and an access token, no
 * refresh token. (oidc-provider honours offline_access only with prompt=consent, OIDC Core §11, which
 * would send every flow through the consent interaction; so refresh token chains are made once, at
 * set-up, with SEED_SCOPE.)
 */
export const FLOW_SCOPE = 'openid profile email';
export const SEED_SCOPE = 'openid profile email offline_access';

/** Initialises an idp data dir with the real CLI and returns the clients it registered. */
export async function prepareIdpDataDir(idp: string[], dataDir: string): Promise<ClientSet> {
  const cli = (...args: string[]) => [...idp, ...args, '--data-dir', dataDir];
  await run(cli('init', '--issuer', 'http://127.0.0.1:9000', '--alg', 'ES256', '--yes', '--json'));
  await run(cli('user', 'add', '--username', USER.username, '--email', 'bench@example.com', '--name', 'Bench User', '--password-stdin', '--json'), {
    stdin: `${USER.password}\n`,
  });
  await run(cli('scope', 'add', 'api:read', '--description', 'Read the bench API', '--json'));
  const add = async (...flags: string[]): Promise<Credentials> => {
    const out = JSON.parse(await run(cli('client', 'add', ...flags, '--json'))) as { client_id: string; client_secret: string };
    return { id: out.client_id, secret: out.client_secret };
  };
  const flowFlags = [
    '--grant-type', 'authorization_code', '--grant-type', 'refresh_token',
    '--redirect-uri', REDIRECT_URI, '--skip-consent',
    '--scope', 'openid', '--scope', 'profile', '--scope', 'email', '--scope', 'offline_access',
  ];
  const main = await add('--name', 'bench main', ...flowFlags, '--grant-type', 'client_credentials', '--scope', 'api:read',
    '--token-format', 'opaque', '--id-token-alg', 'ES256');
  const jwt = await add('--name', 'bench jwt', '--grant-type', 'client_credentials', '--scope', 'api:read', '--default-scope', 'api:read',
    '--token-format', 'jwt');
  const rs = await add('--name', 'bench rs256', ...flowFlags, '--id-token-alg', 'RS256');
  return { main, jwt, rs };
}

/**
 * Settings every benchmarked idp gets, beyond the defaults. token_rate_limit (requests per minute per
 * client, 600 by default) would refuse almost all of the load: it is raised so far that the limiter
 * still counts every token request (its cost is measured) but never refuses one. Set only when this
 * tree has the setting, since idp refuses unknown IDP_* variables.
 */
export async function benchSettingsEnv(root: string): Promise<Record<string, string>> {
  const schema = (await import(`${root}/src/config/schema.ts`)) as { SETTINGS?: Record<string, unknown> };
  const env: Record<string, string> = {};
  if (schema.SETTINGS && 'token_rate_limit' in schema.SETTINGS) env.IDP_TOKEN_RATE_LIMIT = '1000000000';
  return env;
}

export function copyDataDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The oidc-provider configuration: same three clients, an ES256 and an RS256 key (made here, so its start-up does no key generation). */
export async function oidcProviderConfig(port: number): Promise<{ config: object; clients: ClientSet }> {
  const keys = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: `bench-${alg.toLowerCase()}` });
  }
  const clients: ClientSet = {
    main: { id: 'bench-main', secret: randomSecret() },
    jwt: { id: 'bench-jwt', secret: randomSecret() },
    rs: { id: 'bench-rs256', secret: randomSecret() },
  };
  const flow = {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid profile email offline_access api:read',
  };
  return {
    clients,
    config: {
      port,
      issuer: `http://127.0.0.1:${port}`,
      cookieKeys: [randomSecret()],
      jwks: { keys },
      clients: [
        { ...flow, client_id: clients.main.id, client_secret: clients.main.secret, grant_types: [...flow.grant_types, 'client_credentials'], id_token_signed_response_alg: 'ES256' },
        { client_id: clients.jwt.id, client_secret: clients.jwt.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'api:read' },
        { ...flow, client_id: clients.rs.id, client_secret: clients.rs.secret, id_token_signed_response_alg: 'RS256' },
      ],
    },
  };
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkcePair(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A tiny cookie jar: name → value, ignoring paths and domains (everything here is one host). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a) || /^\s*expires\s*=.*1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(filter: (name: string) => boolean = () => true): string {
    return [...this.cookies].filter(([name]) => filter(name)).map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** fetch for the set-up: up to three attempts when the connection fails before any answer. */
async function setupFetch(url: string, init: RequestInit = {}): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw lastError;
}

export interface ProviderPaths {
  discovery: string;
  jwks: string;
  authorize: string;
  token: string;
  introspect: string;
  userinfo: string;
}

export const IDP_PATHS: ProviderPaths = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  authorize: '/authorize',
  token: '/token',
  introspect: '/introspect',
  userinfo: '/userinfo',
};

export const OIDC_PROVIDER_PATHS: ProviderPaths = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks',
  authorize: '/auth',
  token: '/token',
  introspect: '/token/introspection',
  userinfo: '/me',
};

export function authorizeQuery(clientId: string, pkce: Pkce, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: FLOW_SCOPE,
    state: 'bench-state',
    nonce: 'bench-nonce',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
}

/**
 * Runs the authorization code flow in a scripted browser: follows redirects with the jar, fills in
 * idp's sign-in form when it shows up, and stops at the redirect to the client. Returns the code
 * and the PKCE verifier it was asked with. Bounded to 12 hops.
 */
export async function browserAuthorize(
  base: string,
  paths: ProviderPaths,
  jar: CookieJar,
  clientId: string,
  extra: Record<string, string> = {},
): Promise<{ code: string; pkce: Pkce }> {
  const pkce = pkcePair();
  let url = `${base}${paths.authorize}?${authorizeQuery(clientId, pkce, extra)}`;
  for (let hop = 0; hop < 12; hop++) {
    let response = await setupFetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    if (response.status === 200 && new URL(url).pathname === '/login') {
      const html = await response.text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
      const form = new URLSearchParams({ interaction: field('interaction'), csrf: field('csrf'), username: USER.username, password: USER.password });
      response = await setupFetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      jar.store(response);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`sign-in stopped at ${url}: status ${response.status} ${(await response.text()).slice(0, 300)}`);
    }
    await response.arrayBuffer();
    const next = new URL(location, url);
    if (next.href.startsWith(REDIRECT_URI)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code in the redirect: ${next.href}`);
      return { code, pkce };
    }
    url = next.href;
  }
  throw new Error('sign-in did not reach the client within 12 redirects');
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export async function tokenRequest(base: string, paths: ProviderPaths, client: Credentials, form: Record<string, string>): Promise<TokenResponse> {
  const response = await setupFetch(`${base}${paths.token}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request (${form.grant_type}) failed: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as TokenResponse;
}

/** One complete flow with the session in `jar`: code, then tokens. */
export async function signedInTokens(
  base: string,
  paths: ProviderPaths,
  jar: CookieJar,
  client: Credentials,
  extra: Record<string, string> = {},
): Promise<TokenResponse> {
  const { code, pkce } = await browserAuthorize(base, paths, jar, client.id, extra);
  return tokenRequest(base, paths, client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier });
}
