-- PostgreSQL records each entry's writer transaction to read entries in commit order.
-- SQLite's single writer commits ids in order, so the column is only kept for one schema.
ALTER TABLE page_invalidations ADD COLUMN writer_txid BIGINT NOT NULL DEFAULT 0;
CREATE INDEX page_invalidations_by_writer ON page_invalidations (writer_txid);
