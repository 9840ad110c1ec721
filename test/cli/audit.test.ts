// `idp audit`: admin changes are recorded by the CLI itself (and handed to the adapter's onEvent), and
// the log is read back with --since, --user, --client, --limit and --json; bad flags are one sentence
// and exit code 2. Events with chosen times are written straight into the data dir's store.
import { beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { asRecord, expectCleanFailure, expectJson, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();
const PASSWORD = 'correct horse battery';
const DAY = 86_400;

interface EventJson {
  id: number;
  at: string;
  type: string;
  user_id: string | null;
  username: string | null;
  client_id: string | null;
  client_name: string | null;
  details: Record<string, unknown>;
}

function asEvents(value: unknown): EventJson[] {
  if (!Array.isArray(value)) throw new Error(`expected an array of events, got ${JSON.stringify(value)}`);
  return value.map((item) => asRecord(item) as unknown as EventJson);
}

const idpIn = (dataDir: string, args: string[], options: Parameters<typeof runIdp>[1] = {}) => runIdp(['--data-dir', dataDir, ...args], options);
const auditIn = async (dataDir: string, args: string[] = []) => asEvents(expectJson(await idpIn(dataDir, ['audit', '--json', ...args])));

/** Appends events with chosen times (seconds ago) and ids, as the server would have written them. */
async function seed(dataDir: string, events: { ago: number; type: string; userId?: string | null; clientId?: string | null; details?: Record<string, unknown> }[]) {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    const now = Math.floor(Date.now() / 1000);
    for (const event of events) {
      await store.audit.append({ at: now - event.ago, type: event.type, userId: event.userId ?? null, clientId: event.clientId ?? null, details: event.details ?? {} });
    }
  } finally {
    await store.close();
  }
}

describe('admin changes are recorded', () => {
  let dataDir: string;
  let clientId: string;
  let clientSecret: string;
  let userId: string;

  beforeAll(async () => {
    dataDir = await sandbox.initDataDir();
    const client = asRecord(expectJson(await idpIn(dataDir, ['client', 'add', '--json', '--name', 'My App', '--redirect-uri', 'https://app.example.test/cb'])));
    clientId = String(client.client_id);
    clientSecret = String(client.client_secret);
    const user = asRecord(expectJson(await idpIn(dataDir, ['user', 'add', '--json', '--username', 'alice', '--password-stdin'], { stdin: `${PASSWORD}\n` })));
    userId = String(user.id);
  });

  it('client add, user add, user disable, keys rotate, scope add: one event each, in order, with ids and no secret', async () => {
    expectJson(await idpIn(dataDir, ['user', 'disable', 'alice', '--json']));
    const key = asRecord(expectJson(await idpIn(dataDir, ['keys', 'rotate', '--json'])));
    expectJson(await idpIn(dataDir, ['scope', 'add', 'billing', '--json']));
    expectJson(await idpIn(dataDir, ['client', 'update', clientId, '--scope', 'openid', '--scope', 'billing', '--json']));
    expectJson(await idpIn(dataDir, ['client', 'rotate-secret', clientId, '--grace', '60', '--json']));

    const events = await auditIn(dataDir);
    expect(events.map((event) => [event.type, event.user_id, event.client_id])).toEqual([
      ['client.created', null, clientId],
      ['user.created', userId, null],
      ['user.disabled', userId, null],
      ['key.rotated', null, null],
      ['scope.created', null, null],
      ['client.updated', null, clientId],
      ['client.secret_rotated', null, clientId],
    ]);
    const details = Object.fromEntries(events.map((event) => [event.type, event.details]));
    expect(details['client.created']).toEqual({ name: 'My App' });
    expect(details['user.disabled']).toEqual({ username: 'alice' });
    expect(details['key.rotated']).toMatchObject({ kid: key.kid, alg: key.alg });
    expect(details['client.updated']).toEqual({ name: 'My App', fields: ['scopes'] });
    expect(details['client.secret_rotated']).toEqual({ name: 'My App', grace_seconds: 60 });
    expect(events[0]).toMatchObject({ username: null, client_name: 'My App' });
    expect(events[1]).toMatchObject({ username: 'alice', client_name: null });
    expect(events.every((event) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(event.at))).toBe(true);
    const text = JSON.stringify(events);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(clientSecret);
  });

  it('prints one line per event for people: time, type, user, client, details', async () => {
    const result = await idpIn(dataDir, ['audit', '--user', 'alice']);
    expect(result.exitCode).toBe(0);
    const [header, ...lines] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^TIME\s+TYPE\s+USER\s+CLIENT\s+DETAILS$/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}user\.created {3}alice {2}- +username=alice$/);
    const client = await idpIn(dataDir, ['audit', '--client', clientId]);
    expect(client.stdout).toContain('name="My App"');
  });
});

describe('idp audit filters', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await sandbox.initDataDir();
    await seed(dataDir, [
      { ago: 10 * DAY, type: 'login.failed', userId: 'u-old', clientId: 'c1', details: { username: 'old', reason: 'wrong_password', ip: null } },
      { ago: 3 * DAY, type: 'login.succeeded', userId: 'u1', clientId: 'c1', details: { username: 'one', ip: '192.0.2.1' } },
      { ago: 2 * 3600, type: 'token.issued', userId: 'u1', clientId: 'c2', details: { grant_type: 'authorization_code', grant_id: 'g1', scopes: ['openid', 'email'] } },
      { ago: 10 * 60, type: 'token.revoked', userId: 'u2', clientId: 'c2', details: { by: 'client', what: 'grant', grant_id: 'g2', grants: 1 } },
    ]);
  });

  const types = async (args: string[]) => (await auditIn(dataDir, args)).map((event) => event.type);

  it('without flags: the newest 100 events, oldest first', async () => {
    expect(await types([])).toEqual(['login.failed', 'login.succeeded', 'token.issued', 'token.revoked']);
  });

  it('--since takes a duration back from now: 30m, 12h, 7d, 2w, 90s', async () => {
    expect(await types(['--since', '30m'])).toEqual(['token.revoked']);
    expect(await types(['--since', '12h'])).toEqual(['token.issued', 'token.revoked']);
    expect(await types(['--since', '7d'])).toEqual(['login.succeeded', 'token.issued', 'token.revoked']);
    expect(await types(['--since', '2w'])).toHaveLength(4);
    expect(await types(['--since', '90s'])).toEqual([]);
  });

  it('--since takes an ISO 8601 date or date-time, UTC unless it says otherwise', async () => {
    const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000);
    const fourDaysAgo = at(4 * DAY).toISOString();
    expect(await types(['--since', fourDaysAgo])).toEqual(['login.succeeded', 'token.issued', 'token.revoked']);
    expect(await types(['--since', fourDaysAgo.slice(0, 19)])).toEqual(['login.succeeded', 'token.issued', 'token.revoked']);
    expect(await types(['--since', fourDaysAgo.slice(0, 16)])).toEqual(['login.succeeded', 'token.issued', 'token.revoked']);
    // The same instant written with a +02:00 offset.
    const local = at(4 * DAY + 0);
    local.setUTCHours(local.getUTCHours() + 2);
    expect(await types(['--since', `${local.toISOString().slice(0, 19)}+02:00`])).toEqual(['login.succeeded', 'token.issued', 'token.revoked']);
    expect(await types(['--since', '2000-01-01'])).toHaveLength(4);
    expect(await types(['--since', `${new Date().getUTCFullYear() + 1}-01-01`])).toEqual([]);
  });

  it('--user and --client filter by id; ids of users and clients that no longer exist still match', async () => {
    expect(await types(['--user', 'u1'])).toEqual(['login.succeeded', 'token.issued']);
    expect(await types(['--client', 'c2'])).toEqual(['token.issued', 'token.revoked']);
    expect(await types(['--user', 'u1', '--client', 'c2'])).toEqual(['token.issued']);
    expect(await types(['--user', 'u-old'])).toEqual(['login.failed']);
    expect(await types(['--user', 'nobody'])).toEqual([]);
  });

  it('--limit keeps the newest events', async () => {
    expect(await types(['--limit', '2'])).toEqual(['token.issued', 'token.revoked']);
    expect(await types(['--limit', '10000'])).toHaveLength(4);
  });

  it('prints lists and times compactly for people', async () => {
    const result = await idpIn(dataDir, ['audit', '--client', 'c2']);
    expect(result.stdout).toContain('grant_type=authorization_code grant_id=g1 scopes=openid,email');
    expect(result.stdout).toContain('by=client what=grant grant_id=g2 grants=1');
  });

  it('says so when nothing matches, and that a name of no current user was taken as an id', async () => {
    const result = await idpIn(dataDir, ['audit', '--user', 'mallory']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toStartWith('No audit events match. No current user is named mallory');
    expect(expectJson(await idpIn(dataDir, ['audit', '--user', 'mallory', '--json']))).toEqual([]);
  });

  it('escapes control characters a typed username may hold instead of sending them to the terminal', async () => {
    const dir = await sandbox.initDataDir();
    await seed(dir, [{ ago: 1, type: 'login.failed', details: { username: 'evil\u001b[2Jname', reason: 'unknown_user', ip: null } }]);
    const result = await idpIn(dir, ['audit']);
    expect(result.stdout).not.toContain('\u001b');
    expect(result.stdout).toContain('evil\\u001b[2Jname');
  });

  it('bad flags: one sentence, exit code 2', async () => {
    for (const [args, words] of [
      [['--since', '5x'], '--since'],
      [['--since', '2026-02-31'], '--since'],
      [['--since', 'yesterday'], '--since'],
      [['--limit', '0'], '--limit'],
      [['--limit', '10001'], '--limit'],
      [['--limit', 'ten'], '--limit'],
      [['--user', ' '], '--user'],
    ] as const) {
      const result = await idpIn(dataDir, ['audit', ...args]);
      expect(expectCleanFailure(result)).toContain(words);
      expect(result.exitCode).toBe(2);
    }
  });
});

describe("the CLI hands its events to the adapter's onEvent", () => {
  it('when the adapter setting names one; a throwing onEvent is only a warning', async () => {
    const dir = await sandbox.tempDir();
    const received = join(dir, 'received.jsonl');
    const adapter = join(dir, 'adapter.ts');
    writeFileSync(
      adapter,
      `import { appendFileSync } from 'node:fs';
export default {
  onEvent(event) {
    appendFileSync(${JSON.stringify(received)}, JSON.stringify(event) + '\\n');
    if (event.type === 'user.created') throw new Error('queue unavailable');
  },
};
`,
    );
    const dataDir = await sandbox.initDataDir();
    const env = { IDP_ADAPTER: adapter };
    const client = asRecord(expectJson(await idpIn(dataDir, ['client', 'add', '--json', '--name', 'Web', '--redirect-uri', 'https://web.example.test/cb'], { env })));
    const user = await idpIn(dataDir, ['user', 'add', '--json', '--username', 'bob', '--password-stdin'], { env, stdin: `${PASSWORD}\n` });
    expect(user.exitCode).toBe(0);
    expect(user.stderr).toContain("the adapter's onEvent() failed");
    expect(user.stderr).toContain('queue unavailable');

    const events = readFileSync(received, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string; clientId: string | null; at: number });
    expect(events.map((event) => [event.type, event.clientId])).toEqual([
      ['client.created', String(client.client_id)],
      ['user.created', null],
    ]);
    expect(typeof events[0]?.at).toBe('number');
    // The audit log has both all the same.
    expect((await auditIn(dataDir)).map((event) => event.type)).toEqual(['client.created', 'user.created']);
  });

  it('a broken adapter fails the command in one sentence, before anything changes', async () => {
    const dir = await sandbox.tempDir();
    const adapter = join(dir, 'broken.ts');
    writeFileSync(adapter, 'export default { onEvnet() {} };\n');
    const dataDir = await sandbox.initDataDir();
    const result = await idpIn(dataDir, ['client', 'add', '--name', 'Web', '--redirect-uri', 'https://web.example.test/cb'], { env: { IDP_ADAPTER: adapter } });
    expect(expectCleanFailure(result)).toContain('onEvnet');
    expect(expectJson(await idpIn(dataDir, ['client', 'list', '--json']))).toEqual([]);
    expect(await auditIn(dataDir)).toEqual([]);
  });
});

describe('users and clients removed, grants revoked', () => {
  it('tokens revoke, user disable and client remove record what they revoked; a removed user is found by id', async () => {
    const dataDir = await sandbox.initDataDir();
    const client = asRecord(expectJson(await idpIn(dataDir, ['client', 'add', '--json', '--name', 'Gone', '--redirect-uri', 'https://gone.example.test/cb'])));
    const clientId = String(client.client_id);
    const addUser = async (username: string) =>
      String(asRecord(expectJson(await idpIn(dataDir, ['user', 'add', '--json', '--username', username, '--password-stdin'], { stdin: `${PASSWORD}\n` }))).id);
    const [carol, dave, erin] = [await addUser('carol'), await addUser('dave'), await addUser('erin')];
    // Live grants with the client, as the server would have stored them: two of carol, one each of dave and erin.
    const store = openSqliteStore(join(dataDir, 'idp.db'));
    const now = Math.floor(Date.now() / 1000);
    for (const [id, userId] of [['g-carol-1xxxxxxxxx', carol], ['g-carol-2xxxxxxxxx', carol], ['g-dave-1xxxxxxxxxx', dave], ['g-erin-1xxxxxxxxxx', erin]] as const) {
      await store.tokens.insertGrant({ id, userId, clientId, scope: 'openid', sid: null, authTime: now, createdAt: now, expiresAt: now + 3600, revokedAt: null });
    }
    await store.close();

    expectJson(await idpIn(dataDir, ['tokens', 'revoke', '--user', 'carol', '--json']));
    expectJson(await idpIn(dataDir, ['user', 'disable', 'dave', '--json']));
    expectJson(await idpIn(dataDir, ['user', 'remove', 'carol', '--yes', '--json']));
    expectJson(await idpIn(dataDir, ['client', 'remove', clientId, '--yes', '--json']));

    const events = (await auditIn(dataDir)).slice(4);
    expect(events.map((event) => [event.type, event.user_id, event.client_id, event.details])).toEqual([
      ['token.revoked', carol, null, { by: 'admin', what: 'all_grants', grant_id: null, grants: 2 }],
      ['user.disabled', dave, null, { username: 'dave' }],
      ['token.revoked', dave, null, { by: 'user_disabled', what: 'all_grants', grant_id: null, grants: 1 }],
      ['user.removed', carol, null, { username: 'carol' }],
      ['token.revoked', null, clientId, { by: 'client_removed', what: 'all_grants', grant_id: null, grants: 1 }],
      ['client.removed', null, clientId, { name: 'Gone' }],
    ]);
    // carol is gone: her username no longer resolves, her id still does.
    expect(await auditIn(dataDir, ['--user', 'carol'])).toEqual([]);
    expect((await auditIn(dataDir, ['--user', carol])).map((event) => event.type)).toEqual(['user.created', 'token.revoked', 'user.removed']);
    expect((await auditIn(dataDir, ['--client', clientId])).map((event) => [event.type, event.client_name])).toEqual([
      ['client.created', null],
      ['token.revoked', null],
      ['client.removed', null],
    ]);
  });
});
