// `idp scope add | list | remove`: custom scopes that clients may be allowed (idp client add --scope),
// shown on the consent page with their description, releasing existing user claims or user attributes.
import { Command } from 'commander';
import type { Installation } from '../../src/installation.ts';
import { addScope, removeScope, type ScopeDeps, scopeView } from '../../src/scopes/scopes.ts';
import type { ScopeRecord } from '../../src/store/store.ts';
import { CUSTOM_SCOPE_CLAIMS, parseScopeClaim } from '../../src/users/claims.ts';
import { withEvents, withInstallation } from '../context.ts';
import { print, table } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

function scopeDeps({ store, clock }: Installation): ScopeDeps {
  return { scopes: store.scopes, clients: store.clients, clock };
}

function scopeTable(scopes: readonly ScopeRecord[]): string {
  if (scopes.length === 0) return 'No custom scopes yet; add one with: idp scope add NAME --description TEXT';
  return table(
    ['NAME', 'CLAIMS', 'DESCRIPTION'],
    scopes.map((scope) => [scope.name, scope.claims.length === 0 ? '-' : scope.claims.map(claimText).join(', '), scope.description]),
  );
}

/** `email`, or `roles (attribute groups)` for a claim released from a user attribute. */
function claimText(entry: string): string {
  const { claim, attribute } = parseScopeClaim(entry);
  return attribute === null ? claim : `${claim} (attribute ${attribute})`;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function scopeCommand(): Command {
  const scope = new Command('scope').description('manage custom scopes that clients may request');

  scope
    .command('add')
    .description('add a custom scope')
    .argument('<name>', '1 to 64 letters, digits or : . _ - (not a standard scope)')
    .option('--description <text>', 'what the scope allows, shown on the consent page (default: the name)')
    .option(
      '--claim <claim>',
      `a claim the scope releases, repeatable: a user claim (${CUSTOM_SCOPE_CLAIMS.join(', ')}), ` +
        'a user attribute released under its own name (team), or CLAIM=ATTRIBUTE (roles=groups)',
      collect,
    )
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: JsonOption & { description?: string; claim?: string[] }, command: Command) => {
      const added = await withEvents(command, async (installation, events) => {
        const created = await addScope(scopeDeps(installation), { name, description: options.description, claims: options.claim ?? [] });
        await events.record('scope.created', {}, { name: created.name });
        return created;
      });
      print({ json: options.json === true }, scopeView(added), () => `Scope ${added.name} added.`);
    });

  scope
    .command('list')
    .description('show every custom scope')
    .option('--json', 'print one JSON document')
    .action(async (options: JsonOption, command: Command) => {
      const scopes = await withInstallation(command, (installation) => installation.store.scopes.listScopes());
      print({ json: options.json === true }, scopes.map(scopeView), () => scopeTable(scopes));
    });

  scope
    .command('remove')
    .description('remove a custom scope; refused while a client is allowed it')
    .argument('<name>', 'the scope name')
    .option('--json', 'print one JSON document')
    .action(async (name: string, options: JsonOption, command: Command) => {
      const removed = await withEvents(command, async (installation, events) => {
        const gone = await removeScope(scopeDeps(installation), name);
        await events.record('scope.removed', {}, { name: gone.name });
        return gone;
      });
      print({ json: options.json === true }, scopeView(removed), () => `Scope ${removed.name} removed.`);
    });

  return scope;
}
