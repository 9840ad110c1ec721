// RFC 8628 device codes and the shared rate-limit counters on PostgreSQL. Every state change is one
// conditional statement, so requests racing on one code (from any instance) cannot both win.
import { type DeviceCodeRecord, type DeviceCodeStatus, type DeviceCodeStore, type RateLimitRecord, type RateLimitStore } from '../store.ts';
import { type Connection, int, intOrNull } from './connection.ts';

interface DeviceCodeRow {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  status: DeviceCodeStatus;
  user_id: string | null;
  sid: string | null;
  auth_time: string | null;
  poll_interval: string;
  last_polled_at: string | null;
  created_at: string;
  expires_at: string;
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
    authTime: intOrNull(row.auth_time),
    pollInterval: int(row.poll_interval),
    lastPolledAt: intOrNull(row.last_polled_at),
    createdAt: int(row.created_at),
    expiresAt: int(row.expires_at),
  };
}

export class PostgresDeviceCodes implements DeviceCodeStore {
  constructor(private readonly db: Connection) {}

  async insertDeviceCode(code: DeviceCodeRecord): Promise<void> {
    await this.db.run(
      this.db.sql`INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, status, user_id, sid,
        auth_time, poll_interval, last_polled_at, created_at, expires_at)
        VALUES (${code.deviceCodeHash}, ${code.userCode}, ${code.clientId}, ${code.scope}, ${code.status}, ${code.userId},
        ${code.sid}, ${code.authTime}, ${code.pollInterval}, ${code.lastPolledAt}, ${code.createdAt}, ${code.expiresAt})`,
      'That user code or device code is already in use.',
    );
  }

  async findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeRecord | null> {
    const [row] = await this.db.run(this.db.sql<DeviceCodeRow[]>`SELECT * FROM device_codes WHERE device_code_hash = ${deviceCodeHash}`);
    return row ? toRecord(row) : null;
  }

  async findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | null> {
    const [row] = await this.db.run(
      this.db.sql<DeviceCodeRow[]>`SELECT * FROM device_codes WHERE user_code = ${userCode} AND expires_at > ${now}`,
    );
    return row ? toRecord(row) : null;
  }

  async approve(deviceCodeHash: string, userId: string, sid: string, authTime: number, now: number): Promise<boolean> {
    const result = await this.db.run(
      this.db.sql`UPDATE device_codes SET status = 'approved', user_id = ${userId}, sid = ${sid}, auth_time = ${authTime}
        WHERE device_code_hash = ${deviceCodeHash} AND status = 'pending' AND expires_at > ${now}`,
    );
    return result.count === 1;
  }

  async deny(deviceCodeHash: string, now: number): Promise<boolean> {
    const result = await this.db.run(
      this.db.sql`UPDATE device_codes SET status = 'denied'
        WHERE device_code_hash = ${deviceCodeHash} AND status = 'pending' AND expires_at > ${now}`,
    );
    return result.count === 1;
  }

  async recordPoll(deviceCodeHash: string, now: number): Promise<boolean> {
    // The locked read of the previous poll and the write happen in one statement; RETURNING reports
    // whether this poll came too early (and so grew the interval).
    const [row] = await this.db.run(
      this.db.sql<{ early: boolean }[]>`UPDATE device_codes AS d SET
          poll_interval = CASE WHEN previous.early THEN d.poll_interval + 5 ELSE d.poll_interval END,
          last_polled_at = ${now}
        FROM (SELECT device_code_hash,
                (last_polled_at IS NOT NULL AND ${now}::bigint - last_polled_at < poll_interval) AS early
              FROM device_codes WHERE device_code_hash = ${deviceCodeHash} FOR UPDATE) AS previous
        WHERE d.device_code_hash = previous.device_code_hash
        RETURNING previous.early`,
    );
    return row?.early === true;
  }

  async consume(deviceCodeHash: string): Promise<boolean> {
    const result = await this.db.run(
      this.db.sql`UPDATE device_codes SET status = 'consumed' WHERE device_code_hash = ${deviceCodeHash} AND status = 'approved'`,
    );
    return result.count === 1;
  }
}

export class PostgresRateLimits implements RateLimitStore {
  constructor(private readonly db: Connection) {}

  async hit(key: string, windowSeconds: number, now: number): Promise<number> {
    // One upsert: concurrent hits from any instance serialise on the row. A window that has ended
    // starts again at this hit.
    const [row] = await this.db.run(
      this.db.sql<{ count: string }[]>`INSERT INTO rate_limits AS r (key, count, window_start, expires_at)
        VALUES (${key}, 1, ${now}, ${now}::bigint + ${windowSeconds}::bigint)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN r.expires_at > ${now}::bigint THEN r.count + 1 ELSE 1 END,
          window_start = CASE WHEN r.expires_at > ${now}::bigint THEN r.window_start ELSE ${now}::bigint END,
          expires_at = CASE WHEN r.expires_at > ${now}::bigint THEN r.expires_at ELSE ${now}::bigint + ${windowSeconds}::bigint END
        RETURNING count`,
    );
    return row ? int(row.count) : 1;
  }

  async recordFailure(key: string, windowSeconds: number, now: number): Promise<number> {
    // As hit, but the window slides to every failure.
    const [row] = await this.db.run(
      this.db.sql<{ count: string }[]>`INSERT INTO rate_limits AS r (key, count, window_start, expires_at)
        VALUES (${key}, 1, ${now}, ${now}::bigint + ${windowSeconds}::bigint)
        ON CONFLICT (key) DO UPDATE SET
          count = CASE WHEN r.expires_at > ${now}::bigint THEN r.count + 1 ELSE 1 END,
          window_start = ${now}::bigint,
          expires_at = ${now}::bigint + ${windowSeconds}::bigint
        RETURNING count`,
    );
    return row ? int(row.count) : 1;
  }

  async peek(key: string, now: number): Promise<RateLimitRecord | null> {
    const [row] = await this.db.run(
      this.db.sql<{ count: string; window_start: string; expires_at: string }[]>`SELECT count, window_start, expires_at
        FROM rate_limits WHERE key = ${key} AND expires_at > ${now}`,
    );
    return row ? { count: int(row.count), windowStart: int(row.window_start), expiresAt: int(row.expires_at) } : null;
  }

  async reset(key: string): Promise<void> {
    await this.db.run(this.db.sql`DELETE FROM rate_limits WHERE key = ${key}`);
  }
}
