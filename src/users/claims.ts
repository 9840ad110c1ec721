// Scopes and the claims they release (OIDC Core §5.4), and custom scopes (`idp scope add`) that release
// some of the same claims or user attributes (`idp user update --attr`) as claims.
import { PROTECTED_CLAIMS } from '../adapter/types.ts';
import type { ScopeRecord, UserRecord } from '../store/store.ts';
import { ATTRIBUTE_NAME } from './users.ts';

export const STANDARD_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in with your account',
  profile: 'See your name, username, picture, locale and time zone',
  email: 'See your email address',
  offline_access: 'Stay signed in and access your data when you are not present',
};

export const PROFILE_SCOPE_CLAIMS = [
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'picture',
  'locale',
  'zoneinfo',
  'updated_at',
] as const;
export const EMAIL_SCOPE_CLAIMS = ['email', 'email_verified'] as const;

export const CLAIMS_SUPPORTED = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'sid', ...PROFILE_SCOPE_CLAIMS, ...EMAIL_SCOPE_CLAIMS];

/** The user claims a custom scope may release: those the profile and email scopes release. */
export const CUSTOM_SCOPE_CLAIMS: readonly string[] = [...PROFILE_SCOPE_CLAIMS, ...EMAIL_SCOPE_CLAIMS];

/**
 * What one entry of a custom scope's claims releases. Stored as written: `email` (a profile or email
 * claim), `team` (the user attribute team as claim team) or `roles=groups` (attribute groups as claim roles).
 */
export type ScopeClaim = { claim: string; attribute: null } | { claim: string; attribute: string };

/** Why `entry` cannot be a claim of a custom scope, or null when it can. */
export function scopeClaimProblem(entry: string): string | null {
  const equals = entry.indexOf('=');
  const claim = equals < 0 ? entry : entry.slice(0, equals);
  const attribute = equals < 0 ? entry : entry.slice(equals + 1);
  if ((PROTECTED_CLAIMS as readonly string[]).includes(claim)) {
    return `${claim} is a claim idp sets itself; a scope may not release it.`;
  }
  if (equals < 0) {
    if (CUSTOM_SCOPE_CLAIMS.includes(entry) || ATTRIBUTE_NAME.test(entry)) return null;
    return `${JSON.stringify(entry)} is neither a profile or email claim (${CUSTOM_SCOPE_CLAIMS.join(', ')}) nor an attribute name (a letter or _, then up to 63 letters, digits or _ . : -).`;
  }
  if (!ATTRIBUTE_NAME.test(claim)) {
    return `In ${JSON.stringify(entry)}, the claim name must be a letter or _, then up to 63 letters, digits or _ . : -.`;
  }
  // The profile and email scopes release these with the user's own values; one name, one meaning.
  if (CUSTOM_SCOPE_CLAIMS.includes(claim)) {
    return `${claim} is a profile or email claim; release it with --claim ${claim}, or map the attribute to another claim name.`;
  }
  if (!ATTRIBUTE_NAME.test(attribute)) {
    return `In ${JSON.stringify(entry)}, the attribute name must be a letter or _, then up to 63 letters, digits or _ . : -.`;
  }
  return null;
}

/** An entry that passed scopeClaimProblem, read. */
export function parseScopeClaim(entry: string): ScopeClaim {
  const equals = entry.indexOf('=');
  if (equals >= 0) return { claim: entry.slice(0, equals), attribute: entry.slice(equals + 1) };
  return CUSTOM_SCOPE_CLAIMS.includes(entry) ? { claim: entry, attribute: null } : { claim: entry, attribute: entry };
}

/** The claim names the custom scopes may release (for discovery's claims_supported). */
export function customScopeClaimNames(custom: readonly Pick<CustomScope, 'claims'>[]): string[] {
  return [...new Set(custom.flatMap((scope) => scope.claims.map((entry) => parseScopeClaim(entry).claim)))];
}

/** Claim values idp releases: strings, numbers, booleans and lists of strings (list attributes). */
export type ClaimValue = string | number | boolean | string[];

/** What claimsForScopes and the consent page need of a custom scope. */
export type CustomScope = Pick<ScopeRecord, 'name' | 'description' | 'claims'>;

/** The consent-page description of a scope: the standard one, else the custom scope's, else its name. */
export function scopeDescription(name: string, custom: readonly CustomScope[] = []): string {
  const standard = Object.hasOwn(SCOPE_DESCRIPTIONS, name) ? SCOPE_DESCRIPTIONS[name] : undefined;
  return standard ?? custom.find((scope) => scope.name === name)?.description ?? name;
}

/**
 * The user claims released by `scopes` (besides sub, which is always released). A granted custom
 * scope in `custom` releases the claims it names, with the values profile/email would give them, and
 * the user attributes it maps (a list stays a JSON array); an attribute the user lacks is left out.
 */
export function claimsForScopes(
  user: UserRecord,
  scopes: readonly string[],
  custom: readonly CustomScope[] = [],
): Record<string, ClaimValue> {
  const claims: Record<string, ClaimValue> = standardClaims(user, scopes);
  const extra = custom.filter((scope) => scopes.includes(scope.name)).flatMap((scope) => scope.claims.map(parseScopeClaim));
  if (extra.length > 0) {
    const all = standardClaims(user, ['profile', 'email']);
    for (const { claim, attribute } of extra) {
      const value = attribute === null ? all[claim] : Object.hasOwn(user.attributes, attribute) ? user.attributes[attribute] : undefined;
      if (value !== undefined) claims[claim] = Array.isArray(value) ? [...value] : value;
    }
  }
  return claims;
}

function standardClaims(user: UserRecord, scopes: readonly string[]): Record<string, string | number | boolean> {
  const claims: Record<string, string | number | boolean> = {};
  if (scopes.includes('profile')) {
    for (const [claim, value] of Object.entries(user.profile)) if (typeof value === 'string') claims[claim] = value;
    claims.preferred_username ??= user.username;
    claims.updated_at = user.updatedAt;
  }
  if (scopes.includes('email') && user.email !== null) {
    claims.email = user.email;
    claims.email_verified = user.emailVerified;
  }
  return claims;
}
