-- Grants and access tokens without a user: the client_credentials grant acts for the client itself.
-- (SQLite rebuilds both tables for this; PostgreSQL drops the constraint in place.)
ALTER TABLE grants ALTER COLUMN user_id DROP NOT NULL;         -- NULL: a client_credentials grant
ALTER TABLE access_tokens ALTER COLUMN user_id DROP NOT NULL;  -- NULL: a client_credentials token
