-- Signing keys: published from created_at, signing from activates_at, unpublished at retired_at.
-- Times are seconds since the epoch (BIGINT throughout, so 2038 is no limit). JSON is kept as TEXT,
-- byte for byte as written, like the SQLite backend.
CREATE TABLE signing_keys (
  kid                TEXT PRIMARY KEY,
  alg                TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
  public_jwk         TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  activates_at       BIGINT NOT NULL,
  retired_at         BIGINT,
  seq                BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE  -- insertion order (SQLite's rowid): breaks activation-time ties
);
