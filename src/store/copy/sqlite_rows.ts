// Raw rows of a SQLite installation for `idp db copy`.
import { Database } from 'bun:sqlite';
import { PAGE_SIZE, type Row, type RowSource, type RowTarget, TABLES, type TableSpec } from './tables.ts';

type SqliteValue = string | number | bigint | boolean | null | Uint8Array;

function toNeutral(table: TableSpec, record: Record<string, SqliteValue>): Row {
  return table.columns.map(({ name, kind }) => {
    const value = record[name] ?? null;
    if (value === null) return null;
    if (kind === 'bool') return value === 1 || value === true;
    return typeof value === 'bigint' ? Number(value) : (value as string | number);
  });
}

function toSqlite(row: Row): (string | number | null)[] {
  return row.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}

export function sqliteRowSource(path: string): RowSource {
  const db = new Database(path, { readonly: true });
  return {
    location: `sqlite:${path}`,
    async read(visit) {
      // One read transaction: a snapshot, even with a server writing meanwhile.
      db.run('BEGIN');
      try {
        for (const table of TABLES) {
          const columns = table.columns.map((column) => column.name).join(', ');
          const query = db.query<Record<string, SqliteValue>, []>(`SELECT ${columns} FROM ${table.name} ORDER BY rowid`);
          let page: Row[] = [];
          // iterate() streams, so a long audit log is never held in memory at once.
          for (const record of query.iterate()) {
            page.push(toNeutral(table, record));
            if (page.length === PAGE_SIZE) {
              await visit(table, page);
              page = [];
            }
          }
          if (page.length > 0) await visit(table, page);
        }
      } finally {
        db.run('COMMIT');
      }
    },
    async close() {
      db.close();
    },
  };
}

export function sqliteRowTarget(path: string): RowTarget {
  const db = new Database(path, { strict: true });
  db.run('PRAGMA foreign_keys = ON');
  db.run('PRAGMA busy_timeout = 5000');
  return {
    location: `sqlite:${path}`,
    async firstNonEmptyTable() {
      for (const table of TABLES) {
        if (db.query(`SELECT 1 FROM ${table.name} LIMIT 1`).get()) return table.name;
      }
      return null;
    },
    async write(fill) {
      db.run('BEGIN IMMEDIATE');
      try {
        await fill(async (table, rows) => {
          const columns = table.columns.map((column) => column.name);
          const insert = db.prepare(`INSERT INTO ${table.name} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
          for (const row of rows) insert.run(...toSqlite(row));
        });
        db.run('COMMIT');
      } catch (error) {
        db.run('ROLLBACK');
        throw error;
      }
    },
    async close() {
      try {
        db.run('PRAGMA wal_checkpoint(TRUNCATE)');
      } catch {
        // Another process holds the database; the WAL stays and is still valid.
      }
      db.close();
    },
  };
}
