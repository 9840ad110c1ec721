-- Device authorization (RFC 8628), custom scopes, and shared rate-limit counters.
CREATE TABLE device_codes (
  device_code_hash TEXT PRIMARY KEY,               -- digest of the device_code the client polls with
  user_code        TEXT NOT NULL UNIQUE,           -- normalised: upper case, no dash (BDWPHQPK)
  client_id        TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  scope            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  user_id          TEXT REFERENCES users(id) ON DELETE CASCADE,
  sid              TEXT,
  auth_time        BIGINT,
  poll_interval    BIGINT NOT NULL,                -- seconds; grows by 5 at each slow_down
  last_polled_at   BIGINT,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL
);
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
-- Deleting a client or a user cascades through these.
CREATE INDEX device_codes_client_id ON device_codes (client_id);
CREATE INDEX device_codes_user_id ON device_codes (user_id);

CREATE TABLE scopes (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  claims      TEXT NOT NULL DEFAULT '[]',          -- JSON array of claim names the scope releases
  created_at  BIGINT NOT NULL
);

CREATE TABLE rate_limits (
  key          TEXT PRIMARY KEY,                   -- e.g. device:<browser digest>
  count        BIGINT NOT NULL,
  window_start BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);
