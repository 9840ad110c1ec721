// Grants, authorization codes, access and refresh tokens on SQLite. Single use is a conditional
// UPDATE: exactly one caller sees a changed row.
import type { Database } from 'bun:sqlite';
import type {
  AccessTokenRecord,
  AuthorizationCodeRecord,
  GrantOwner,
  GrantRecord,
  RefreshTokenRecord,
  TokenIssue,
  TokenStore,
} from '../store.ts';
import { StoreError } from '../store.ts';
import { isUniqueViolation } from './errors.ts';
import { parseJsonColumn } from './json.ts';

interface GrantRow {
  id: string;
  user_id: string | null;
  client_id: string;
  scope: string;
  sid: string | null;
  auth_time: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
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
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** The columns access and refresh tokens share. */
interface TokenRow {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: number;
  expires_at: number;
}

interface AccessTokenRow extends TokenRow {
  claims: string | null;
}

interface RefreshTokenRow extends Omit<TokenRow, 'user_id'> {
  user_id: string;
  rotated_at: number | null;
}

export class SqliteTokens implements TokenStore {
  private readonly statements;

  private readonly recordIssuedTx: (issue: TokenIssue) => void;

  constructor(private readonly db: Database) {
    this.statements = {
      insertGrant: db.prepare(`INSERT INTO grants (id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at)
        VALUES ($id, $user_id, $client_id, $scope, $sid, $auth_time, $created_at, $expires_at, $revoked_at)`),
      getGrant: db.prepare<GrantRow, [string]>('SELECT * FROM grants WHERE id = ?'),
      grantsOfUser: db.prepare<GrantRow, [string, number]>(
        'SELECT * FROM grants WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at, rowid',
      ),
      grantsOfClient: db.prepare<GrantRow, [string, number]>(
        'SELECT * FROM grants WHERE client_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at, rowid',
      ),
      deleteAccessToken: db.prepare('DELETE FROM access_tokens WHERE token_hash = ?'),
      revokeGrant: db.prepare('UPDATE grants SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?'),
      deleteGrantCodes: db.prepare('DELETE FROM authorization_codes WHERE grant_id = ?'),
      deleteGrantAccessTokens: db.prepare('DELETE FROM access_tokens WHERE grant_id = ?'),
      deleteGrantRefreshTokens: db.prepare('DELETE FROM refresh_tokens WHERE grant_id = ?'),
      extendGrant: db.prepare('UPDATE grants SET expires_at = MAX(expires_at, ?) WHERE id = ?'),
      insertCode: db.prepare(`INSERT INTO authorization_codes (code_hash, grant_id, client_id, redirect_uri, scope, nonce,
        code_challenge, code_challenge_method, created_at, expires_at, consumed_at)
        VALUES ($code_hash, $grant_id, $client_id, $redirect_uri, $scope, $nonce, $code_challenge, $code_challenge_method,
        $created_at, $expires_at, $consumed_at)`),
      findCode: db.prepare<CodeRow, [string]>('SELECT * FROM authorization_codes WHERE code_hash = ?'),
      consumeCode: db.prepare('UPDATE authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL'),
      insertAccessToken: db.prepare(`INSERT INTO access_tokens (token_hash, grant_id, client_id, user_id, scope, claims, created_at, expires_at)
        VALUES ($token_hash, $grant_id, $client_id, $user_id, $scope, $claims, $created_at, $expires_at)`),
      findAccessToken: db.prepare<AccessTokenRow, [string]>('SELECT * FROM access_tokens WHERE token_hash = ?'),
      insertRefreshToken: db.prepare(`INSERT INTO refresh_tokens (token_hash, grant_id, client_id, user_id, scope, created_at, expires_at, rotated_at)
        VALUES ($token_hash, $grant_id, $client_id, $user_id, $scope, $created_at, $expires_at, $rotated_at)`),
      findRefreshToken: db.prepare<RefreshTokenRow, [string]>('SELECT * FROM refresh_tokens WHERE token_hash = ?'),
      rotateRefreshToken: db.prepare('UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL'),
    };
    // One write transaction per token response instead of one autocommit per row.
    this.recordIssuedTx = db.transaction((issue: TokenIssue) => {
      const s = this.statements;
      if (issue.grant) s.insertGrant.run(grantRow(issue.grant));
      s.insertAccessToken.run(accessTokenRow(issue.accessToken));
      if (issue.refreshToken) s.insertRefreshToken.run({ ...tokenRow(issue.refreshToken), rotated_at: issue.refreshToken.rotatedAt });
      s.extendGrant.run(issue.grantExpiresAt, issue.accessToken.grantId);
    });
  }

  async recordIssued(issue: TokenIssue): Promise<void> {
    try {
      this.recordIssuedTx(issue);
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', 'That grant or token already exists.');
      throw error;
    }
  }

  async insertGrant(grant: GrantRecord): Promise<void> {
    this.statements.insertGrant.run(grantRow(grant));
  }

  async getGrant(id: string): Promise<GrantRecord | null> {
    const row = this.statements.getGrant.get(id);
    return row ? grantRecord(row) : null;
  }

  async listGrants(owner: GrantOwner, now: number): Promise<GrantRecord[]> {
    const rows =
      'userId' in owner ? this.statements.grantsOfUser.all(owner.userId, now) : this.statements.grantsOfClient.all(owner.clientId, now);
    return rows.map(grantRecord);
  }

  async revokeGrantsOf(owner: GrantOwner, revokedAt: number): Promise<number> {
    // Listed inside the write transaction, so a grant created meanwhile cannot slip between the two.
    return this.db.transaction(() => {
      const s = this.statements;
      const rows = 'userId' in owner ? s.grantsOfUser.all(owner.userId, revokedAt) : s.grantsOfClient.all(owner.clientId, revokedAt);
      for (const row of rows) this.revokeOne(row.id, revokedAt);
      return rows.length;
    }).immediate();
  }

  async revokeGrant(id: string, revokedAt: number): Promise<void> {
    this.db.transaction(() => this.revokeOne(id, revokedAt))();
  }

  private revokeOne(id: string, revokedAt: number): void {
    const s = this.statements;
    s.revokeGrant.run(revokedAt, id);
    s.deleteGrantCodes.run(id);
    s.deleteGrantAccessTokens.run(id);
    s.deleteGrantRefreshTokens.run(id);
  }

  async extendGrant(id: string, expiresAt: number): Promise<void> {
    this.statements.extendGrant.run(expiresAt, id);
  }

  async insertAuthorizationCode(code: AuthorizationCodeRecord): Promise<void> {
    this.statements.insertCode.run({
      code_hash: code.codeHash,
      grant_id: code.grantId,
      client_id: code.clientId,
      redirect_uri: code.redirectUri,
      scope: code.scope,
      nonce: code.nonce,
      code_challenge: code.codeChallenge,
      code_challenge_method: code.codeChallengeMethod,
      created_at: code.createdAt,
      expires_at: code.expiresAt,
      consumed_at: code.consumedAt,
    });
  }

  async findAuthorizationCode(codeHash: string): Promise<AuthorizationCodeRecord | null> {
    const row = this.statements.findCode.get(codeHash);
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
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      consumedAt: row.consumed_at,
    };
  }

  async consumeAuthorizationCode(codeHash: string, consumedAt: number): Promise<boolean> {
    return this.statements.consumeCode.run(consumedAt, codeHash).changes === 1;
  }

  async insertAccessToken(token: AccessTokenRecord): Promise<void> {
    this.statements.insertAccessToken.run(accessTokenRow(token));
  }

  async findAccessToken(tokenHash: string): Promise<AccessTokenRecord | null> {
    const row = this.statements.findAccessToken.get(tokenHash);
    if (!row) return null;
    const claims = row.claims === null ? null : parseJsonColumn<Record<string, unknown>>(row.claims, 'claims of an access token');
    return { ...tokenRecord(row), claims };
  }

  async deleteAccessToken(tokenHash: string): Promise<boolean> {
    return this.statements.deleteAccessToken.run(tokenHash).changes === 1;
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    this.statements.insertRefreshToken.run({ ...tokenRow(token), rotated_at: token.rotatedAt });
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | null> {
    const row = this.statements.findRefreshToken.get(tokenHash);
    return row ? { ...tokenRecord(row), userId: row.user_id, rotatedAt: row.rotated_at } : null;
  }

  async markRefreshTokenRotated(tokenHash: string, rotatedAt: number): Promise<boolean> {
    return this.statements.rotateRefreshToken.run(rotatedAt, tokenHash).changes === 1;
  }
}

/** A row as statement parameters (a mapped type, which bun:sqlite's bindings accept where an interface is not). */
type Bindings<T> = { [K in keyof T]: T[K] };

function grantRow(grant: GrantRecord): Bindings<GrantRow> {
  return {
    id: grant.id,
    user_id: grant.userId,
    client_id: grant.clientId,
    scope: grant.scope,
    sid: grant.sid,
    auth_time: grant.authTime,
    created_at: grant.createdAt,
    expires_at: grant.expiresAt,
    revoked_at: grant.revokedAt,
  };
}

function accessTokenRow(token: AccessTokenRecord): Bindings<AccessTokenRow> {
  return { ...tokenRow(token), claims: token.claims === null ? null : JSON.stringify(token.claims) };
}

function grantRecord(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    sid: row.sid,
    authTime: row.auth_time,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

type TokenFields = Omit<AccessTokenRecord, 'claims'>;

function tokenRow(token: TokenFields): TokenRow {
  return {
    token_hash: token.tokenHash,
    grant_id: token.grantId,
    client_id: token.clientId,
    user_id: token.userId,
    scope: token.scope,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
  };
}

function tokenRecord(row: TokenRow): TokenFields {
  return {
    tokenHash: row.token_hash,
    grantId: row.grant_id,
    clientId: row.client_id,
    userId: row.user_id,
    scope: row.scope,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
