// An example adapter (docs/adapter.md): point the `adapter` setting at a copy of this file.
//
//   # idp.toml in the data dir; a relative path is read next to the config file
//   adapter = "./idp.adapter.ts"
//
// It gates one application on a group, releases `groups` and `team` from user attributes
// (idp user add --attr groups=admins,staff --attr team=platform), gives one service client
// short-lived access tokens, and logs every event. Only types are imported, so the file needs
// nothing at run time; with the npm package the import is `from 'idp/adapter'`.
import type { Adapter, AdapterUser } from '../../src/adapter/types.ts';

/** Applications only members of a group may use, by client name (`idp client add --name`). */
const GATED: Record<string, string> = {
  'Admin Console': 'admins',
};

/** Access token lifetimes (seconds) per client name; the others keep access_token_ttl. */
const ACCESS_TOKEN_LIFETIMES: Record<string, number> = {
  'Reports job': 300,
};

/** The user's groups: the `groups` attribute, a list or a single name. */
function groupsOf(user: AdapterUser): string[] {
  const groups = user.attributes.groups;
  if (groups === undefined) return [];
  return Array.isArray(groups) ? groups : [groups];
}

export default {
  // ID token and userinfo: with the profile scope, also the user's groups and team.
  claims({ user, scopes, claims }) {
    if (!scopes.includes('profile')) return claims;
    const team = user.attributes.team;
    return { ...claims, groups: groupsOf(user), ...(typeof team === 'string' ? { team } : {}) };
  },

  // Access tokens (JWT ones carry them; introspection shows them for opaque ones): the groups, so
  // an API can check them without calling userinfo. A client_credentials token has no user.
  accessTokenClaims({ user }) {
    return user ? { groups: groupsOf(user) } : {};
  },

  tokenLifetimes({ client }) {
    const accessToken = ACCESS_TOKEN_LIFETIMES[client.metadata.client_name];
    return accessToken === undefined ? {} : { accessToken };
  },

  // Asked after sign-in, at the device page and on every refresh, so leaving the group ends access.
  authorize({ user, client }) {
    const group = GATED[client.metadata.client_name];
    if (group === undefined || groupsOf(user).includes(group)) return true;
    return { allow: false, reason: `Only members of ${group} may use ${client.metadata.client_name}.` };
  },

  // Events go to the audit log anyway; this also writes them to the server's stderr.
  onEvent(event) {
    console.error(`adapter event ${event.type} user=${event.userId ?? '-'} client=${event.clientId ?? '-'}`);
  },
} satisfies Adapter;
