-- Imported comments keep where they came from (`disqus`, `wordpress`, `tribune`) and their
-- id there: importing the same export twice finds them, so nothing is duplicated. The
-- unique index makes that the database's rule, not only a check in code.
ALTER TABLE comments ADD COLUMN source TEXT;
ALTER TABLE comments ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX comments_by_source ON comments (source, source_id) WHERE source_id IS NOT NULL;
