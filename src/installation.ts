// An installation is a data dir's config, store and server secret. `idp init` and the first
// `idp serve` create one; every other command opens an existing one.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { IdpError } from './errors.ts';
import { configTemplate, defaultConfigPath, loadConfig, type LoadConfigOptions } from './config/load.ts';
import type { Config, Settings } from './config/schema.ts';
import { type Clock, systemClock } from './clock.ts';
import { createInitialKeys } from './keys/manage.ts';
import type { KeyView } from './keys/lifecycle.ts';
import { createSealer, type Sealer } from './keys/seal.ts';
import { createServerSecret, readServerSecret } from './keys/server_secret.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';

export interface Installation {
  config: Config;
  store: Store;
  sealer: Sealer;
  clock: Clock;
}

export interface OpenOptions extends LoadConfigOptions {
  clock?: Clock;
}

/** Opens an initialised data dir; fails clearly when it is not one. */
export async function openInstallation(options: OpenOptions): Promise<Installation> {
  const config = loadConfig(options);
  const env = options.env ?? process.env;
  const notInitialised = () =>
    new IdpError(`The data dir ${config.data_dir} is not initialised; run: idp init --data-dir ${config.data_dir}`);
  if (config.database.startsWith('sqlite:') && !existsSync(config.database.slice('sqlite:'.length))) throw notInitialised();
  const store = await openStore(config.database);
  try {
    if ((await store.keys.listSigningKeys()).length === 0) throw notInitialised();
    const secret = readServerSecret({ dataDir: config.data_dir, env });
    if (!secret) {
      throw new IdpError(
        `The server secret is missing: set IDP_SECRET or restore ${config.data_dir}/secret; the signing keys cannot be read without it.`,
      );
    }
    return { config, store, sealer: await createSealer(secret), clock: options.clock ?? systemClock };
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
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const configPath = defaultConfigPath(options.dataDir);
  const writeConfig = !options.configFile && !existsSync(configPath);
  if (options.ifAlreadyInitialised === 'refuse' && !writeConfig && !options.configFile) {
    throw new IdpError(`The data dir ${options.dataDir} is already initialised (${configPath} exists); refusing to overwrite it.`);
  }
  // Validate flags and environment before writing anything.
  const config = loadConfig({ ...options, flags: { ...options.flags, ...options.settings } });
  const store = await openStore(config.database);
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
  try {
    if (writeConfig) writeFileSync(configPath, configTemplate(options.settings), { mode: 0o600, flag: 'wx' });
    const sealer = await createSealer(createServerSecret({ dataDir: config.data_dir, env }));
    const clock = options.clock ?? systemClock;
    const keys = await createInitialKeys({ store: store.keys, sealer, clock, config }, config.signing_alg);
    return { config, store, sealer, clock, created: true, keys };
  } catch (error) {
    await store.close();
    throw error;
  }
}
