// Users: argon2id password hashes only, credential checks that say no the same way for every failure,
// case-insensitive unique usernames, a stable id across renames, and email verification tied to the address.
import { Database } from 'bun:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import {
  createUser,
  findUser,
  removeUser,
  setDisabled,
  setPassword,
  updateUser,
  type UserDeps,
  UserError,
  userView,
  verifyCredentials,
} from '../../src/users/users.ts';
import { testEnv, type TestEnv } from '../helpers/deps.ts';

const PASSWORD = 'correct horse battery';

let env: TestEnv;
beforeEach(async () => {
  env = await testEnv();
});
afterEach(() => env.cleanup());

const deps = (): UserDeps => ({ users: env.store.users, clock: env.clock });

/** Every users row as SQLite holds it, read through a separate connection. */
function rawUserRows(): Record<string, unknown>[] {
  const db = new Database(join(env.dir, 'idp.db'), { readonly: true });
  try {
    return db.query<Record<string, unknown>, []>('SELECT * FROM users').all();
  } finally {
    db.close();
  }
}

async function userError(run: () => Promise<unknown>): Promise<UserError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('passwords', () => {
  it('are stored as an argon2id hash, never as plaintext', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect(user.passwordHash?.startsWith('$argon2id$')).toBe(true);
    const stored = await env.store.users.getUser(user.id);
    expect(stored?.passwordHash?.startsWith('$argon2id$')).toBe(true);
    const rows = rawUserRows();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });

  it('set-password replaces the hash with a new argon2id hash, and the old password stops working', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    const updated = await setPassword(deps(), 'alice', 'a new password');
    expect(updated.passwordHash?.startsWith('$argon2id$')).toBe(true);
    expect(updated.passwordHash).not.toBe(user.passwordHash);
    expect(await verifyCredentials(env.store.users, 'alice', PASSWORD)).toBeNull();
    expect((await verifyCredentials(env.store.users, 'alice', 'a new password'))?.id).toBe(user.id);
    expect(JSON.stringify(rawUserRows())).not.toContain('a new password');
  });

  it('shorter than 8 characters are refused', async () => {
    expect((await userError(() => createUser(deps(), { username: 'alice', password: 'short' }))).message).toContain('8 characters');
    expect(await env.store.users.listUsers()).toHaveLength(0);
  });

  it('a user added without a password has no hash and cannot sign in', async () => {
    const user = await createUser(deps(), { username: 'alice' });
    expect(user.passwordHash).toBeNull();
    expect(await verifyCredentials(env.store.users, 'alice', '')).toBeNull();
  });
});

describe('verifyCredentials', () => {
  it('accepts the right password and returns the user', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect((await verifyCredentials(env.store.users, 'alice', PASSWORD))?.id).toBe(user.id);
  });

  it('accepts the username in another case (usernames are case-insensitive)', async () => {
    const user = await createUser(deps(), { username: 'Alice', password: PASSWORD });
    expect((await verifyCredentials(env.store.users, 'aLICE', PASSWORD))?.id).toBe(user.id);
  });

  it('rejects a wrong password', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect(await verifyCredentials(env.store.users, 'alice', 'wrong password')).toBeNull();
  });

  it('rejects an unknown user', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect(await verifyCredentials(env.store.users, 'bob', PASSWORD)).toBeNull();
  });

  it('rejects a disabled user with the right password, and accepts them again once enabled', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    await setDisabled(deps(), 'alice', true);
    expect(await verifyCredentials(env.store.users, 'alice', PASSWORD)).toBeNull();
    await setDisabled(deps(), 'alice', false);
    expect(await verifyCredentials(env.store.users, 'alice', PASSWORD)).not.toBeNull();
  });
});

describe('usernames', () => {
  it('are unique case-insensitively when adding', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    const error = await userError(() => createUser(deps(), { username: 'ALICE', password: PASSWORD }));
    expect(error.message).toContain('taken');
    expect(await env.store.users.listUsers()).toHaveLength(1);
  });

  it('are unique case-insensitively when renaming', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    await createUser(deps(), { username: 'bob', password: PASSWORD });
    expect((await userError(() => updateUser(deps(), 'bob', { username: 'Alice' }))).message).toContain('taken');
    expect((await findUser(env.store.users, 'bob')).username).toBe('bob');
  });

  it('outside 1 to 64 letters, digits and . _ @ + - are refused', async () => {
    for (const username of ['', 'with space', 'a/b', 'x'.repeat(65)]) {
      await userError(() => createUser(deps(), { username, password: PASSWORD }));
    }
    expect(await env.store.users.listUsers()).toHaveLength(0);
  });

  it('renaming keeps the id (the sub claim), and the new name signs in', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    const renamed = await updateUser(deps(), 'alice', { username: 'alice.smith' });
    expect(renamed.id).toBe(user.id);
    expect((await findUser(env.store.users, 'alice.smith')).id).toBe(user.id);
    expect((await verifyCredentials(env.store.users, 'alice.smith', PASSWORD))?.id).toBe(user.id);
    expect(await verifyCredentials(env.store.users, 'alice', PASSWORD)).toBeNull();
  });

  it('the user id is random, not derived from the username', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect(user.id).not.toContain('alice');
    expect(user.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('findUser', () => {
  it('finds a user by username or by id', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    expect((await findUser(env.store.users, 'alice')).id).toBe(user.id);
    expect((await findUser(env.store.users, user.id)).username).toBe('alice');
  });

  it('an unknown user is an error naming it and idp user list', async () => {
    const error = await userError(() => findUser(env.store.users, 'nobody'));
    expect(error.message).toContain('nobody');
    expect(error.message).toContain('idp user list');
  });
});

describe('email', () => {
  it('changing the address resets email_verified', async () => {
    await createUser(deps(), { username: 'alice', email: 'alice@example.com', emailVerified: true, password: PASSWORD });
    expect((await findUser(env.store.users, 'alice')).emailVerified).toBe(true);
    const updated = await updateUser(deps(), 'alice', { email: 'alice@example.org' });
    expect(updated.email).toBe('alice@example.org');
    expect(updated.emailVerified).toBe(false);
    expect((await findUser(env.store.users, 'alice')).emailVerified).toBe(false);
  });

  it('setting the same address again keeps email_verified', async () => {
    await createUser(deps(), { username: 'alice', email: 'alice@example.com', emailVerified: true, password: PASSWORD });
    expect((await updateUser(deps(), 'alice', { email: 'alice@example.com' })).emailVerified).toBe(true);
  });

  it('a new address given together with email_verified is verified', async () => {
    await createUser(deps(), { username: 'alice', email: 'alice@example.com', password: PASSWORD });
    expect((await updateUser(deps(), 'alice', { email: 'alice@example.org', emailVerified: true })).emailVerified).toBe(true);
  });

  it('something that is not an email address is refused', async () => {
    await userError(() => createUser(deps(), { username: 'alice', email: 'not-an-address', password: PASSWORD }));
  });
});

describe('profile claims', () => {
  it('an empty value removes a claim and leaves the others', async () => {
    await createUser(deps(), { username: 'alice', profile: { name: 'Alice', locale: 'en-GB' }, password: PASSWORD });
    const updated = await updateUser(deps(), 'alice', { profile: { name: '' } });
    expect(updated.profile).toEqual({ locale: 'en-GB' });
  });

  it('picture must be an http(s) URL', async () => {
    const error = await userError(() => createUser(deps(), { username: 'alice', profile: { picture: 'javascript:alert(1)' }, password: PASSWORD }));
    expect(error.message).toContain('picture');
  });
});

describe('attributes', () => {
  it('are set, replaced and removed one by one, strings or lists, and survive a reload', async () => {
    await createUser(deps(), { username: 'alice', attributes: { team: 'red', groups: ['a', 'b'] } });
    const updated = await updateUser(deps(), 'alice', { attributes: { team: 'blue', groups: null, 'org.unit:cost-center': '42' } });
    expect(updated.attributes).toEqual({ team: 'blue', 'org.unit:cost-center': '42' });
    expect((await findUser(env.store.users, 'alice')).attributes).toEqual({ team: 'blue', 'org.unit:cost-center': '42' });
    expect(userView(updated).attributes).toEqual({ team: 'blue', 'org.unit:cost-center': '42' });
  });

  it('refuse bad names, empty values, long values, long lists, too many attributes and removing one the user lacks', async () => {
    await createUser(deps(), { username: 'alice' });
    const refused = async (attributes: Record<string, string | string[] | null>, text: string) =>
      expect((await userError(() => updateUser(deps(), 'alice', { attributes }))).message).toContain(text);
    for (const name of ['', '1team', 'team name', 'a'.repeat(65), 'é']) await refused({ [name]: 'x' }, 'not an attribute name');
    await refused({ team: '' }, 'empty value');
    await refused({ team: [] }, 'empty');
    await refused({ groups: ['a', ''] }, 'empty value');
    await refused({ team: 'x'.repeat(1025) }, '1024');
    await refused({ groups: ['x'.repeat(1025)] }, '1024');
    await refused({ groups: Array.from({ length: 101 }, (_, index) => `g${index}`) }, 'at most 100');
    await refused(Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`a${index}`, 'x'])), 'at most 64');
    await refused({ team: null }, 'has no attribute team');
    expect((await updateUser(deps(), 'alice', { attributes: { team: 'x'.repeat(1024), groups: Array.from({ length: 100 }, () => 'g') } })).attributes.team).toHaveLength(1024);
    expect((await findUser(env.store.users, 'alice')).attributes.groups).toHaveLength(100);
  });
});

describe('userView and removal', () => {
  it('userView never carries the password or its hash', async () => {
    const user = await createUser(deps(), { username: 'alice', password: PASSWORD });
    const text = JSON.stringify(userView(user));
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('$argon2id$');
    expect(userView(user).has_password).toBe(true);
  });

  it('removeUser deletes the user, who can then no longer sign in', async () => {
    await createUser(deps(), { username: 'alice', password: PASSWORD });
    await removeUser(deps(), 'alice');
    expect(await env.store.users.findUserByUsername('alice')).toBeNull();
    expect(await verifyCredentials(env.store.users, 'alice', PASSWORD)).toBeNull();
  });
});
