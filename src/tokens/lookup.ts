// Finding a token a client presents to /revoke or /introspect. Access tokens (opaque or JWT) and
// refresh tokens are all stored by the SHA-256 digest of the whole token, so one digest is looked up
// in both tables. The client's token_type_hint only decides which table is searched first: it is not
// trusted (RFC 7009 §2.1, RFC 7662 §2.1), and an unknown hint is ignored.
import type { AccessTokenRecord, RefreshTokenRecord, TokenStore } from '../store/store.ts';
import { hashToken } from './secret.ts';

export type TokenType = 'access_token' | 'refresh_token';

export type FoundToken =
  | { type: 'access_token'; hash: string; record: AccessTokenRecord }
  | { type: 'refresh_token'; hash: string; record: RefreshTokenRecord };

export async function findToken(tokens: Pick<TokenStore, 'findAccessToken' | 'findRefreshToken'>, token: string, hint?: string): Promise<FoundToken | null> {
  const hash = hashToken(token);
  const order: TokenType[] = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
  for (const type of order) {
    if (type === 'access_token') {
      const record = await tokens.findAccessToken(hash);
      if (record) return { type, hash, record };
    } else {
      const record = await tokens.findRefreshToken(hash);
      if (record) return { type, hash, record };
    }
  }
  return null;
}
