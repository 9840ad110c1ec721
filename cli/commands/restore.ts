// `idp restore FILE`: replace the installation's SQLite database with a checked backup; the old one is
// kept as idp.db.before-restore-<time>. Refused while `idp serve` runs on the data dir, unless --force.
import { Command } from 'commander';
import { restoreDatabase } from '../../src/backup/restore.ts';
import { loadConfig } from '../../src/config/load.ts';
import { globalOptions } from '../context.ts';
import { print } from '../output.ts';
import { countsLine, secretSource, sqliteDatabasePath } from './backup.ts';

export function restoreCommand(): Command {
  return new Command('restore')
    .description('replace the SQLite database with a backup made by idp backup (the old one is kept aside)')
    .argument('<file>', 'the backup file')
    .option('--force', 'restore even though idp serve is running on this data dir (restart it right after)')
    .option('--json', 'print one JSON document')
    .action(async (file: string, options: { force?: boolean; json?: boolean }, command: Command) => {
      const config = loadConfig({ ...globalOptions(command), env: process.env });
      const databasePath = sqliteDatabasePath(
        config,
        'idp restore replaces SQLite databases only; restore a PostgreSQL database with pg_restore (see "Backup and restore" in the README).',
      );
      const result = await restoreDatabase({
        backupPath: file,
        databasePath,
        dataDir: config.data_dir,
        env: process.env,
        force: options.force === true,
      });
      const { report, previous, runningServer: server } = result;
      const notes: string[] = [];
      if (server) {
        notes.push(
          `A server (pid ${server.pid}) is still running on the old database: restart it now. Until it restarts it serves the old data${previous ? ` and writes to ${previous}` : ''}.`,
        );
      }
      if (result.secret === 'missing') {
        notes.push(
          `No server secret is in place: put the backed-up installation's secret in ${secretSource(config)} (mode 0600) or IDP_SECRET before starting idp; its signing keys cannot be read without it.`,
        );
      }
      if (report.schemaVersion < report.latestSchema) {
        notes.push(`The backup is at schema version ${report.schemaVersion}; idp migrates it to ${report.latestSchema} when it next opens it.`);
      }
      print(
        { json: options.json === true },
        {
          database: config.database,
          restored_from: result.restoredFrom,
          schema_version: report.schemaVersion,
          latest_schema: report.latestSchema,
          integrity: 'ok',
          counts: report.counts,
          previous,
          server_running: server ? { pid: server.pid, started_at: new Date(server.startedAt * 1000).toISOString() } : null,
          restart_required: server !== null,
          secret: result.secret,
          notes,
        },
        () =>
          [
            `Restored ${result.restoredFrom} into ${config.database}`,
            `  schema version  ${report.schemaVersion}`,
            `  integrity       ok`,
            `  contents        ${countsLine(report)}`,
            `  previous        ${previous ? `${previous} (kept; remove it when you no longer need it)` : 'none'}`,
            ...(notes.length > 0 ? ['', ...notes] : []),
          ].join('\n'),
      );
    });
}
