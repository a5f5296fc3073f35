//! Outgoing mail as the site keeps it until it is sent: the message, and the rules of the
//! outbox (how long a worker's claim lasts, when a failed message is tried again, when it
//! is given up). The sending itself (SMTP) is the binary's; this knows no transport.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// One message to one recipient, as written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    /// The plain-text part, always present.
    pub text: String,
    /// The HTML part, if any: already escaped by whoever wrote it (a template).
    pub html: Option<String>,
    /// The https address of a one-click unsubscribe (RFC 8058), sent as `List-Unsubscribe`.
    pub unsubscribe_url: Option<String>,
}

/// A message a worker has claimed: it owns it until its lease ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    /// Claims so far, this one included.
    pub attempts: u32,
    pub mail: OutgoingMail,
}

/// How long a claim lasts. It must outlast a send (the SMTP client's timeout is well
/// under it), so that only a dead node's messages are taken again by another.
pub const LEASE: Duration = Duration::from_secs(120);

/// By default the first retry waits this long (the site may set another wait); each
/// later one twice the one before.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);

/// No wait between retries is longer than this.
pub const LONGEST_RETRY: Duration = Duration::from_secs(3600);

/// After this many failed tries (about two days of waits), a message is given up.
pub const MAX_ATTEMPTS: u32 = 50;

/// What becomes of a message whose try failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Given up: the server refused it for good, or too many tries failed.
    GiveUp,
}

/// The rule for a failed try: a permanent refusal (SMTP 5xx) is not repeated; a passing
/// failure (server down, 4xx, timeout) is, after a wait that doubles, capped, until
/// [`MAX_ATTEMPTS`]. `first_wait` is the wait after the first failure.
pub fn after_failure(
    attempts: u32,
    permanent: bool,
    now: DateTime<Utc>,
    first_wait: Duration,
) -> AfterFailure {
    if permanent || attempts >= MAX_ATTEMPTS {
        return AfterFailure::GiveUp;
    }
    AfterFailure::RetryAt(now + retry_wait(attempts, first_wait))
}

/// The wait after the `attempts`-th failed try.
pub fn retry_wait(attempts: u32, first_wait: Duration) -> chrono::Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    let wait = first_wait.saturating_mul(1 << doublings).min(LONGEST_RETRY);
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let now = Utc::now();
        assert_eq!(
            after_failure(1, false, now, FIRST_RETRY),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(30))
        );
        assert_eq!(
            after_failure(2, false, now, FIRST_RETRY),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(60))
        );
        assert_eq!(
            after_failure(3, false, now, FIRST_RETRY),
            AfterFailure::RetryAt(now + chrono::Duration::seconds(120))
        );
        assert_eq!(
            after_failure(30, false, now, FIRST_RETRY),
            AfterFailure::RetryAt(now + chrono::Duration::hours(1))
        );
    }

    #[test]
    fn a_permanent_refusal_or_too_many_tries_gives_up() {
        let now = Utc::now();
        assert_eq!(after_failure(1, true, now, FIRST_RETRY), AfterFailure::GiveUp);
        assert_eq!(after_failure(MAX_ATTEMPTS, false, now, FIRST_RETRY), AfterFailure::GiveUp);
    }
}
