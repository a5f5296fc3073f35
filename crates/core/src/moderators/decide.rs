//! A moderator's decision on one comment: one outcome however many moderators act at once,
//! because the store changes the status only if it is still the one the moderator saw.

use chrono::{DateTime, Utc};

use super::{Actor, ModerationError, ModerationStore, StatusChange};
use crate::author_notices;
use crate::comment::{Comment, CommentStatus, ValidComment};
use crate::mail::OutgoingMail;
use crate::moderation::learned::{Class, features};
use crate::reply_notices::{self, Composer, Replier};
use crate::store::{
    ArticleStore, CommentStore, FilterExample, ReplySubscriptionStore, StoreError, ThrottleStore,
};

/// What the moderating store can do: decide, and read what a reply's notice needs.
pub trait DecidingStore:
    CommentStore + ModerationStore + ArticleStore + ReplySubscriptionStore + ThrottleStore
{
}
impl<S: CommentStore + ModerationStore + ArticleStore + ReplySubscriptionStore + ThrottleStore> DecidingStore
    for S
{
}

/// What a moderator may decide about a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    /// Rejected, labelled spam (what the learned filter learns from).
    RejectSpam,
    /// Rejected, labelled abuse.
    RejectAbuse,
    /// Rejected from an article's page, without a label.
    Hide,
    Delete,
}

impl Verdict {
    pub const ALL: [Verdict; 5] =
        [Verdict::Approve, Verdict::RejectSpam, Verdict::RejectAbuse, Verdict::Hide, Verdict::Delete];

    /// As the log and forms spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RejectSpam => "reject-spam",
            Verdict::RejectAbuse => "reject-abuse",
            Verdict::Hide => "hide",
            Verdict::Delete => "delete",
        }
    }

    /// Also takes `spam` and `abuse`, as `reject --as` does.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "spam" => Some(Verdict::RejectSpam),
            "abuse" => Some(Verdict::RejectAbuse),
            s => Verdict::ALL.into_iter().find(|v| v.as_str() == s),
        }
    }

    /// The status it gives (a deletion may also remove the row: see the store).
    pub fn status(self) -> CommentStatus {
        match self {
            Verdict::Approve => CommentStatus::Published,
            Verdict::RejectSpam | Verdict::RejectAbuse | Verdict::Hide => CommentStatus::Rejected,
            Verdict::Delete => CommentStatus::Deleted,
        }
    }

    /// The class the learned filter learns from it: only a decision on the text teaches.
    pub fn training_label(self) -> Option<Class> {
        match self {
            Verdict::Approve => Some(Class::Benign),
            Verdict::RejectSpam => Some(Class::Spam),
            Verdict::RejectAbuse => Some(Class::Abuse),
            Verdict::Hide | Verdict::Delete => None,
        }
    }
}

/// A decision taken: the comment as it was before, and what it became.
#[derive(Debug, Clone)]
pub struct Decided {
    pub before: Comment,
    pub after: CommentStatus,
}

/// Applies `verdict` to comment `id`, provided its status is still `seen` (the status the
/// moderator's page showed; `None`: as it is now). A second moderator acting on the same
/// comment gets [`ModerationError::AlreadyDecided`] and changes nothing. A held reply that
/// is approved tells the parent's subscriber (when `notices` composes mail), in the
/// decision's transaction.
pub async fn decide<S: DecidingStore>(
    store: &S,
    id: i64,
    verdict: Verdict,
    seen: Option<CommentStatus>,
    actor: &Actor,
    notices: Option<&dyn Composer>,
    now: DateTime<Utc>,
) -> Result<Decided, ModerationError> {
    actor.check()?;
    let before = store.comment(id).await?.ok_or(ModerationError::NotFound)?;
    let seen = seen.unwrap_or(before.status);
    // A deleted comment's text is gone: there is nothing left to approve or reject.
    if before.status != seen || (seen == CommentStatus::Deleted && verdict != Verdict::Delete) {
        return Err(ModerationError::AlreadyDecided { id, now: before.status });
    }
    let (reply_notice, author_notices) = match notices {
        Some(composer) if verdict == Verdict::Approve && before.status != CommentStatus::Published => {
            notices_on_approval(store, composer, &before, now).await?
        }
        _ => (None, Vec::new()),
    };
    let change = StatusChange {
        reply_notice,
        author_notices,
        comment_id: id,
        article_id: before.article_id,
        seen,
        verdict,
        actor_id: actor.id(),
        actor_name: actor.name().to_owned(),
        reason: String::new(),
        // Taught in the decision's own transaction: every node's filter learns it.
        example: verdict.training_label().map(|class| FilterExample {
            class,
            features: features(&before.body_markdown),
            source: format!("decision:{}", actor.name()),
        }),
    };
    match store.decide_comment(&change, now).await? {
        Some(after) => Ok(Decided { before, after }),
        None => {
            let now_status = store.comment(id).await?.map_or(CommentStatus::Deleted, |c| c.status);
            Err(ModerationError::AlreadyDecided { id, now: now_status })
        }
    }
}

/// The notices a comment being approved sends: to its parent's subscriber, if any, and to
/// the article's authors who asked.
async fn notices_on_approval<S: DecidingStore>(
    store: &S,
    composer: &dyn Composer,
    comment: &Comment,
    now: DateTime<Utc>,
) -> Result<(Option<(i64, OutgoingMail)>, Vec<(i64, OutgoingMail)>), StoreError> {
    let Some(article) = store.article_by_id(comment.article_id).await? else {
        return Ok((None, Vec::new()));
    };
    let text = ValidComment {
        body_markdown: comment.body_markdown.clone(),
        body_html: comment.body_html.clone(),
        author_name: comment.author_name.clone(),
        author_email: None,
    };
    let authors =
        author_notices::notices_of_comment(store, composer, &article, &text, comment.user_id, now).await?;
    let parent = match comment.parent_id {
        Some(id) => store.comment(id).await?,
        None => None,
    };
    let Some(parent) = parent else { return Ok((None, authors)) };
    let reply =
        reply_notices::notice_of_reply(store, composer, &article, &parent, &text, &Replier::of(comment), now)
            .await?;
    Ok((reply, authors))
}

/// The outcome of each decision of a bulk action, in the order asked: one stale comment
/// does not stop the others (each is its own transaction).
pub async fn decide_each<S: DecidingStore>(
    store: &S,
    ids: &[(i64, Option<CommentStatus>)],
    verdict: Verdict,
    actor: &Actor,
    notices: Option<&dyn Composer>,
    now: DateTime<Utc>,
) -> Result<Vec<Result<Decided, ModerationError>>, ModerationError> {
    actor.check()?;
    if ids.len() > MAX_BULK {
        return Err(super::invalid("ids", format!("at most {MAX_BULK} comments at once")));
    }
    let mut outcomes = Vec::with_capacity(ids.len());
    for &(id, seen) in ids {
        outcomes.push(decide(store, id, verdict, seen, actor, notices, now).await);
    }
    Ok(outcomes)
}

/// A page of the queue at most: a bulk action is a selection from one page.
pub const MAX_BULK: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_as_forms_and_the_cli_spell_them() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(Verdict::parse("spam"), Some(Verdict::RejectSpam));
        assert_eq!(Verdict::parse("abuse"), Some(Verdict::RejectAbuse));
        assert_eq!(Verdict::parse("ham"), None);
        assert_eq!(Verdict::RejectAbuse.status(), CommentStatus::Rejected);
        assert_eq!(Verdict::Hide.training_label(), None, "hiding off-topic noise teaches nothing");
    }
}
