// `idp backup --out FILE`: a consistent copy of the SQLite database, safe while `idp serve` runs.
// The server secret and the config are not in it: the operator keeps them separately.
import { Command } from 'commander';
import { join } from 'node:path';
import { backupDatabase } from '../../src/backup/backup.ts';
import type { DatabaseReport } from '../../src/backup/inspect.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { IdpError } from '../../src/errors.ts';
import { isPostgresUrl } from '../../src/store/open.ts';
import { globalOptions } from '../context.ts';
import { print } from '../output.ts';

/** The database file of a sqlite: installation; PostgreSQL has its own tools, named in `refusal`. */
export function sqliteDatabasePath(config: Config, refusal: string): string {
  if (isPostgresUrl(config.database)) throw new IdpError(refusal);
  return config.database.slice('sqlite:'.length);
}

/** Where this installation's server secret comes from, for the reminders. */
export function secretSource(config: Config): string {
  return process.env.IDP_SECRET !== undefined ? 'IDP_SECRET' : join(config.data_dir, 'secret');
}

export function countsLine(report: DatabaseReport): string {
  const { users, clients, signing_keys: keys } = report.counts;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(users, 'user')}, ${plural(clients, 'client')}, ${plural(keys, 'signing key')}`;
}

export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes} bytes)`;
}

export function backupCommand(): Command {
  return new Command('backup')
    .description('write a consistent copy of the SQLite database (safe while idp serve runs); the server secret is not included')
    .requiredOption('--out <file>', 'the backup file to write (mode 0600); refused if it exists')
    .option('--force', 'replace the --out file if it exists')
    .option('--json', 'print one JSON document')
    .action(async (options: { out: string; force?: boolean; json?: boolean }, command: Command) => {
      const config = loadConfig({ ...globalOptions(command), env: process.env });
      const databasePath = sqliteDatabasePath(
        config,
        'idp backup copies SQLite databases only; back up a PostgreSQL database with pg_dump (see "Backup and restore" in the README).',
      );
      const report = backupDatabase({ databasePath, outPath: options.out, force: options.force === true });
      const secret = secretSource(config);
      const note = `The backup holds no server secret and no config: keep ${secret} and the config file safe separately. The signing keys in the backup are sealed with that secret and cannot be used without it.`;
      print(
        { json: options.json === true },
        {
          path: report.path,
          size: report.size,
          schema_version: report.schemaVersion,
          integrity: 'ok',
          database: config.database,
          counts: report.counts,
          includes_secret: false,
          note,
        },
        () =>
          [
            `Backed up ${config.database} to ${report.path}`,
            `  size            ${sizeText(report.size)}`,
            `  schema version  ${report.schemaVersion}`,
            `  integrity       ok`,
            `  contents        ${countsLine(report)}`,
            '',
            note,
          ].join('\n'),
      );
    });
}
