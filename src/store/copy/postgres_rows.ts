// Raw rows of a PostgreSQL installation for `idp db copy`.
import { Connection } from '../postgres/connection.ts';
import { PAGE_SIZE, type Row, type RowSource, type RowTarget, TABLES, type TableSpec } from './tables.ts';

function toNeutral(table: TableSpec, record: Record<string, unknown>): Row {
  return table.columns.map(({ name, kind }) => {
    const value = record[name];
    if (value === null || value === undefined) return null;
    if (kind === 'int') return Number(value);
    return value as string | boolean;
  });
}

function orderBy(table: TableSpec): string {
  return table.postgresOrder ? ` ORDER BY ${table.postgresOrder}` : '';
}

export function postgresRowSource(url: string, statementTimeout: number): RowSource {
  const db = Connection.open(url, { poolSize: 1, statementTimeout });
  return {
    location: db.location,
    async read(visit) {
      // One read-only REPEATABLE READ transaction: every table from the same snapshot, even with
      // servers writing meanwhile. A cursor pages through each table without OFFSET rescans.
      await db.run(
        db.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
          await tx`SET LOCAL statement_timeout = 0`;
          for (const table of TABLES) {
            const columns = table.columns.map((column) => column.name).join(', ');
            await tx.unsafe(`DECLARE copy_rows NO SCROLL CURSOR FOR SELECT ${columns} FROM ${table.name}${orderBy(table)}`);
            for (;;) {
              const page = await tx.unsafe<Record<string, unknown>[]>(`FETCH ${PAGE_SIZE} FROM copy_rows`);
              if (page.length > 0) await visit(table, page.map((record) => toNeutral(table, record)));
              if (page.length < PAGE_SIZE) break;
            }
            await tx.unsafe('CLOSE copy_rows');
          }
        }),
      );
    },
    close: () => db.close(),
  };
}

export function postgresRowTarget(url: string, statementTimeout: number): RowTarget {
  const db = Connection.open(url, { poolSize: 1, statementTimeout });
  return {
    location: db.location,
    async firstNonEmptyTable() {
      for (const table of TABLES) {
        const rows = await db.run(db.sql.unsafe(`SELECT 1 FROM ${table.name} LIMIT 1`));
        if (rows.length > 0) return table.name;
      }
      return null;
    },
    async write(fill) {
      await db.run(
        db.sql.begin(async (tx) => {
          await tx`SET LOCAL statement_timeout = 0`;
          await fill(async (table, rows) => {
            // One multi-row INSERT per page; PAGE_SIZE × the widest table stays far below 65535 parameters.
            const columns = table.columns.map((column) => column.name);
            const width = columns.length;
            const tuples = rows.map((_, r) => `(${columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
            await tx.unsafe(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, rows.flat());
          });
          // Audit ids were copied as they were: new events must continue after the highest.
          await tx`SELECT setval(pg_get_serial_sequence('audit_events', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM audit_events`;
        }),
      );
    },
    close: () => db.close(),
  };
}
