//! Moderators told by e-mail that comments wait for them: a digest of what was held since
//! the last one, at most once per period the site sets (at once, hourly, daily, never).
//! Every node checks; the mark of the last digest is swapped in the transaction that
//! queues its mails, so each digest goes out from one node, once.

use chrono::{DateTime, Duration, Utc};

use super::{ModerationStore, QueueItem};
use crate::mail::OutgoingMail;
use crate::store::{StoreError, UserStore};
use crate::user::User;

/// How often moderators hear of held comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestFrequency {
    /// Within a minute of a hold (the checks run that often), several holds in one mail.
    Immediately,
    #[default]
    Hourly,
    Daily,
    Never,
}

impl DigestFrequency {
    pub const ALL: [DigestFrequency; 4] = [
        DigestFrequency::Immediately,
        DigestFrequency::Hourly,
        DigestFrequency::Daily,
        DigestFrequency::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DigestFrequency::Immediately => "immediately",
            DigestFrequency::Hourly => "hourly",
            DigestFrequency::Daily => "daily",
            DigestFrequency::Never => "never",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DigestFrequency::Immediately => "As soon as a comment is held",
            DigestFrequency::Hourly => "At most once an hour",
            DigestFrequency::Daily => "At most once a day",
            DigestFrequency::Never => "Never",
        }
    }

    pub fn parse(s: &str) -> Option<DigestFrequency> {
        DigestFrequency::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The shortest time between two digests; `None`: none is sent.
    pub fn period(self) -> Option<Duration> {
        match self {
            DigestFrequency::Immediately => Some(Duration::zero()),
            DigestFrequency::Hourly => Some(Duration::hours(1)),
            DigestFrequency::Daily => Some(Duration::days(1)),
            DigestFrequency::Never => None,
        }
    }
}

/// A digest lists at most this many comments; it counts the rest.
pub const MOST_LISTED: usize = 20;

/// What the last digest covered: the newest held comment it listed, and when it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestMark {
    pub through: i64,
    pub sent_at: DateTime<Utc>,
}

impl DigestMark {
    /// As stored: `through@seconds`.
    pub fn encode(self) -> String {
        format!("{}@{}", self.through, self.sent_at.timestamp())
    }

    pub fn decode(s: &str) -> Option<DigestMark> {
        let (through, secs) = s.split_once('@')?;
        let sent_at = DateTime::from_timestamp(secs.parse().ok()?, 0)?;
        Some(DigestMark { through: through.parse().ok()?, sent_at })
    }
}

/// Where the mark of the last digest is kept.
pub trait DigestStore: ModerationStore + UserStore {
    /// The stored mark, as written (`None` before the first digest).
    async fn digest_mark(&self) -> Result<Option<String>, StoreError>;
    /// Replaces the mark `expected` (as read) with `mark` and queues `mails`, in one
    /// transaction; `false`, with nothing written, when the mark is no longer `expected`
    /// (another node sent this digest first).
    async fn record_digest(
        &self,
        expected: Option<&str>,
        mark: &str,
        mails: &[OutgoingMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// Writes a moderator's digest (the binary's templates and links).
pub trait DigestComposer: Send + Sync {
    /// `listed` are the newly held comments, oldest first; `unlisted` how many more are
    /// new; `waiting` everything in the queue.
    fn digest(&self, moderator: &User, listed: &[QueueItem], unlisted: usize, waiting: i64) -> OutgoingMail;
}

/// What one check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestOutcome {
    /// Off, or the last digest is more recent than the period.
    NotDue,
    /// Nothing was held since the last digest.
    NothingNew,
    /// Queued, one mail per moderator.
    Queued(usize),
    /// Another node queued this digest at the same moment.
    SentElsewhere,
}

/// Queues the digest if one is due and something new waits.
pub async fn send_if_due<S: DigestStore>(
    store: &S,
    composer: &dyn DigestComposer,
    frequency: DigestFrequency,
    now: DateTime<Utc>,
) -> Result<DigestOutcome, StoreError> {
    let Some(period) = frequency.period() else { return Ok(DigestOutcome::NotDue) };
    let stored = store.digest_mark().await?;
    let last = stored.as_deref().and_then(DigestMark::decode);
    if last.is_some_and(|m| now - m.sent_at < period) {
        return Ok(DigestOutcome::NotDue);
    }
    let mut new = store.queue(last.map(|m| m.through), MOST_LISTED as u32 + 1).await?;
    // The queue also lists published comments readers flagged: a digest is of holds.
    new.retain(|item| item.comment.status == crate::comment::CommentStatus::Pending);
    if new.is_empty() {
        return Ok(DigestOutcome::NothingNew);
    }
    let unlisted = new.len().saturating_sub(MOST_LISTED);
    new.truncate(MOST_LISTED);
    let waiting = store.waiting_count().await?;
    let mails: Vec<OutgoingMail> =
        moderators(store).await?.iter().map(|m| composer.digest(m, &new, unlisted, waiting)).collect();
    let through = new.last().map_or(0, |item| item.comment.id);
    let mark = DigestMark { through, sent_at: now }.encode();
    if store.record_digest(stored.as_deref(), &mark, &mails, now).await? {
        Ok(DigestOutcome::Queued(mails.len()))
    } else {
        Ok(DigestOutcome::SentElsewhere)
    }
}

/// Everyone who can act on the queue and can sign in.
async fn moderators<S: UserStore>(store: &S) -> Result<Vec<User>, StoreError> {
    let mut users = store.list_users().await?;
    users.retain(|u| u.can_moderate() && !u.disabled);
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back_and_garbage_is_no_mark() {
        let mark = DigestMark { through: 42, sent_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap() };
        assert_eq!(DigestMark::decode(&mark.encode()), Some(mark));
        for bad in ["", "42", "x@1", "42@y", "@"] {
            assert_eq!(DigestMark::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_frequency_reads_back_and_never_has_no_period() {
        for f in DigestFrequency::ALL {
            assert_eq!(DigestFrequency::parse(f.as_str()), Some(f));
        }
        assert_eq!(DigestFrequency::parse("weekly"), None);
        assert_eq!(DigestFrequency::Never.period(), None);
        assert!(DigestFrequency::Hourly.period() < DigestFrequency::Daily.period());
    }
}
