-- Admins disable accounts and give passwords to replace. `disabled_at` set: the account
-- cannot sign in and has no sessions. `must_change_password` 1: after signing in (with a
-- password an admin gave), the user sets their own before anything else.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- The admin's article list, newest first, a page at a time from a keyset cursor.
CREATE INDEX articles_by_creation ON articles (created_at, id);
