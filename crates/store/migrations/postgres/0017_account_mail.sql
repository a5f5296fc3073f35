-- Links mailed to an account's address: a password reset, or a new address to confirm.
-- Only the token's hash is kept (a copy of the database opens no link); a link works once
-- (`used_at`) and until `expires_at`. `email` is where it was sent: for a change, the new
-- address, which the account takes only when the link is followed.
CREATE TABLE account_links (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('password-reset', 'email-change')),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_links_by_user ON account_links (user_id);

-- 1: the user asked (on /account) to hear by e-mail of new comments on their articles.
ALTER TABLE users ADD COLUMN notify_comments BIGINT NOT NULL DEFAULT 0;
