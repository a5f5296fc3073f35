-- Throttles count attempts per key (an action and hashed account and address), changed
-- by compare-and-swap so that concurrent attempts are each counted. They replace the log
-- of failed logins, which was read before it was written (a burst slipped through).
DROP TABLE login_failures;

CREATE TABLE throttles (
    throttle_key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
CREATE INDEX throttles_by_age ON throttles (last_at);
