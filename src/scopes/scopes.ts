// Custom scopes (`idp scope add | list | remove`): a name clients may be allowed, a description for
// the consent page, and the existing user claims or user attributes it releases. Also the short-lived copy of the list
// that the token, userinfo, consent and discovery paths read.
import { type Clock, epochSeconds } from '../clock.ts';
import { IdpError } from '../errors.ts';
import type { ClientStore, ScopeRecord, ScopeStore } from '../store/store.ts';
import { StoreError } from '../store/store.ts';
import { parseScopeClaim, STANDARD_SCOPES, scopeClaimProblem } from '../users/claims.ts';

export class ScopeError extends IdpError {
  override readonly name = 'ScopeError';
}

export const SCOPE_NAME = /^[A-Za-z0-9:._-]{1,64}$/;
export const MAX_DESCRIPTION_LENGTH = 200;

export interface ScopeDeps {
  scopes: ScopeStore;
  clients: Pick<ClientStore, 'listClients'>;
  clock: Clock;
}

export interface ScopeInput {
  name: string;
  description?: string;
  claims?: string[];
}

export async function addScope(deps: Pick<ScopeDeps, 'scopes' | 'clock'>, input: ScopeInput): Promise<ScopeRecord> {
  const name = input.name;
  if ((STANDARD_SCOPES as readonly string[]).includes(name)) {
    throw new ScopeError(`${name} is a standard scope and is always available; choose another name.`);
  }
  if (!SCOPE_NAME.test(name)) {
    throw new ScopeError(`A scope name is 1 to 64 letters, digits or : . _ -, got ${JSON.stringify(name)}.`);
  }
  const description = (input.description ?? '').trim() || name;
  if (description.length > MAX_DESCRIPTION_LENGTH) throw new ScopeError(`A scope description is at most ${MAX_DESCRIPTION_LENGTH} characters.`);
  const claims = [...new Set(input.claims ?? [])];
  const released = new Set<string>();
  for (const entry of claims) {
    const problem = scopeClaimProblem(entry);
    if (problem) throw new ScopeError(problem);
    const { claim } = parseScopeClaim(entry);
    if (released.has(claim)) throw new ScopeError(`The claim ${claim} is named twice; a scope releases each claim once.`);
    released.add(claim);
  }
  const scope: ScopeRecord = { name, description, claims, createdAt: epochSeconds(deps.clock) };
  try {
    await deps.scopes.insertScope(scope);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'conflict') throw new ScopeError(`The scope ${name} exists already; see: idp scope list`);
    throw error;
  }
  return scope;
}

export function listScopes(scopes: Pick<ScopeStore, 'listScopes'>): Promise<ScopeRecord[]> {
  return scopes.listScopes();
}

/** Removes a custom scope; refuses while clients still list it (as a scope or default scope). */
export async function removeScope(deps: ScopeDeps, name: string): Promise<ScopeRecord> {
  const scope = await deps.scopes.getScope(name);
  if (!scope) throw new ScopeError(`No custom scope is named ${name}; see: idp scope list`);
  const users = (await deps.clients.listClients()).filter(
    (client) => client.metadata.scopes.includes(name) || client.metadata.default_scopes.includes(name),
  );
  if (users.length > 0) {
    const named = users.map((client) => `${client.metadata.client_name} (${client.id})`).join(', ');
    throw new ScopeError(
      `The scope ${name} is still allowed for ${users.length === 1 ? 'client' : 'clients'} ${named}; remove it from them first with: idp client update CLIENT_ID --scope ...`,
    );
  }
  await deps.scopes.deleteScope(name);
  return scope;
}

/** Standard scope names followed by the custom ones: what a client may be allowed. */
export async function knownScopeNames(scopes: Pick<ScopeStore, 'listScopes'>): Promise<string[]> {
  return [...STANDARD_SCOPES, ...(await scopes.listScopes()).map((scope) => scope.name)];
}

/** A scope as admin commands print it with --json. */
export function scopeView(scope: ScopeRecord) {
  return {
    name: scope.name,
    description: scope.description,
    claims: scope.claims,
    /** Claim name → the user attribute it is released from (`--claim roles=groups`, or `--claim team`). */
    attribute_claims: Object.fromEntries(
      scope.claims.map(parseScopeClaim).flatMap(({ claim, attribute }) => (attribute === null ? [] : [[claim, attribute]])),
    ),
    created_at: new Date(scope.createdAt * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/** How long the list of custom scopes is reused before it is read again (ms). */
export const CUSTOM_SCOPES_TTL_MS = 10_000;

/**
 * The custom scopes, read with one listScopes() and reused for CUSTOM_SCOPES_TTL_MS, like
 * RegisteredOrigins in http/cors.ts: a scope added or removed with the CLI reaches a running server
 * within 10 seconds. One copy per scope store (see customScopesOf).
 */
export class CustomScopes {
  private snapshot: { scopes: ScopeRecord[]; loadedAt: number } | null = null;
  private loading: Promise<ScopeRecord[]> | null = null;

  constructor(
    private readonly scopes: Pick<ScopeStore, 'listScopes'>,
    private readonly clock: Clock,
    private readonly ttlMs = CUSTOM_SCOPES_TTL_MS,
  ) {}

  async list(): Promise<ScopeRecord[]> {
    const now = this.clock();
    const snapshot = this.snapshot;
    // A clock that went backwards also counts as expired.
    if (snapshot && now >= snapshot.loadedAt && now - snapshot.loadedAt < this.ttlMs) return snapshot.scopes;
    this.loading ??= this.scopes
      .listScopes()
      .then((scopes) => {
        this.snapshot = { scopes, loadedAt: now };
        return scopes;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }
}

const caches = new WeakMap<object, CustomScopes>();

/** The cached custom scopes of a store (one cache per scope store). */
export function customScopesOf(deps: { store: { scopes: ScopeStore }; clock: Clock }): Promise<ScopeRecord[]> {
  let cache = caches.get(deps.store.scopes);
  if (!cache) {
    cache = new CustomScopes(deps.store.scopes, deps.clock);
    caches.set(deps.store.scopes, cache);
  }
  return cache.list();
}
