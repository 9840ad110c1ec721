// An installation is a data dir's config, store and server secret. `idp init` and the first
// `idp serve` create one; every other command opens an existing one.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { IdpError } from './errors.ts';
import { configTemplate, defaultConfigPath, loadConfig, type LoadConfigOptions } from './config/load.ts';
import type { Config, Settings } from './config/schema.ts';
import { type Clock, systemClock } from './clock.ts';
import { KeyError } from './keys/errors.ts';
import { createInitialKeysIfNone } from './keys/manage.ts';
import type { KeyView } from './keys/lifecycle.ts';
import { createSealer, type Sealer } from './keys/seal.ts';
import { ensureServerSecret, readServerSecret, removeServerSecretFile } from './keys/server_secret.ts';
import { isPostgresUrl, openStore, storeOptions } from './store/open.ts';
import type { SigningKeyRecord, Store } from './store/store.ts';

export interface Installation {
  config: Config;
  store: Store;
  sealer: Sealer;
  /** The server secret: seals keys (via sealer) and keys the CSRF tokens. */
  secret: Uint8Array<ArrayBuffer>;
  clock: Clock;
}

export interface OpenOptions extends LoadConfigOptions {
  clock?: Clock;
  /** PostgreSQL: migrate a database whose schema is behind (idp serve --migrate); see store/open.ts. */
  migrate?: boolean;
}

/** Opens an initialised data dir; fails clearly when it is not one. */
export async function openInstallation(options: OpenOptions): Promise<Installation> {
  const config = loadConfig(options);
  const env = options.env ?? process.env;
  const notInitialised = () =>
    new IdpError(`The data dir ${config.data_dir} is not initialised; run: idp init --data-dir ${config.data_dir}`);
  if (config.database.startsWith('sqlite:') && !existsSync(config.database.slice('sqlite:'.length))) throw notInitialised();
  const store = await openStore(config.database, storeOptions(config, options.migrate));
  try {
    const keys = await store.keys.listSigningKeys();
    if (keys.length === 0) throw notInitialised();
    const shared = isPostgresUrl(config.database);
    const secret = readServerSecret({ dataDir: config.data_dir, env });
    if (!secret) {
      // On PostgreSQL this is usually a second instance started without the first one's secret.
      throw new IdpError(
        shared
          ? `The database ${store.location} already holds signing keys sealed with the server secret of the instance that initialised it: set that same IDP_SECRET on every instance sharing the database (or copy its DATA_DIR/secret to ${config.data_dir}/secret).`
          : `The server secret is missing: set IDP_SECRET or restore ${config.data_dir}/secret; the signing keys cannot be read without it.`,
      );
    }
    const sealer = await createSealer(secret);
    // Fail now, not after a new key was sealed under the wrong secret.
    const newest = keys.at(-1) as SigningKeyRecord;
    try {
      await sealer.open(newest.sealedPrivateJwk, newest.kid);
    } catch (error) {
      if (!shared || !(error instanceof KeyError)) throw error;
      throw new IdpError(
        `This instance's server secret cannot decrypt the signing keys in ${store.location}: every instance sharing the database must use the same IDP_SECRET (or a copy of the first instance's DATA_DIR/secret as ${config.data_dir}/secret).`,
      );
    }
    return { config, store, sealer, secret, clock: options.clock ?? systemClock };
  } catch (error) {
    await store.close();
    throw error;
  }
}

export interface InitialiseOptions extends OpenOptions {
  /** Values written into a new idp.toml (issuer, signing_alg chosen by `idp init`). */
  settings?: Partial<Pick<Settings, 'issuer' | 'signing_alg'>>;
  /** `idp serve` initialises an empty data dir and opens an initialised one; `idp init` refuses the latter. */
  ifAlreadyInitialised: 'open' | 'refuse';
}

export interface InitialiseResult extends Installation {
  created: boolean;
  keys: KeyView[];
}

export async function initialiseInstallation(options: InitialiseOptions): Promise<InitialiseResult> {
  const env = options.env ?? process.env;
  // The chosen settings go into the config file named by --config, or DATA_DIR/idp.toml.
  const configPath = options.configFile ?? defaultConfigPath(options.dataDir);
  // `idp init --config FILE` may create FILE; for `idp serve` a missing --config file is a mistake.
  const writeConfig = !existsSync(configPath) && (!options.configFile || options.ifAlreadyInitialised === 'refuse');
  if (options.ifAlreadyInitialised === 'refuse' && !writeConfig && !options.configFile) {
    throw new IdpError(`The data dir ${options.dataDir} is already initialised (${configPath} exists); refusing to overwrite it.`);
  }
  if (!writeConfig && Object.keys(options.settings ?? {}).length > 0) {
    throw new IdpError(`The config file ${configPath} exists; set issuer and signing_alg in it instead of passing them.`);
  }
  // Validate flags and environment before writing anything.
  const config = loadConfig({
    ...options,
    configFile: writeConfig ? undefined : options.configFile,
    flags: { ...options.flags, ...options.settings },
  });
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  const store = await openStore(config.database, storeOptions(config, options.migrate));
  let hasKeys: boolean;
  try {
    hasKeys = (await store.keys.listSigningKeys()).length > 0;
  } catch (error) {
    await store.close();
    throw error;
  }
  if (hasKeys) {
    await store.close();
    if (options.ifAlreadyInitialised === 'refuse') {
      throw new IdpError(`The database ${store.location} already holds signing keys; refusing to initialise it again.`);
    }
    return { ...(await openInstallation(options)), created: false, keys: [] };
  }
  let createdConfigFile = false;
  try {
    if (writeConfig) createdConfigFile = writeConfigOnce(configPath, configTemplate(options.settings), options.ifAlreadyInitialised);
    const { secret, createdFile: createdSecretFile } = ensureServerSecret({ dataDir: config.data_dir, env });
    const sealer = await createSealer(secret);
    const clock = options.clock ?? systemClock;
    // Several instances may start together on one empty database (PostgreSQL): the store keeps the
    // keys of exactly one of them, and the others open what it made.
    const keys = await createInitialKeysIfNone({ store: store.keys, sealer, clock, config }, config.signing_alg);
    if (keys) return { config, store, sealer, secret, clock, created: true, keys };
    // Another instance stored its keys first. A secret file made here that does not open them (that
    // instance had its own secret) would only be wrong, so it goes and opening below names the secret
    // to share; one that does open them (the other instance shares this data dir) stays.
    if (createdSecretFile && !(await opensNewestKey(store, sealer))) removeServerSecretFile(config.data_dir);
  } catch (error) {
    await store.close();
    throw error;
  }
  await store.close();
  if (options.ifAlreadyInitialised === 'refuse') {
    if (createdConfigFile) rmSync(configPath, { force: true });
    throw new IdpError(`The database ${store.location} already holds signing keys; refusing to initialise it again.`);
  }
  return { ...(await openInstallation(options)), created: false, keys: [] };
}

async function opensNewestKey(store: Store, sealer: Sealer): Promise<boolean> {
  const newest = (await store.keys.listSigningKeys()).at(-1);
  if (!newest) return false;
  return sealer.open(newest.sealedPrivateJwk, newest.kid).then(
    () => true,
    () => false,
  );
}

/** Writes a new config file; another `idp serve` initialising the same data dir may have just written it. */
function writeConfigOnce(path: string, text: string, ifAlreadyInitialised: InitialiseOptions['ifAlreadyInitialised']): boolean {
  try {
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if (ifAlreadyInitialised === 'open' && (error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  }
}
