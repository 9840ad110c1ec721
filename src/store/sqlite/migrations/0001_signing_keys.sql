-- Signing keys: published from created_at, signing from activates_at, unpublished at retired_at.
CREATE TABLE signing_keys (
  kid                TEXT PRIMARY KEY,
  alg                TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
  public_jwk         TEXT NOT NULL,
  sealed_private_jwk TEXT NOT NULL,
  created_at         INTEGER NOT NULL,
  activates_at       INTEGER NOT NULL,
  retired_at         INTEGER
) STRICT;
