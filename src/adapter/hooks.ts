// The hooks the server calls at each decision point: the adapter's method when it has one, idp's
// default otherwise. Every call into adapter code is guarded: what it returns is checked, and a
// throw or a bad value becomes an AdapterError, which fails that one request with server_error
// and logs the reason (never the stack, never to the client).
import { createHmac, hkdfSync } from 'node:crypto';
import type { ClientRecord, UserRecord } from '../store/store.ts';
import type { Config } from '../config/schema.ts';
import type { GrantType } from '../clients/metadata.ts';
import { generateUserCode as defaultUserCode, USER_CODE_PATTERN } from '../device/user_code.ts';
import { IdpError } from '../errors.ts';
import type { IdpEvent } from '../events/types.ts';
import type { Logger } from '../log.ts';
import { randomToken } from '../tokens/secret.ts';
import {
  type Adapter,
  type AdapterClient,
  type AdapterUser,
  type Claims,
  PROTECTED_CLAIMS,
  type TokenKind,
  type TokenLifetimes,
} from './types.ts';

/** Adapter code failed or broke the contract; the request fails with server_error. */
export class AdapterError extends IdpError {
  override readonly name = 'AdapterError';
}

export interface Decided {
  allow: boolean;
  /** Shown to the client as error_description when the user is refused. */
  reason?: string;
}

export interface Hooks {
  /** Whether an adapter module is loaded (for the start-up log). */
  readonly customised: boolean;
  /** The user claims for an ID token or userinfo, from idp's `defaults` (without sub). */
  userClaims(input: { user: UserRecord; client: ClientRecord; scopes: string[]; target: 'id_token' | 'userinfo'; defaults: Claims }): Promise<Claims>;
  /** Extra ID token claims (none by default). */
  idTokenClaims(input: TokenInput & { user: UserRecord }): Promise<Claims>;
  /** Extra access token claims (none by default). */
  accessTokenClaims(input: TokenInput): Promise<Claims>;
  lifetimes(input: TokenInput): Promise<TokenLifetimes>;
  authorize(input: { user: UserRecord; client: ClientRecord; scopes: string[]; grantType: GrantType }): Promise<Decided>;
  skipConsent(input: { user: UserRecord; client: ClientRecord; scopes: string[]; granted: string[]; skip: boolean }): Promise<boolean>;
  /** The scopes a client_credentials token gets, or false to refuse (invalid_scope). */
  clientCredentialsScopes(input: { client: ClientRecord; requested: string[] | null; scopes: string[]; allowed: string[] }): Promise<string[] | false>;
  /** A normalised device user code (upper case, no dashes or spaces). */
  userCode(client: ClientRecord): Promise<string>;
  /** A fresh token or code value. */
  token(kind: TokenKind, client: ClientRecord): Promise<string>;
  /** The `sub` this client sees for this user. */
  subject(user: UserRecord, client: ClientRecord): Promise<string>;
  /** Hands an event to the adapter; a failure is logged, never thrown. */
  onEvent(event: IdpEvent): Promise<void>;
}

interface TokenInput {
  user: UserRecord | null;
  client: ClientRecord;
  scopes: string[];
  grantType: GrantType;
}

export interface HooksOptions {
  adapter: Adapter;
  /** The server secret: keys the pairwise subjects. */
  secret: Uint8Array;
  config: Pick<Config, 'access_token_ttl' | 'id_token_ttl' | 'refresh_token_ttl'>;
  log: Logger;
}

const TOKEN_VALUE = /^[A-Za-z0-9._~-]{32,512}$/;
const MAX_LIFETIME = 10 * 365 * 24 * 3600;
/** RFC 6749 §4.1.2.1: error_description is %x20-21 / %x23-5B / %x5D-7E. */
const ERROR_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,500}$/;

export function createHooks(options: HooksOptions): Hooks {
  const { adapter, config, log } = options;
  const pairwiseKey = Buffer.from(hkdfSync('sha256', options.secret, new Uint8Array(0), 'idp pairwise subject v1', 32));

  /** Runs one adapter method; a throw becomes an AdapterError naming the hook. */
  async function call<T>(hook: keyof Adapter, run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof AdapterError) throw error;
      throw new AdapterError(`The adapter's ${hook}() failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const broken = (hook: keyof Adapter, what: string): never => {
    throw new AdapterError(`The adapter's ${hook}() ${what}`);
  };
  const claimsObject = (hook: keyof Adapter, value: unknown, protectedNames: readonly string[]): Claims => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return broken(hook, 'must return an object of claims.');
    for (const name of protectedNames) if (Object.hasOwn(value, name)) broken(hook, `may not set the claim ${name}, which idp sets itself.`);
    return value as Claims;
  };

  const publicSubject = (user: UserRecord, client: ClientRecord): string => {
    if ((client.metadata.subject_type ?? 'public') === 'public') return user.id;
    // OIDC Core §8.1: one value per (sector, user), not reversible and not linkable across sectors.
    return createHmac('sha256', pairwiseKey).update(`${sectorOf(client)}\n${user.id}`).digest('base64url');
  };

  return {
    customised: Object.keys(adapter).length > 0,

    async userClaims({ user, client, scopes, target, defaults }) {
      if (!adapter.claims) return defaults;
      const result = await call('claims', () => adapter.claims!({ user: adapterUser(user), client: adapterClient(client), scopes: [...scopes], target, claims: { ...defaults } }));
      return claimsObject('claims', result, PROTECTED_CLAIMS);
    },

    async idTokenClaims({ user, client, scopes, grantType }) {
      if (!adapter.idTokenClaims) return {};
      const result = await call('idTokenClaims', () =>
        adapter.idTokenClaims!({ user: adapterUser(user), client: adapterClient(client), scopes: [...scopes], grantType, claims: {} }),
      );
      return claimsObject('idTokenClaims', result, PROTECTED_CLAIMS);
    },

    async accessTokenClaims({ user, client, scopes, grantType }) {
      if (!adapter.accessTokenClaims) return {};
      const result = await call('accessTokenClaims', () =>
        adapter.accessTokenClaims!({ user: user && adapterUser(user), client: adapterClient(client), scopes: [...scopes], grantType, claims: {} }),
      );
      return claimsObject('accessTokenClaims', result, PROTECTED_CLAIMS);
    },

    async lifetimes({ user, client, scopes, grantType }) {
      const defaults: TokenLifetimes = { accessToken: config.access_token_ttl, idToken: config.id_token_ttl, refreshToken: config.refresh_token_ttl };
      if (!adapter.tokenLifetimes) return defaults;
      const result = await call('tokenLifetimes', () =>
        adapter.tokenLifetimes!({ user: user && adapterUser(user), client: adapterClient(client), scopes: [...scopes], grantType, defaults: { ...defaults } }),
      );
      if (typeof result !== 'object' || result === null) return broken('tokenLifetimes', 'must return an object such as { accessToken: 300 }.');
      const lifetimes = { ...defaults };
      for (const name of ['accessToken', 'idToken', 'refreshToken'] as const) {
        const value = result[name];
        if (value === undefined) continue;
        if (!Number.isSafeInteger(value) || value < 1 || value > MAX_LIFETIME) {
          broken('tokenLifetimes', `returned ${name} = ${JSON.stringify(value)}; a lifetime is a whole number of seconds from 1 to ${MAX_LIFETIME}.`);
        }
        lifetimes[name] = value;
      }
      return lifetimes;
    },

    async authorize({ user, client, scopes, grantType }) {
      if (!adapter.authorize) return { allow: true };
      const result = await call('authorize', () => adapter.authorize!({ user: adapterUser(user), client: adapterClient(client), scopes: [...scopes], grantType }));
      if (typeof result === 'boolean') return { allow: result };
      if (typeof result === 'object' && result !== null && typeof result.allow === 'boolean') {
        if (result.reason !== undefined && (typeof result.reason !== 'string' || !ERROR_DESCRIPTION.test(result.reason))) {
          broken('authorize', 'returned a reason that is not 1 to 500 printable ASCII characters without " and \\ (RFC 6749 §4.1.2.1).');
        }
        return result.reason === undefined ? { allow: result.allow } : { allow: result.allow, reason: result.reason };
      }
      return broken('authorize', 'must return true, false or { allow, reason }.');
    },

    async skipConsent({ user, client, scopes, granted, skip }) {
      if (!adapter.skipConsent) return skip;
      const result = await call('skipConsent', () =>
        adapter.skipConsent!({ user: adapterUser(user), client: adapterClient(client), scopes: [...scopes], granted: [...granted], skip }),
      );
      return typeof result === 'boolean' ? result : broken('skipConsent', 'must return true or false.');
    },

    async clientCredentialsScopes({ client, requested, scopes, allowed }) {
      if (!adapter.clientCredentialsScopes) return scopes;
      const result = await call('clientCredentialsScopes', () =>
        adapter.clientCredentialsScopes!({ client: adapterClient(client), requested: requested && [...requested], scopes: [...scopes] }),
      );
      if (result === false) return false;
      if (!Array.isArray(result) || !result.every((scope) => typeof scope === 'string')) {
        return broken('clientCredentialsScopes', 'must return an array of scope names or false.');
      }
      // The adapter narrows or picks among the client's scopes; it never grants one the client was not
      // registered for, nor a user scope (openid, profile, ...) that client_credentials refuses.
      for (const scope of result) {
        if (!allowed.includes(scope)) broken('clientCredentialsScopes', `returned ${scope}, which the client may not use with client_credentials.`);
      }
      return [...new Set(result)];
    },

    async userCode(client) {
      if (!adapter.generateUserCode) return defaultUserCode();
      const result = await call('generateUserCode', () => adapter.generateUserCode!({ client: adapterClient(client) }));
      const code = typeof result === 'string' ? result.toUpperCase().replace(/[-\s]/g, '') : '';
      return USER_CODE_PATTERN.test(code) ? code : broken('generateUserCode', 'must return 6 to 32 letters or digits (dashes and spaces are ignored).');
    },

    async token(kind, client) {
      if (!adapter.generateToken) return randomToken();
      const result = await call('generateToken', () => adapter.generateToken!({ kind, client: adapterClient(client) }));
      return typeof result === 'string' && TOKEN_VALUE.test(result)
        ? result
        : broken('generateToken', 'must return 32 to 512 characters from A-Z a-z 0-9 - . _ ~.');
    },

    async subject(user, client) {
      const subject = publicSubject(user, client);
      if (!adapter.subject) return subject;
      const result = await call('subject', () => adapter.subject!({ user: adapterUser(user), client: adapterClient(client), subject }));
      // OIDC Core §2: sub is at most 255 ASCII characters.
      return typeof result === 'string' && /^[\x21-\x7e]{1,255}$/.test(result)
        ? result
        : broken('subject', 'must return 1 to 255 printable ASCII characters.');
    },

    async onEvent(event) {
      if (!adapter.onEvent) return;
      try {
        await adapter.onEvent(structuredClone(event));
      } catch (error) {
        log.warn("the adapter's onEvent() failed", { event: event.type, reason: error instanceof Error ? error.message : String(error) });
      }
    },
  };
}

/** The sector of a pairwise client (OIDC Core §8.1): its sector_identifier, else the host of its redirect URIs. */
export function sectorOf(client: ClientRecord): string {
  if (client.metadata.sector_identifier) return client.metadata.sector_identifier;
  const first = client.metadata.redirect_uris[0];
  // Clients without redirect URIs (client_credentials, device) or with a custom-scheme one
  // (com.example.app:/cb has no host) are each a sector of their own.
  if (!first) return client.id;
  return URL.parse(first.replace('*', 'wildcard'))?.host || client.id;
}

/** Copies, so adapter code cannot change what the server holds. */
function adapterUser(user: UserRecord): AdapterUser {
  const { passwordHash: _passwordHash, ...rest } = user;
  return structuredClone(rest);
}

function adapterClient(client: ClientRecord): AdapterClient {
  return { id: client.id, metadata: structuredClone(client.metadata) };
}

/** Hooks with every default, for tests and tools that load no adapter. */
export function defaultHooks(options: Omit<HooksOptions, 'adapter'>): Hooks {
  return createHooks({ ...options, adapter: {} });
}
