-- Outgoing mail, written in the same transaction as the change that causes it and sent by
-- a worker on any node. A worker claims a row by setting `claimed_until` (its lease):
-- a node that dies mid-send leaves the row to be taken again when the lease runs out, so
-- nothing is lost, and a message repeats only if the node died after SMTP accepted it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    -- The HTML part, if any (already escaped when the mail was written).
    body_html TEXT,
    -- The one-click unsubscribe address (RFC 8058), if the mail offers one.
    unsubscribe_url TEXT,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    -- Claims so far, counting the one under way.
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Unix seconds: the earliest next try (backoff after a failure).
    next_attempt_at BIGINT NOT NULL,
    -- Unix seconds: the claim of a worker lasts until then; 0 when unclaimed.
    claimed_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT
);

-- The worker's claim: the queued rows that are due, oldest first.
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';

-- Readers who asked to hear of replies to their comment. A signed-in reader's request is
-- confirmed at once; a guest's when they follow the link mailed to them (its token kept
-- only as a hash). One click on the link in every message sets `unsubscribed_at`.
CREATE TABLE reply_subscriptions (
    id INTEGER PRIMARY KEY,
    comment_id BIGINT NOT NULL UNIQUE REFERENCES comments (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    guest_token_hash TEXT,
    confirm_token_hash TEXT UNIQUE,
    confirmed_at BIGINT,
    unsubscribed_at BIGINT,
    created_at BIGINT NOT NULL
);
