// Crash safety: `idp serve` is killed with SIGKILL in the middle of a stream of token requests, then
// started again on the same data dir; every token it answered with 200 must still be valid.
//
// Why this holds: the SQLite store (src/store/sqlite/sqlite.ts) runs with journal_mode=WAL and
// synchronous=NORMAL. Each commit is appended to idp.db-wal with write(2) before the insert returns,
// and a token is answered only after its rows are committed, so the data is in the OS page cache when
// the client sees it. A dead process loses nothing the kernel already holds, and the next open replays
// the WAL. (NORMAL skips the fsync per commit: an OS crash or power cut, not tested here, may lose the
// last commits; synchronous=FULL would cover that at the cost of an fsync per token.)
import { Database } from 'bun:sqlite';
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRunLock, runningServer } from '../../src/run_lock.ts';
import { asRecord, expectJson, freePort, runIdp, useSandbox } from '../helpers/cli.ts';
import { signInOverFetch } from '../helpers/fetch_browser.ts';
import { basicAuth } from '../helpers/oidc.ts';

setDefaultTimeout(180_000);
const sandbox = useSandbox();

/** At most this many token requests, CONCURRENCY at a time; the server is killed after KILL_AFTER 200s. */
const REQUESTS = 2_000;
const CONCURRENCY = 8;
const KILL_AFTER = 500;
const PASSWORD = 'correct horse battery staple';
const REDIRECT_URI = 'http://127.0.0.1/callback';
const TIMEOUT_MS = 10_000;

interface Client {
  id: string;
  secret: string;
}

async function addClient(dataDir: string, args: string[]): Promise<Client> {
  const created = asRecord(expectJson(await runIdp(['client', 'add', '--json', '--data-dir', dataDir, ...args])));
  return { id: String(created.client_id), secret: String(created.client_secret) };
}

async function post(url: string, client: Client, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client.id, client.secret) },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  // Reading the whole body is part of "answered": a response cut off by the kill is not counted.
  return { status: response.status, body: asRecord(await response.json()) };
}

/** A refresh token for alice through the code flow with PKCE. */
async function refreshTokenFor(issuer: string, web: Client): Promise<string> {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const url = new URL(`${issuer}/authorize`);
  url.search = new URLSearchParams({
    client_id: web.id,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid offline_access',
    state: 'st',
    nonce: 'nc',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const code = (await signInOverFetch(url, { redirectUri: REDIRECT_URI, username: 'alice', password: PASSWORD, timeoutMs: TIMEOUT_MS })).searchParams.get('code');
  if (!code) throw new Error('no code');
  const { status, body } = await post(`${issuer}/token`, web, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  if (status !== 200 || typeof body.refresh_token !== 'string') throw new Error(`code exchange: ${status} ${JSON.stringify(body)}`);
  return body.refresh_token;
}

function integrityCheck(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.query('PRAGMA integrity_check').all();
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it('after SIGKILL in the middle of a token stream, every token answered with 200 is still valid and the database is intact', async () => {
    const port = freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const dataDir = await sandbox.initDataDir(['--issuer', issuer]);
    const database = join(dataDir, 'idp.db');
    expectJson(await runIdp(['user', 'add', '--json', '--username', 'alice', '--password-stdin', '--data-dir', dataDir], { stdin: `${PASSWORD}\n` }));
    const machine = await addClient(dataDir, ['--name', 'Batch job', '--type', 'confidential', '--grant-type', 'client_credentials']);
    const web = await addClient(dataDir, [
      '--name', 'Web', '--redirect-uri', REDIRECT_URI, '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--skip-consent',
    ]);
    // A rotation the server committed but could not answer before it died leaves the client holding the
    // previous refresh token; the reuse grace lets that retry succeed instead of revoking the grant.
    const env = { IDP_REFRESH_TOKEN_REUSE_GRACE: '3600' };

    const first = await sandbox.serve(dataDir, { port, env });
    const pid = readRunLock(dataDir)?.pid;
    if (pid === undefined) throw new Error('idp serve wrote no serve.pid');
    let refreshToken = await refreshTokenFor(issuer, web);

    // ---- the stream, and the kill ----
    const issued: string[] = [];
    const refreshIssued: string[] = [];
    let sent = 0;
    let failed = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      process.kill(pid, 'SIGKILL');
    };
    const worker = async () => {
      while (!killed && sent < REQUESTS) {
        sent++;
        try {
          const { status, body } = await post(`${issuer}/token`, machine, { grant_type: 'client_credentials' });
          if (status !== 200 || typeof body.access_token !== 'string') throw new Error(`HTTP ${status}`);
          issued.push(body.access_token);
          if (issued.length >= KILL_AFTER) kill();
        } catch {
          failed++;
        }
      }
    };
    const rotator = async () => {
      while (!killed) {
        try {
          const { status, body } = await post(`${issuer}/token`, web, { grant_type: 'refresh_token', refresh_token: refreshToken });
          if (status !== 200 || typeof body.refresh_token !== 'string' || typeof body.access_token !== 'string') {
            throw new Error(`refresh: HTTP ${status} ${JSON.stringify(body)}`);
          }
          refreshToken = body.refresh_token;
          refreshIssued.push(body.access_token);
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    await Promise.all([...Array.from({ length: CONCURRENCY }, worker), rotator()]);
    if (!killed) throw new Error(`the stream ended before ${KILL_AFTER} tokens: ${issued.length} issued, ${failed} failed`);
    await first.stop();
    expect(issued.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(refreshIssued.length).toBeGreaterThan(0);

    // The killed server left its serve.pid behind; it is recognised as stale.
    expect(readRunLock(dataDir)?.pid).toBe(pid);
    expect(runningServer(dataDir)).toBeNull();

    // ---- restart on the same data dir ----
    const second = await sandbox.serve(dataDir, { port, env });
    try {
      expect(runningServer(dataDir)?.pid).not.toBe(pid);
      const tokens = [...issued, ...refreshIssued];
      const inactive: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < tokens.length) {
            const token = tokens[next++] as string;
            const { status, body } = await post(`${issuer}/introspect`, machine, { token });
            if (status !== 200 || body.active !== true) inactive.push(`${token.slice(0, 8)}…: ${status} ${JSON.stringify(body)}`);
          }
        }),
      );
      expect(inactive).toEqual([]);

      // The last refresh token the client received still works after the crash.
      const refreshed = await post(`${issuer}/token`, web, { grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(refreshed.status).toBe(200);

      expect(integrityCheck(database)).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(existsSync(join(dataDir, 'serve.pid'))).toBe(false);
    expect(integrityCheck(database)).toEqual([{ integrity_check: 'ok' }]);
  });
});
