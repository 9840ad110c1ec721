// `idp keys list | rotate | retire`: the running servers pick changes up within key_reload_interval.
import { Command } from 'commander';
import type { KeyView } from '../../src/keys/lifecycle.ts';
import { listKeys, retireKey, rotateKey } from '../../src/keys/manage.ts';
import type { Installation } from '../../src/installation.ts';
import { withEvents, withInstallation } from '../context.ts';
import { parseAlg } from '../options.ts';
import { isoTime, keyJson, print, table } from '../output.ts';
import type { SigningAlg } from '../../src/config/schema.ts';

function adminDeps({ store, sealer, clock, config }: Installation) {
  return { store: store.keys, sealer, clock, config };
}

function keyTable(keys: readonly KeyView[]): string {
  return table(
    ['KID', 'ALG', 'STATE', 'PUBLISHED', 'SIGNS FROM', 'SUPERSEDED', 'RETIRED'],
    keys.map((key) => [
      key.kid,
      key.alg,
      key.state,
      isoTime(key.createdAt),
      isoTime(key.activatesAt),
      isoTime(key.supersededAt),
      isoTime(key.retiredAt),
    ]),
  );
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage signing keys');

  keys
    .command('list')
    .description('show every signing key with its state and the times of each change')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const views = await withInstallation(command, (installation) => listKeys(adminDeps(installation)));
      print({ json: options.json === true }, views.map(keyJson), () => keyTable(views));
    });

  keys
    .command('rotate')
    .description('publish a new key now; it signs after key_activation_delay (at once with --now)')
    .option('--alg <alg>', 'algorithm of the new key (default: the signing_alg setting)', parseAlg)
    .option('--now', 'sign with the new key at once (for a leaked key; clients with a cached JWKS may fail until they refetch)')
    .option('--json', 'print one JSON document')
    .action(async (options: { alg?: SigningAlg; now?: boolean; json?: boolean }, command: Command) => {
      const view = await withEvents(command, async (installation, events) => {
        const rotated = await rotateKey(adminDeps(installation), options.alg ?? installation.config.signing_alg, { now: options.now === true });
        await events.record('key.rotated', {}, { kid: rotated.kid, alg: rotated.alg, activates_at: rotated.activatesAt });
        return rotated;
      });
      print({ json: options.json === true }, keyJson(view), () =>
        view.state === 'active'
          ? `New ${view.alg} key ${view.kid} signs from now on; running servers switch within key_reload_interval.`
          : `New ${view.alg} key ${view.kid} is published and starts signing at ${isoTime(view.activatesAt)}.`,
      );
    });

  keys
    .command('retire')
    .description('stop publishing a key (refused while tokens it signed may be valid, unless --force)')
    .argument('<kid>', 'key id, as shown by idp keys list')
    // A kid is base64url and may start with '-'; take it as the argument, not as an option.
    .allowUnknownOption()
    .option('--force', 'retire even though tokens it signed may still be valid')
    .option('--json', 'print one JSON document')
    .action(async (kid: string, options: { force?: boolean; json?: boolean }, command: Command) => {
      const view = await withEvents(command, async (installation, events) => {
        const retired = await retireKey(adminDeps(installation), kid, { force: options.force === true });
        await events.record('key.retired', {}, { kid: retired.kid, alg: retired.alg, force: options.force === true });
        return retired;
      });
      print({ json: options.json === true }, keyJson(view), () => `Key ${view.kid} is retired and no longer published.`);
    });

  return keys;
}
