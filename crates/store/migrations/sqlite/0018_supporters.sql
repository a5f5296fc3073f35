-- Supporters: a gift's donor e-mail as Stripe reports it (trimmed, lower-case; never shown
-- to readers), so a reader whose confirmed address matches is recognised for a while.
ALTER TABLE ledger_entries ADD COLUMN donor_email TEXT;
CREATE INDEX ledger_by_donor ON ledger_entries (donor_email) WHERE kind = 'payment';

-- The reader chose to show a "Supporter" badge beside their name while they are one.
ALTER TABLE users ADD COLUMN supporter_badge BIGINT NOT NULL DEFAULT 0;

-- Only supporters may post under this article; everyone may still read.
ALTER TABLE articles ADD COLUMN supporters_only BIGINT NOT NULL DEFAULT 0;
