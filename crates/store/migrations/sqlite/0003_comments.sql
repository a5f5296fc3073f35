-- Reader comments: a tree under each article. `path` is the materialised path (ids from the
-- root, zero-padded, joined by dots), so `ORDER BY path` is display order; `root_id` is the
-- top-level comment a reply hangs under, so a page of threads is one indexed query.

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id),
    root_id BIGINT,
    path TEXT NOT NULL,
    depth BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('published', 'pending', 'rejected', 'deleted')),
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    author_name TEXT NOT NULL,
    -- Never shown; for the moderators and the commenter's own notifications.
    author_email TEXT,
    user_id BIGINT REFERENCES users (id),
    -- The browser that posted a guest comment (a keyed hash of the token it holds).
    guest_token_hash TEXT,
    ip_hash TEXT,
    -- Up votes less down votes, kept with the votes in one transaction.
    score BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX comments_thread ON comments (article_id, path);
CREATE INDEX comments_subtree ON comments (root_id, path);
CREATE INDEX comments_roots ON comments (article_id, depth, id);
CREATE INDEX comments_roots_best ON comments (article_id, depth, score, id);
CREATE INDEX comments_replies ON comments (parent_id);
CREATE INDEX comments_counted ON comments (article_id, status);

-- One vote per signed-in reader per comment: +1 or -1.
CREATE TABLE comment_votes (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    value BIGINT NOT NULL CHECK (value IN (-1, 1)),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);

-- An editor may close an article's discussion; the site may also close it after N days.
ALTER TABLE articles ADD COLUMN comments_closed BIGINT NOT NULL DEFAULT 0;
-- Published comments, kept by every write that changes them (counting on each read would
-- scan a big discussion on every page of every list).
ALTER TABLE articles ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;
