// `idp tokens revoke | list`: an operator ends what was granted. A refresh token or a client or user
// revokes whole grants (every code, access and refresh token issued under them); a user also loses
// every browser session. `list` shows live grants, never a token or its digest.
import { Command } from 'commander';
import { findClient } from '../../src/clients/clients.ts';
import type { Installation } from '../../src/installation.ts';
import type { GrantOwner, GrantRecord } from '../../src/store/store.ts';
import { findToken } from '../../src/tokens/lookup.ts';
import { listGrants, type RevokeCounts, revokeToken, revokeTokensOfClient, revokeTokensOfUser } from '../../src/tokens/revoke.ts';
import { findUser } from '../../src/users/users.ts';
import { type AdminEvents, withEvents, withInstallation } from '../context.ts';
import { CliError } from '../errors.ts';
import { isoTime, print, table } from '../output.ts';

interface TargetOptions {
  token?: string;
  client?: string;
  user?: string;
  json?: boolean;
}

/** "1 grant", "3 grants". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The one target named among `flags`; a usage error naming them all when none or several were given. */
function exactlyOne<K extends 'token' | 'client' | 'user'>(options: TargetOptions, flags: readonly K[]): { kind: K; value: string } {
  const given = flags.filter((flag) => options[flag] !== undefined);
  const names = flags.map((flag) => `--${flag}`);
  const list = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  if (given.length !== 1) {
    throw new CliError(`Pass exactly one of ${list}${given.length > 1 ? `, not ${given.map((flag) => `--${flag}`).join(' and ')} together` : ''}.`);
  }
  const kind = given[0] as K;
  const value = options[kind] as string;
  if (value.trim() === '') throw new CliError(`--${kind} needs a value.`);
  return { kind, value };
}

type RevokeResult =
  | { kind: 'token'; tokenType: 'refresh_token' | 'access_token' | null }
  | { kind: 'client'; clientId: string; clientName: string; counts: RevokeCounts }
  | { kind: 'user'; userId: string; username: string; counts: RevokeCounts };

function revokeJson(result: RevokeResult) {
  switch (result.kind) {
    case 'token':
      return { revoked: result.tokenType !== null, token_type: result.tokenType };
    case 'client':
      return { client_id: result.clientId, client_name: result.clientName, grants: result.counts.grants, sessions: result.counts.sessions };
    case 'user':
      return { user_id: result.userId, username: result.username, grants: result.counts.grants, sessions: result.counts.sessions };
  }
}

function revokeText(result: RevokeResult): string {
  switch (result.kind) {
    case 'token':
      if (result.tokenType === 'refresh_token') return 'Revoked a refresh token with its grant and every token issued under it.';
      if (result.tokenType === 'access_token') return 'Revoked an access token.';
      return 'No stored token matches; nothing was revoked (it may have expired or been revoked already).';
    case 'client':
      return `Revoked ${count(result.counts.grants, 'grant')} of client ${result.clientName} (${result.clientId}).`;
    case 'user':
      return `Revoked ${count(result.counts.grants, 'grant')} and ended ${count(result.counts.sessions, 'session')} of ${result.username}.`;
  }
}

async function revoke(
  installation: Installation,
  events: AdminEvents,
  target: { kind: 'token' | 'client' | 'user'; value: string },
): Promise<RevokeResult> {
  switch (target.kind) {
    case 'token': {
      // Looked up first only to name the grant, user and client in the audit log.
      const found = await findToken(installation.store.tokens, target.value);
      const tokenType = await revokeToken(installation, target.value);
      if (found && tokenType !== null) {
        const { grantId, userId, clientId } = found.record;
        const what = tokenType === 'refresh_token' ? 'grant' : 'access_token';
        await events.record('token.revoked', { userId, clientId }, { by: 'admin', what, grant_id: grantId, grants: what === 'grant' ? 1 : 0 });
      }
      return { kind: 'token', tokenType };
    }
    case 'client': {
      const client = await findClient(installation.store.clients, target.value);
      const counts = await revokeTokensOfClient(installation, client.id);
      if (counts.grants > 0) await events.record('token.revoked', { clientId: client.id }, { by: 'admin', what: 'all_grants', grant_id: null, grants: counts.grants });
      return { kind: 'client', clientId: client.id, clientName: client.metadata.client_name, counts };
    }
    case 'user': {
      const user = await findUser(installation.store.users, target.value);
      const counts = await revokeTokensOfUser(installation, user.id);
      if (counts.grants > 0) await events.record('token.revoked', { userId: user.id }, { by: 'admin', what: 'all_grants', grant_id: null, grants: counts.grants });
      return { kind: 'user', userId: user.id, username: user.username, counts };
    }
  }
}

interface GrantView {
  grant_id: string;
  /** null for a client_credentials grant. */
  user_id: string | null;
  username: string | null;
  client_id: string;
  client_name: string | null;
  scope: string;
  created_at: string;
  expires_at: string;
  auth_time: string;
}

/** Live grants of the owner with the username and client name of each; no token, digest or session id. */
async function grantViews(installation: Installation, owner: GrantOwner): Promise<GrantView[]> {
  const { users, clients } = installation.store;
  const usernames = new Map<string | null, string | null>([[null, null]]);
  const clientNames = new Map<string, string | null>();
  const views: GrantView[] = [];
  for (const grant of await listGrants(installation, owner)) {
    if (grant.userId !== null && !usernames.has(grant.userId)) usernames.set(grant.userId, (await users.getUser(grant.userId))?.username ?? null);
    if (!clientNames.has(grant.clientId)) clientNames.set(grant.clientId, (await clients.getClient(grant.clientId))?.metadata.client_name ?? null);
    views.push(grantView(grant, usernames.get(grant.userId) ?? null, clientNames.get(grant.clientId) ?? null));
  }
  return views;
}

function grantView(grant: GrantRecord, username: string | null, clientName: string | null): GrantView {
  return {
    grant_id: grant.id,
    user_id: grant.userId,
    username,
    client_id: grant.clientId,
    client_name: clientName,
    scope: grant.scope,
    created_at: isoTime(grant.createdAt),
    expires_at: isoTime(grant.expiresAt),
    auth_time: isoTime(grant.authTime),
  };
}

function grantTable(views: readonly GrantView[], whose: string): string {
  if (views.length === 0) return `No live grants of ${whose}.`;
  return table(
    ['GRANT_ID', 'USER', 'CLIENT_ID', 'CLIENT', 'SCOPE', 'CREATED', 'EXPIRES', 'AUTH_TIME'],
    views.map((view) => [
      view.grant_id,
      view.username ?? view.user_id ?? '(client)',
      view.client_id,
      view.client_name ?? '-',
      view.scope,
      view.created_at,
      view.expires_at,
      view.auth_time,
    ]),
  );
}

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('revoke and list what users granted to clients');

  tokens
    .command('revoke')
    .description('revoke one token, every grant of a client, or every grant and session of a user (exactly one of the three)')
    .option('--token <token>', 'a refresh token (revokes its grant and every token issued under it) or an access token')
    .option('--client <client_id>', 'client id, as shown by idp client list: revokes every grant of the client')
    .option('--user <user>', 'username or user id: revokes every grant of the user and ends their sessions')
    .option('--json', 'print one JSON document')
    .action(async (options: TargetOptions, command: Command) => {
      const target = exactlyOne(options, ['token', 'client', 'user'] as const);
      const result = await withEvents(command, (installation, events) => revoke(installation, events, target));
      print({ json: options.json === true }, revokeJson(result), () => revokeText(result));
    });

  tokens
    .command('list')
    .description('show the live grants of a user or a client (never a token)')
    .option('--user <user>', 'username or user id')
    .option('--client <client_id>', 'client id, as shown by idp client list')
    .option('--json', 'print one JSON document')
    .action(async (options: TargetOptions, command: Command) => {
      const target = exactlyOne(options, ['user', 'client'] as const);
      const { views, whose } = await withInstallation(command, async (installation) => {
        if (target.kind === 'user') {
          const user = await findUser(installation.store.users, target.value);
          return { views: await grantViews(installation, { userId: user.id }), whose: user.username };
        }
        const client = await findClient(installation.store.clients, target.value);
        return { views: await grantViews(installation, { clientId: client.id }), whose: `client ${client.metadata.client_name} (${client.id})` };
      });
      print({ json: options.json === true }, views, () => grantTable(views, whose));
    });

  return tokens;
}
