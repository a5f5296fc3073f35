-- Imported articles keep where they came from and their id there (importing the same
-- export twice finds them), and the address they had on the old site, in the form
-- `tribune_core::import::urls::normalized` gives it: a discussion exported elsewhere
-- finds its article by that address. (`source_name`/`source_url` are syndication credits,
-- something else.)
ALTER TABLE articles ADD COLUMN import_source TEXT;
ALTER TABLE articles ADD COLUMN import_id TEXT;
ALTER TABLE articles ADD COLUMN import_link TEXT;
CREATE UNIQUE INDEX articles_by_import ON articles (import_source, import_id) WHERE import_id IS NOT NULL;
CREATE INDEX articles_by_import_link ON articles (import_link) WHERE import_link IS NOT NULL;
