// `idp db copy`: every row of one installation's database into another, empty one, on either
// backend. Rows are copied raw (audit ids, rotated tokens, sealed keys and all), in foreign-key order,
// from one snapshot of the source, in one transaction on the target.
import { IdpError } from '../../errors.ts';
import { absoluteDatabase, isPostgresUrl, openStore, type OpenStoreOptions } from '../open.ts';
import { inspectSchema } from '../schema_admin.ts';
import { postgresRowSource, postgresRowTarget } from './postgres_rows.ts';
import { sqliteRowSource, sqliteRowTarget } from './sqlite_rows.ts';
import { type RowSource, type RowTarget, TABLES } from './tables.ts';

export interface CopyReport {
  from: string;
  to: string;
  /** Rows copied per table, in copy order. */
  tables: Record<string, number>;
  rows: number;
}

export async function copyDatabase(from: string, to: string, options: OpenStoreOptions = {}): Promise<CopyReport> {
  from = absoluteDatabase(from);
  to = absoluteDatabase(to);
  const source = await inspectSchema(from, options);
  const target = await inspectSchema(to, options);
  if (source.location === target.location) throw new IdpError(`--from and --to both name ${source.location}; copy into another database.`);
  if (source.current === 0) throw new IdpError(`The source database ${source.location} holds no idp data (schema 0).`);
  if (target.current !== 0 && target.current !== target.latest) {
    throw new IdpError(`The target database ${target.location} is at schema ${target.current}; idp db copy needs an empty database.`);
  }
  // Opening checks both schemas the usual way: a newer one is refused, a PostgreSQL source that is
  // behind must be migrated first, a SQLite one is migrated as every command does; an empty target
  // gets the schema.
  await (await openStore(from, { ...options, migrate: false })).close();
  await (await openStore(to, { ...options, migrate: false })).close();

  const timeout = options.statementTimeout ?? 10;
  const reader: RowSource = isPostgresUrl(from) ? postgresRowSource(from, timeout) : sqliteRowSource(from.slice('sqlite:'.length));
  let writer: RowTarget | undefined;
  try {
    writer = isPostgresUrl(to) ? postgresRowTarget(to, timeout) : sqliteRowTarget(to.slice('sqlite:'.length));
    const busy = await writer.firstNonEmptyTable();
    if (busy !== null) {
      throw new IdpError(`The target database ${writer.location} is not empty (${busy} has rows); idp db copy only copies into an empty database.`);
    }
    const tables: Record<string, number> = Object.fromEntries(TABLES.map((table) => [table.name, 0]));
    await writer.write((insert) =>
      reader.read(async (table, rows) => {
        await insert(table, rows);
        tables[table.name] = (tables[table.name] ?? 0) + rows.length;
      }),
    );
    const rows = Object.values(tables).reduce((sum, count) => sum + count, 0);
    return { from: reader.location, to: writer.location, tables, rows };
  } finally {
    await reader.close();
    await writer?.close();
  }
}
