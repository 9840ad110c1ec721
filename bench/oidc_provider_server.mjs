// panva's oidc-provider on Node.js, configured like the benchmarked idp: authorization_code + PKCE,
// refresh_token with rotation on every use, client_credentials (opaque by default, JWT through a
// resource indicator), introspection, an ES256 and an RS256 signing key.
//
// Storage: in memory. oidc-provider's own MemoryAdapter class (its development adapter), over a
// store that keeps every entry until it expires instead of the default LRU of 1000 entries: with
// the LRU, a few seconds of client_credentials load evict the session, grants and refresh tokens
// the other scenarios use. Nothing is written to disk, which favours oidc-provider against idp's
// SQLite; memory grows with the tokens issued, as idp's database does.
//
// devInteractions are off. The interaction below signs in a fixed user and grants every requested
// scope without a page: the benchmark signs in once, keeps the session cookie, and measures the
// authorization code flow for a signed-in user whose consent is already given.
//
// Run by bench/run.ts: `node bench/oidc_provider_server.mjs CONFIG.json` where CONFIG.json has
// { port, issuer, jwks: { keys: [private JWKs] }, clients: [client metadata], cookieKeys: [..] }.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ACCOUNT_ID = 'bench-user';

/** Resource indicators that make client_credentials tokens JWTs (RFC 9068), one per algorithm. */
const RESOURCES = {
  'urn:bench:jwt-es256': 'ES256',
  'urn:bench:jwt-rs256': 'RS256',
};

/** The store interface MemoryAdapter uses (get, set with maxAge in ms, delete), without eviction. */
class ExpiringMap {
  #entries = new Map();

  get(key) {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiry !== undefined && entry.expiry <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key, value, options) {
    this.#entries.set(key, { value, expiry: options?.maxAge ? Date.now() + options.maxAge : undefined });
  }

  delete(key) {
    this.#entries.delete(key);
  }

  sweep() {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiry !== undefined && entry.expiry <= now) this.#entries.delete(key);
  }
}
const store = new ExpiringMap();
setInterval(() => store.sweep(), 60_000).unref();

const provider = new Provider(config.issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: config.cookieKeys },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      name: 'Bench User',
      preferred_username: 'bench',
      updated_at: 1795698965,
      email: 'bench@example.com',
      email_verified: false,
    }),
  }),
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'updated_at'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'api:read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Same rule as the default policy (a public client may only introspect its own tokens), made explicit to silence its notice.
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => !(client.clientAuthMethod === 'none' && token.clientId !== ctx.oidc.client.clientId),
    },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        const alg = RESOURCES[resourceIndicator];
        if (!alg) throw new errors.InvalidTarget();
        return { scope: 'api:read', audience: resourceIndicator, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg } } };
      },
    },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    IdToken: 3600,
    AuthorizationCode: 60,
    RefreshToken: 2592000,
    Grant: 2592000,
    Session: 1209600,
    Interaction: 1800,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${error.stack}\n`));

/** The minimal interaction: log the fixed user in, then grant whatever the consent prompt lacks. */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT_ID } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  const consent = details.grantId ? {} : { grantId };
  await provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error?.message ?? error));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(config.port, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 500).unref();
  });
}
