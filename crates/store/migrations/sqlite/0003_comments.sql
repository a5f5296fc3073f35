-- Reader comments: a tree under each article. `path` is the materialised path (ids from the
-- root, zero-padded, joined by dots), so `ORDER BY path` is display order.

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id),
    path TEXT NOT NULL,
    depth BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'deleted')),
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    author_name TEXT NOT NULL,
    -- Never shown; for the moderators and the commenter's own notifications.
    author_email TEXT,
    user_id BIGINT REFERENCES users (id),
    -- The browser that posted a guest comment (a hash of its signed token).
    guest_token_hash TEXT,
    ip_hash TEXT,
    created_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX comments_thread ON comments (article_id, path);
CREATE INDEX comments_replies ON comments (parent_id);
