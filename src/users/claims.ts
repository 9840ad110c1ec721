// Scopes and the claims they release (OIDC Core §5.4). Custom scopes extend this later.
import type { UserRecord } from '../store/store.ts';

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

/** The user claims released by `scopes` (besides sub, which is always released). */
export function claimsForScopes(user: UserRecord, scopes: readonly string[]): Record<string, string | number | boolean> {
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
