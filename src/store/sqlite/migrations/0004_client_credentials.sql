-- Grants and access tokens without a user: the client_credentials grant acts for the client itself.
-- SQLite cannot drop NOT NULL in place, so both tables are rebuilt (foreign keys are off meanwhile).
CREATE TABLE grants_new (
  id         TEXT PRIMARY KEY,
  user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,   -- NULL: a client_credentials grant
  client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  scope      TEXT NOT NULL,
  sid        TEXT,
  auth_time  INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
INSERT INTO grants_new (id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at)
  SELECT id, user_id, client_id, scope, sid, auth_time, created_at, expires_at, revoked_at FROM grants;
DROP TABLE grants;
ALTER TABLE grants_new RENAME TO grants;
CREATE INDEX grants_expires_at ON grants (expires_at);
CREATE INDEX grants_user_id ON grants (user_id);
CREATE INDEX grants_client_id ON grants (client_id);

CREATE TABLE access_tokens_new (
  token_hash TEXT PRIMARY KEY,
  grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  user_id    TEXT,                                           -- NULL: a client_credentials token
  scope      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
INSERT INTO access_tokens_new (token_hash, grant_id, client_id, user_id, scope, created_at, expires_at)
  SELECT token_hash, grant_id, client_id, user_id, scope, created_at, expires_at FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_new RENAME TO access_tokens;
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
