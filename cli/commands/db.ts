// `idp db status | migrate | copy`: the database's schema, its migrations, and moving an installation
// between databases (SQLite to PostgreSQL, or back). They read the `database` setting from the config
// and need no server secret.
import { Command } from 'commander';
import { loadConfig } from '../../src/config/load.ts';
import { absoluteDatabase, storeOptions } from '../../src/store/open.ts';
import { globalOptions } from '../context.ts';
import { CliError } from '../errors.ts';
import { print, table } from '../output.ts';

function configOf(command: Command) {
  return loadConfig({ ...globalOptions(command), env: process.env });
}

// The PostgreSQL code is loaded by the db commands that run, so that `idp serve` on SQLite never loads it.
const schemaAdmin = () => import('../../src/store/schema_admin.ts');

/** --from and --to: a database URL as the `database` setting takes it. */
function databaseUrl(flag: string, value: string): string {
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(value)) {
    throw new CliError(`${flag} must be sqlite:PATH or postgres://user:password@host/database.`);
  }
  return absoluteDatabase(value);
}

export function dbCommand(): Command {
  const db = new Command('db').description('inspect, migrate or copy the database');

  db.command('status')
    .description('show the schema version of the database, the latest this idp knows, and what is pending')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configOf(command);
      const { inspectSchema } = await schemaAdmin();
      const status = await inspectSchema(config.database, storeOptions(config));
      print({ json: options.json === true }, status, () =>
        [
          `backend   ${status.backend}`,
          `location  ${status.location}`,
          `schema    ${status.current} (latest ${status.latest})`,
          `pending   ${status.pending.length === 0 ? 'none' : status.pending.join(', ')}`,
        ].join('\n'),
      );
    });

  db.command('migrate')
    .description('apply the pending migrations (safe while other instances run: they wait on a lock)')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configOf(command);
      const { migrateDatabase } = await schemaAdmin();
      const result = await migrateDatabase(config.database, storeOptions(config, true));
      print({ json: options.json === true }, result, () =>
        result.from === result.to
          ? `The database ${result.location} is at schema ${result.to}, the latest; nothing to migrate.`
          : `Migrated ${result.location} from schema ${result.from} to ${result.to}: applied ${result.applied.join(', ')}.`,
      );
    });

  db.command('copy')
    .description('copy every row of one database into another, empty one (sqlite:PATH or postgres://)')
    .requiredOption('--from <url>', 'the database to copy from, e.g. sqlite:idp-data/idp.db')
    .requiredOption('--to <url>', 'the empty database to copy into, e.g. postgres://idp:password@db.internal/idp')
    .option('--json', 'print one JSON document')
    .action(async (options: { from: string; to: string; json?: boolean }, command: Command) => {
      const from = databaseUrl('--from', options.from);
      const to = databaseUrl('--to', options.to);
      const config = configOf(command);
      const { copyDatabase } = await import('../../src/store/copy/copy.ts');
      const result = await copyDatabase(from, to, storeOptions(config));
      const secretNote =
        'Signing keys were copied sealed: run idp on the new database with the same server secret (IDP_SECRET or DATA_DIR/secret).';
      print({ json: options.json === true }, { ...result, note: secretNote }, () =>
        [
          `Copied ${result.rows} rows from ${result.from} to ${result.to}.`,
          '',
          table(
            ['TABLE', 'ROWS'],
            Object.entries(result.tables).map(([name, count]) => [name, String(count)]),
          ),
          '',
          secretNote,
          `To use it, set database = "${result.to}" (with its password) in idp.toml or IDP_DATABASE.`,
        ].join('\n'),
      );
    });

  return db;
}
