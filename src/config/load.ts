// Resolves the configuration: defaults < config file < IDP_* environment < command-line flags.
// Every value is checked here, before anything starts, and a mistake names the key and its source.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { type Config, envName, RESERVED_ENV, SETTING_KEYS, SETTINGS, type SettingKey, type Settings } from './schema.ts';

export interface LoadConfigOptions {
  dataDir: string;
  /** An explicit --config file; it must exist. Without it, DATA_DIR/idp.toml is read when present. */
  configFile?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Values from command-line flags, already typed by the CLI or given as strings. */
  flags?: Partial<Record<SettingKey, string | number | boolean | undefined>>;
}

export const CONFIG_FILE_NAME = 'idp.toml';

export function defaultConfigPath(dataDir: string): string {
  return join(dataDir, CONFIG_FILE_NAME);
}

export function loadConfig(options: LoadConfigOptions): Config {
  const dataDir = resolve(options.dataDir);
  const env = options.env ?? process.env;
  const raw: Partial<Record<SettingKey, { value: unknown; source: string }>> = {};

  const file = options.configFile ? resolve(options.configFile) : defaultConfigPath(dataDir);
  if (options.configFile && !existsSync(file)) {
    throw new ConfigError(`The config file ${file} does not exist.`);
  }
  if (existsSync(file)) {
    for (const [key, value] of Object.entries(readToml(file))) {
      if (!isSettingKey(key)) throw new ConfigError(`Unknown setting '${key}' in ${file}.`);
      raw[key] = { value, source: file };
    }
  }

  const envKeys = new Map(SETTING_KEYS.map((key) => [envName(key), key]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('IDP_') || value === undefined) continue;
    const key = envKeys.get(name);
    if (key) raw[key] = { value, source: `environment variable ${name}` };
    else if (!(RESERVED_ENV as readonly string[]).includes(name)) {
      throw new ConfigError(`Unknown setting in environment variable ${name}.`);
    }
  }

  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue;
    if (!isSettingKey(key)) throw new ConfigError(`Unknown setting '${key}' given as a flag.`);
    raw[key] = { value, source: `flag --${key.replaceAll('_', '-')}` };
  }

  const port = raw.port ? (parseSetting('port', raw.port.value, raw.port.source) as number) : (SETTINGS.port.default as number);
  const settings = {} as Record<SettingKey, unknown>;
  for (const key of SETTING_KEYS) {
    const given = raw[key];
    const def = SETTINGS[key];
    settings[key] = given
      ? parseSetting(key, given.value, given.source)
      : typeof def.default === 'function'
        ? def.default({ dataDir, port })
        : def.default;
  }
  const config = { ...(settings as unknown as Settings), data_dir: dataDir };
  config.database = resolveDatabase(config.database, dataDir);
  // A relative adapter path is read where it was written: next to the config file, else from the working directory.
  if (config.adapter !== '' && raw.adapter) config.adapter = resolve(raw.adapter.source === file ? dirname(file) : process.cwd(), config.adapter);
  // The TLS files follow the same rule; one without the other is a mistake, not plain HTTP.
  for (const key of ['tls_cert', 'tls_key'] as const) {
    const given = raw[key];
    if (config[key] !== '' && given) config[key] = resolve(given.source === file ? dirname(file) : process.cwd(), config[key]);
  }
  if ((config.tls_cert === '') !== (config.tls_key === '')) {
    const [set, missing] = config.tls_cert === '' ? (['tls_key', 'tls_cert'] as const) : (['tls_cert', 'tls_key'] as const);
    throw new ConfigError(
      `Setting '${set}' from ${raw[set]?.source ?? 'the defaults'} needs '${missing}' too: set both tls_cert and tls_key to serve HTTPS, or neither.`,
    );
  }
  return config;
}

function readToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the config file ${file}: ${(error as Error).message}.`);
  }
  try {
    return Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (error) {
    const reason = (error as Error).message.replace(/^TOML Parse error: /, '');
    throw new ConfigError(`The config file ${file} is not valid TOML: ${reason}.`);
  }
}

function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

/** Checks one value against its setting's type; strings (from env or flags) are converted. */
export function parseSetting(key: SettingKey, value: unknown, source: string): unknown {
  const def = SETTINGS[key];
  const fail = (expected: string): never => {
    throw new ConfigError(`Setting '${key}' from ${source} must be ${expected}, got ${JSON.stringify(value)}.`);
  };
  switch (def.type) {
    case 'integer': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      const range = def.max === undefined ? `an integer of at least ${def.min}` : `an integer from ${def.min} to ${def.max}`;
      if (typeof number !== 'number' || !Number.isSafeInteger(number)) return fail(range);
      if (number < def.min || (def.max !== undefined && number > def.max)) return fail(range);
      return number;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && ['true', '1', 'yes', 'on'].includes(value.trim().toLowerCase())) return true;
      if (typeof value === 'string' && ['false', '0', 'no', 'off'].includes(value.trim().toLowerCase())) return false;
      return fail('true or false');
    }
    case 'enum': {
      if (typeof value !== 'string' || !def.values.includes(value)) return fail(`one of ${def.values.join(', ')}`);
      return value;
    }
    case 'string': {
      if (typeof value !== 'string' || value.trim() === '') return fail('a non-empty string');
      return value.trim();
    }
    case 'url':
      return typeof value === 'string' ? parseIssuer(value, key, source) : fail('a URL');
    case 'secret': {
      // Never echo a secret in an error. Empty means none, as for paths.
      const text = typeof value === 'string' ? value.trim() : null;
      if (text === null || (text !== '' && text.length < def.min)) {
        throw new ConfigError(`Setting '${key}' from ${source} must be empty or a string of at least ${def.min} characters (try: openssl rand -hex 32).`);
      }
      return text;
    }
    case 'path':
      // Empty means none (the default), so an environment variable can switch a file's setting off.
      return typeof value === 'string' ? value.trim() : fail('a file path');
    case 'database':
      if (typeof value !== 'string' || !/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(value.trim())) {
        return fail('sqlite:PATH or postgres://user:pass@host/db');
      }
      return value.trim();
  }
}

/**
 * OIDC Discovery §3: the issuer is an http(s) URL with no query or fragment. It is kept without a
 * trailing slash so that `${issuer}/jwks` is always well formed.
 */
function parseIssuer(value: string, key: SettingKey, source: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(`Setting '${key}' from ${source} is not a valid URL: ${JSON.stringify(value)}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`Setting '${key}' from ${source} must be an http or https URL, got ${JSON.stringify(value)}.`);
  }
  if (url.search || url.hash || value.includes('#') || value.includes('?')) {
    throw new ConfigError(`Setting '${key}' from ${source} must not have a query or fragment, got ${JSON.stringify(value)}.`);
  }
  if (url.username || url.password) {
    throw new ConfigError(`Setting '${key}' from ${source} must not contain credentials.`);
  }
  return url.href.replace(/\/+$/, '');
}

/** `sqlite:idp.db` is relative to the data directory; an absolute path is kept. */
function resolveDatabase(database: string, dataDir: string): string {
  if (!database.startsWith('sqlite:')) return database;
  const path = database.slice('sqlite:'.length);
  return `sqlite:${isAbsolute(path) ? path : join(dataDir, path)}`;
}

/** The idp.toml written on first start: every setting, commented out, with its default. */
export function configTemplate(values: Partial<Settings> = {}): string {
  const lines = [
    '# idp configuration. Precedence: defaults < this file < IDP_* environment < command-line flags.',
    '# Uncomment a line to change a setting. Durations are in seconds.',
    '',
  ];
  for (const key of SETTING_KEYS) {
    const def = SETTINGS[key];
    lines.push(`# ${def.description}`);
    const value = values[key];
    if (value !== undefined) lines.push(`${key} = ${JSON.stringify(value)}`);
    else lines.push(`# ${key} = ${JSON.stringify(typeof def.default === 'function' ? def.shownDefault : def.default)}`);
    lines.push('');
  }
  return lines.join('\n');
}
