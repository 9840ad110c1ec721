-- Secret rotation with a grace period: the previous secret keeps working until it expires.
ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE clients ADD COLUMN previous_secret_expires_at BIGINT;
CREATE INDEX grants_user_id ON grants (user_id);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX sessions_user_id ON sessions (user_id);
-- Client metadata members added with logout, CORS and wildcards (a JSON null counts as missing, as
-- SQLite's json_extract has it).
UPDATE clients SET metadata = (metadata::jsonb || jsonb_build_object(
  'post_logout_redirect_uris', COALESCE(NULLIF(metadata::jsonb -> 'post_logout_redirect_uris', 'null'::jsonb), '[]'::jsonb),
  'cors_origins', COALESCE(NULLIF(metadata::jsonb -> 'cors_origins', 'null'::jsonb), '[]'::jsonb),
  'allow_wildcards', COALESCE(metadata::jsonb -> 'allow_wildcards' = 'true'::jsonb, false)))::text;
