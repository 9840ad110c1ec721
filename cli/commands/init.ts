// `idp init`: create the data dir, config, database, server secret and first signing keys.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { defaultConfigPath, parseSetting } from '../../src/config/load.ts';
import { SIGNING_ALGS, type SigningAlg } from '../../src/config/schema.ts';
import { initialiseInstallation } from '../../src/installation.ts';
import { globalOptions } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseAlg } from '../options.ts';
import { isoTime, keyJson, print, table } from '../output.ts';
import { askChoice, askText } from '../prompt.ts';

interface InitOptions {
  issuer?: string;
  alg?: SigningAlg;
  yes?: boolean;
  json?: boolean;
}

export function initCommand(): Command {
  return new Command('init')
    .description('create a data dir: config, database, server secret and signing keys')
    .option('--issuer <url>', 'public URL of the provider (default http://localhost:9000)')
    .option('--alg <alg>', `default signing algorithm besides the mandatory RS256: ${SIGNING_ALGS.join(', ')}`, parseAlg)
    .option('--yes', 'accept the defaults for anything not given, without asking')
    .option('--json', 'print one JSON document')
    .action(async (options: InitOptions, command: Command) => {
      const global = globalOptions(command);
      if (!global.configFile && existsSync(defaultConfigPath(global.dataDir))) {
        throw new CliError(`The data dir ${global.dataDir} is already initialised; refusing to overwrite it.`, 1);
      }
      const issuer =
        options.issuer ??
        (options.yes
          ? undefined
          : await askText({
              message: 'Issuer URL (how browsers and clients reach this server)',
              flag: '--issuer (or --yes for the defaults)',
              default: 'http://localhost:9000',
              validate: validIssuer,
            }));
      const alg =
        options.alg ??
        (options.yes
          ? 'RS256'
          : await askChoice<SigningAlg>({
              message: 'Default signing algorithm (an RS256 key is always created too)',
              flag: '--alg (or --yes for the defaults)',
              choices: SIGNING_ALGS,
              default: 'RS256',
            }));
      const result = await initialiseInstallation({
        ...global,
        env: process.env,
        settings: { ...(issuer === undefined ? {} : { issuer }), ...(alg === 'RS256' ? {} : { signing_alg: alg }) },
        ifAlreadyInitialised: 'refuse',
      });
      await result.store.close();
      const { config, keys } = result;
      print(
        { json: options.json === true },
        { data_dir: config.data_dir, issuer: config.issuer, database: result.store.location, signing_alg: config.signing_alg, keys: keys.map(keyJson) },
        () =>
          [
            `Initialised ${config.data_dir}`,
            `  issuer    ${config.issuer}`,
            `  database  ${result.store.location}`,
            '',
            table(
              ['KID', 'ALG', 'STATE', 'SIGNS FROM'],
              keys.map((key) => [key.kid, key.alg, key.state, isoTime(key.activatesAt)]),
            ),
            '',
            `Start it with: idp serve --data-dir ${config.data_dir}`,
          ].join('\n'),
      );
    });
}

function validIssuer(value: string): string | true {
  try {
    parseSetting('issuer', value, 'your answer');
    return true;
  } catch (error) {
    return (error as Error).message;
  }
}
