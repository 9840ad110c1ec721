// Users: argon2id passwords (Bun.password), profile claims, attributes, enable/disable. The user id is the
// `sub`: random and stable, never the username, so renaming a user changes no token subject.
import { type Clock, epochSeconds } from '../clock.ts';
import { IdpError } from '../errors.ts';
import type { UserAttributes, UserProfile, UserRecord, UserStore } from '../store/store.ts';
import { StoreError } from '../store/store.ts';
import { randomToken } from '../tokens/secret.ts';

export class UserError extends IdpError {
  override readonly name = 'UserError';
}

export const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'preferred_username', 'picture', 'locale', 'zoneinfo'] as const;
export type ProfileClaim = (typeof PROFILE_CLAIMS)[number];

const USERNAME = /^[A-Za-z0-9._@+-]{1,64}$/;
const MIN_PASSWORD_LENGTH = 8;

/** A user attribute name (`--attr NAME=VALUE`); custom scopes release attributes under such names. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
export const MAX_ATTRIBUTES = 64;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;
export const MAX_ATTRIBUTE_LIST_ITEMS = 100;

export interface UserFields {
  username?: string;
  email?: string | null;
  emailVerified?: boolean;
  profile?: Partial<Record<ProfileClaim, string | null>>;
  /** Attributes to set (a string or a list of strings) or, with null, to remove; others are kept. */
  attributes?: Record<string, string | string[] | null>;
}

export interface UserDeps {
  users: UserStore;
  clock: Clock;
}

export function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserError(`A password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  }
  return Bun.password.hash(password, { algorithm: 'argon2id' });
}

// Verified against when the username is unknown, so that both cases cost one argon2id verification.
let dummyHash: Promise<string> | undefined;

/** Makes the dummy hash now (at server start), so that not even the first unknown username costs an extra hash. */
export async function prepareCredentialChecks(): Promise<void> {
  dummyHash ??= Bun.password.hash(randomToken(), { algorithm: 'argon2id' });
  await dummyHash;
}

/**
 * The user for these credentials, or null. Unknown users, wrong passwords, users without a password
 * and disabled users all answer null after the same amount of work.
 */
export async function verifyCredentials(users: UserStore, username: string, password: string): Promise<UserRecord | null> {
  const user = USERNAME.test(username) ? await users.findUserByUsername(username) : null;
  dummyHash ??= Bun.password.hash(randomToken(), { algorithm: 'argon2id' });
  const hash = user?.passwordHash ?? (await dummyHash);
  const valid = await Bun.password.verify(password, hash).catch(() => false);
  return valid && user && user.passwordHash && !user.disabled ? user : null;
}

export async function findUser(users: UserStore, usernameOrId: string): Promise<UserRecord> {
  // Ids first: a username may look like another user's id, never the reverse match by accident.
  const user = (await users.getUser(usernameOrId)) ?? (await users.findUserByUsername(usernameOrId));
  if (!user) throw new UserError(`No user is named ${usernameOrId}; see: idp user list`);
  return user;
}

export async function createUser(deps: UserDeps, fields: UserFields & { username: string; password?: string }): Promise<UserRecord> {
  const now = epochSeconds(deps.clock);
  const user: UserRecord = applyFields(
    {
      id: randomToken(16),
      username: '',
      passwordHash: null,
      email: null,
      emailVerified: false,
      profile: {},
      attributes: {},
      disabled: false,
      createdAt: now,
      updatedAt: now,
    },
    fields,
  );
  // Hashed only once the other fields are known to be valid: argon2id is deliberately slow.
  if (fields.password !== undefined) user.passwordHash = await hashPassword(fields.password);
  await withConflictMessage(deps.users.insertUser(user), user.username);
  return user;
}

export async function updateUser(deps: UserDeps, usernameOrId: string, fields: UserFields): Promise<UserRecord> {
  const user = applyFields(await findUser(deps.users, usernameOrId), fields);
  user.updatedAt = epochSeconds(deps.clock);
  await withConflictMessage(deps.users.updateUser(user), user.username);
  return user;
}

export async function setPassword(deps: UserDeps, usernameOrId: string, password: string): Promise<UserRecord> {
  const user = await findUser(deps.users, usernameOrId);
  user.passwordHash = await hashPassword(password);
  user.updatedAt = epochSeconds(deps.clock);
  await deps.users.updateUser(user);
  return user;
}

export async function setDisabled(deps: UserDeps, usernameOrId: string, disabled: boolean): Promise<UserRecord> {
  const user = await findUser(deps.users, usernameOrId);
  user.disabled = disabled;
  user.updatedAt = epochSeconds(deps.clock);
  await deps.users.updateUser(user);
  return user;
}

export async function removeUser(deps: UserDeps, usernameOrId: string): Promise<UserRecord> {
  const user = await findUser(deps.users, usernameOrId);
  await deps.users.deleteUser(user.id);
  return user;
}

function applyFields(user: UserRecord, fields: UserFields): UserRecord {
  if (fields.username !== undefined) {
    if (!USERNAME.test(fields.username)) {
      throw new UserError('A username is 1 to 64 letters, digits or . _ @ + - characters.');
    }
    user.username = fields.username;
  }
  if (fields.email !== undefined) {
    if (fields.email !== null && !/^[^\s@]+@[^\s@]+$/.test(fields.email)) {
      throw new UserError(`${fields.email} is not an email address.`);
    }
    if (fields.email !== user.email) user.emailVerified = false;
    user.email = fields.email;
  }
  if (fields.emailVerified !== undefined) user.emailVerified = fields.emailVerified;
  const profile: UserProfile = { ...user.profile };
  for (const [claim, value] of Object.entries(fields.profile ?? {})) {
    if (!(PROFILE_CLAIMS as readonly string[]).includes(claim)) throw new UserError(`${claim} is not a profile claim.`);
    if (value === null || value === '') delete profile[claim as ProfileClaim];
    else profile[claim as ProfileClaim] = value;
  }
  if (profile.picture !== undefined && !/^https?:\/\//.test(profile.picture)) {
    throw new UserError('picture must be an http(s) URL.');
  }
  user.profile = profile;
  if (fields.attributes !== undefined) user.attributes = applyAttributes(user, fields.attributes);
  return user;
}

function applyAttributes(user: UserRecord, changes: Record<string, string | string[] | null>): UserAttributes {
  const attributes: UserAttributes = structuredClone(user.attributes);
  for (const [name, value] of Object.entries(changes)) {
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new UserError(`${JSON.stringify(name)} is not an attribute name: a letter or _, then up to 63 letters, digits or _ . : -.`);
    }
    if (value === null) {
      // A misspelt name would otherwise remove nothing without a word.
      if (!Object.hasOwn(attributes, name)) throw new UserError(`User ${user.username} has no attribute ${name}.`);
      delete attributes[name];
      continue;
    }
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && value.length === 0) throw new UserError(`The list for attribute ${name} is empty; remove the attribute instead.`);
    if (values.length > MAX_ATTRIBUTE_LIST_ITEMS) throw new UserError(`Attribute ${name} has ${values.length} items; a list holds at most ${MAX_ATTRIBUTE_LIST_ITEMS}.`);
    for (const item of values) {
      if (item === '') throw new UserError(`Attribute ${name} has an empty value; remove the attribute instead.`);
      if (item.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
        throw new UserError(`A value of attribute ${name} is ${item.length} characters long; the limit is ${MAX_ATTRIBUTE_VALUE_LENGTH}.`);
      }
    }
    attributes[name] = Array.isArray(value) ? [...value] : value;
  }
  const count = Object.keys(attributes).length;
  if (count > MAX_ATTRIBUTES) throw new UserError(`A user has at most ${MAX_ATTRIBUTES} attributes; this change would leave ${count}.`);
  return attributes;
}

async function withConflictMessage(write: Promise<void>, username: string): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (error instanceof StoreError && error.code === 'conflict') throw new UserError(`The username ${username} is taken.`);
    throw error;
  }
}

/** A user as admin commands show it: never the password hash. */
export function userView(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    email_verified: user.emailVerified,
    ...user.profile,
    attributes: user.attributes,
    disabled: user.disabled,
    has_password: user.passwordHash !== null,
    created_at: new Date(user.createdAt * 1000).toISOString().replace('.000Z', 'Z'),
    updated_at: new Date(user.updatedAt * 1000).toISOString().replace('.000Z', 'Z'),
  };
}
