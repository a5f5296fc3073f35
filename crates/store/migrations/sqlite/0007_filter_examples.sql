-- The learned filter's examples since the shipped model: what moderators decided (or
-- an operator taught with `tribune moderation train`). Every node applies them in id
-- order to the same shipped model, so all score alike. The comment's text is not kept,
-- only its hashed features: a comment deleted later leaves nothing readable here.
CREATE TABLE filter_examples (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL CHECK (label IN ('benign', 'spam', 'abuse')),
    -- Feature ids separated by spaces.
    features TEXT NOT NULL,
    -- Who taught it: "moderator:ID", "comment:ID", "cli:FILE".
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
