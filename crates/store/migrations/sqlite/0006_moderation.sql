-- Moderation: the normalised text's hash of each new comment, so that the same text
-- posted again within a window is found by one index probe, never a scan; and the
-- decision that set each comment's status, with every signal that fired.
ALTER TABLE comments ADD COLUMN body_hash TEXT;
CREATE INDEX comments_by_body_hash ON comments (body_hash, created_at)
    WHERE body_hash IS NOT NULL;

CREATE TABLE comment_decisions (
    comment_id BIGINT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    outcome TEXT NOT NULL CHECK (outcome IN ('publish', 'hold', 'refuse')),
    score REAL NOT NULL,
    -- A JSON list of {signal, outcome, detail, score}.
    reasons TEXT NOT NULL,
    decided_at BIGINT NOT NULL
);
