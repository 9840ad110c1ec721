import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configTemplate, loadConfig } from '../../src/config/load.ts';
import { SETTING_KEYS, SETTINGS } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { tempDir } from '../helpers/temp.ts';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

const writeToml = (text: string) => writeFileSync(join(dir.path, 'idp.toml'), text);
const load = (env: Record<string, string> = {}, flags = {}) => loadConfig({ dataDir: dir.path, env, flags });
const loadError = (env: Record<string, string> = {}, flags = {}): Error => {
  try {
    load(env, flags);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected loadConfig to fail');
};

describe('config precedence', () => {
  it('uses the SPEC.md defaults when nothing is given', () => {
    const config = load();
    expect(config.issuer).toBe('http://localhost:9000');
    expect(config.access_token_ttl).toBe(3600);
    expect(config.id_token_ttl).toBe(3600);
    expect(config.refresh_token_ttl).toBe(2592000);
    expect(config.authorization_code_ttl).toBe(60);
    expect(config.device_code_ttl).toBe(600);
    expect(config.device_code_interval).toBe(5);
    expect(config.rotate_refresh_token).toBe(true);
    expect(config.refresh_token_reuse_grace).toBe(5);
    expect(config.access_token_format).toBe('opaque');
    expect(config.logout_asks_confirmation).toBe(true);
    expect(config.session_ttl).toBe(1209600);
    expect(config.key_activation_delay).toBe(600);
    expect(config.key_reload_interval).toBe(60);
    expect(config.database).toBe(`sqlite:${join(dir.path, 'idp.db')}`);
  });

  it('derives the default issuer from the port', () => {
    expect(load({}, { port: 8123 }).issuer).toBe('http://localhost:8123');
  });

  it('orders defaults < file < IDP_* environment < flags', () => {
    writeToml('access_token_ttl = 100\nid_token_ttl = 200\nsession_ttl = 300\n');
    const config = load({ IDP_ID_TOKEN_TTL: '201', IDP_SESSION_TTL: '301' }, { session_ttl: '302' });
    expect(config.access_token_ttl).toBe(100);
    expect(config.id_token_ttl).toBe(201);
    expect(config.session_ttl).toBe(302);
  });

  it('reads an explicit --config file instead of DATA_DIR/idp.toml', () => {
    writeToml('access_token_ttl = 100\n');
    const other = join(dir.path, 'other.toml');
    writeFileSync(other, 'access_token_ttl = 222\n');
    expect(loadConfig({ dataDir: dir.path, configFile: other, env: {} }).access_token_ttl).toBe(222);
  });

  it('resolves a relative sqlite path against the data dir', () => {
    writeToml('database = "sqlite:other.db"\n');
    expect(load().database).toBe(`sqlite:${join(dir.path, 'other.db')}`);
  });

  it('parses booleans from the environment', () => {
    expect(load({ IDP_ROTATE_REFRESH_TOKEN: 'false' }).rotate_refresh_token).toBe(false);
    expect(load({ IDP_LOGOUT_ASKS_CONFIRMATION: '0' }).logout_asks_confirmation).toBe(false);
  });

  it('keeps the issuer without a trailing slash so endpoint URLs are well formed', () => {
    expect(load({}, { issuer: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
    expect(load({}, { issuer: 'https://example.com/tenant/' }).issuer).toBe('https://example.com/tenant');
  });
});

describe('config errors name the key and the source', () => {
  it('refuses a file that is not TOML', () => {
    writeToml('issuer = = "x"\n');
    const error = loadError();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(join(dir.path, 'idp.toml'));
    expect(error.message).toContain('not valid TOML');
  });

  it('refuses an unknown key in the file', () => {
    writeToml('colour = "red"\n');
    expect(loadError().message).toBe(`Unknown setting 'colour' in ${join(dir.path, 'idp.toml')}.`);
  });

  it('refuses a TOML table, which no setting is', () => {
    writeToml('[server]\nport = 1\n');
    expect(loadError().message).toContain("Unknown setting 'server'");
  });

  it('refuses a wrong type in the file', () => {
    writeToml('access_token_ttl = "soon"\n');
    const message = loadError().message;
    expect(message).toContain("'access_token_ttl'");
    expect(message).toContain(join(dir.path, 'idp.toml'));
  });

  it('refuses a fractional or non-positive lifetime', () => {
    writeToml('access_token_ttl = 1.5\n');
    expect(loadError().message).toContain('an integer');
    writeToml('access_token_ttl = 0\n');
    expect(loadError().message).toContain('at least 1');
  });

  it('refuses a bad value from the environment, naming the variable', () => {
    expect(loadError({ IDP_PORT: 'abc' }).message).toContain('environment variable IDP_PORT');
    expect(loadError({ IDP_PORT: '70000' }).message).toContain('from 0 to 65535');
    expect(loadError({ IDP_ROTATE_REFRESH_TOKEN: 'maybe' }).message).toContain('true or false');
  });

  it('refuses an unknown IDP_* variable but accepts the reserved ones', () => {
    expect(loadError({ IDP_ISUER: 'https://x' }).message).toContain('IDP_ISUER');
    expect(() => load({ IDP_DATA_DIR: '/x', IDP_CONFIG: '/y', IDP_SECRET: 's' })).not.toThrow();
  });

  it('refuses a value outside an enumeration', () => {
    expect(loadError({ IDP_ACCESS_TOKEN_FORMAT: 'paseto' }).message).toContain('one of opaque, jwt');
    expect(loadError({ IDP_SIGNING_ALG: 'HS256' }).message).toContain('one of RS256, ES256, EdDSA');
  });

  it('refuses an issuer that is not an http(s) URL or has a query, fragment or credentials', () => {
    for (const issuer of ['not a url', 'ftp://id.example.com', 'https://id.example.com/?a=1', 'https://id.example.com/#x', 'https://u:p@id.example.com']) {
      const error = loadError({}, { issuer });
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain("'issuer'");
    }
  });

  it('refuses a database URL of an unknown kind', () => {
    expect(loadError({ IDP_DATABASE: 'mysql://x' }).message).toContain('sqlite:PATH or postgres://');
  });

  it('refuses a missing --config file', () => {
    expect(() => loadConfig({ dataDir: dir.path, configFile: join(dir.path, 'missing.toml'), env: {} })).toThrow(
      'does not exist',
    );
  });
});

describe('config template', () => {
  it('lists every setting and, uncommented, loads back to the defaults', () => {
    const template = configTemplate({ issuer: 'https://id.example.com' });
    for (const key of SETTING_KEYS) expect(template).toContain(`${key} = `);
    writeToml(template.replace(/^# ([a-z_]+) = /gm, '$1 = '));
    const config = load();
    expect(config.issuer).toBe('https://id.example.com');
    expect(config.session_ttl).toBe(SETTINGS.session_ttl.default as number);
    expect(config.database).toBe(`sqlite:${join(dir.path, 'idp.db')}`);
  });
});

describe('TLS settings', () => {
  it('are off by default: idp serves plain HTTP', () => {
    const config = load();
    expect(config.tls_cert).toBe('');
    expect(config.tls_key).toBe('');
  });

  it('resolve relative paths against the config file that names them', () => {
    writeToml('tls_cert = "tls/fullchain.pem"\ntls_key = "tls/privkey.pem"\n');
    const config = load();
    expect(config.tls_cert).toBe(join(dir.path, 'tls/fullchain.pem'));
    expect(config.tls_key).toBe(join(dir.path, 'tls/privkey.pem'));
  });

  it('resolve relative paths from the environment or flags against the working directory', () => {
    const config = load({ IDP_TLS_CERT: 'cert.pem' }, { tls_key: 'key.pem' });
    expect(config.tls_cert).toBe(join(process.cwd(), 'cert.pem'));
    expect(config.tls_key).toBe(join(process.cwd(), 'key.pem'));
  });

  it('refuse a certificate without a key (and the reverse), naming where the one came from', () => {
    expect(loadError({ IDP_TLS_CERT: '/etc/idp/cert.pem' })).toBeInstanceOf(ConfigError);
    expect(loadError({ IDP_TLS_CERT: '/etc/idp/cert.pem' }).message).toBe(
      "Setting 'tls_cert' from environment variable IDP_TLS_CERT needs 'tls_key' too: set both tls_cert and tls_key to serve HTTPS, or neither.",
    );
    writeToml('tls_key = "/etc/idp/key.pem"\n');
    expect(loadError().message).toContain(`Setting 'tls_key' from ${join(dir.path, 'idp.toml')} needs 'tls_cert' too`);
  });

  it('let an empty environment variable switch off a pair set in the file', () => {
    writeToml('tls_cert = "cert.pem"\ntls_key = "key.pem"\n');
    const config = load({ IDP_TLS_CERT: '', IDP_TLS_KEY: '' });
    expect(config.tls_cert).toBe('');
    expect(config.tls_key).toBe('');
  });
});

describe('observability settings', () => {
  it('default to pretty logs and metrics off without a token', () => {
    const config = load();
    expect(config.log_format).toBe('pretty');
    expect(config.metrics).toBe('off');
    expect(config.metrics_token).toBe('');
  });

  it('accept log_format json, metrics on and a metrics_token of at least 16 characters; an empty token is none', () => {
    writeToml('log_format = "json"\nmetrics = "on"\nmetrics_token = "0123456789abcdef"\n');
    expect(load()).toMatchObject({ log_format: 'json', metrics: 'on', metrics_token: '0123456789abcdef' });
    expect(load({ IDP_METRICS_TOKEN: '' }).metrics_token).toBe('');
  });

  it('refuse a short or non-string metrics_token without echoing it', () => {
    for (const toml of ['metrics_token = "short-secret-1"\n', 'metrics_token = 12345678901234\n']) {
      writeToml(toml);
      const error = loadError();
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        `Setting 'metrics_token' from ${join(dir.path, 'idp.toml')} must be empty or a string of at least 16 characters (try: openssl rand -hex 32).`,
      );
    }
    expect(loadError({ IDP_LOG_FORMAT: 'xml' }).message).toContain('must be one of pretty, json');
    expect(loadError({ IDP_METRICS: 'yes' }).message).toContain('must be one of off, on');
  });
});
