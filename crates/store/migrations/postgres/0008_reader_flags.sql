-- Reader flags: a reader (an account, `u{id}`, or a guest browser, `g{token hash}`) flags
-- a comment once, with a reason; enough distinct readers' flags hold it for a moderator.
-- The primary key makes "once" the database's rule, so a double submit races and one wins.
CREATE TABLE comment_flags (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    flagger TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'off-topic', 'other')),
    -- The flagger's address, as its keyed hash: for bans and for spotting a flag brigade.
    ip_hash TEXT,
    created_at BIGINT NOT NULL,
    -- When a moderator decided on the comment after this flag (NULL: still waiting).
    settled_at BIGINT,
    PRIMARY KEY (comment_id, flagger)
);

-- New commenters: how many approved comments an account or a guest browser has is one
-- probe of these, stopped at the site's threshold, on every post when trust is on.
CREATE INDEX comments_by_user_status ON comments (user_id, status) WHERE user_id IS NOT NULL;
CREATE INDEX comments_by_guest_status ON comments (guest_token_hash, status)
    WHERE guest_token_hash IS NOT NULL;
