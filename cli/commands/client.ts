// `idp client add | list | show | update | remove | rotate-secret`: registered applications. A client
// secret is printed once, when it is made, and stored only as a SHA-256 digest.
import { Command, InvalidArgumentError, Option } from 'commander';
import { knownScopeNames } from '../../src/scopes/scopes.ts';
import {
  type ClientDeps,
  type ClientInput,
  clientView,
  createClient,
  findClient,
  removeClient,
  rotateClientSecret,
  updateClient,
} from '../../src/clients/clients.ts';
import { AUTH_METHODS, CLIENT_TYPES, type ClientType, SUBJECT_TYPES, SUPPORTED_GRANT_TYPES } from '../../src/clients/metadata.ts';
import { redirectUriProblem } from '../../src/clients/redirect_uri.ts';
import { epochSeconds } from '../../src/clock.ts';
import { changedFields } from '../../src/events/changes.ts';
import { ACCESS_TOKEN_FORMATS, SIGNING_ALGS, type SigningAlg } from '../../src/config/schema.ts';
import type { Installation } from '../../src/installation.ts';
import { activeAlgorithms } from '../../src/keys/lifecycle.ts';
import type { ClientRecord } from '../../src/store/store.ts';
import { revokeTokensOfClient } from '../../src/tokens/revoke.ts';
import { withEvents, withInstallation } from '../context.ts';
import { CliError } from '../errors.ts';
import { isoTime, print, table } from '../output.ts';
import { askText, confirmOrFail } from '../prompt.ts';

interface ClientOptions {
  name?: string;
  type?: ClientType;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  corsOrigin?: string[];
  allowWildcards?: boolean;
  grantType?: string[];
  scope?: string[];
  defaultScope?: string[];
  skipConsent?: boolean;
  tokenFormat?: string;
  audience?: string[];
  idTokenAlg?: string;
  authMethod?: string;
  allowInsecureRedirectUris?: boolean;
  subjectType?: string;
  sectorIdentifier?: string;
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

function clientDeps({ store, clock }: Installation): ClientDeps {
  return { clients: store.clients, clock };
}

/** ID tokens for this client could not be signed without an active key of its algorithm. */
async function requireSigningKey({ store, clock }: Installation, alg: string | undefined): Promise<void> {
  if (alg === undefined || !(SIGNING_ALGS as readonly string[]).includes(alg)) return;
  const active = activeAlgorithms(await store.keys.listSigningKeys(), epochSeconds(clock));
  if (!active.includes(alg as SigningAlg)) {
    throw new CliError(`No ${alg} signing key is active, so ID tokens for this client could not be signed; first run: idp keys rotate --alg ${alg} --now`, 1);
  }
}

/** --grace: whole seconds, 0 or more. */
function parseGrace(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seconds)) throw new InvalidArgumentError('must be a whole number of seconds, 0 or more.');
  return seconds;
}

/** Collects a repeatable flag; left undefined when the flag is absent, so update can tell "not given". */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The flags of `client add`; for `client update` a repeated flag replaces the whole list. */
function addClientOptions(command: Command, mode: 'add' | 'update'): Command {
  const list = mode === 'add' ? 'repeat for several' : 'repeat for several; replaces the list, "" empties it';
  command
    .option('--name <name>', `name shown on the consent page${mode === 'add' ? ' (asked on a terminal when missing)' : ''}`)
    .addOption(new Option('--type <type>', 'confidential (has a secret) or public (no secret: PKCE or the device flow)').choices(CLIENT_TYPES))
    .option('--redirect-uri <uri>', `redirect URI, matched exactly (${list})`, collect)
    .option('--post-logout-redirect-uri <uri>', `where /logout may return the browser (${list})`, collect)
    .option('--cors-origin <origin>', `browser origin allowed to call /token, /userinfo, /revoke, /introspect (${list})`, collect)
    .option('--allow-wildcards', 'allow one * in the leftmost host label of the URIs and origins above (preview deployments)')
    .option('--grant-type <grant>', `grant type: ${SUPPORTED_GRANT_TYPES.join(', ')} (${list})`, collect)
    .option('--scope <scope>', `scope the client may be granted (${list})`, collect)
    .option('--default-scope <scope>', `scope used when a request names none (${list})`, collect)
    .option('--skip-consent', 'do not ask users to consent (first-party clients)');
  if (mode === 'update') {
    command.option('--no-allow-wildcards', 'match URIs and origins exactly again');
    command.option('--no-skip-consent', 'ask users to consent again');
  }
  command
    .addOption(new Option('--token-format <format>', 'access token format (default: the access_token_format setting)').choices(ACCESS_TOKEN_FORMATS))
    .option('--audience <audience>', `audience of JWT access tokens, the client id when none (${list})`, collect)
    .addOption(new Option('--id-token-alg <alg>', 'ID token signing algorithm').choices(SIGNING_ALGS))
    .addOption(new Option('--auth-method <method>', 'token endpoint authentication method').choices(AUTH_METHODS))
    .addOption(
      new Option('--subject-type <type>', 'public: sub is the user id; pairwise: a different sub per sector (host) for the same user (OIDC Core §8)').choices(
        SUBJECT_TYPES,
      ),
    )
    .option(
      '--sector-identifier <host>',
      `host the pairwise sub is computed for (default: the one host of the redirect URIs; needed when they have several)${mode === 'update' ? '; "" removes it' : ''}`,
    )
    .option('--allow-insecure-redirect-uris', 'allow http redirect URIs on hosts other than loopback (development only)');
  if (mode === 'update') command.option('--no-allow-insecure-redirect-uris', 'require https again (loopback excepted)');
  return command.option('--json', 'print one JSON document');
}

/** Lists without empty values, so that `--audience ""` empties a list. */
const nonEmpty = (values: string[]) => values.filter((value) => value !== '');

function toInput(options: ClientOptions): ClientInput {
  const input: ClientInput = {};
  if (options.name !== undefined) input.name = options.name;
  if (options.type !== undefined) input.type = options.type;
  if (options.redirectUri !== undefined) input.redirectUris = nonEmpty(options.redirectUri);
  if (options.postLogoutRedirectUri !== undefined) input.postLogoutRedirectUris = nonEmpty(options.postLogoutRedirectUri);
  if (options.corsOrigin !== undefined) input.corsOrigins = nonEmpty(options.corsOrigin);
  if (options.allowWildcards !== undefined) input.allowWildcards = options.allowWildcards;
  if (options.grantType !== undefined) input.grantTypes = nonEmpty(options.grantType);
  if (options.scope !== undefined) input.scopes = nonEmpty(options.scope);
  if (options.defaultScope !== undefined) input.defaultScopes = nonEmpty(options.defaultScope);
  if (options.skipConsent !== undefined) input.skipConsent = options.skipConsent;
  if (options.tokenFormat !== undefined) input.tokenFormat = options.tokenFormat;
  if (options.audience !== undefined) input.audiences = nonEmpty(options.audience);
  if (options.idTokenAlg !== undefined) input.idTokenAlg = options.idTokenAlg;
  if (options.authMethod !== undefined) input.authMethod = options.authMethod;
  if (options.allowInsecureRedirectUris !== undefined) input.allowInsecureRedirectUris = options.allowInsecureRedirectUris;
  if (options.subjectType !== undefined) input.subjectType = options.subjectType;
  if (options.sectorIdentifier !== undefined) input.sectorIdentifier = options.sectorIdentifier === '' ? null : options.sectorIdentifier;
  return input;
}

/** Comma-separated redirect URIs, as typed at the prompt. */
function splitUris(answer: string): string[] {
  return answer
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
}

function redirectUrisAnswerProblem(answer: string, allowInsecure: boolean, allowWildcards: boolean): string | true {
  const uris = splitUris(answer);
  if (uris.length === 0) return 'Give at least one redirect URI.';
  for (const uri of uris) {
    const problem = redirectUriProblem(uri, allowInsecure, allowWildcards);
    if (problem) return `Redirect URI ${problem}.`;
  }
  return true;
}

/** Asks on a terminal for what `client add` cannot do without; off a terminal, names the missing flag. */
async function completeForAdd(input: ClientInput): Promise<ClientInput> {
  const name = input.name ?? (await askText({ message: 'Client name', flag: '--name', validate: (value) => value.trim() !== '' || 'Give a name.' }));
  // Same default as createClient: authorization_code, which needs a redirect URI (as implicit does).
  const usesRedirects = (input.grantTypes ?? ['authorization_code']).some((grant) => grant === 'authorization_code' || grant === 'implicit');
  if (input.redirectUris !== undefined || !usesRedirects) return { ...input, name };
  const answer = await askText({
    message: 'Redirect URIs (comma-separated)',
    flag: '--redirect-uri',
    validate: (value) => redirectUrisAnswerProblem(value, input.allowInsecureRedirectUris === true, input.allowWildcards === true),
  });
  return { ...input, name, redirectUris: splitUris(answer) };
}

/** Label/value lines, the labels padded to one width. */
function details(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`.trimEnd()).join('\n');
}

const listText = (values: readonly string[], empty = '-') => (values.length === 0 ? empty : values.join(' '));

function clientDetails(client: ClientRecord): string {
  const view = clientView(client);
  return details([
    ['client_id', view.client_id],
    ['name', view.client_name],
    ['type', view.client_type],
    ['redirect_uris', listText(view.redirect_uris)],
    ['grant_types', listText(view.grant_types)],
    ['scopes', listText(view.scopes)],
    ['default_scopes', listText(view.default_scopes)],
    ['auth_method', view.token_endpoint_auth_method],
    ['skip_consent', view.skip_consent ? 'yes' : 'no'],
    ['token_format', view.access_token_format ?? '(the access_token_format setting)'],
    ['audiences', listText(view.audiences, '(the client id)')],
    ['id_token_alg', view.id_token_signed_response_alg],
    ['subject_type', view.subject_type],
    ...(view.sector_identifier === null ? [] : [['sector_identifier', view.sector_identifier] as const]),
    ['insecure_redirects', view.allow_insecure_redirect_uris ? 'allowed' : 'no'],
    ['created', view.created_at],
    ['updated', view.updated_at],
  ]);
}

function clientTable(clients: readonly ClientRecord[]): string {
  if (clients.length === 0) return 'No clients yet; register one with: idp client add --name NAME --redirect-uri URI';
  return table(
    ['CLIENT_ID', 'NAME', 'TYPE', 'GRANT TYPES', 'REDIRECT URIS'],
    clients.map((client) => [
      client.id,
      client.metadata.client_name,
      client.metadata.client_type,
      listText(client.metadata.grant_types),
      listText(client.metadata.redirect_uris),
    ]),
  );
}

/** The JSON of a client right after its secret was made: the only time the secret is printed. */
function withSecretJson(client: ClientRecord, secret: string | null) {
  const { client_id, ...metadata } = clientView(client);
  return { client_id, client_secret: secret, ...metadata };
}

function secretLines(client: ClientRecord, secret: string): string[] {
  return [
    `client_secret  ${secret}`,
    '',
    'The client secret is shown only once: store it now. Only its digest is kept;',
    `if it is lost, make a new one with: idp client rotate-secret ${client.id}`,
  ];
}

const ID_ARGUMENT = ['<client_id>', 'client id, as shown by idp client list'] as const;

export function clientCommand(): Command {
  const client = new Command('client').description('manage registered clients (applications)');

  addClientOptions(client.command('add').description('register a client; prints its client_id and, once, its client_secret'), 'add').action(
    async (options: ClientOptions, command: Command) => {
      const { client: added, secret } = await withEvents(command, async (installation, events) => {
        const input = await completeForAdd(toInput(options));
        await requireSigningKey(installation, input.idTokenAlg);
        const created = await createClient({ ...clientDeps(installation), knownScopes: await knownScopeNames(installation.store.scopes) }, input);
        await events.record('client.created', { clientId: created.client.id }, { name: created.client.metadata.client_name });
        return created;
      },
      );
      print({ json: options.json === true }, withSecretJson(added, secret), () =>
        [
          `Client ${added.metadata.client_name} added (${added.metadata.client_type}).`,
          '',
          `client_id      ${added.id}`,
          ...(secret === null ? ['', 'A public client has no secret: it signs users in with PKCE (S256), or uses the device flow.'] : secretLines(added, secret)),
        ].join('\n'),
      );
    },
  );

  client
    .command('list')
    .description('show every client')
    .option('--json', 'print one JSON document')
    .action(async (options: JsonOption, command: Command) => {
      const clients = await withInstallation(command, (installation) => installation.store.clients.listClients());
      print({ json: options.json === true }, clients.map(clientView), () => clientTable(clients));
    });

  client
    .command('show')
    .description('show one client (never its secret)')
    .argument(...ID_ARGUMENT)
    // A client id is base64url and may start with '-'; take it as the argument, not as an option.
    .allowUnknownOption()
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: JsonOption, command: Command) => {
      const found = await withInstallation(command, (installation) => findClient(installation.store.clients, id));
      print({ json: options.json === true }, clientView(found), () => clientDetails(found));
    });

  addClientOptions(
    client
      .command('update')
      .description('change a client; a repeated flag replaces the whole list, flags left out keep their value')
      .argument(ID_ARGUMENT[0], `${ID_ARGUMENT[1]} (put -- before one that starts with -)`),
    'update',
  ).action(async (id: string, options: ClientOptions, command: Command) => {
    const input = toInput(options);
    if (Object.keys(input).length === 0) throw new CliError('Nothing to change; pass at least one flag of idp client add (see idp client update --help).');
    const updated = await withEvents(command, async (installation, events) => {
      await requireSigningKey(installation, input.idTokenAlg);
      const before = await findClient(installation.store.clients, id);
      const after = await updateClient({ ...clientDeps(installation), knownScopes: await knownScopeNames(installation.store.scopes) }, id, input);
      const fields = changedFields(before.metadata, after.metadata);
      await events.record('client.updated', { clientId: after.id }, { name: after.metadata.client_name, fields });
      return after;
    });
    print({ json: options.json === true }, clientView(updated), () => `Client ${updated.metadata.client_name} (${updated.id}) updated.`);
  });

  client
    .command('remove')
    .description('delete a client with its consents, grants and tokens')
    .argument(...ID_ARGUMENT)
    .allowUnknownOption()
    .option('--yes', 'do not ask for confirmation (required when not running on a terminal)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: JsonOption & { yes?: boolean }, command: Command) => {
      const { removed, grants } = await withEvents(command, async (installation, events) => {
        const found = await findClient(installation.store.clients, id);
        await confirmOrFail({
          message: `Remove client ${found.metadata.client_name} (${found.id}) with its consents, grants and tokens?`,
          flag: '--yes',
          given: options.yes === true,
        });
        // Deleting the client deletes its grants and tokens too; revoking first counts them, and leaves
        // none usable should the delete fail.
        const revoked = await revokeTokensOfClient(installation, found.id);
        if (revoked.grants > 0) {
          const details = { by: 'client_removed', what: 'all_grants', grant_id: null, grants: revoked.grants } as const;
          await events.record('token.revoked', { clientId: found.id }, details);
        }
        const gone = await removeClient(clientDeps(installation), found.id);
        await events.record('client.removed', { clientId: gone.id }, { name: gone.metadata.client_name });
        return { removed: gone, grants: revoked.grants };
      });
      print({ json: options.json === true }, { ...clientView(removed), revoked_grants: grants }, () =>
        `Client ${removed.metadata.client_name} (${removed.id}) removed; ${grants} ${grants === 1 ? 'grant' : 'grants'} revoked.`,
      );
    });

  client
    .command('rotate-secret')
    .description('replace the secret of a confidential client; the previous secret stops working at once, or after --grace')
    .argument(...ID_ARGUMENT)
    .allowUnknownOption()
    .option('--grace <seconds>', 'keep accepting the previous secret for this many seconds (default 0: it stops at once)', parseGrace)
    .option('--json', 'print one JSON document')
    .action(async (id: string, options: JsonOption & { grace?: number }, command: Command) => {
      const { client: rotated, secret } = await withEvents(command, async (installation, events) => {
        const result = await rotateClientSecret(clientDeps(installation), id, options.grace ?? 0);
        const details = { name: result.client.metadata.client_name, grace_seconds: options.grace ?? 0 };
        await events.record('client.secret_rotated', { clientId: result.client.id }, details);
        return result;
      });
      const previousUntil = rotated.previousSecretExpiresAt;
      const json = { ...withSecretJson(rotated, secret), previous_secret_expires_at: previousUntil === null ? null : isoTime(previousUntil) };
      print({ json: options.json === true }, json, () =>
        [
          previousUntil === null
            ? `New secret for client ${rotated.metadata.client_name}; the previous one no longer works.`
            : `New secret for client ${rotated.metadata.client_name}; the previous one keeps working until ${isoTime(previousUntil)}.`,
          '',
          `client_id      ${rotated.id}`,
          ...(secret === null ? [] : secretLines(rotated, secret)),
        ].join('\n'),
      );
    });

  return client;
}
