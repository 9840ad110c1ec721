-- Free-form user attributes, claims an adapter added to an access token, and the audit log.
ALTER TABLE users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';  -- JSON object: name → string or string[]
ALTER TABLE access_tokens ADD COLUMN claims TEXT;                     -- JSON object, or NULL when none were added

-- Append-only: nothing updates or deletes these rows, and no foreign key ties them to users or
-- clients, so the record of what happened outlives what it happened to.
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  type       TEXT NOT NULL,
  user_id    TEXT,
  client_id  TEXT,
  details    TEXT NOT NULL DEFAULT '{}'                    -- JSON object; never secrets
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_client ON audit_events (client_id, at);
