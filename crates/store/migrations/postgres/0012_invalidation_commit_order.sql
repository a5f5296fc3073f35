-- Ids come from a sequence before commit, so a reader that only asks for ids above the
-- last one it saw skips an entry committed late behind a higher id. Each entry records
-- its writer's transaction; a reader re-reads the entries of transactions that were still
-- open at its last read (see `invalidations_since`).
ALTER TABLE page_invalidations ADD COLUMN writer_txid BIGINT NOT NULL DEFAULT txid_current();
CREATE INDEX page_invalidations_by_writer ON page_invalidations (writer_txid);
