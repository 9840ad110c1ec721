// What the server needs, built once at start and passed in; no module holds a global db, config or key.
import type { Hooks } from './adapter/hooks.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config/schema.ts';
import type { Keyring } from './keys/keyring.ts';
import type { Logger } from './log.ts';
import type { EventSink } from './events/types.ts';
import type { Csrf } from './sessions/csrf.ts';
import type { Store } from './store/store.ts';

export interface Deps {
  config: Config;
  store: Store;
  keyring: Keyring;
  clock: Clock;
  log: Logger;
  csrf: Csrf;
  /** The adapter's hooks, or idp's defaults where it has none. */
  hooks: Hooks;
  events: EventSink;
}
