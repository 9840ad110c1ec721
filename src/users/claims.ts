// Scopes and the claims they release (OIDC Core §5.4), and custom scopes (`idp scope add`) that release
// some of the same claims.
import type { ScopeRecord, UserRecord } from '../store/store.ts';

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

/** What claimsForScopes and the consent page need of a custom scope. */
export type CustomScope = Pick<ScopeRecord, 'name' | 'description' | 'claims'>;

/** The consent-page description of a scope: the standard one, else the custom scope's, else its name. */
export function scopeDescription(name: string, custom: readonly CustomScope[] = []): string {
  const standard = Object.hasOwn(SCOPE_DESCRIPTIONS, name) ? SCOPE_DESCRIPTIONS[name] : undefined;
  return standard ?? custom.find((scope) => scope.name === name)?.description ?? name;
}

/**
 * The user claims released by `scopes` (besides sub, which is always released). A granted custom
 * scope in `custom` releases the claims it names, with the values profile/email would give them.
 */
export function claimsForScopes(
  user: UserRecord,
  scopes: readonly string[],
  custom: readonly CustomScope[] = [],
): Record<string, string | number | boolean> {
  const claims = standardClaims(user, scopes);
  const extra = custom.filter((scope) => scopes.includes(scope.name)).flatMap((scope) => scope.claims);
  if (extra.length > 0) {
    const all = standardClaims(user, ['profile', 'email']);
    for (const claim of extra) {
      const value = all[claim];
      if (value !== undefined) claims[claim] = value;
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
