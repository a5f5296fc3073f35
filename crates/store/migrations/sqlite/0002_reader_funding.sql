-- Reader funding: a goal per month, and the append-only donations ledger.
-- Months are 'YYYY-MM' in the site's time zone; money is integer minor units.

CREATE TABLE funding_goals (
    month TEXT PRIMARY KEY,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    milestones TEXT NOT NULL,
    note TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund', 'dispute_lost', 'manual', 'reversal')),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    month TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    -- A redelivered Stripe event is stored once.
    event_id TEXT UNIQUE,
    payment_key TEXT,
    supporter_name TEXT,
    note TEXT,
    -- A manual entry is reversed at most once.
    reverses BIGINT UNIQUE REFERENCES ledger_entries (id),
    created_at BIGINT NOT NULL
);
-- Several events describe one payment (checkout, payment intent, invoice): it counts once.
CREATE UNIQUE INDEX ledger_one_payment ON ledger_entries (payment_key) WHERE kind = 'payment';
CREATE UNIQUE INDEX ledger_one_dispute_loss ON ledger_entries (payment_key) WHERE kind = 'dispute_lost';
CREATE INDEX ledger_by_payment ON ledger_entries (payment_key);
CREATE INDEX ledger_by_month ON ledger_entries (month, kind);
