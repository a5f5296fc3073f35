-- A guest browser's own comments on an article: whether its page differs from the one
-- every stranger shares (pending, or still in the edit window) is one index probe.
CREATE INDEX comments_by_guest ON comments (guest_token_hash, article_id, created_at)
    WHERE guest_token_hash IS NOT NULL;
