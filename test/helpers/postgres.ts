// A real PostgreSQL server for the PostgreSQL tests, named by IDP_TEST_DATABASE_URL (a role that may
// create databases). CI (CI=true) always runs them: .ci/run starts a server, and a missing URL there
// is a failure. On a developer machine without one they are skipped with a notice; start one with
//   eval "$(test/helpers/start_postgres.sh)"
import { SQL } from 'bun';

export const POSTGRES_URL = process.env.IDP_TEST_DATABASE_URL;

export const RUN_POSTGRES_TESTS = Boolean(POSTGRES_URL) || Boolean(process.env.CI);
if (!RUN_POSTGRES_TESTS) {
  console.warn('PostgreSQL tests skipped: IDP_TEST_DATABASE_URL is not set (eval "$(test/helpers/start_postgres.sh)"); CI always runs them');
}

export function requirePostgresUrl(): string {
  if (!POSTGRES_URL) throw new Error('IDP_TEST_DATABASE_URL is not set: CI must start PostgreSQL (.ci/run runs test/helpers/start_postgres.sh)');
  return POSTGRES_URL;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.href;
}

export interface TestDatabase {
  /** postgres://… of the new database, password included. */
  url: string;
  /** Drops everything in it: the next store opened on it starts from schema 0. */
  reset(): Promise<void>;
  /** Runs SQL as the test's administrator (same role), for checks the Store interface cannot make. */
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database of its own, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = requirePostgresUrl();
  const name = `idp_t_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
  const server = new SQL({ url: base, max: 1 });
  try {
    await server.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await server.close();
  }
  const url = withDatabase(base, name);
  const admin = new SQL({ url, max: 1, database: name });
  return {
    url,
    async reset() {
      await admin.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public;').simple();
    },
    async query<T>(text: string, params: unknown[] = []) {
      return [...(await admin.unsafe(text, params))] as T[];
    },
    async drop() {
      await admin.close();
      const again = new SQL({ url: base, max: 1 });
      try {
        await again.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await again.close();
      }
    },
  };
}
