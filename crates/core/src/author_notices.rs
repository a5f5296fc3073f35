//! Authors told of new comments on their articles: opted in on /account, told when a
//! comment is published (at once, or on a moderator's approval), never of their own, each
//! address within the notices' rate (`reply_notices::NOTICES_PER_RECIPIENT`). The mail is
//! written with the comment or the approval, only if the author is still in then.

use chrono::{DateTime, Utc};

use crate::article::Article;
use crate::comment::ValidComment;
use crate::mail::OutgoingMail;
use crate::reply_notices::{Composer, admitted};
use crate::store::{ReplySubscriptionStore, StoreError, ThrottleStore};

/// An author of an article who asked to hear of its comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    pub user_id: i64,
    pub email: String,
    pub name: String,
}

/// The notices a comment on `article` by account `commenter` (if any) sends, composed:
/// the user each goes to, and the message.
pub async fn notices_of_comment<S: ReplySubscriptionStore + ThrottleStore>(
    store: &S,
    composer: &dyn Composer,
    article: &Article,
    comment: &ValidComment,
    commenter: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, OutgoingMail)>, StoreError> {
    let mut notices = Vec::new();
    for watcher in store.article_watchers(article.id).await? {
        if Some(watcher.user_id) == commenter || !admitted(store, composer, &watcher.email, now).await? {
            continue;
        }
        notices.push((watcher.user_id, composer.comment_notice(&watcher, article, comment)));
    }
    Ok(notices)
}
