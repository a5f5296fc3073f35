-- What an article row is: `article` (the news: lists, feeds, search), `page` (a standalone
-- page such as About or Imprint, outside the feeds) or `embedded` (the discussion of a page
-- on another site). Checked in code, so a new kind needs no table rebuild on SQLite.
ALTER TABLE articles ADD COLUMN kind TEXT NOT NULL DEFAULT 'article';
CREATE INDEX articles_by_kind ON articles (kind, status, published_at);

-- When the account's e-mail address was last shown to belong to its holder (a link mailed
-- to it was followed). Supporters are matched on confirmed addresses only.
ALTER TABLE users ADD COLUMN email_confirmed_at BIGINT;
