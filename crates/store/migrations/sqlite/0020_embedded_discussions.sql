-- The discussion of a page on another site: its address (origin and path, in the normal
-- form `core::embed::PageAddress` gives) leads to an article of kind `embedded`. Created on
-- the page's first use, only for an origin on the allow list; the primary key makes two
-- first uses at once create one discussion.
CREATE TABLE embedded_pages (
    url TEXT NOT NULL PRIMARY KEY,
    origin TEXT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX embedded_pages_by_article ON embedded_pages (article_id);

-- Signing in to an embedded discussion whose frame gets no cookies: the first-party pop-up
-- hands the frame a token (kept as its hash), good once and for a minute, which the frame
-- trades for a session of its own.
CREATE TABLE embed_handoffs (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
