//! Reply notifications: a commenter asks to hear of replies to their comment (a guest's
//! address confirmed first), and a published reply tells them, unless it is their own,
//! they left, or they were told too often lately. The mail is composed by the binary
//! (`Composer`: templates, signed links) and written with the reply, in its transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::article::Article;
use crate::comment::{Comment, ValidComment};
use crate::mail::OutgoingMail;
use crate::store::{ReplySubscriptionStore, StoreError, ThrottleStore};
use crate::throttle::{self, Policy, ThrottleError};

/// A request to hear of replies to a comment, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub comment_id: i64,
    pub email: String,
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<String>,
    /// A signed-in reader's is confirmed at once; a guest's when they follow the link.
    pub confirmed: bool,
    pub unsubscribed: bool,
}

/// A request made with a new comment, stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub email: String,
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<String>,
    /// The hash of the confirmation token mailed to a guest; `None`: confirmed already.
    pub confirm_token_hash: Option<String>,
}

/// Mail that goes with a new comment, written in its transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentMail {
    /// The guest's confirmation message: sent whatever becomes of the comment.
    pub confirmation: Option<OutgoingMail>,
    /// The notice to the parent's subscriber: written only if the reply is published.
    pub reply_notice: Option<(i64, OutgoingMail)>,
    /// The notices to the article's authors who asked (each with their user id): written
    /// only if the comment is published.
    pub author_notices: Vec<(i64, OutgoingMail)>,
}

/// Notices one address receives: ten, then one per ten minutes, doubling to six hours,
/// so a heated thread cannot flood anyone's inbox.
pub const NOTICES_PER_RECIPIENT: Policy = Policy {
    action: "reply-notice",
    free: 10,
    first_wait: Duration::from_secs(600),
    max_wait: Duration::from_secs(6 * 3600),
    forget_after: Duration::from_secs(24 * 3600),
};

/// How long a guest's confirmation link works.
pub const CONFIRM_WITHIN: Duration = Duration::from_secs(3 * 24 * 3600);

/// Who wrote a reply, as far as the site knows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Replier<'a> {
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl<'a> Replier<'a> {
    /// The author of a stored comment (its address is not kept with it).
    pub fn of(c: &'a Comment) -> Replier<'a> {
        Replier { user_id: c.user_id, guest_token_hash: c.guest_token_hash.as_deref(), email: None }
    }
}

/// Whether a reply by `replier` tells the subscriber: confirmed, still subscribed, and
/// not their own reply (same account, same guest browser, or same address).
pub fn tells(sub: &Subscription, replier: &Replier<'_>) -> bool {
    let same_account = sub.user_id.is_some() && sub.user_id == replier.user_id;
    let same_browser = sub.guest_token_hash.is_some()
        && replier.user_id.is_none()
        && sub.guest_token_hash.as_deref() == replier.guest_token_hash;
    let same_address = replier.email.is_some_and(|e| e.trim().eq_ignore_ascii_case(sub.email.trim()));
    sub.confirmed && !sub.unsubscribed && !same_account && !same_browser && !same_address
}

/// The notice a published reply sends the parent's subscriber, if it sends one: the
/// subscription read, the rule applied, the recipient's rate counted, the mail composed.
/// The store writes it with the reply (or its approval), if the subscriber is still in.
pub async fn notice_of_reply<S: ReplySubscriptionStore + ThrottleStore>(
    store: &S,
    composer: &dyn Composer,
    article: &Article,
    parent: &Comment,
    reply: &ValidComment,
    replier: &Replier<'_>,
    now: DateTime<Utc>,
) -> Result<Option<(i64, OutgoingMail)>, StoreError> {
    let Some(sub) = store.reply_subscription(parent.id).await? else {
        return Ok(None);
    };
    if !tells(&sub, replier) || !admitted(store, composer, &sub.email, now).await? {
        return Ok(None);
    }
    Ok(Some((sub.id, composer.reply_notice(&sub, article, parent, reply))))
}

/// Counts one more message to `address`; false once it has had its share.
pub async fn admitted<S: ThrottleStore>(
    store: &S,
    composer: &dyn Composer,
    address: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    match throttle::admit(store, &NOTICES_PER_RECIPIENT, &composer.recipient_key(address), now).await {
        Ok(()) => Ok(true),
        Err(ThrottleError::Throttled(_)) => Ok(false),
        Err(ThrottleError::Store(e)) => Err(e),
    }
}

/// What the binary writes: the messages, from templates, with links the site signs.
pub trait Composer: Send + Sync + std::fmt::Debug {
    /// The confirmation a guest receives, and the hash of the token its link carries.
    fn confirmation(&self, email: &str, article: &Article) -> (OutgoingMail, String);
    /// The key a recipient's address is counted under by the throttle (a keyed hash:
    /// the address itself is not kept there).
    fn recipient_key(&self, email: &str) -> String;
    /// The notice of `reply` (sanitized already) to the subscriber of `parent`.
    fn reply_notice(
        &self,
        sub: &Subscription,
        article: &Article,
        parent: &Comment,
        reply: &ValidComment,
    ) -> OutgoingMail;
    /// The notice of a new `comment` (sanitized already) on `article` to one of its authors.
    fn comment_notice(
        &self,
        watcher: &crate::author_notices::Watcher,
        article: &Article,
        comment: &ValidComment,
    ) -> OutgoingMail;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub() -> Subscription {
        Subscription {
            id: 1,
            comment_id: 10,
            email: "Ada@example.test".into(),
            user_id: Some(7),
            guest_token_hash: None,
            confirmed: true,
            unsubscribed: false,
        }
    }

    fn user(id: i64) -> Replier<'static> {
        Replier { user_id: Some(id), ..Default::default() }
    }

    #[test]
    fn a_reply_tells_a_confirmed_subscriber_of_someone_else() {
        assert!(tells(&sub(), &Replier { email: Some("u8@example.test"), ..user(8) }));
        assert!(!tells(&Subscription { confirmed: false, ..sub() }, &user(8)), "not confirmed");
        assert!(!tells(&Subscription { unsubscribed: true, ..sub() }, &user(8)), "left");
        assert!(!tells(&sub(), &user(7)), "their own reply");
        let as_guest =
            Replier { email: Some(" ada@EXAMPLE.test"), guest_token_hash: Some("x"), user_id: None };
        assert!(!tells(&sub(), &as_guest), "their address as a guest");
        let guest = Subscription { user_id: None, guest_token_hash: Some("g".into()), ..sub() };
        let same = Replier { guest_token_hash: Some("g"), ..Default::default() };
        assert!(!tells(&guest, &same), "the same guest browser");
        assert!(tells(&guest, &Replier { guest_token_hash: Some("h"), ..Default::default() }));
    }
}
