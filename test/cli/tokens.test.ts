// `idp tokens revoke | list`: exactly one target, counts in one sentence or one JSON document, one
// sentence for an unknown user or client, and revoked tokens refused by a running server. Grants,
// tokens and sessions are written straight into the data dir's store (the server reads them there),
// so that each token's plain value is known without driving a browser through sign-in.
import { beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { hashToken, randomToken } from '../../src/tokens/secret.ts';
import { asRecord, expectCleanFailure, expectJson, type RunningServer, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();
const REDIRECT = 'https://app.example.test/callback';
const SCOPE = 'openid profile offline_access';

let dataDir: string;
let server: RunningServer;
beforeAll(async () => {
  dataDir = await sandbox.initDataDir();
  server = await sandbox.serve(dataDir);
});

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}`;

const idp = (args: string[]) => runIdp(['--data-dir', dataDir, ...args]);
const idpJson = async (args: string[]) => expectJson(await idp([...args, '--json']));

interface Client {
  id: string;
  name: string;
  secret: string;
}

async function addClient(): Promise<Client> {
  const name = unique('App ');
  const printed = asRecord(await idpJson(['client', 'add', '--name', name, '--redirect-uri', REDIRECT]));
  return { id: String(printed.client_id), name, secret: String(printed.client_secret) };
}

async function addUser(): Promise<{ id: string; username: string }> {
  const username = unique('user');
  const result = await runIdp(['--data-dir', dataDir, 'user', 'add', '--json', '--username', username, '--password-stdin'], {
    stdin: 'correct horse battery\n',
  });
  return { id: String(asRecord(expectJson(result)).id), username };
}

interface Seeded {
  grantId: string;
  accessToken: string;
  refreshToken: string;
}

/** A grant with an opaque access token and a refresh token (and, when asked, a browser session of the user). */
async function seedGrant(userId: string, clientId: string, options: { session?: boolean; expiresIn?: number; revoked?: boolean } = {}): Promise<Seeded> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + (options.expiresIn ?? 3600);
    const seeded = { grantId: randomToken(16), accessToken: randomToken(), refreshToken: randomToken() };
    const owner = { grantId: seeded.grantId, clientId, userId, scope: SCOPE, createdAt: now - 60 };
    await store.tokens.insertGrant({
      id: seeded.grantId,
      userId,
      clientId,
      scope: SCOPE,
      sid: null,
      authTime: now - 120,
      createdAt: now - 60,
      expiresAt,
      revokedAt: options.revoked ? now - 1 : null,
    });
    await store.tokens.insertAccessToken({ ...owner, tokenHash: hashToken(seeded.accessToken), expiresAt: Math.min(expiresAt, now + 600), claims: null });
    await store.tokens.insertRefreshToken({ ...owner, tokenHash: hashToken(seeded.refreshToken), expiresAt, rotatedAt: null });
    if (options.session) {
      await store.sessions.insertSession({
        idHash: hashToken(randomToken()),
        sid: randomToken(16),
        userId,
        authTime: now - 120,
        amr: ['pwd'],
        createdAt: now - 120,
        expiresAt: now + 3600,
      });
    }
    return seeded;
  } finally {
    await store.close();
  }
}

async function userinfoStatus(accessToken: string): Promise<number> {
  const response = await fetch(`${server.url}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(5_000) });
  await response.arrayBuffer();
  return response.status;
}

/** The status and error of a refresh at the running server (200 with no error when it works). */
async function refresh(client: Client, refreshToken: string): Promise<{ status: number; error: unknown }> {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    signal: AbortSignal.timeout(5_000),
  });
  const body = asRecord(await response.json());
  return { status: response.status, error: body.error };
}

async function expectRefused(client: Client, seeded: Seeded): Promise<void> {
  expect(await userinfoStatus(seeded.accessToken)).toBe(401);
  expect(await refresh(client, seeded.refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
}

async function expectWorking(seeded: Seeded): Promise<void> {
  expect(await userinfoStatus(seeded.accessToken)).toBe(200);
}

async function liveSessions(userId: string): Promise<number> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    // Counting by deleting is fine here: the caller only asks after the sessions should be gone.
    return await store.sessions.deleteSessionsOfUser(userId);
  } finally {
    await store.close();
  }
}

describe('idp tokens revoke: exactly one of --token, --client, --user', () => {
  it('with none of them fails in one usage sentence naming all three', async () => {
    const result = await idp(['tokens', 'revoke']);
    const sentence = expectCleanFailure(result);
    expect(result.exitCode).toBe(2);
    for (const flag of ['--token', '--client', '--user']) expect(sentence).toContain(flag);
  });

  it('with two of them fails in one usage sentence and revokes nothing', async () => {
    const client = await addClient();
    const user = await addUser();
    const seeded = await seedGrant(user.id, client.id);
    const result = await idp(['tokens', 'revoke', '--client', client.id, '--user', user.username]);
    const sentence = expectCleanFailure(result);
    expect(result.exitCode).toBe(2);
    expect(sentence).toContain('exactly one of --token, --client or --user');
    await expectWorking(seeded);
  });

  it('with all three fails in one usage sentence', async () => {
    expectCleanFailure(await idp(['tokens', 'revoke', '--token', 'x', '--client', 'y', '--user', 'z']));
  });
});

describe('idp tokens revoke --user', () => {
  it('revokes every grant of the user at every client and ends their sessions, printing the counts in one sentence', async () => {
    const [web, mobile] = [await addClient(), await addClient()];
    const user = await addUser();
    const other = await addUser();
    const first = await seedGrant(user.id, web.id, { session: true });
    const second = await seedGrant(user.id, mobile.id);
    const kept = await seedGrant(other.id, web.id, { session: true });

    const result = await idp(['tokens', 'revoke', '--user', user.username]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`Revoked 2 grants and ended 1 session of ${user.username}.\n`);

    await expectRefused(web, first);
    await expectRefused(mobile, second);
    expect(await liveSessions(user.id)).toBe(0);
    await expectWorking(kept);
    expect((await refresh(web, kept.refreshToken)).status).toBe(200);
  });

  it('--json prints one document {user_id, username, grants, sessions}, and takes a user id as well as a username', async () => {
    const client = await addClient();
    const user = await addUser();
    const seeded = await seedGrant(user.id, client.id, { session: true });
    await seedGrant(user.id, client.id, { session: true });

    expect(await idpJson(['tokens', 'revoke', '--user', user.id])).toEqual({ user_id: user.id, username: user.username, grants: 2, sessions: 2 });
    await expectRefused(client, seeded);
    // Nothing is left: a second run counts zero.
    expect(await idpJson(['tokens', 'revoke', '--user', user.username])).toEqual({ user_id: user.id, username: user.username, grants: 0, sessions: 0 });
  });

  it('an unknown user fails in one sentence naming the user', async () => {
    const result = await idp(['tokens', 'revoke', '--user', 'no-such-user']);
    expect(expectCleanFailure(result)).toContain('no-such-user');
    expect(result.stdout).toBe('');
  });
});

describe('idp tokens revoke --client', () => {
  it("revokes every grant of the client, of every user, printing the count; other clients' tokens keep working", async () => {
    const [client, other] = [await addClient(), await addClient()];
    const [alice, bob] = [await addUser(), await addUser()];
    const a = await seedGrant(alice.id, client.id, { session: true });
    const b = await seedGrant(bob.id, client.id);
    const kept = await seedGrant(alice.id, other.id);

    const result = await idp(['tokens', 'revoke', '--client', client.id]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`Revoked 2 grants of client ${client.name} (${client.id}).\n`);

    await expectRefused(client, a);
    await expectRefused(client, b);
    await expectWorking(kept);
    // Revoking a client's tokens signs nobody out.
    expect(await liveSessions(alice.id)).toBe(1);
  });

  it('--json prints one document {client_id, client_name, grants, sessions: 0}', async () => {
    const client = await addClient();
    const user = await addUser();
    await seedGrant(user.id, client.id);
    expect(await idpJson(['tokens', 'revoke', '--client', client.id])).toEqual({ client_id: client.id, client_name: client.name, grants: 1, sessions: 0 });
  });

  it('says "1 grant" for one grant', async () => {
    const client = await addClient();
    await seedGrant((await addUser()).id, client.id);
    expect((await idp(['tokens', 'revoke', '--client', client.id])).stdout).toContain('Revoked 1 grant of client');
  });

  it('an unknown client fails in one sentence naming the id', async () => {
    expect(expectCleanFailure(await idp(['tokens', 'revoke', '--client', 'no-such-client']))).toContain('no-such-client');
  });
});

describe('idp tokens revoke --token', () => {
  it('a refresh token revokes its whole grant: the access token and the refresh token are refused', async () => {
    const client = await addClient();
    const seeded = await seedGrant((await addUser()).id, client.id);
    expect(await idpJson(['tokens', 'revoke', '--token', seeded.refreshToken])).toEqual({ revoked: true, token_type: 'refresh_token' });
    await expectRefused(client, seeded);
  });

  it('an access token is revoked alone: /userinfo refuses it, the refresh token still works', async () => {
    const client = await addClient();
    const seeded = await seedGrant((await addUser()).id, client.id);
    const result = await idp(['tokens', 'revoke', '--token', seeded.accessToken]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('Revoked an access token.\n');
    expect(await userinfoStatus(seeded.accessToken)).toBe(401);
    expect((await refresh(client, seeded.refreshToken)).status).toBe(200);
  });

  it('an unknown token succeeds saying nothing was revoked; --json prints {revoked: false, token_type: null}', async () => {
    const text = await idp(['tokens', 'revoke', '--token', 'no-such-token']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('nothing was revoked');
    expect(await idpJson(['tokens', 'revoke', '--token', 'no-such-token'])).toEqual({ revoked: false, token_type: null });
  });

  it('a token starting with "-" is taken as the value of --token, not as an option', async () => {
    expect(await idpJson(['tokens', 'revoke', '--token', '-no-such-token'])).toEqual({ revoked: false, token_type: null });
  });

  it('never prints the token it was given', async () => {
    const seeded = await seedGrant((await addUser()).id, (await addClient()).id);
    const result = await idp(['tokens', 'revoke', '--token', seeded.refreshToken]);
    expect(result.stdout + result.stderr).not.toContain(seeded.refreshToken);
  });
});

describe('idp tokens list', () => {
  it('--user --json lists live grants as {grant_id, user_id, username, client_id, client_name, scope, created_at, expires_at, auth_time}, without any secret', async () => {
    const client = await addClient();
    const user = await addUser();
    const live = await seedGrant(user.id, client.id);
    const revoked = await seedGrant(user.id, client.id, { revoked: true });
    const expired = await seedGrant(user.id, client.id, { expiresIn: -10 });

    const result = await idp(['tokens', 'list', '--user', user.username, '--json']);
    const grants = expectJson(result);
    if (!Array.isArray(grants)) throw new Error('expected an array');
    expect(grants).toHaveLength(1);
    const grant = asRecord(grants[0]);
    expect(Object.keys(grant).sort()).toEqual(
      ['auth_time', 'client_id', 'client_name', 'created_at', 'expires_at', 'grant_id', 'scope', 'user_id', 'username'].sort(),
    );
    expect(grant).toMatchObject({ grant_id: live.grantId, user_id: user.id, username: user.username, client_id: client.id, client_name: client.name, scope: SCOPE });
    for (const time of [grant.created_at, grant.expires_at, grant.auth_time]) expect(String(time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const seeded of [live, revoked, expired]) {
      for (const secret of [seeded.accessToken, seeded.refreshToken, hashToken(seeded.accessToken), hashToken(seeded.refreshToken)]) {
        expect(result.stdout).not.toContain(secret);
      }
    }
    expect(result.stdout).not.toContain(client.secret);
  });

  it('--client lists the grants of every user of the client, and a revoked grant disappears from the list', async () => {
    const client = await addClient();
    const [alice, bob] = [await addUser(), await addUser()];
    const a = await seedGrant(alice.id, client.id);
    await seedGrant(bob.id, client.id);
    await seedGrant(alice.id, (await addClient()).id);

    const listed = async () => {
      const grants = await idpJson(['tokens', 'list', '--client', client.id]);
      if (!Array.isArray(grants)) throw new Error('expected an array');
      return grants.map((grant) => asRecord(grant).username).sort();
    };
    expect(await listed()).toEqual([alice.username, bob.username].sort());
    await idp(['tokens', 'revoke', '--token', a.refreshToken]);
    expect(await listed()).toEqual([bob.username]);
  });

  it('without --json prints a table with a header row, and one sentence when there is nothing', async () => {
    const client = await addClient();
    const user = await addUser();
    const empty = await idp(['tokens', 'list', '--user', user.username]);
    expect(empty.exitCode).toBe(0);
    expect(empty.stdout).toBe(`No live grants of ${user.username}.\n`);

    const seeded = await seedGrant(user.id, client.id);
    const result = await idp(['tokens', 'list', '--user', user.id]);
    const [header, row] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^GRANT_ID\s+USER\s+CLIENT_ID\s+CLIENT\s+SCOPE\s+CREATED\s+EXPIRES\s+AUTH_TIME$/);
    expect(row).toStartWith(`${seeded.grantId}  ${user.username}`);
    expect(row).toContain(client.id);
  });

  it('needs exactly one of --user or --client', async () => {
    for (const args of [[], ['--user', 'a', '--client', 'b']]) {
      const result = await idp(['tokens', 'list', ...args]);
      const sentence = expectCleanFailure(result);
      expect(result.exitCode).toBe(2);
      expect(sentence).toContain('exactly one of --user or --client');
    }
  });

  it('an unknown user or client fails in one sentence naming it', async () => {
    expect(expectCleanFailure(await idp(['tokens', 'list', '--user', 'no-such-user']))).toContain('no-such-user');
    expect(expectCleanFailure(await idp(['tokens', 'list', '--client', 'no-such-client']))).toContain('no-such-client');
  });
});
