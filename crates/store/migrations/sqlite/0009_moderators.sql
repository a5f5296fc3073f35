-- Moderators at work: the queue (pending comments, oldest first, by one small index that
-- only held comments enter), a commenter's history and address siblings (by account (0008's index)
-- and by address hash), bans, and the log of what moderators did. Automatic decisions stay
-- in comment_decisions: the log reads both, so posting writes nothing more.
CREATE INDEX comments_pending ON comments (id) WHERE status = 'pending';
CREATE INDEX comments_by_address ON comments (ip_hash) WHERE ip_hash IS NOT NULL;

-- A ban: `subject` is the kind and the value together ('user:12', 'email:HASH',
-- 'address:HASH', 'guest:HASH'), so the check on every new comment is one IN probe.
CREATE TABLE bans (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'email', 'address', 'guest')),
    subject TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The moderator who banned (NULL: the command line).
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    -- NULL: for good.
    expires_at BIGINT
);
CREATE INDEX bans_by_subject ON bans (subject, expires_at);

-- What moderators (or the command line, actor_id NULL) did, kept even when the comment
-- is gone: no foreign key on comment_id.
CREATE TABLE moderation_actions (
    id INTEGER PRIMARY KEY,
    action TEXT NOT NULL,
    comment_id BIGINT,
    ban_id BIGINT,
    actor_id BIGINT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    status_before TEXT,
    status_after TEXT,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX moderation_actions_by_time ON moderation_actions (created_at, id);
CREATE INDEX moderation_actions_by_comment ON moderation_actions (comment_id);
