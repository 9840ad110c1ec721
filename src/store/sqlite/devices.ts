// RFC 8628 device codes and the shared rate-limit counters on SQLite. State changes are conditional
// UPDATEs, so two requests racing on one code cannot both win.
import type { Database, Statement } from 'bun:sqlite';
import {
  type DeviceCodeRecord,
  type DeviceCodeStatus,
  type DeviceCodeStore,
  type RateLimitRecord,
  type RateLimitStore,
  StoreError,
} from '../store.ts';
import { isUniqueViolation } from './errors.ts';

interface DeviceCodeRow {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  status: DeviceCodeStatus;
  user_id: string | null;
  sid: string | null;
  auth_time: number | null;
  poll_interval: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
}

function toRecord(row: DeviceCodeRow): DeviceCodeRecord {
  return {
    deviceCodeHash: row.device_code_hash,
    userCode: row.user_code,
    clientId: row.client_id,
    scope: row.scope,
    status: row.status,
    userId: row.user_id,
    sid: row.sid,
    authTime: row.auth_time,
    pollInterval: row.poll_interval,
    lastPolledAt: row.last_polled_at,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

function prepareDeviceStatements(db: Database) {
  const slowDown = db.prepare(`UPDATE device_codes SET poll_interval = poll_interval + 5, last_polled_at = $now
    WHERE device_code_hash = $hash AND last_polled_at IS NOT NULL AND $now - last_polled_at < poll_interval`);
  const poll = db.prepare('UPDATE device_codes SET last_polled_at = $now WHERE device_code_hash = $hash');
  return {
    insert: db.prepare(`INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, status, user_id, sid,
      auth_time, poll_interval, last_polled_at, created_at, expires_at) VALUES ($device_code_hash, $user_code, $client_id,
      $scope, $status, $user_id, $sid, $auth_time, $poll_interval, $last_polled_at, $created_at, $expires_at)`),
    byHash: db.prepare<DeviceCodeRow, [string]>('SELECT * FROM device_codes WHERE device_code_hash = ?'),
    byUserCode: db.prepare<DeviceCodeRow, [string, number]>('SELECT * FROM device_codes WHERE user_code = ? AND expires_at > ?'),
    approve: db.prepare(`UPDATE device_codes SET status = 'approved', user_id = ?, sid = ?, auth_time = ?
      WHERE device_code_hash = ? AND status = 'pending' AND expires_at > ?`),
    deny: db.prepare(`UPDATE device_codes SET status = 'denied' WHERE device_code_hash = ? AND status = 'pending' AND expires_at > ?`),
    consume: db.prepare(`UPDATE device_codes SET status = 'consumed' WHERE device_code_hash = ? AND status = 'approved'`),
    // Slow down (and grow the interval) or just note the poll, as one step.
    recordPoll: db.transaction((hash: string, now: number): boolean => {
      if (slowDown.run({ hash, now }).changes > 0) return true;
      poll.run({ hash, now });
      return false;
    }),
  };
}

export class SqliteDeviceCodes implements DeviceCodeStore {
  private prepared: ReturnType<typeof prepareDeviceStatements> | undefined;

  constructor(private readonly db: Database) {}

  /** Prepared on first use, so a store opened on an older schema in tests can still open. */
  private get statements() {
    this.prepared ??= prepareDeviceStatements(this.db);
    return this.prepared;
  }

  async insertDeviceCode(code: DeviceCodeRecord): Promise<void> {
    try {
      this.statements.insert.run({
        device_code_hash: code.deviceCodeHash,
        user_code: code.userCode,
        client_id: code.clientId,
        scope: code.scope,
        status: code.status,
        user_id: code.userId,
        sid: code.sid,
        auth_time: code.authTime,
        poll_interval: code.pollInterval,
        last_polled_at: code.lastPolledAt,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('conflict', 'That user code or device code is already in use.');
      throw error;
    }
  }

  async findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | null> {
    const row = this.statements.byHash.get(deviceCodeHash);
    return row ? toRecord(row) : null;
  }

  async findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | null> {
    const row = this.statements.byUserCode.get(userCode, now);
    return row ? toRecord(row) : null;
  }

  async approve(deviceCodeHash: string, userId: string, sid: string, authTime: number, now: number): Promise<boolean> {
    return this.statements.approve.run(userId, sid, authTime, deviceCodeHash, now).changes === 1;
  }

  async deny(deviceCodeHash: string, now: number): Promise<boolean> {
    return this.statements.deny.run(deviceCodeHash, now).changes === 1;
  }

  async recordPoll(deviceCodeHash: string, now: number): Promise<boolean> {
    return this.statements.recordPoll(deviceCodeHash, now);
  }

  async consume(deviceCodeHash: string): Promise<boolean> {
    return this.statements.consume.run(deviceCodeHash).changes === 1;
  }
}

interface RateLimitRow {
  count: number;
  window_start: number;
  expires_at: number;
}

function prepareRateLimitStatements(db: Database) {
  return {
    // A window that has ended starts again at this failure; a live one slides to it.
    failure: db.prepare<{ count: number }, [{ key: string; now: number; window: number }]>(`INSERT INTO rate_limits (key, count, window_start, expires_at)
      VALUES ($key, 1, $now, $now + $window)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.expires_at > $now THEN rate_limits.count + 1 ELSE 1 END,
        window_start = $now,
        expires_at = $now + $window
      RETURNING count`),
    peek: db.prepare<RateLimitRow, [string, number]>('SELECT count, window_start, expires_at FROM rate_limits WHERE key = ? AND expires_at > ?'),
    reset: db.prepare('DELETE FROM rate_limits WHERE key = ?'),
  };
}

export class SqliteRateLimits implements RateLimitStore {
  private upsert: Statement<{ count: number }, [{ key: string; now: number; window: number }]> | undefined;
  private prepared: ReturnType<typeof prepareRateLimitStatements> | undefined;

  constructor(private readonly db: Database) {}

  /** Prepared on first use, like the device codes. */
  private get statements() {
    this.prepared ??= prepareRateLimitStatements(this.db);
    return this.prepared;
  }

  async recordFailure(key: string, windowSeconds: number, now: number): Promise<number> {
    return this.statements.failure.get({ key, now, window: windowSeconds })?.count ?? 1;
  }

  async peek(key: string, now: number): Promise<RateLimitRecord | null> {
    const row = this.statements.peek.get(key, now);
    return row ? { count: row.count, windowStart: row.window_start, expiresAt: row.expires_at } : null;
  }

  async reset(key: string): Promise<void> {
    this.statements.reset.run(key);
  }

  async hit(key: string, windowSeconds: number, now: number): Promise<number> {
    // A window that has ended starts again at this hit. Prepared on first use, like the device codes.
    this.upsert ??= this.db.prepare(`INSERT INTO rate_limits (key, count, window_start, expires_at) VALUES ($key, 1, $now, $now + $window)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN rate_limits.expires_at > $now THEN rate_limits.count + 1 ELSE 1 END,
        window_start = CASE WHEN rate_limits.expires_at > $now THEN rate_limits.window_start ELSE $now END,
        expires_at = CASE WHEN rate_limits.expires_at > $now THEN rate_limits.expires_at ELSE $now + $window END
      RETURNING count`);
    return this.upsert.get({ key, now, window: windowSeconds })?.count ?? 1;
  }
}
