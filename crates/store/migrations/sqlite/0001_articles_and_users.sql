-- Articles, their bylines and tags, the people who run the site, and their sessions.
-- Times are Unix seconds (BIGINT) in both backends, so one SQL text serves both.

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    published_at BIGINT,
    source_name TEXT,
    source_url TEXT,
    image_url TEXT,
    image_alt TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX articles_by_publication ON articles (published_at DESC, id DESC);

CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_by_author ON article_authors (author_id);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_by_tag ON article_tags (tag_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'author', 'moderator', 'reader')),
    password_hash TEXT NOT NULL,
    -- The byline staff write under; none for readers, who only comment.
    author_id BIGINT REFERENCES authors (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_key ON login_failures (throttle_key, failed_at);

-- Which cached pages a write made stale, for every node (and the running server, when the
-- command line wrote) to drop within a second. Rows older than an hour are swept.
CREATE TABLE page_invalidations (
    id INTEGER PRIMARY KEY,
    keys TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Each write sweeps rows older than an hour; without this the sweep reads the whole table.
CREATE INDEX page_invalidations_by_time ON page_invalidations (created_at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Full-text search: an FTS5 index kept in step with `articles` by triggers.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, summary, body_markdown,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, summary, body_markdown)
    VALUES (new.id, new.title, new.summary, new.body_markdown);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body_markdown)
    VALUES ('delete', old.id, old.title, old.summary, old.body_markdown);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, summary, body_markdown)
    VALUES ('delete', old.id, old.title, old.summary, old.body_markdown);
    INSERT INTO articles_fts (rowid, title, summary, body_markdown)
    VALUES (new.id, new.title, new.summary, new.body_markdown);
END;
