// `idp user`: passwords only from stdin, a flag or a masked prompt (never echoed back), one JSON
// document with --json, one sentence for every mistake, and confirmation before removing.
import { Database } from 'bun:sqlite';
import { beforeAll, describe, expect, it } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../../src/clients/clients.ts';
import { systemClock } from '../../src/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite.ts';
import { hashToken, randomToken } from '../../src/tokens/secret.ts';
import { verifyCredentials } from '../../src/users/users.ts';
import { asRecord, expectCleanFailure, expectJson, type RunOptions, runIdp, useSandbox } from '../helpers/cli.ts';

const sandbox = useSandbox();
const PASSWORD = 'correct horse battery';

// One data dir for the file: every test adds users under its own names.
let dataDir: string;
beforeAll(async () => {
  dataDir = await sandbox.initDataDir();
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}${++counter}`;

const user = (args: string[], options?: RunOptions) => runIdp(['--data-dir', dataDir, 'user', ...args], options);
/** `idp user SUBCOMMAND --json ...args`: --json goes first, since arguments may end with `-- USER`. */
const userJson = async ([subcommand = '', ...args]: string[], options?: RunOptions) =>
  asRecord(expectJson(await user([subcommand, '--json', ...args], options)));

/** `idp user add --password-stdin --json`; returns the printed user. */
const addUser = (username: string, extra: string[] = []) =>
  userJson(['add', '--username', username, '--password-stdin', ...extra], { stdin: `${PASSWORD}\n` });

/** Checks credentials against the data dir's database, as the login page would. */
async function signsIn(username: string, password: string): Promise<boolean> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    return (await verifyCredentials(store.users, username, password)) !== null;
  } finally {
    await store.close();
  }
}

interface SeededGrant {
  grantId: string;
  accessHash: string;
  refreshHash: string;
}

/** For the user: a live grant at a new client with an access and a refresh token, and `sessions` browser sessions. */
async function seedGrant(userId: string, sessions = 0): Promise<SeededGrant> {
  const store = openSqliteStore(join(dataDir, 'idp.db'));
  try {
    const { client } = await createClient({ clients: store.clients, clock: systemClock }, { name: 'App', redirectUris: ['https://app.example.test/cb'] });
    const now = Math.floor(Date.now() / 1000);
    const seeded = { grantId: randomToken(16), accessHash: hashToken(randomToken()), refreshHash: hashToken(randomToken()) };
    const common = { grantId: seeded.grantId, clientId: client.id, userId, scope: 'openid offline_access', createdAt: now, expiresAt: now + 3600 };
    await store.tokens.insertGrant({ id: seeded.grantId, userId, clientId: client.id, scope: common.scope, sid: null, authTime: now, createdAt: now, expiresAt: now + 3600, revokedAt: null });
    await store.tokens.insertAccessToken({ ...common, tokenHash: seeded.accessHash, claims: null });
    await store.tokens.insertRefreshToken({ ...common, tokenHash: seeded.refreshHash, rotatedAt: null });
    for (let i = 0; i < sessions; i++) {
      await store.sessions.insertSession({ idHash: hashToken(randomToken()), sid: randomToken(16), userId, authTime: now, amr: ['pwd'], createdAt: now, expiresAt: now + 3600 });
    }
    return seeded;
  } finally {
    await store.close();
  }
}

/** What is left of a seeded grant: its tokens, whether it is revoked, and the user's sessions. */
async function leftOf(seeded: SeededGrant, userId: string): Promise<{ tokens: number; revoked: boolean; sessions: number }> {
  const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
  try {
    const count = (sql: string, value: string) => db.query<{ n: number }, [string]>(sql).get(value)?.n ?? 0;
    return {
      tokens:
        count('SELECT COUNT(*) AS n FROM access_tokens WHERE token_hash = ?', seeded.accessHash) +
        count('SELECT COUNT(*) AS n FROM refresh_tokens WHERE token_hash = ?', seeded.refreshHash),
      revoked: count('SELECT COUNT(*) AS n FROM grants WHERE id = ? AND revoked_at IS NOT NULL', seeded.grantId) === 1,
      sessions: count('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', userId),
    };
  } finally {
    db.close();
  }
}

function storedPasswordHash(id: string): string | null {
  const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
  try {
    return db.query<{ password_hash: string | null }, [string]>('SELECT password_hash FROM users WHERE id = ?').get(id)?.password_hash ?? null;
  } finally {
    db.close();
  }
}

const expectNoSecrets = (text: string) => {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain('$argon2id$');
  expect(text).not.toMatch(/password_hash|passwordHash/);
};

describe('idp user add', () => {
  it('--password-stdin reads the password from piped stdin and stores only an argon2id hash', async () => {
    const name = uniqueName('alice');
    const added = await addUser(name);
    expect(added).toMatchObject({ username: name, has_password: true, disabled: false });
    const hash = storedPasswordHash(String(added.id));
    expect(hash?.startsWith('$argon2id$')).toBe(true);
    expect(hash).not.toContain(PASSWORD);
    expect(await signsIn(name, PASSWORD)).toBe(true);
  });

  it('--password-stdin takes only the first line, without its line ending', async () => {
    const name = uniqueName('crlf');
    expectJson(await user(['add', '--json', '--username', name, '--password-stdin'], { stdin: `${PASSWORD}\r\nsecond line\n` }));
    expect(await signsIn(name, PASSWORD)).toBe(true);
    expect(await signsIn(name, `${PASSWORD}\r`)).toBe(false);
  });

  it('--password-stdin with empty stdin fails in one sentence and adds no user', async () => {
    const name = uniqueName('empty');
    const sentence = expectCleanFailure(await user(['add', '--username', name, '--password-stdin'], { stdin: '' }));
    expect(sentence).toContain('--password-stdin');
    expectCleanFailure(await user(['show', name]));
  });

  it('--json prints exactly one document: the user, never the password or its hash', async () => {
    const name = uniqueName('json');
    const result = await user(['add', '--json', '--username', name, '--email', `${name}@example.com`, '--email-verified', '--name', 'J Son', '--password-stdin'], {
      stdin: `${PASSWORD}\n`,
    });
    const added = asRecord(expectJson(result));
    expect(added).toMatchObject({ username: name, email: `${name}@example.com`, email_verified: true, name: 'J Son' });
    expect(typeof added.id).toBe('string');
    expectNoSecrets(result.stdout);
  });

  it('--password P sets the password from the flag', async () => {
    const name = uniqueName('flag');
    expectJson(await user(['add', '--json', '--username', name, '--password', PASSWORD]));
    expect(await signsIn(name, PASSWORD)).toBe(true);
  });

  it('without a terminal and without a password flag, fails naming --password-stdin and adds no user', async () => {
    const name = uniqueName('nopw');
    const sentence = expectCleanFailure(await user(['add', '--username', name]));
    expect(sentence).toContain('--password-stdin');
    expectCleanFailure(await user(['show', name]));
  });

  it('without a terminal and without --username, fails naming --username', async () => {
    expect(expectCleanFailure(await user(['add', '--password-stdin'], { stdin: `${PASSWORD}\n` }))).toContain('--username');
  });

  it('--password and --password-stdin together are refused in one sentence', async () => {
    const result = await user(['add', '--username', uniqueName('both'), '--password', PASSWORD, '--password-stdin'], { stdin: `${PASSWORD}\n` });
    expect(expectCleanFailure(result)).toContain('--password-stdin');
  });

  it('a password shorter than 8 characters is refused in one sentence', async () => {
    const result = await user(['add', '--username', uniqueName('short'), '--password-stdin'], { stdin: 'short\n' });
    expect(expectCleanFailure(result)).toContain('8 characters');
  });

  it('a username taken in another case is refused in one sentence', async () => {
    const name = uniqueName('Carol');
    await addUser(name);
    const result = await user(['add', '--username', name.toLowerCase(), '--password-stdin'], { stdin: `${PASSWORD}\n` });
    expect(expectCleanFailure(result)).toContain('taken');
  });

  it('without --json prints one sentence with the username and id', async () => {
    const name = uniqueName('human');
    const result = await user(['add', '--username', name, '--password-stdin'], { stdin: `${PASSWORD}\n` });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toContain(name);
    expectNoSecrets(result.stdout);
  });
});

describe('idp user list and show', () => {
  it('show --json finds a user by username or by id, and never contains the password or its hash', async () => {
    const name = uniqueName('shown');
    const added = await addUser(name);
    for (const key of [name, String(added.id)]) {
      const result = await user(['show', '--json', '--', key]);
      expect(asRecord(expectJson(result))).toEqual(added);
      expectNoSecrets(result.stdout);
    }
  });

  it('show without --json prints the user without the password or its hash', async () => {
    const name = uniqueName('plain');
    await addUser(name);
    const result = await user(['show', name]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(name);
    expectNoSecrets(result.stdout);
  });

  it('list --json is one array holding every user, without passwords or hashes', async () => {
    const names = [uniqueName('listed'), uniqueName('listed')];
    for (const name of names) await addUser(name);
    const result = await user(['list', '--json']);
    const users = expectJson(result);
    if (!Array.isArray(users)) throw new Error('user list --json is not an array');
    expect(users.map((entry) => asRecord(entry).username)).toEqual(expect.arrayContaining(names));
    expectNoSecrets(result.stdout);
  });

  it('list without --json prints a table with a header row', async () => {
    const name = uniqueName('tabled');
    await addUser(name);
    const result = await user(['list']);
    expect(result.stdout.split('\n')[0]).toMatch(/^USERNAME\s+ID/);
    expect(result.stdout).toContain(name);
  });
});

describe('idp user update', () => {
  it('renaming keeps the id, and the new name signs in', async () => {
    const name = uniqueName('old');
    const added = await addUser(name);
    const renamed = await userJson(['update', '--username', `${name}-new`, '--', name]);
    expect(renamed.id).toBe(added.id);
    expect(renamed.username).toBe(`${name}-new`);
    expect(await signsIn(`${name}-new`, PASSWORD)).toBe(true);
  });

  it('a new email resets email_verified; --email-verified and --no-email-verified set it', async () => {
    const name = uniqueName('mail');
    await addUser(name, ['--email', `${name}@example.com`, '--email-verified']);
    expect((await userJson(['update', '--email', `${name}@example.org`, '--', name])).email_verified).toBe(false);
    expect((await userJson(['update', '--email-verified', '--', name])).email_verified).toBe(true);
    expect((await userJson(['update', '--no-email-verified', '--', name])).email_verified).toBe(false);
  });

  it('an empty value removes a profile claim and "--email \'\'" removes the email', async () => {
    const name = uniqueName('claims');
    await addUser(name, ['--name', 'Full Name', '--locale', 'en-GB', '--email', `${name}@example.com`]);
    const updated = await userJson(['update', '--name', '', '--email', '', '--zoneinfo', 'Europe/Paris', '--', name]);
    expect(updated.name).toBeUndefined();
    expect(updated.email).toBeNull();
    expect(updated).toMatchObject({ locale: 'en-GB', zoneinfo: 'Europe/Paris' });
  });

  it('with nothing to change fails in one sentence naming the flags', async () => {
    const name = uniqueName('same');
    await addUser(name);
    expect(expectCleanFailure(await user(['update', '--', name]))).toContain('--username');
  });
});

describe('idp user update --attr and --remove-attr', () => {
  it('sets strings and lists (a value with a comma), replaces and removes them; show and --json print them', async () => {
    const name = uniqueName('attrs');
    expect((await addUser(name, ['--attr', 'team=red'])).attributes).toEqual({ team: 'red' });
    const updated = await userJson(['update', '--attr', 'groups=admins, staff', '--attr', 'solo=only,', '--attr', 'team=blue', '--', name]);
    expect(updated.attributes).toEqual({ team: 'blue', groups: ['admins', 'staff'], solo: ['only'] });
    const text = await user(['show', name]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^attributes\s+team=blue$/m);
    expect(text.stdout).toMatch(/^\s+groups=admins,staff$/m);
    expect(text.stdout).toMatch(/^\s+solo=only,$/m);
    const removed = await userJson(['update', '--remove-attr', 'groups', '--remove-attr', 'solo', '--', name]);
    expect(removed.attributes).toEqual({ team: 'blue' });
    expect((await userJson(['show', name])).attributes).toEqual({ team: 'blue' });
  });

  it('refuses an empty value (naming --remove-attr), a missing =, a bad name, a too long value and an unknown attribute, in one sentence', async () => {
    const name = uniqueName('badattr');
    await addUser(name, ['--attr', 'team=red']);
    const refused = async (args: string[], text: string) => expect(expectCleanFailure(await user(['update', ...args, '--', name]))).toContain(text);
    await refused(['--attr', 'team='], '--remove-attr team');
    await refused(['--attr', 'groups=,'], '--remove-attr groups');
    await refused(['--attr', 'team'], 'NAME=VALUE');
    await refused(['--attr', '=red'], 'NAME=VALUE');
    await refused(['--attr', '9lives=yes'], 'not an attribute name');
    await refused(['--attr', `bio=${'x'.repeat(1025)}`], '1024');
    await refused(['--attr', 'team=blue', '--remove-attr', 'team'], 'both set and removed');
    await refused(['--remove-attr', 'teem'], 'has no attribute teem');
    expect((await userJson(['show', name])).attributes).toEqual({ team: 'red' });
    expect(expectCleanFailure(await user(['update', '--attr', 'team=blue', '--', uniqueName('nobody')]))).toContain('No user is named');
  });
});

describe('idp user set-password, disable, enable', () => {
  it('set-password --password-stdin replaces the password', async () => {
    const name = uniqueName('reset');
    await addUser(name);
    const result = await user(['set-password', '--password-stdin', '--json', '--', name], { stdin: 'a brand new password\n' });
    expectNoSecrets(result.stdout);
    expect(result.stdout).not.toContain('a brand new password');
    expect(asRecord(expectJson(result)).has_password).toBe(true);
    expect(await signsIn(name, 'a brand new password')).toBe(true);
    expect(await signsIn(name, PASSWORD)).toBe(false);
  });

  it('set-password without a terminal and without a password flag fails naming --password-stdin', async () => {
    const name = uniqueName('nopw');
    await addUser(name);
    expect(expectCleanFailure(await user(['set-password', '--', name]))).toContain('--password-stdin');
    expect(await signsIn(name, PASSWORD)).toBe(true);
  });

  it('disable stops a user from signing in and enable lets them in again', async () => {
    const name = uniqueName('toggle');
    await addUser(name);
    expect((await userJson(['disable', '--', name])).disabled).toBe(true);
    expect(await signsIn(name, PASSWORD)).toBe(false);
    expect((await userJson(['enable', '--', name])).disabled).toBe(false);
    expect(await signsIn(name, PASSWORD)).toBe(true);
  });

  it("disable revokes the user's grants and ends their sessions, printing both counts in one sentence", async () => {
    const name = uniqueName('leaver');
    const { id } = (await addUser(name)) as { id: string };
    const first = await seedGrant(id, 2);
    const second = await seedGrant(id);
    const other = uniqueName('stayer');
    const { id: otherId } = (await addUser(other)) as { id: string };
    const kept = await seedGrant(otherId, 1);

    const result = await user(['disable', '--', name]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`User ${name} is disabled and can no longer sign in; revoked 2 grants and ended 2 sessions.\n`);

    expect(await leftOf(first, id)).toEqual({ tokens: 0, revoked: true, sessions: 0 });
    expect(await leftOf(second, id)).toEqual({ tokens: 0, revoked: true, sessions: 0 });
    expect(await leftOf(kept, otherId)).toEqual({ tokens: 2, revoked: false, sessions: 1 });
  });

  it('disable --json adds revoked_grants and ended_sessions to the user; enable revokes nothing', async () => {
    const name = uniqueName('jsonleaver');
    const { id } = (await addUser(name)) as { id: string };
    await seedGrant(id, 1);
    const disabled = await userJson(['disable', '--', name]);
    expect(disabled).toMatchObject({ id, username: name, disabled: true, revoked_grants: 1, ended_sessions: 1 });
    // Disabling again finds nothing left to revoke.
    expect(await userJson(['disable', '--', id])).toMatchObject({ revoked_grants: 0, ended_sessions: 0 });
    const enabled = await userJson(['enable', '--', name]);
    expect(enabled.disabled).toBe(false);
    expect(enabled).not.toHaveProperty('revoked_grants');
  });
});

describe('idp user remove', () => {
  it('without a terminal and without --yes, fails naming --yes and keeps the user', async () => {
    const name = uniqueName('kept');
    await addUser(name);
    expect(expectCleanFailure(await user(['remove', '--', name]))).toContain('--yes');
    expect((await userJson(['show', '--', name])).username).toBe(name);
  });

  it('--yes removes the user', async () => {
    const name = uniqueName('gone');
    await addUser(name);
    expect((await userJson(['remove', '--yes', '--', name])).username).toBe(name);
    expectCleanFailure(await user(['show', name]));
    expect(await signsIn(name, PASSWORD)).toBe(false);
  });

  it("--yes removes the user's grants, tokens and sessions with it", async () => {
    const name = uniqueName('cascade');
    const { id } = (await addUser(name)) as { id: string };
    const seeded = await seedGrant(id, 1);
    await userJson(['remove', '--yes', '--', name]);
    const db = new Database(join(dataDir, 'idp.db'), { readonly: true });
    try {
      expect(db.query<{ n: number }, [string]>('SELECT COUNT(*) AS n FROM grants WHERE id = ?').get(seeded.grantId)?.n).toBe(0);
    } finally {
      db.close();
    }
    expect(await leftOf(seeded, id)).toEqual({ tokens: 0, revoked: false, sessions: 0 });
  });
});

describe('commands on an unknown user', () => {
  const commands: [string[], RunOptions?][] = [
    [['show']],
    [['update', '--name', 'X']],
    [['set-password', '--password-stdin'], { stdin: `${PASSWORD}\n` }],
    [['disable']],
    [['enable']],
    [['remove', '--yes']],
  ];
  for (const [args, options] of commands) {
    it(`user ${args[0]} fails in one sentence naming the user`, async () => {
      const sentence = expectCleanFailure(await user([...args, '--', 'no-such-user'], options));
      expect(sentence).toContain('no-such-user');
    });
  }
});

describe('idp user on a data dir that was never initialised', () => {
  it('user list fails naming idp init and does not create the data dir', async () => {
    const fresh = await sandbox.dataDir();
    const sentence = expectCleanFailure(await runIdp(['user', 'list', '--data-dir', fresh]));
    expect(sentence).toContain('idp init');
    expect(existsSync(fresh)).toBe(false);
  });
});
