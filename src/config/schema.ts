// Every setting idp reads: its type, default and meaning. SPEC.md's settings table is the contract.

export const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export const ACCESS_TOKEN_FORMATS = ['opaque', 'jwt'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const METRICS_MODES = ['off', 'on'] as const;
export type MetricsMode = (typeof METRICS_MODES)[number];

export interface Settings {
  issuer: string;
  host: string;
  port: number;
  access_token_ttl: number;
  id_token_ttl: number;
  refresh_token_ttl: number;
  authorization_code_ttl: number;
  device_code_ttl: number;
  device_code_interval: number;
  rotate_refresh_token: boolean;
  refresh_token_reuse_grace: number;
  access_token_format: AccessTokenFormat;
  logout_asks_confirmation: boolean;
  session_ttl: number;
  signing_alg: SigningAlg;
  key_activation_delay: number;
  key_reload_interval: number;
  database: string;
  database_pool_size: number;
  database_statement_timeout: number;
  log_level: LogLevel;
  log_format: LogFormat;
  metrics: MetricsMode;
  metrics_token: string;
  adapter: string;
  audit_retention: number;
  audit_token_events: boolean;
  trust_proxy: boolean;
  login_max_failures: number;
  login_ip_max_failures: number;
  token_rate_limit: number;
  tls_cert: string;
  tls_key: string;
}

export type SettingKey = keyof Settings;

/** The resolved configuration: every setting plus the data directory it belongs to. */
export interface Config extends Settings {
  readonly data_dir: string;
}

interface Context {
  dataDir: string;
  port: number;
}

type Kind<T> = T extends boolean
  ? { type: 'boolean' }
  : T extends number
    ? { type: 'integer'; min: number; max?: number }
    :
        | { type: 'string' }
        | { type: 'url' }
        | { type: 'database' }
        | { type: 'path' }
        | { type: 'enum'; values: readonly string[] }
        // Empty (unset), or at least `min` characters; errors never echo it.
        | { type: 'secret'; min: number };

export type SettingDef<T> = Kind<T> & {
  /** A fixed default, or one derived from other settings (issuer from port, database from data dir). */
  default: T | ((ctx: Context) => T);
  description: string;
  /** How a derived default is shown to people (config template, README). */
  shownDefault?: string;
};

export const SETTINGS: { [K in SettingKey]: SettingDef<Settings[K]> } = {
  issuer: {
    type: 'url',
    default: ({ port }) => `http://localhost:${port}`,
    shownDefault: 'http://localhost:<port>',
    description: 'Public URL of the provider; every endpoint URL and the iss claim derive from it.',
  },
  host: { type: 'string', default: '0.0.0.0', description: 'Address the HTTP server listens on.' },
  port: { type: 'integer', min: 0, max: 65535, default: 9000, description: 'TCP port the HTTP server listens on.' },
  access_token_ttl: { type: 'integer', min: 1, default: 3600, description: 'Access token lifetime, seconds.' },
  id_token_ttl: { type: 'integer', min: 1, default: 3600, description: 'ID token lifetime, seconds.' },
  refresh_token_ttl: { type: 'integer', min: 1, default: 2592000, description: 'Refresh token lifetime, seconds.' },
  authorization_code_ttl: { type: 'integer', min: 1, default: 60, description: 'Authorization code lifetime, seconds.' },
  device_code_ttl: { type: 'integer', min: 1, default: 600, description: 'Device code lifetime, seconds.' },
  device_code_interval: { type: 'integer', min: 1, default: 5, description: 'Minimum device polling interval, seconds.' },
  rotate_refresh_token: { type: 'boolean', default: true, description: 'Issue a new refresh token on every refresh.' },
  refresh_token_reuse_grace: {
    type: 'integer',
    min: 0,
    default: 5,
    description: 'Seconds during which a just-rotated refresh token may be retried without revoking its family.',
  },
  access_token_format: {
    type: 'enum',
    values: ACCESS_TOKEN_FORMATS,
    default: 'opaque',
    description: 'Default access token format (opaque or RFC 9068 jwt); clients may override it.',
  },
  logout_asks_confirmation: { type: 'boolean', default: true, description: 'Ask before ending a session on /logout.' },
  session_ttl: { type: 'integer', min: 1, default: 1209600, description: 'Browser session lifetime, seconds.' },
  signing_alg: {
    type: 'enum',
    values: SIGNING_ALGS,
    default: 'RS256',
    description: 'Algorithm of the default signing key (RS256 keys always exist too, as OIDC requires).',
  },
  key_activation_delay: {
    type: 'integer',
    min: 0,
    default: 600,
    description: 'Seconds between publishing a rotated key in the JWKS and signing with it.',
  },
  key_reload_interval: {
    type: 'integer',
    min: 1,
    default: 60,
    description: 'Seconds between reloads of the signing keys from the store by a running server.',
  },
  database: {
    type: 'database',
    default: ({ dataDir }) => `sqlite:${dataDir}/idp.db`,
    shownDefault: 'sqlite:idp.db',
    description: 'sqlite:PATH (relative to the data dir) or postgres://user:pass@host/db.',
  },
  database_pool_size: {
    type: 'integer',
    min: 1,
    default: 10,
    description: 'PostgreSQL only: most connections each idp process opens to the database.',
  },
  database_statement_timeout: {
    type: 'integer',
    min: 1,
    default: 10,
    description: 'PostgreSQL only: seconds after which the database cancels a statement (migrations are exempt).',
  },
  log_level: { type: 'enum', values: LOG_LEVELS, default: 'info', description: 'Lowest level of log line written.' },
  log_format: {
    type: 'enum',
    values: LOG_FORMATS,
    default: 'pretty',
    description: 'Log line format: pretty (time, level, message, key=value fields) or json (one JSON object per line).',
  },
  metrics: {
    type: 'enum',
    values: METRICS_MODES,
    default: 'off',
    description: 'Serve Prometheus metrics at /metrics (on), or answer 404 there (off).',
  },
  metrics_token: {
    type: 'secret',
    min: 16,
    default: '',
    shownDefault: '(none)',
    description:
      'Bearer token /metrics requires (Authorization: Bearer <token>); without one, only direct loopback requests may read /metrics.',
  },
  adapter: {
    type: 'path',
    default: '',
    shownDefault: '(none)',
    description:
      'A TypeScript or JavaScript module that customises claims, decisions and lifetimes (docs/adapter.md); relative to the config file that names it, else to the working directory.',
  },
  trust_proxy: {
    type: 'boolean',
    default: false,
    description: 'Believe the X-Forwarded-For header of one reverse proxy in front of idp (client addresses for throttling and the audit log).',
  },
  tls_cert: {
    type: 'path',
    default: '',
    shownDefault: '(none)',
    description:
      'PEM certificate chain (leaf first) to serve HTTPS directly; needs tls_key. Re-read on SIGHUP and when the file changes. Relative to the config file that names it, else to the working directory.',
  },
  tls_key: {
    type: 'path',
    default: '',
    shownDefault: '(none)',
    description: 'PEM private key (unencrypted) of tls_cert; set both or neither.',
  },
  audit_token_events: {
    type: 'boolean',
    default: false,
    description:
      'Also keep token.issued and token.refreshed in the audit log (one row per token); the adapter and the metrics see them either way.',
  },
  audit_retention: {
    type: 'integer',
    min: 0,
    default: 7776000,
    description: 'Seconds audit events are kept before the background purge deletes them; 0 keeps them forever.',
  },
  login_max_failures: {
    type: 'integer',
    min: 0,
    default: 5,
    description:
      'Failed sign-ins per username (known or not) before each further attempt must wait 1, 2, 4 ... seconds (at most 15 minutes) after the last failure; 0 turns this off.',
  },
  login_ip_max_failures: {
    type: 'integer',
    min: 0,
    default: 20,
    description: 'The same back-off per client address (see trust_proxy), whatever the usernames; 0 turns this off.',
  },
  token_rate_limit: {
    type: 'integer',
    min: 0,
    default: 600,
    description: 'Token requests per minute per authenticated client (per client and address for public clients) before 429; 0 turns this off.',
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** `access_token_ttl` → `IDP_ACCESS_TOKEN_TTL`. */
export function envName(key: SettingKey): string {
  return `IDP_${key.toUpperCase()}`;
}

/** Environment variables that are not settings but are still ours. */
export const RESERVED_ENV = ['IDP_DATA_DIR', 'IDP_CONFIG', 'IDP_SECRET', 'IDP_DEBUG', 'IDP_TEST_DATABASE_URL'] as const;
