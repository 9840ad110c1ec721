// Key administration used by `idp init`, `idp serve` (first start) and `idp keys`: the rules that
// keep rotation safe for clients that cache the JWKS live here, not in the CLI.
import type { Config, SigningAlg } from '../config/schema.ts';
import { type Clock, epochSeconds } from '../clock.ts';
import type { SigningKeyStore } from '../store/store.ts';
import { KeyError } from './errors.ts';
import { generateSigningKey } from './generate.ts';
import { describeKeys, type KeyView } from './lifecycle.ts';
import type { Sealer } from './seal.ts';

export interface KeyAdminDeps {
  store: SigningKeyStore;
  sealer: Sealer;
  clock: Clock;
  config: Pick<Config, 'key_activation_delay' | 'key_reload_interval' | 'access_token_ttl' | 'id_token_ttl' | 'signing_alg'>;
}

export async function listKeys({ store, clock }: Pick<KeyAdminDeps, 'store' | 'clock'>): Promise<KeyView[]> {
  return describeKeys(await store.listSigningKeys(), epochSeconds(clock));
}

/**
 * First keys of a data dir: RS256 always (OIDC Core §15.1 makes RS256 mandatory to offer) and the
 * chosen default algorithm, both signing at once.
 */
export async function createInitialKeys(deps: KeyAdminDeps, signingAlg: SigningAlg): Promise<KeyView[]> {
  for (const record of await initialKeyRecords(deps, signingAlg)) await deps.store.insertSigningKey(record);
  return listKeys(deps);
}

/**
 * createInitialKeys for a store that other instances may be initialising at the same moment: the
 * keys are stored only when the store has none, so exactly one instance's keys are stored. Null
 * when the store already held keys (another instance was first); nothing was stored then.
 */
export async function createInitialKeysIfNone(deps: KeyAdminDeps, signingAlg: SigningAlg): Promise<KeyView[] | null> {
  const records = await initialKeyRecords(deps, signingAlg);
  if (!(await deps.store.insertInitialSigningKeys(records))) return null;
  return listKeys(deps);
}

async function initialKeyRecords(deps: Pick<KeyAdminDeps, 'sealer' | 'clock'>, signingAlg: SigningAlg) {
  const now = epochSeconds(deps.clock);
  const algs: SigningAlg[] = signingAlg === 'RS256' ? ['RS256'] : ['RS256', signingAlg];
  return Promise.all(algs.map((alg) => generateSigningKey(alg, deps.sealer, { createdAt: now, activatesAt: now })));
}

/**
 * Publishes a new key at once; it starts signing after key_activation_delay so that clients caching
 * the JWKS have fetched it before they see a token it signed. `now` skips the wait (a leaked key).
 */
export async function rotateKey(deps: KeyAdminDeps, alg: SigningAlg, options: { now: boolean }): Promise<KeyView> {
  const createdAt = epochSeconds(deps.clock);
  const activatesAt = options.now ? createdAt : createdAt + deps.config.key_activation_delay;
  const record = await generateSigningKey(alg, deps.sealer, { createdAt, activatesAt });
  await deps.store.insertSigningKey(record);
  const view = (await listKeys(deps)).find((key) => key.kid === record.kid);
  if (!view) throw new KeyError(`The new signing key ${record.kid} was not found after it was stored.`);
  return view;
}

/**
 * Stops publishing a key. Never for the active RS256 or signing_alg signer (there must always be
 * one); an active key of another algorithm only with `force`, which drops that algorithm. Without
 * `force`, refused while tokens it signed may still be valid: until it was superseded plus the
 * longest token lifetime plus one reload interval (instances may keep signing until they reload).
 */
export async function retireKey(deps: KeyAdminDeps, kid: string, options: { force: boolean }): Promise<KeyView> {
  const now = epochSeconds(deps.clock);
  const key = (await listKeys(deps)).find((view) => view.kid === kid);
  if (!key) throw new KeyError(`No signing key has kid ${kid}; see: idp keys list`);
  if (key.state === 'retired') throw new KeyError(`Signing key ${kid} is already retired.`);
  const { access_token_ttl, id_token_ttl, key_reload_interval, signing_alg } = deps.config;
  if (key.state === 'active') {
    if (key.alg === 'RS256' || key.alg === signing_alg) {
      throw new KeyError(
        `Signing key ${kid} is the active ${key.alg} signer and cannot be retired; rotate first: idp keys rotate --alg ${key.alg} --now`,
      );
    }
    if (!options.force) {
      throw new KeyError(
        `Signing key ${kid} is the active ${key.alg} signer; add --force to stop offering ${key.alg} and invalidate the tokens it signed.`,
      );
    }
  }
  if (key.state === 'retiring' && key.supersededAt !== null && !options.force) {
    const safeAt = key.supersededAt + Math.max(access_token_ttl, id_token_ttl) + key_reload_interval;
    if (now < safeAt) {
      const until = new Date(safeAt * 1000).toISOString().replace('.000Z', 'Z');
      throw new KeyError(
        `Signing key ${kid} may have signed tokens that are valid until ${until}; retire it after that, or add --force to make them fail verification now.`,
      );
    }
  }
  await deps.store.retireSigningKey(kid, now);
  return { ...key, state: 'retired', retiredAt: now };
}
