//! Bans: by account, by e-mail hash, by address hash, and for guests by browser token hash;
//! for a while or for good. `post_comment` checks them with one query and refuses a banned
//! poster, or (by setting) holds the comment where only its author sees it.

use chrono::{DateTime, Duration, Utc};

use super::{Actor, ModerationError, ModerationStore, Removed, invalid};
use crate::comment::Comment;
use crate::moderation::{Outcome, Reason};
use crate::store::CommentStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanKind {
    User,
    Email,
    Address,
    Guest,
}

impl BanKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BanKind::User => "user",
            BanKind::Email => "email",
            BanKind::Address => "address",
            BanKind::Guest => "guest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [BanKind::User, BanKind::Email, BanKind::Address, BanKind::Guest]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Whom a ban is on: an account id, or a keyed hash (never an address or e-mail itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanTarget {
    pub kind: BanKind,
    pub value: String,
}

impl BanTarget {
    pub fn user(id: i64) -> Self {
        BanTarget { kind: BanKind::User, value: id.to_string() }
    }

    pub fn new(kind: BanKind, value: &str) -> Self {
        BanTarget { kind, value: value.to_owned() }
    }

    /// The kind and the value as one key, so that checking every kind is one IN probe.
    pub fn subject(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.value)
    }

    /// The author of `c` (account, or guest browser) and the address it came from.
    fn of_author(c: &Comment) -> Option<BanTarget> {
        match (c.user_id, &c.guest_token_hash) {
            (Some(id), _) => Some(BanTarget::user(id)),
            (None, Some(hash)) => Some(BanTarget::new(BanKind::Guest, hash)),
            (None, None) => None,
        }
    }
}

/// A ban to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBan {
    pub target: BanTarget,
    pub reason: String,
    /// `None`: for good.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A ban as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Ban {
    pub id: i64,
    pub kind: BanKind,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Ban {
    /// What a refused poster reads.
    pub fn refusal(&self) -> String {
        let until = match self.expires_at {
            Some(t) => format!("until {}", t.format("%Y-%m-%d %H:%M UTC")),
            None => "for good".to_owned(),
        };
        let why = if self.reason.is_empty() { String::new() } else { format!(" ({})", self.reason) };
        format!("you are banned from commenting on this site {until}{why}")
    }
}

/// What the site does with a banned poster's comment (`moderation_ban_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BanMode {
    /// Refused with the reason, as other refusals (422).
    #[default]
    Refuse,
    /// Stored as held with reason "banned": its author sees it awaiting moderation, nobody
    /// else sees it, and the poster has no reason to try another way in.
    Shadow,
}

impl BanMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "refuse" => Some(BanMode::Refuse),
            "shadow" => Some(BanMode::Shadow),
            _ => None,
        }
    }
}

/// The reason a shadow-held comment carries.
pub fn shadow_hold() -> Reason {
    Reason { signal: "ban", outcome: Outcome::Hold, detail: "banned".into(), score: 1.0 }
}

/// The subjects a new comment is checked against: its account or guest browser, the
/// e-mail it gives and the address it comes from.
pub fn subjects_of_poster(
    user_id: Option<i64>,
    guest_token_hash: Option<&str>,
    email_hash: Option<&str>,
    ip_hash: Option<&str>,
) -> Vec<String> {
    let targets = [
        user_id.map(BanTarget::user),
        guest_token_hash.map(|h| BanTarget::new(BanKind::Guest, h)),
        email_hash.map(|h| BanTarget::new(BanKind::Email, h)),
        ip_hash.map(|h| BanTarget::new(BanKind::Address, h)),
    ];
    targets.into_iter().flatten().map(|t| t.subject()).collect()
}

/// How long a ban lasts: `30m`, `12h`, `7d`, `2w`, or `forever` (`None`).
pub fn parse_duration(s: &str) -> Result<Option<Duration>, ModerationError> {
    let s = s.trim();
    if s.is_empty() || s == "forever" {
        return Ok(None);
    }
    let bad = || invalid("duration", format!("\"{s}\" is not a duration: use 30m, 12h, 7d, 2w or forever"));
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let per_unit = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    match n.checked_mul(per_unit) {
        Some(secs) if secs > 0 && secs <= 100 * 365 * 86_400 => Ok(Some(Duration::seconds(secs))),
        _ => Err(invalid("duration", "must be more than nothing and less than a hundred years")),
    }
}

/// A ban as a moderator asks for it.
#[derive(Debug, Clone)]
pub struct BanRequest {
    pub targets: Vec<BanTarget>,
    pub duration: Option<Duration>,
    pub reason: String,
    /// Reject the comments (published or held) of these targets too.
    pub remove: Vec<BanTarget>,
}

/// What a ban did.
#[derive(Debug, Clone)]
pub struct Banned {
    pub ban_ids: Vec<i64>,
    pub removed: Removed,
}

/// Stores the bans (and removes comments) in one transaction, audited.
pub async fn ban<S: ModerationStore>(
    store: &S,
    request: &BanRequest,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Banned, ModerationError> {
    actor.check()?;
    if request.targets.is_empty() {
        return Err(invalid("target", "say whom to ban: an account, an e-mail, an address or a comment"));
    }
    if request.targets.iter().any(|t| t.value.trim().is_empty()) {
        return Err(invalid("target", "is empty"));
    }
    let reason = request.reason.trim();
    if reason.chars().count() > 500 {
        return Err(invalid("reason", "is longer than 500 characters"));
    }
    let bans: Vec<NewBan> = request
        .targets
        .iter()
        .map(|t| NewBan {
            target: t.clone(),
            reason: reason.to_owned(),
            expires_at: request.duration.map(|d| now + d),
        })
        .collect();
    let (ban_ids, removed) =
        store.insert_bans(&bans, (actor.id(), actor.name()), &request.remove, now).await?;
    Ok(Banned { ban_ids, removed })
}

/// Bans the author of comment `id` (account or guest browser) and the address it came
/// from; `remove` also rejects the author's other comments (not the address's: an office
/// or a mobile network shares one).
pub async fn ban_author_of<S: CommentStore + ModerationStore>(
    store: &S,
    id: i64,
    duration: Option<Duration>,
    reason: &str,
    remove: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Banned, ModerationError> {
    actor.check()?;
    let c = store.comment(id).await?.ok_or(ModerationError::NotFound)?;
    let author = BanTarget::of_author(&c);
    let address = store.comment_address(id).await?.map(|h| BanTarget::new(BanKind::Address, &h));
    let targets: Vec<BanTarget> = author.iter().cloned().chain(address).collect();
    let remove = if remove { author.into_iter().collect() } else { vec![] };
    let reason = if reason.trim().is_empty() { format!("comment {id}") } else { reason.to_owned() };
    ban(store, &BanRequest { targets, duration, reason, remove }, actor, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_moderators_write_them() {
        assert_eq!(parse_duration("30m").unwrap(), Some(Duration::minutes(30)));
        assert_eq!(parse_duration("7d").unwrap(), Some(Duration::days(7)));
        assert_eq!(parse_duration("2w").unwrap(), Some(Duration::weeks(2)));
        assert_eq!(parse_duration("forever").unwrap(), None);
        assert_eq!(parse_duration("").unwrap(), None);
        for bad in ["7", "d", "7y", "-1d", "0h", "99999999999999w", "7 d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_poster_is_checked_on_every_kind_at_once() {
        let s = subjects_of_poster(Some(4), None, Some("E"), Some("A"));
        assert_eq!(s, ["user:4", "email:E", "address:A"]);
    }

    #[test]
    fn the_refusal_says_until_when() {
        let ban = Ban {
            id: 1,
            kind: BanKind::User,
            reason: "spam".into(),
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
            expires_at: None,
        };
        assert_eq!(ban.refusal(), "you are banned from commenting on this site for good (spam)");
    }
}
