// What is measured: one operation per scenario, run the same way against every target. The bare
// server gets the same request bytes and answers them all with its fixed JSON body, so its figure
// is the limit of HTTP on this machine for that request shape.
import { type ClientSet, FLOW_SCOPE, type Pkce, pkcePair, type ProviderPaths, REDIRECT_URI } from './fixtures.ts';
import { basicAuth, buildRequest, header, type HttpConnection } from './http_client.ts';
import type { Step } from './load.ts';

export type TargetKey = 'bare' | 'src' | 'bin' | 'oidc';

export interface Endpoint {
  port: number;
  pid: number;
}

export interface Target {
  key: TargetKey;
  name: string;
  /** The server that answers everything except JWT access tokens signed RS256. */
  main: Endpoint;
  /** idp signs JWT access tokens with its `signing_alg` setting, so RS256 ones come from a second instance (IDP_SIGNING_ALG=RS256). */
  rs256: Endpoint;
  paths: ProviderPaths;
  clients: ClientSet;
  /** The signed-in browser's Cookie header. */
  cookie: string;
  /** An opaque client credentials token of `clients.main`, for introspection. */
  introspectToken: string;
  /** An access token of the signed-in user (openid scope), for userinfo. */
  userinfoToken: string;
  /** One refresh token chain per connection; each refresh replaces its entry. */
  refreshTokens: string[];
}

export interface State {
  index: number;
  n: number;
}

export type Alg = 'RS256' | 'ES256' | 'EdDSA';

export interface Scenario {
  id: string;
  title: string;
  unit: 'req/s' | 'flows/s';
  /** Signatures each operation makes on idp (the ID token or JWT access token), for the ceiling comparison. */
  signature: { alg: Alg; perOp: number } | null;
  endpoint(target: Target): Endpoint;
  step(target: Target): Step<State>;
}

const PKCE_POOL: Pkce[] = Array.from({ length: 256 }, pkcePair);

const hostOf = (endpoint: Endpoint) => `127.0.0.1:${endpoint.port}`;
const FORM = 'application/x-www-form-urlencoded';
const text = (body: Buffer) => body.toString('utf8');

function expect200(what: string, status: number): string | null {
  return status === 200 ? null : `${what}: status ${status}`;
}

function get(id: string, title: string, path: (t: Target) => string): Scenario {
  return {
    id,
    title,
    unit: 'req/s',
    signature: null,
    endpoint: (t) => t.main,
    step(t) {
      const bytes = buildRequest('GET', hostOf(t.main), path(t), { Accept: 'application/json' });
      return async (connection) => expect200(id, (await connection.request(bytes)).status);
    },
  };
}

function clientCredentials(id: string, title: string, format: 'opaque' | 'jwt-es256' | 'jwt-rs256'): Scenario {
  return {
    id,
    title,
    unit: 'req/s',
    signature: format === 'opaque' ? null : { alg: format === 'jwt-es256' ? 'ES256' : 'RS256', perOp: 1 },
    endpoint: (t) => (format === 'jwt-rs256' && t.key !== 'oidc' ? t.rs256 : t.main),
    step(t) {
      const endpoint = this.endpoint(t);
      const client = format === 'opaque' ? t.clients.main : t.clients.jwt;
      let body = 'grant_type=client_credentials&scope=api%3Aread';
      // oidc-provider issues JWT access tokens for a resource server (RFC 8707); idp by client setting.
      if (t.key === 'oidc' && format !== 'opaque') body += `&resource=${encodeURIComponent(`urn:bench:${format}`)}`;
      const bytes = buildRequest('POST', hostOf(endpoint), t.paths.token, { Authorization: basicAuth(client.id, client.secret), 'Content-Type': FORM }, body);
      const bare = t.key === 'bare';
      return async (connection) => {
        const response = await connection.request(bytes);
        if (response.status !== 200) return `token: status ${response.status} ${text(response.body).slice(0, 200)}`;
        if (!bare && !text(response.body).includes('"access_token"')) return 'token: no access_token';
        return null;
      };
    },
  };
}

function introspection(): Scenario {
  return {
    id: 'introspect',
    title: 'introspection (opaque token)',
    unit: 'req/s',
    signature: null,
    endpoint: (t) => t.main,
    step(t) {
      const { main } = t.clients;
      const bytes = buildRequest('POST', hostOf(t.main), t.paths.introspect, { Authorization: basicAuth(main.id, main.secret), 'Content-Type': FORM },
        `token=${encodeURIComponent(t.introspectToken)}`);
      const bare = t.key === 'bare';
      return async (connection) => {
        const response = await connection.request(bytes);
        if (response.status !== 200) return `introspect: status ${response.status}`;
        if (!bare && !text(response.body).includes('"active":true')) return `introspect: ${text(response.body).slice(0, 200)}`;
        return null;
      };
    },
  };
}

function authorizationCode(id: string, title: string, alg: 'ES256' | 'RS256'): Scenario {
  return {
    id,
    title,
    unit: 'flows/s',
    signature: { alg, perOp: 1 },
    endpoint: (t) => t.main,
    step(t) {
      const client = alg === 'ES256' ? t.clients.main : t.clients.rs;
      const host = hostOf(t.main);
      const auth = basicAuth(client.id, client.secret);
      const bare = t.key === 'bare';
      const query = (pkce: Pkce) =>
        `response_type=code&client_id=${encodeURIComponent(client.id)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}` +
        `&scope=${encodeURIComponent(FLOW_SCOPE)}&state=bench-state&nonce=bench-nonce&code_challenge=${pkce.challenge}&code_challenge_method=S256`;
      return async (connection: HttpConnection, state: State) => {
        const pkce = PKCE_POOL[state.n++ % PKCE_POOL.length]!;
        const authorize = await connection.request(buildRequest('GET', host, `${t.paths.authorize}?${query(pkce)}`, { Cookie: t.cookie }));
        let code = 'bare';
        if (!bare) {
          const location = header(authorize, 'location') ?? '';
          const match = /[?&]code=([^&]+)/.exec(location);
          if (authorize.status < 300 || authorize.status >= 400 || !match) {
            return `authorize: status ${authorize.status} ${location.slice(0, 120)}`;
          }
          code = match[1]!;
        } else if (authorize.status !== 200) {
          return `authorize: status ${authorize.status}`;
        }
        const token = await connection.request(
          buildRequest('POST', host, t.paths.token, { Authorization: auth, 'Content-Type': FORM },
            `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${pkce.verifier}`),
        );
        if (token.status !== 200) return `token: status ${token.status} ${text(token.body).slice(0, 200)}`;
        if (!bare && !text(token.body).includes('"id_token"')) return 'token: no id_token';
        return null;
      };
    },
  };
}

function refresh(): Scenario {
  return {
    id: 'refresh',
    title: 'refresh token rotation (ES256 ID token)',
    unit: 'req/s',
    signature: { alg: 'ES256', perOp: 1 },
    endpoint: (t) => t.main,
    step(t) {
      const { main } = t.clients;
      const host = hostOf(t.main);
      const auth = basicAuth(main.id, main.secret);
      const bare = t.key === 'bare';
      return async (connection, state) => {
        const current = t.refreshTokens[state.index] ?? 'bare';
        const response = await connection.request(
          buildRequest('POST', host, t.paths.token, { Authorization: auth, 'Content-Type': FORM }, `grant_type=refresh_token&refresh_token=${encodeURIComponent(current)}`),
        );
        if (response.status !== 200) return `refresh: status ${response.status} ${text(response.body).slice(0, 200)}`;
        if (bare) return null;
        const next = (JSON.parse(text(response.body)) as { refresh_token?: string }).refresh_token;
        if (!next || next === current) return 'refresh: the refresh token was not rotated';
        t.refreshTokens[state.index] = next;
        return null;
      };
    },
  };
}

function userinfo(): Scenario {
  return {
    id: 'userinfo',
    title: 'userinfo (opaque token)',
    unit: 'req/s',
    signature: null,
    endpoint: (t) => t.main,
    step(t) {
      const bytes = buildRequest('GET', hostOf(t.main), t.paths.userinfo, { Authorization: `Bearer ${t.userinfoToken}`, Accept: 'application/json' });
      const bare = t.key === 'bare';
      return async (connection) => {
        const response = await connection.request(bytes);
        if (response.status !== 200) return `userinfo: status ${response.status}`;
        if (!bare && !text(response.body).includes('"sub"')) return 'userinfo: no sub';
        return null;
      };
    },
  };
}

export const SCENARIOS: Scenario[] = [
  get('discovery', 'discovery document', (t) => t.paths.discovery),
  get('jwks', 'JWKS', (t) => t.paths.jwks),
  clientCredentials('cc-opaque', 'client_credentials, opaque token', 'opaque'),
  clientCredentials('cc-jwt-es256', 'client_credentials, JWT ES256', 'jwt-es256'),
  clientCredentials('cc-jwt-rs256', 'client_credentials, JWT RS256', 'jwt-rs256'),
  introspection(),
  authorizationCode('authcode-es256', 'signed-in auth code flow, ES256 ID token', 'ES256'),
  authorizationCode('authcode-rs256', 'signed-in auth code flow, RS256 ID token', 'RS256'),
  refresh(),
  userinfo(),
];
