-- Secret rotation with a grace period: the previous secret keeps working until it expires.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at INTEGER;
CREATE INDEX grants_user_id ON grants (user_id);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX sessions_user_id ON sessions (user_id);
-- Client metadata members added with logout, CORS and wildcards.
UPDATE clients SET metadata = json_set(metadata,
  '$.post_logout_redirect_uris', json(COALESCE(json_extract(metadata, '$.post_logout_redirect_uris'), '[]')),
  '$.cors_origins', json(COALESCE(json_extract(metadata, '$.cors_origins'), '[]')),
  '$.allow_wildcards', json(CASE WHEN json_extract(metadata, '$.allow_wildcards') THEN 'true' ELSE 'false' END));
