//! Reader flags: a reader marks a published comment as spam, abuse, off-topic or other,
//! once. A few distinct readers agreeing stands in for a moderator's first look: the
//! comment is held, with a `flags` reason, until a moderator decides.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Outcome, Reason};
use crate::comment::Viewer;
use crate::throttle::Policy;

/// Why a reader flags a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagReason {
    Spam,
    Abuse,
    OffTopic,
    Other,
}

impl FlagReason {
    pub const ALL: [FlagReason; 4] =
        [FlagReason::Spam, FlagReason::Abuse, FlagReason::OffTopic, FlagReason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Spam => "spam",
            FlagReason::Abuse => "abuse",
            FlagReason::OffTopic => "off-topic",
            FlagReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        FlagReason::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// As the flag form offers it.
    pub fn label(self) -> &'static str {
        match self {
            FlagReason::Spam => "Spam: advertising, or links posted to sell",
            FlagReason::Abuse => "Abuse: insults, threats or hate",
            FlagReason::OffTopic => "Off-topic: nothing to do with the article",
            FlagReason::Other => "Something else a moderator should see",
        }
    }
}

/// Who a flag counts as: one account, or one guest browser (its token's hash), so that
/// each reader flags a comment once however often they submit. `None` for a reader the
/// site cannot recognise again.
pub fn flagger(viewer: &Viewer) -> Option<String> {
    match (&viewer.user, &viewer.guest_token_hash) {
        (Some(user), _) => Some(format!("u{}", user.id)),
        (None, Some(hash)) => Some(format!("g{hash}")),
        (None, None) => None,
    }
}

/// Flags from one address, whoever sends them: a reader flags a few comments a day; a
/// script making new guest cookies to bury a comment it dislikes is slowed here.
pub const FLAG_PER_ADDRESS: Policy = Policy {
    action: "flag-address",
    free: 10,
    first_wait: Duration::from_secs(30),
    max_wait: Duration::from_secs(3600),
    forget_after: Duration::from_secs(3600),
};

/// The flags on one comment, counted by reason (in [`FlagReason::ALL`]'s order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FlagCounts {
    pub by_reason: Vec<(FlagReason, u32)>,
}

impl FlagCounts {
    pub fn total(&self) -> u32 {
        self.by_reason.iter().map(|(_, n)| n).sum()
    }

    /// Adds `n` flags for `reason`, keeping the order.
    pub fn add(&mut self, reason: FlagReason, n: u32) {
        match self.by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += n,
            None => {
                self.by_reason.push((reason, n));
                self.by_reason.sort();
            }
        }
    }
}

/// The flags on one comment, for the moderators' queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSummary {
    pub comment_id: i64,
    pub counts: FlagCounts,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The name of the readers' flags among a decision's reasons.
pub const SIGNAL: &str = "flags";

/// The reason a comment held by flags carries in its decision, so moderators see why.
pub fn hold_reason(counts: &FlagCounts) -> Reason {
    let total = counts.total();
    let readers = if total == 1 { "1 reader".to_owned() } else { format!("{total} readers") };
    let why: Vec<String> = counts.by_reason.iter().map(|(r, n)| format!("{} ({n})", r.as_str())).collect();
    Reason {
        signal: SIGNAL,
        outcome: Outcome::Hold,
        detail: format!("flagged by {readers}: {}", why.join(", ")),
        score: 0.0,
    }
}

/// A stored decision's list of reasons (`Decision::reasons_json`) with `reason` added.
pub fn with_reason(reasons_json: &str, reason: &Reason) -> String {
    let mut reasons: Vec<serde_json::Value> = serde_json::from_str(reasons_json).unwrap_or_default();
    reasons.push(serde_json::to_value(reason).unwrap_or_default());
    serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::{Role, User};

    #[test]
    fn reasons_parse_as_the_form_sends_them() {
        for r in FlagReason::ALL {
            assert_eq!(FlagReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(FlagReason::parse("offtopic"), None);
    }

    #[test]
    fn a_reader_is_one_account_or_one_guest_browser() {
        let user = User {
            id: 7,
            email: "r@example.org".into(),
            name: "R".into(),
            role: Role::Reader,
            author: None,
            created_at: Utc::now(),
            disabled: false,
            must_change_password: false,
        };
        let both = Viewer { user: Some(user), guest_token_hash: Some("abc".into()) };
        assert_eq!(flagger(&both).as_deref(), Some("u7"), "signed in, the account counts");
        let guest = Viewer { user: None, guest_token_hash: Some("abc".into()) };
        assert_eq!(flagger(&guest).as_deref(), Some("gabc"));
        assert_eq!(flagger(&Viewer::anonymous()), None);
    }

    #[test]
    fn the_hold_reason_says_how_many_and_why() {
        let mut counts = FlagCounts::default();
        counts.add(FlagReason::OffTopic, 2);
        counts.add(FlagReason::Spam, 1);
        let reason = hold_reason(&counts);
        assert_eq!((reason.signal, reason.outcome), ("flags", Outcome::Hold));
        assert_eq!(reason.detail, "flagged by 3 readers: spam (1), off-topic (2)");
        let json = with_reason(
            r#"[{"signal":"links","outcome":"publish","detail":"one link","score":0.1}]"#,
            &reason,
        );
        let list: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1]["signal"], "flags");
        assert_eq!(with_reason("", &reason).matches("flags").count(), 1, "no stored decision yet");
    }
}
