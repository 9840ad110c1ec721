// `idp discovery export`: the same document the server serves, built by the same function.
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { epochSeconds } from '../../src/clock.ts';
import { buildMetadata } from '../../src/discovery/metadata.ts';
import { activeAlgorithms } from '../../src/keys/lifecycle.ts';
import { listScopes } from '../../src/scopes/scopes.ts';
import { withInstallation } from '../context.ts';
import { print } from '../output.ts';
import { IdpError } from '../../src/errors.ts';

export function discoveryCommand(): Command {
  const discovery = new Command('discovery').description('the discovery document');
  discovery
    .command('export')
    .description('print the discovery document the server serves')
    .option('--out <file>', 'write it to a file instead of stdout')
    .option('--json', 'print one JSON document (the default for this command)')
    .action(async (options: { out?: string; json?: boolean }, command: Command) => {
      const metadata = await withInstallation(command, async ({ config, store, clock }) => {
        const scopes = await listScopes(store.scopes);
        return buildMetadata(config, activeAlgorithms(await store.keys.listSigningKeys(), epochSeconds(clock)), scopes);
      });
      const text = JSON.stringify(metadata, null, 2) + '\n';
      if (!options.out) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(options.out, text);
      } catch (error) {
        throw new IdpError(`Cannot write ${options.out}: ${(error as Error).message}.`);
      }
      print({ json: options.json === true }, { written: options.out }, () => `Wrote ${options.out}`);
    });
  return discovery;
}
