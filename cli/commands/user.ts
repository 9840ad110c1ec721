// `idp user add | list | show | update | set-password | disable | enable | remove`: the accounts that sign in.
import { Command, Option } from 'commander';
import { changedFields } from '../../src/events/changes.ts';
import type { Installation } from '../../src/installation.ts';
import type { UserRecord } from '../../src/store/store.ts';
import { type RevokeCounts, revokeTokensOfUser } from '../../src/tokens/revoke.ts';
import {
  createUser,
  findUser,
  PROFILE_CLAIMS,
  type ProfileClaim,
  removeUser,
  setDisabled,
  setPassword,
  updateUser,
  type UserDeps,
  type UserFields,
  userView,
} from '../../src/users/users.ts';
import { withEvents, withInstallation } from '../context.ts';
import { CliError } from '../errors.ts';
import { print, table } from '../output.ts';
import { askNewPassword, askText, confirmOrFail } from '../prompt.ts';

/** The profile claim flags, as commander names their values. */
interface ProfileOptions {
  name?: string;
  givenName?: string;
  familyName?: string;
  preferredUsername?: string;
  picture?: string;
  locale?: string;
  zoneinfo?: string;
}

const PROFILE_FLAGS = {
  name: { key: 'name', flag: '--name <name>', description: 'full name' },
  given_name: { key: 'givenName', flag: '--given-name <name>', description: 'given (first) name' },
  family_name: { key: 'familyName', flag: '--family-name <name>', description: 'family (last) name' },
  preferred_username: { key: 'preferredUsername', flag: '--preferred-username <name>', description: 'name to show (default: the username)' },
  picture: { key: 'picture', flag: '--picture <url>', description: 'http(s) URL of a profile picture' },
  locale: { key: 'locale', flag: '--locale <tag>', description: 'BCP 47 language tag, like en-US' },
  zoneinfo: { key: 'zoneinfo', flag: '--zoneinfo <zone>', description: 'IANA time zone, like Europe/Paris' },
} as const satisfies Record<ProfileClaim, { key: keyof ProfileOptions; flag: string; description: string }>;

interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

interface AddOptions extends ProfileOptions, PasswordOptions {
  username?: string;
  email?: string;
  emailVerified?: boolean;
  attr?: string[];
  json?: boolean;
}

interface UpdateOptions extends ProfileOptions {
  username?: string;
  email?: string;
  emailVerified?: boolean;
  attr?: string[];
  removeAttr?: string[];
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

function userDeps({ store, clock }: Installation): UserDeps {
  return { users: store.users, clock };
}

function addProfileOptions(command: Command, removable: boolean): Command {
  for (const claim of PROFILE_CLAIMS) {
    const { flag, description } = PROFILE_FLAGS[claim];
    command.option(flag, `${description} (${claim} claim)${removable ? '; "" removes it' : ''}`);
  }
  return command;
}

function addPasswordOptions(command: Command): Command {
  return command
    .addOption(new Option('--password-stdin', 'read the password from the first line of standard input'))
    .addOption(
      new Option('--password <password>', 'the password (visible to other local users in the process list; prefer --password-stdin)').conflicts(
        'passwordStdin',
      ),
    );
}

/** The profile claims given as flags; an empty value becomes null, which removes the claim. */
function profileFrom(options: ProfileOptions): Partial<Record<ProfileClaim, string | null>> {
  const profile: Partial<Record<ProfileClaim, string | null>> = {};
  for (const claim of PROFILE_CLAIMS) {
    const value = options[PROFILE_FLAGS[claim].key];
    if (value !== undefined) profile[claim] = value === '' ? null : value;
  }
  return profile;
}

/** Collects a repeatable flag; left undefined when the flag is absent. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const ATTR_HELP = 'set a user attribute, repeatable: NAME=VALUE, and a value with a comma is a list (groups=admins,staff; a trailing comma makes a one-item list)';

/**
 * The attribute changes of --attr NAME=VALUE and --remove-attr NAME. A value with a comma is a list
 * of its comma-separated items (trimmed, empty ones dropped): `groups=a,b` is ["a","b"], `groups=a,` is ["a"].
 */
function attributesFrom(set: readonly string[] = [], remove: readonly string[] = []): Record<string, string | string[] | null> {
  const changes: Record<string, string | string[] | null> = {};
  for (const name of remove) changes[name] = null;
  for (const pair of set) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new CliError(`--attr takes NAME=VALUE, got ${JSON.stringify(pair)}.`);
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    if (Object.hasOwn(changes, name)) {
      throw new CliError(changes[name] === null ? `Attribute ${name} is both set and removed; pass one of --attr and --remove-attr.` : `Attribute ${name} is set twice.`);
    }
    if (value === '') throw new CliError(`--attr ${name}= has no value; to remove the attribute use --remove-attr ${name}.`);
    if (value.includes(',')) {
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      if (items.length === 0) throw new CliError(`--attr ${name}=${value} has no list items; to remove the attribute use --remove-attr ${name}.`);
      changes[name] = items;
    } else {
      changes[name] = value;
    }
  }
  return changes;
}

/** The new password from --password, --password-stdin, or asked twice on a terminal. */
async function newPassword(options: PasswordOptions, username: string): Promise<string> {
  if (options.password !== undefined) return options.password;
  if (options.passwordStdin) return readFirstLine();
  return askNewPassword({ message: `Password for ${username}`, flag: '--password-stdin (or --password)' });
}

/** The first line of standard input, without its line ending; stops reading at the first newline. */
async function readFirstLine(): Promise<string> {
  const reader = Bun.stdin.stream().getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  try {
    while (!text.includes('\n')) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // Cancelling releases the terminal or pipe, so the process can exit without waiting for more input.
    await reader.cancel().catch(() => {});
  }
  text += decoder.decode();
  if (ended && text === '') throw new CliError('--password-stdin found nothing on standard input; pipe the password in.');
  const line = text.split('\n')[0] ?? '';
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Label/value lines, the labels padded to one width. */
function details(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

function userDetails(user: UserRecord): string {
  const view = userView(user);
  return details([
    ['id', view.id],
    ['username', view.username],
    ['email', view.email === null ? '-' : `${view.email} (${view.email_verified ? 'verified' : 'not verified'})`],
    ...PROFILE_CLAIMS.flatMap((claim) => {
      const value = user.profile[claim];
      return value === undefined ? [] : [[claim, value] as const];
    }),
    ...Object.entries(user.attributes).map(([name, value], index) => [index === 0 ? 'attributes' : '', `${name}=${attributeText(value)}`] as const),
    ['status', view.disabled ? 'disabled' : 'enabled'],
    ['password', view.has_password ? 'set' : 'not set'],
    ['created', view.created_at],
    ['updated', view.updated_at],
  ]);
}

/** An attribute value as --attr would take it: a list comma-separated, a one-item list with a trailing comma. */
const attributeText = (value: string | string[]) => (typeof value === 'string' ? value : value.length === 1 ? `${value[0]},` : value.join(','));

function userTable(users: readonly UserRecord[]): string {
  if (users.length === 0) return 'No users yet; add one with: idp user add --username NAME';
  return table(
    ['USERNAME', 'ID', 'EMAIL', 'VERIFIED', 'STATUS', 'PASSWORD'],
    users.map((user) => [
      user.username,
      user.id,
      user.email ?? '-',
      user.email === null ? '-' : user.emailVerified ? 'yes' : 'no',
      user.disabled ? 'disabled' : 'enabled',
      user.passwordHash === null ? 'not set' : 'set',
    ]),
  );
}

/** "1 grant", "3 grants". */
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

const USER_ARGUMENT = ['<user>', 'username or user id'] as const;

export function userCommand(): Command {
  const user = new Command('user').description('manage the users who sign in');

  addPasswordOptions(
    addProfileOptions(
      user
        .command('add')
        .description('create a user; asks for the password on a terminal unless --password-stdin or --password is given')
        .option('--username <username>', 'login name: 1 to 64 letters, digits or . _ @ + - (asked on a terminal when missing)')
        .option('--email <email>', 'email address')
        .option('--email-verified', 'mark the email address as verified'),
      false,
    ),
  )
    .option('--attr <name=value>', ATTR_HELP, collect)
    .option('--json', 'print one JSON document')
    .action(async (options: AddOptions, command: Command) => {
      const attributes = attributesFrom(options.attr);
      const created = await withEvents(command, async (installation, events) => {
        const username = options.username ?? (await askText({ message: 'Username', flag: '--username' }));
        const password = await newPassword(options, username);
        const fields: UserFields & { username: string; password: string } = {
          username,
          password,
          profile: profileFrom(options),
        };
        if (options.email !== undefined) fields.email = options.email === '' ? null : options.email;
        if (options.emailVerified !== undefined) fields.emailVerified = options.emailVerified;
        if (Object.keys(attributes).length > 0) fields.attributes = attributes;
        const added = await createUser(userDeps(installation), fields);
        await events.record('user.created', { userId: added.id }, { username: added.username });
        return added;
      });
      print({ json: options.json === true }, userView(created), () => `User ${created.username} added with id ${created.id}.`);
    });

  user
    .command('list')
    .description('show every user')
    .option('--json', 'print one JSON document')
    .action(async (options: JsonOption, command: Command) => {
      const users = await withInstallation(command, (installation) => installation.store.users.listUsers());
      print({ json: options.json === true }, users.map(userView), () => userTable(users));
    });

  user
    .command('show')
    .description('show one user (never the password)')
    .argument(...USER_ARGUMENT)
    // A user id is base64url and may start with '-'; take it as the argument, not as an option.
    .allowUnknownOption()
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: JsonOption, command: Command) => {
      const found = await withInstallation(command, (installation) => findUser(installation.store.users, name));
      print({ json: options.json === true }, userView(found), () => userDetails(found));
    });

  addProfileOptions(
    user
      .command('update')
      .description('change the username, email, profile claims or attributes; the id (sub) never changes')
      .argument(USER_ARGUMENT[0], `${USER_ARGUMENT[1]} (put -- before one that starts with -)`)
      .option('--username <username>', 'new login name')
      .option('--email <email>', 'new email address (resets email_verified unless --email-verified); "" removes it')
      .option('--email-verified', 'mark the email address as verified')
      .option('--no-email-verified', 'mark the email address as not verified'),
    true,
  )
    .option('--attr <name=value>', `${ATTR_HELP}; replaces that attribute's value`, collect)
    .option('--remove-attr <name>', 'remove a user attribute, repeatable', collect)
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: UpdateOptions, command: Command) => {
      const fields: UserFields = {};
      if (options.username !== undefined) fields.username = options.username;
      if (options.email !== undefined) fields.email = options.email === '' ? null : options.email;
      if (options.emailVerified !== undefined) fields.emailVerified = options.emailVerified;
      const profile = profileFrom(options);
      if (Object.keys(profile).length > 0) fields.profile = profile;
      const attributes = attributesFrom(options.attr, options.removeAttr);
      if (Object.keys(attributes).length > 0) fields.attributes = attributes;
      if (Object.keys(fields).length === 0) {
        const flags = ['--username', '--email', '--email-verified', ...PROFILE_CLAIMS.map((claim) => PROFILE_FLAGS[claim].flag.split(' ')[0]), '--attr', '--remove-attr'];
        throw new CliError(`Nothing to change; pass at least one of ${flags.join(', ')}.`);
      }
      const updated = await withEvents(command, async (installation, events) => {
        const before = await findUser(installation.store.users, name);
        const after = await updateUser(userDeps(installation), name, fields);
        const changed = changedFields(userView(before), userView(after), ['created_at', 'updated_at']);
        await events.record('user.updated', { userId: after.id }, { username: after.username, fields: changed });
        return after;
      });
      print({ json: options.json === true }, userView(updated), () => `User ${updated.username} updated.`);
    });

  addPasswordOptions(
    user
      .command('set-password')
      .description('set a new password; asks for it on a terminal unless --password-stdin or --password is given')
      .argument(...USER_ARGUMENT)
      .allowUnknownOption(),
  )
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: PasswordOptions & JsonOption, command: Command) => {
      const updated = await withEvents(command, async (installation, events) => {
        const found = await findUser(installation.store.users, name);
        const changed = await setPassword(userDeps(installation), name, await newPassword(options, found.username));
        await events.record('user.password_changed', { userId: changed.id }, { username: changed.username });
        return changed;
      });
      print({ json: options.json === true }, userView(updated), () => `The password of ${updated.username} is changed.`);
    });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    user
      .command(verb)
      .description(
        disabled
          ? 'stop a user from signing in, revoking their grants and ending their sessions (the account stays)'
          : 'let a disabled user sign in again',
      )
      .argument(...USER_ARGUMENT)
      .allowUnknownOption()
      .option('--json', 'print one JSON document')
      .action(async (name: string, options: JsonOption, command: Command) => {
        const { changed, revoked } = await withEvents(command, async (installation, events) => {
          const user = await setDisabled(userDeps(installation), name, disabled);
          await events.record(disabled ? 'user.disabled' : 'user.enabled', { userId: user.id }, { username: user.username });
          // Disabled first, so that no new sign-in starts while the old grants and sessions are ended.
          const counts: RevokeCounts | null = disabled ? await revokeTokensOfUser(installation, user.id) : null;
          if (counts !== null && counts.grants > 0) {
            const details = { by: 'user_disabled', what: 'all_grants', grant_id: null, grants: counts.grants } as const;
            await events.record('token.revoked', { userId: user.id }, details);
          }
          return { changed: user, revoked: counts };
        });
        const json = revoked === null ? userView(changed) : { ...userView(changed), revoked_grants: revoked.grants, ended_sessions: revoked.sessions };
        print({ json: options.json === true }, json, () =>
          revoked === null
            ? `User ${changed.username} is enabled.`
            : `User ${changed.username} is disabled and can no longer sign in; revoked ${plural(revoked.grants, 'grant')} and ended ${plural(revoked.sessions, 'session')}.`,
        );
      });
  }

  user
    .command('remove')
    .description('delete a user with their sessions, consents and tokens')
    .argument(...USER_ARGUMENT)
    .allowUnknownOption()
    .option('--yes', 'do not ask for confirmation (required when not running on a terminal)')
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: JsonOption & { yes?: boolean }, command: Command) => {
      const removed = await withEvents(command, async (installation, events) => {
        const found = await findUser(installation.store.users, name);
        await confirmOrFail({
          message: `Remove user ${found.username} (${found.id}) with their sessions, consents and tokens?`,
          flag: '--yes',
          given: options.yes === true,
        });
        const gone = await removeUser(userDeps(installation), found.id);
        await events.record('user.removed', { userId: gone.id }, { username: gone.username });
        return gone;
      });
      print({ json: options.json === true }, userView(removed), () => `User ${removed.username} removed.`);
    });

  return user;
}
