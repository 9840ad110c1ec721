-- Device authorization (RFC 8628), custom scopes, and shared rate-limit counters.
CREATE TABLE device_codes (
  device_code_hash TEXT PRIMARY KEY,               -- digest of the device_code the client polls with
  user_code        TEXT NOT NULL UNIQUE,           -- normalised: upper case, no dash (BDWPHQPK)
  client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  scope            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id          TEXT REFERENCES users(id) ON DELETE CASCADE,
  sid              TEXT,
  auth_time        INTEGER,
  poll_interval    INTEGER NOT NULL,               -- seconds; grows by 5 at each slow_down
  last_polled_at   INTEGER,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);

CREATE TABLE scopes (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  claims      TEXT NOT NULL DEFAULT '[]',          -- JSON array of claim names the scope releases
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE rate_limits (
  key          TEXT PRIMARY KEY,                   -- e.g. device:<browser digest>
  count        INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);
