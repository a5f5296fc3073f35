//! Throttles: how often one client may try something costly or guessable (sign in,
//! register, and the comment rate limits to come). Each attempt is counted *before* the
//! work it guards, atomically, so a burst of concurrent attempts cannot all slip through.
//! Past a free allowance, each further attempt must wait twice as long as the one before
//! (exponential backoff): a guesser is slowed to a crawl, while nobody is locked out.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{StoreError, ThrottleStore};

/// How many attempts one key may make, and how fast after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// What the key names, for its storage key (`sign-in`, `register`).
    pub action: &'static str,
    /// Attempts allowed without any wait.
    pub free: u32,
    /// The wait before the first attempt past the free ones; each further one doubles it.
    pub first_wait: Duration,
    pub max_wait: Duration,
    /// A key quiet for this long starts afresh.
    pub forget_after: Duration,
}

/// Sign-in attempts from one address for one account. Keyed by both, so that a stranger
/// guessing an account's password slows only themselves: its owner, elsewhere, gets in.
pub const SIGN_IN_PER_ACCOUNT: Policy = Policy {
    action: "sign-in-account",
    free: 5,
    first_wait: Duration::from_secs(2),
    max_wait: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(24 * 3600),
};

/// Sign-in attempts from one address, whatever the account (a guesser trying many).
pub const SIGN_IN_PER_ADDRESS: Policy = Policy {
    action: "sign-in-address",
    free: 30,
    first_wait: Duration::from_secs(1),
    max_wait: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(24 * 3600),
};

/// New accounts from one address: a household or an office registers a few, a script
/// hundreds.
pub const REGISTER_PER_ADDRESS: Policy = Policy {
    action: "register-address",
    free: 5,
    first_wait: Duration::from_secs(60),
    max_wait: Duration::from_secs(24 * 3600),
    forget_after: Duration::from_secs(7 * 24 * 3600),
};

/// A key's attempts so far, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempts {
    pub count: u32,
    pub last_at: DateTime<Utc>,
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts: try again in {} seconds", retry_after.as_secs().max(1))]
pub struct Throttled {
    pub retry_after: Duration,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ThrottleError {
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Policy {
    /// The storage key of this policy for one subject (an address hash, or account and
    /// address hashes joined).
    pub fn key(&self, subject: &str) -> String {
        format!("{}:{subject}", self.action)
    }

    /// How long the attempt after `count` earlier ones must wait after the last of them.
    fn wait_after(&self, count: u32) -> Duration {
        if count < self.free {
            return Duration::ZERO;
        }
        let doublings = (count - self.free).min(30);
        self.first_wait.saturating_mul(1u32 << doublings).min(self.max_wait)
    }

    /// The rule itself: admitted, and the attempts to store; or refused, and for how long.
    pub fn admit(&self, prior: Option<Attempts>, now: DateTime<Utc>) -> Result<Attempts, Throttled> {
        let prior = prior.filter(|p| elapsed(p.last_at, now) < self.forget_after);
        let Some(prior) = prior else {
            return Ok(Attempts { count: 1, last_at: now });
        };
        let wait = self.wait_after(prior.count);
        let waited = elapsed(prior.last_at, now);
        if waited < wait {
            return Err(Throttled { retry_after: wait - waited });
        }
        Ok(Attempts { count: prior.count.saturating_add(1), last_at: now })
    }
}

fn elapsed(since: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (now - since).to_std().unwrap_or(Duration::ZERO)
}

/// How often an attempt re-reads a key that a concurrent attempt changed under it. Past
/// that, the key is plainly being hammered: refusing is the right answer.
pub const MAX_RACES: u32 = 8;

/// Counts an attempt under `policy` for `subject`, or refuses it. The count is a
/// compare-and-swap on the stored row, so concurrent attempts are counted one by one.
pub async fn admit<S: ThrottleStore>(
    store: &S,
    policy: &Policy,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), ThrottleError> {
    let key = policy.key(subject);
    for _ in 0..MAX_RACES {
        let prior = store.attempts(&key).await?;
        let next = policy.admit(prior, now)?;
        if store.swap_attempts(&key, prior, next, now - policy.forget_after).await? {
            return Ok(());
        }
    }
    Err(Throttled { retry_after: policy.first_wait }.into())
}

/// Attempts counted in memory against counts read once: how a burst of comments is
/// counted in one transaction with one read and one write per key, not two per comment.
/// Each admitted attempt counts for the ones after it, exactly as if stored in between.
#[derive(Debug, Default)]
pub struct Tally {
    /// Each key's attempts as read (`None`: no row yet).
    read: HashMap<String, Option<Attempts>>,
    /// Each key's attempts after the ones admitted so far.
    counted: HashMap<String, Attempts>,
}

impl Tally {
    /// Starts from the rows read for `keys` (a key without a row has no attempts yet).
    pub fn new(keys: impl IntoIterator<Item = String>, mut rows: HashMap<String, Attempts>) -> Self {
        let read = keys.into_iter().map(|k| (k.clone(), rows.remove(&k))).collect();
        Tally { read, counted: HashMap::new() }
    }

    /// Counts one attempt under every `(policy, key)` pair, or none of them if any refuses.
    pub fn admit(&mut self, limits: &[(Policy, String)], now: DateTime<Utc>) -> Result<(), Throttled> {
        let mut next = Vec::with_capacity(limits.len());
        for (policy, key) in limits {
            let prior = self.counted.get(key).copied().or_else(|| self.read.get(key).copied().flatten());
            next.push((key, policy.admit(prior, now)?));
        }
        for (key, attempts) in next {
            self.counted.insert(key.clone(), attempts);
        }
        Ok(())
    }

    /// What to store: each changed key with the attempts it was read with and its new ones.
    pub fn changes(&self) -> impl Iterator<Item = (&str, Option<Attempts>, Attempts)> {
        self.counted.iter().map(|(k, next)| (k.as_str(), self.read.get(k).copied().flatten(), *next))
    }
}

/// Forgets the attempts of `subject` (a successful sign-in clears its own account's count).
pub async fn forgive<S: ThrottleStore>(store: &S, policy: &Policy, subject: &str) -> Result<(), StoreError> {
    store.forget_attempts(&policy.key(subject)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn free_attempts_then_doubling_waits() {
        let p = SIGN_IN_PER_ACCOUNT;
        let mut state = None;
        for _ in 0..5 {
            state = Some(p.admit(state, at(0)).expect("free"));
        }
        // The sixth waits 2 s, the seventh 4 s more, then 8 s.
        assert_eq!(p.admit(state, at(1)), Err(Throttled { retry_after: Duration::from_secs(1) }));
        state = Some(p.admit(state, at(2)).unwrap());
        assert!(p.admit(state, at(5)).is_err());
        state = Some(p.admit(state, at(6)).unwrap());
        assert_eq!(p.admit(state, at(6)), Err(Throttled { retry_after: Duration::from_secs(8) }));
    }

    #[test]
    fn waits_are_capped_and_quiet_keys_start_afresh() {
        let p = SIGN_IN_PER_ACCOUNT;
        let many = Some(Attempts { count: 1_000, last_at: at(0) });
        assert_eq!(p.admit(many, at(0)).unwrap_err().retry_after, p.max_wait);
        assert!(p.admit(many, at(15 * 60)).is_ok());
        let next = p.admit(many, at(24 * 3600)).unwrap();
        assert_eq!(next.count, 1);
    }

    #[test]
    fn a_tally_counts_a_burst_as_if_each_attempt_were_stored() {
        let p = SIGN_IN_PER_ACCOUNT;
        let (a, b) = (p.key("a"), p.key("b"));
        let rows = HashMap::from([(a.clone(), Attempts { count: 4, last_at: at(0) })]);
        let mut tally = Tally::new([a.clone(), b.clone()], rows);
        assert!(tally.admit(&[(p, a.clone()), (p, b.clone())], at(1)).is_ok(), "the fifth is free");
        // The sixth of `a` must wait: refused, and `b` is not counted for it either.
        assert!(tally.admit(&[(p, b.clone()), (p, a.clone())], at(1)).is_err());
        let mut changes: Vec<_> =
            tally.changes().map(|(k, prior, next)| (k.to_owned(), prior, next.count)).collect();
        changes.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            changes,
            vec![(a, Some(Attempts { count: 4, last_at: at(0) }), 5), (b, None, 1)],
            "one change per key, from what was read"
        );
    }
}
