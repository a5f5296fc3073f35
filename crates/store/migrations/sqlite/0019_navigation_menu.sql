-- The site's navigation menu, shown in the header of every public page: its items in
-- order, each a label and where it leads (a tag's page, a standalone page, or a URL).
-- Saved whole, in one transaction, so every node reads one version of it.
CREATE TABLE menu_items (
    position BIGINT PRIMARY KEY,
    label TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('tag', 'page', 'url')),
    target TEXT NOT NULL
);
