//! What moderators do with comments once the pipeline has judged them: decide the held
//! ones (approve, reject as spam or abuse), ban posters, and read the log of it all. Every
//! action is audited; a decision, its audit row and the filter's training example are one
//! transaction (see [`ModerationStore::decide_comment`]).

pub mod bans;
pub mod decide;
pub mod digest;
pub mod log;
pub mod queue;

use chrono::{DateTime, Utc};

use crate::comment::CommentStatus;
use crate::store::StoreError;
use crate::user::User;

pub use bans::{Ban, BanKind, BanMode, BanTarget, NewBan};
pub use decide::{Decided, DecidingStore, Verdict, decide};
pub use log::{LogCursor, LogEntry, LogFilter};
pub use queue::{QueueItem, QueuePage};

/// Who acted: a signed-in moderator, or an operator at the command line.
#[derive(Debug, Clone)]
pub enum Actor {
    Moderator(User),
    Cli,
}

impl Actor {
    pub fn id(&self) -> Option<i64> {
        match self {
            Actor::Moderator(u) => Some(u.id),
            Actor::Cli => None,
        }
    }

    /// As the log shows it.
    pub fn name(&self) -> &str {
        match self {
            Actor::Moderator(u) => &u.name,
            Actor::Cli => "cli",
        }
    }

    /// The command line is the operator's: it may do anything.
    fn may_moderate(&self) -> bool {
        match self {
            Actor::Moderator(u) => u.can_moderate(),
            Actor::Cli => true,
        }
    }

    fn check(&self) -> Result<(), ModerationError> {
        if self.may_moderate() { Ok(()) } else { Err(ModerationError::Forbidden) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error("only moderators may do this")]
    Forbidden,
    #[error("no such comment")]
    NotFound,
    /// Another moderator (or the author) changed the comment first: nothing was done.
    #[error("comment {id} was already decided by someone else: it is now {}", .now.as_str())]
    AlreadyDecided { id: i64, now: CommentStatus },
    /// Bad input: which field, and why.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> ModerationError {
    ModerationError::Invalid { field, message: message.into() }
}

/// A moderator's change to one comment, as the store applies it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub comment_id: i64,
    pub article_id: i64,
    /// The status the moderator saw: the change applies only if it still holds.
    pub seen: CommentStatus,
    pub verdict: Verdict,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub reason: String,
    /// What the learned filter learns from the decision, stored with it.
    pub example: Option<crate::store::FilterExample>,
    /// An approved reply's notice to its parent's subscriber (the subscription's id and
    /// the message), written with the decision if the subscriber is still in.
    pub reply_notice: Option<(i64, crate::mail::OutgoingMail)>,
    /// An approved comment's notices to the article's authors who asked (each with their
    /// user id), written with the decision if they are still in.
    pub author_notices: Vec<(i64, crate::mail::OutgoingMail)>,
}

/// What the store did to the comments of a banned author when asked to remove them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Removed {
    pub comment_ids: Vec<i64>,
    /// The articles whose pages showed them.
    pub article_ids: Vec<i64>,
}

/// The duplicate check of a new comment: its text's hash, posted since when, and by whom.
#[derive(Debug, Clone, Copy)]
pub struct DuplicateLookup<'a> {
    pub body_hash: &'a str,
    pub since: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<&'a str>,
}

/// What [`ModerationStore::against_post`] found.
#[derive(Debug, Clone, Default)]
pub struct AgainstPost {
    pub ban: Option<Ban>,
    /// The same text posted within the window: `Some(true)` by this same author (account
    /// or guest token), `Some(false)` by others only.
    pub duplicate: Option<bool>,
}

/// The storage moderators need. Implemented once in `tribune-store`.
pub trait ModerationStore {
    /// In one transaction: the comment's status moves from `change.seen` to the verdict's
    /// (compare-and-set), the article's published count follows, and the audit row is
    /// written. `None` when the status was no longer `seen` (nothing is written).
    async fn decide_comment(
        &self,
        change: &StatusChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CommentStatus>, StoreError>;
    /// Held comments, oldest first, after the comment `after`; see [`QueueItem`].
    async fn queue(&self, after: Option<i64>, limit: u32) -> Result<Vec<QueueItem>, StoreError>;
    /// How many comments wait for a moderator.
    async fn waiting_count(&self) -> Result<i64, StoreError>;
    /// In one transaction: the bans, their audit rows, and (when `remove` names authors'
    /// subjects) those authors' published and held comments rejected, audited, recounted.
    async fn insert_bans(
        &self,
        bans: &[NewBan],
        actor: (Option<i64>, &str),
        remove: &[BanTarget],
        now: DateTime<Utc>,
    ) -> Result<(Vec<i64>, Removed), StoreError>;
    /// The address hash comment `id` was posted from, if it was kept.
    async fn comment_address(&self, id: i64) -> Result<Option<String>, StoreError>;
    /// What the store holds against a new comment, in one query (posting is the hot path,
    /// and each query is a round trip): the first ban on any of `subjects` (see
    /// [`BanTarget::subject`]) still in force at `now`, and, when `duplicate` is given,
    /// whether the same text was posted since.
    async fn against_post(
        &self,
        subjects: &[String],
        now: DateTime<Utc>,
        duplicate: Option<&DuplicateLookup<'_>>,
    ) -> Result<AgainstPost, StoreError>;
    /// A page of the log, newest first, after `after` if given: moderators' actions and the
    /// pipeline's decisions.
    async fn moderation_log(
        &self,
        filter: &LogFilter,
        after: Option<LogCursor>,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError>;
}
