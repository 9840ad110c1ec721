// Grants, authorization codes, access and refresh tokens on PostgreSQL. Single use is a conditional
// UPDATE: the row lock makes a second caller re-check the WHERE clause and change nothing, so exactly
// one caller sees a changed row, whichever instance it runs in.
import type { SQL } from 'bun';
import { parseJsonColumn } from '../sqlite/json.ts';
import type { AccessTokenRecord, AuthorizationCodeRecord, GrantOwner, GrantRecord, RefreshTokenRecord, TokenIssue, TokenStore } from '../store.ts';
import { type Connection, int, intOrNull } from './connection.ts';

interface GrantRow {
  id: string;
  user_id: string | null;
  client_id: string;
  scope: string;
  sid: string | null;
  auth_time: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

interface CodeRow {
  code_hash: string;
  grant_id: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: 'S256' | null;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
}

/** The columns access and refresh tokens share. */
interface TokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: string;
  expires_at: string;
}

interface AccessTokenRow extends TokenRow {
  claims: string | null;
}

interface RefreshTokenRow extends Omit<TokenRow, 'user_id'> {
  user_id: string;
  rotated_at: string | null;
}

export class PostgresTokens implements TokenStore {
  constructor(private readonly db: Connection) {}

  async insertGrant(grant: GrantRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO grants (id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at)
        VALUES (${grant.id}, ${grant.userId}, ${grant.clientId}, ${grant.scope}, ${grant.sid}, ${grant.authTime},
        ${grant.createdAt}, ${grant.expiresAt}, ${grant.revokedAt})`,
      `A grant with id ${grant.id} already exists.`,
    );
  }

  async getGrant(id: string): Promise<GrantRecord | null> {
    const [row] = await this.db.run(this.db.sql<GrantRow[]>`SELECT * FROM grants WHERE id = ${id}`);
    return row ? grantRecord(row) : null;
  }

  async listGrants(owner: GrantOwner, now: number): Promise<GrantRecord[]> {
    const sql = this.db.sql;
    const rows = await this.db.run(
      'userId' in owner
        ? sql<GrantRow[]>`SELECT * FROM grants WHERE user_id = ${owner.userId} AND revoked_at IS NULL AND expires_at > ${now} ORDER BY created_at, seq`
        : sql<GrantRow[]>`SELECT * FROM grants WHERE client_id = ${owner.clientId} AND revoked_at IS NULL AND expires_at > ${now} ORDER BY created_at, seq`,
    );
    return rows.map(grantRecord);
  }

  async revokeGrantsOf(owner: GrantOwner, revokedAt: number): Promise<number> {
    // The UPDATE picks and locks the live grants in one step, so a grant created meanwhile cannot slip between.
    return this.db.run(
      this.db.sql.begin(async (tx) => {
        const revoked =
          'userId' in owner
            ? await tx<{ id: string }[]>`UPDATE grants SET revoked_at = ${revokedAt}
                WHERE user_id = ${owner.userId} AND revoked_at IS NULL AND expires_at > ${revokedAt} RETURNING id`
            : await tx<{ id: string }[]>`UPDATE grants SET revoked_at = ${revokedAt}
                WHERE client_id = ${owner.clientId} AND revoked_at IS NULL AND expires_at > ${revokedAt} RETURNING id`;
        const ids = revoked.map((row) => row.id);
        if (ids.length > 0) await deleteIssued(tx, tx.array(ids, 'TEXT'));
        return ids.length;
      }),
    );
  }

  async revokeGrant(id: string, revokedAt: number): Promise<void> {
    await this.db.run(
      this.db.sql.begin(async (tx) => {
        await tx`UPDATE grants SET revoked_at = COALESCE(revoked_at, ${revokedAt}) WHERE id = ${id}`;
        await deleteIssued(tx, tx.array([id], 'TEXT'));
      }),
    );
  }

  async extendGrant(id: string, expiresAt: number): Promise<void> {
    await this.db.run(this.db.sql`UPDATE grants SET expires_at = GREATEST(expires_at, ${expiresAt}) WHERE id = ${id}`);
  }

  async recordIssued(issue: TokenIssue): Promise<void> {
    const { grant, accessToken: at, refreshToken: rt } = issue;
    const claims = at.claims === null ? null : JSON.stringify(at.claims);
    await this.db.run(
      this.db.sql.begin(async (tx) => {
        if (grant) {
          await tx`INSERT INTO grants (id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at)
            VALUES (${grant.id}, ${grant.userId}, ${grant.clientId}, ${grant.scope}, ${grant.sid}, ${grant.authTime},
            ${grant.createdAt}, ${grant.expiresAt}, ${grant.revokedAt})`;
        }
        await tx`INSERT INTO access_tokens (token_hash, grant_id, client_id, user_id, scope, claims, created_at, expires_at)
          VALUES (${at.tokenHash}, ${at.grantId}, ${at.clientId}, ${at.userId}, ${at.scope}, ${claims},
          ${at.createdAt}, ${at.expiresAt})`;
        if (rt) {
          await tx`INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, created_at, expires_at, rotated_at)
            VALUES (${rt.tokenHash}, ${rt.grantId}, ${rt.clientId}, ${rt.userId}, ${rt.scope},
            ${rt.createdAt}, ${rt.expiresAt}, ${rt.rotatedAt})`;
        }
        await tx`UPDATE grants SET expires_at = GREATEST(expires_at, ${issue.grantExpiresAt}) WHERE id = ${at.grantId}`;
      }),
      'That grant or token already exists.',
    );
  }

  async insertAuthorizationCode(code: AuthorizationCodeRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO authorization_codes (code_hash, grant_id, client_id, redirect_uri, scope, nonce,
        code_challenge, code_challenge_method, created_at, expires_at, consumed_at)
        VALUES (${code.codeHash}, ${code.grantId}, ${code.clientId}, ${code.redirectUri}, ${code.scope}, ${code.nonce},
        ${code.codeChallenge}, ${code.codeChallengeMethod}, ${code.createdAt}, ${code.expiresAt}, ${code.consumedAt})`,
      'That authorization code already exists.',
    );
  }

  async findAuthorizationCode(codeHash: string): Promise<AuthorizationCodeRecord | null> {
    const [row] = await this.db.run(this.db.sql<CodeRow[]>`SELECT * FROM authorization_codes WHERE code_hash = ${codeHash}`);
    if (!row) return null;
    return {
      codeHash: row.code_hash,
      grantId: row.grant_id,
      clientId: row.client_id,
      redirectUri: row.redirect_uri,
      scope: row.scope,
      nonce: row.nonce,
      codeChallenge: row.code_challenge,
      codeChallengeMethod: row.code_challenge_method,
      createdAt: int(row.created_at),
      expiresAt: int(row.expires_at),
      consumedAt: intOrNull(row.consumed_at),
    };
  }

  async consumeAuthorizationCode(codeHash: string, consumedAt: number): Promise<boolean> {
    const result = await this.db.run(
      this.db.sql`UPDATE authorization_codes SET consumed_at = ${consumedAt} WHERE code_hash = ${codeHash} AND consumed_at IS NULL`,
    );
    return result.count === 1;
  }

  async insertAccessToken(token: AccessTokenRecord): Promise<void> {
    const claims = token.claims === null ? null : JSON.stringify(token.claims);
    await this.db.run(
      this.db.sql`INSERT INTO access_tokens (token_hash, grant_id, client_id, user_id, scope, claims, created_at, expires_at)
        VALUES (${token.tokenHash}, ${token.grantId}, ${token.clientId}, ${token.userId}, ${token.scope}, ${claims},
        ${token.createdAt}, ${token.expiresAt})`,
      'That access token already exists.',
    );
  }

  async findAccessToken(tokenHash: string): Promise<AccessTokenRecord | null> {
    const [row] = await this.db.run(this.db.sql<AccessTokenRow[]>`SELECT * FROM access_tokens WHERE token_hash = ${tokenHash}`);
    if (!row) return null;
    const claims = row.claims === null ? null : parseJsonColumn<Record<string, unknown>>(row.claims, 'claims of an access token');
    return { ...tokenRecord(row), claims };
  }

  async deleteAccessToken(tokenHash: string): Promise<boolean> {
    return (await this.db.run(this.db.sql`DELETE FROM access_tokens WHERE token_hash = ${tokenHash}`)).count === 1;
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, created_at, expires_at, rotated_at)
        VALUES (${token.tokenHash}, ${token.grantId}, ${token.clientId}, ${token.userId}, ${token.scope},
        ${token.createdAt}, ${token.expiresAt}, ${token.rotatedAt})`,
      'That refresh token already exists.',
    );
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const [row] = await this.db.run(this.db.sql<RefreshTokenRow[]>`SELECT * FROM refresh_tokens WHERE token_hash = ${tokenHash}`);
    return row ? { ...tokenRecord(row), userId: row.user_id, rotatedAt: intOrNull(row.rotated_at) } : null;
  }

  async markRefreshTokenRotated(tokenHash: string, rotatedAt: number): Promise<boolean> {
    const result = await this.db.run(
      this.db.sql`UPDATE refresh_tokens SET rotated_at = ${rotatedAt} WHERE token_hash = ${tokenHash} AND rotated_at IS NULL`,
    );
    return result.count === 1;
  }
}

/** Deletes every code and token issued under the given grants (a TEXT[] parameter). */
async function deleteIssued(tx: SQL, grantIds: unknown): Promise<void> {
  await tx`DELETE FROM authorization_codes WHERE grant_id = ANY(${grantIds})`;
  await tx`DELETE FROM access_tokens WHERE grant_id = ANY(${grantIds})`;
  await tx`DELETE FROM refresh_tokens WHERE grant_id = ANY(${grantIds})`;
}

function grantRecord(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    sid: row.sid,
    authTime: int(row.auth_time),
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
    revokedAt: intOrNull(row.revoked_at),
  };
}

function tokenRecord(row: TokenRow): Omit<AccessTokenRecord, 'claims'> {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
  };
}
