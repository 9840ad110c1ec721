-- Users, clients, browser sessions, consent, pending authorization requests, grants and tokens.
-- Secrets, codes and tokens are stored only as SHA-256 digests (the *_hash columns).
CREATE TABLE users (
  id             TEXT PRIMARY KEY,               -- the stable subject identifier (sub)
  username       TEXT NOT NULL,
  password_hash  TEXT,                           -- argon2id; NULL: cannot sign in with a password
  email          TEXT,
  email_verified BOOLEAN NOT NULL DEFAULT false,
  profile        TEXT NOT NULL DEFAULT '{}',     -- JSON: standard profile claims
  disabled       BOOLEAN NOT NULL DEFAULT false,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
-- Unique case-insensitively, folding ASCII letters only, exactly like SQLite's COLLATE NOCASE
-- (whatever the database's locale), so that a copy between the backends never meets a new conflict.
CREATE UNIQUE INDEX users_username_nocase ON users (lower(username COLLATE "C"));

CREATE TABLE clients (
  id          TEXT PRIMARY KEY,
  secret_hash TEXT,                              -- NULL for public clients
  metadata    TEXT NOT NULL,                     -- JSON: ClientMetadata
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,                   -- digest of the cookie value
  sid        TEXT NOT NULL UNIQUE,               -- public session id (the sid claim)
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  auth_time  BIGINT NOT NULL,
  amr        TEXT NOT NULL,                      -- JSON array of authentication methods
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE consents (
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  scope      TEXT NOT NULL,                      -- space-separated granted scopes
  granted_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_id)
);
-- PostgreSQL does not index foreign keys by itself; deleting a client cascades through this one.
CREATE INDEX consents_client_id ON consents (client_id);

CREATE TABLE interactions (
  id_hash      TEXT PRIMARY KEY,                 -- digest of the id in the /login and /consent URLs
  browser_hash TEXT NOT NULL,                    -- digest of the browser cookie that started it
  request      TEXT NOT NULL,                    -- JSON: the validated authorization request
  user_id      TEXT,                             -- set once the user signed in for this request
  login_at     BIGINT,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
);
CREATE INDEX interactions_expires_at ON interactions (expires_at);

CREATE TABLE grants (
  id         TEXT PRIMARY KEY,                   -- one per authorization; every token of it carries it
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  scope      TEXT NOT NULL,
  sid        TEXT,
  auth_time  BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE  -- insertion order (SQLite's rowid): breaks created_at ties
);
CREATE INDEX grants_expires_at ON grants (expires_at);

CREATE TABLE authorization_codes (
  code_hash             TEXT PRIMARY KEY,
  grant_id              TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
  client_id             TEXT NOT NULL,
  redirect_uri          TEXT NOT NULL,
  scope                 TEXT NOT NULL,
  nonce                 TEXT,
  code_challenge        TEXT,
  code_challenge_method TEXT,
  created_at            BIGINT NOT NULL,
  expires_at            BIGINT NOT NULL,
  consumed_at           BIGINT
);
CREATE INDEX authorization_codes_grant_id ON authorization_codes (grant_id);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE access_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  scope      TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  scope      TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated_at BIGINT                              -- when it was exchanged for its successor
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);
