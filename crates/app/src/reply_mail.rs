//! The reply-notification messages (`core::reply_notices::Composer`): plain text and HTML
//! from templates, in the site's language, with links the site signs. The reply's HTML is
//! the comment's sanitized HTML (ammonia's allow-list); every other value is escaped.

use std::sync::Arc;

use askama::Template;
use chrono::Utc;
use tribune_core::article::Article;
use tribune_core::author_notices::Watcher;
use tribune_core::comment::{Comment, ValidComment};
use tribune_core::mail::OutgoingMail;
use tribune_core::reply_notices::{CONFIRM_WITHIN, Composer, Subscription};

use crate::config::Config;
use crate::keys::{SiteKeys, random_token, token_hash};

/// What the signatures of the two links are for: a signature for one is no good for the other.
pub const CONFIRM_PURPOSE: &str = "reply-confirm";
pub const UNSUBSCRIBE_PURPOSE: &str = "reply-unsubscribe";
pub const AUTHOR_UNSUBSCRIBE_PURPOSE: &str = "comment-notices-unsubscribe";

pub struct SiteComposer {
    pub config: Arc<Config>,
    pub keys: Arc<SiteKeys>,
}

impl std::fmt::Debug for SiteComposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteComposer") // the keys stay out of any log
    }
}

#[derive(Template)]
#[template(path = "mail/confirm.txt")]
struct ConfirmText<'a> {
    site: &'a Config,
    article: &'a Article,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reply.txt")]
struct ReplyText<'a> {
    site: &'a Config,
    article: &'a Article,
    reply: &'a ValidComment,
    link: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    site: &'a Config,
    article: &'a Article,
    reply: &'a ValidComment,
    link: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "mail/comment.txt")]
struct CommentText<'a> {
    site: &'a Config,
    article: &'a Article,
    comment: &'a ValidComment,
    link: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "mail/comment.html")]
struct CommentHtml<'a> {
    site: &'a Config,
    article: &'a Article,
    comment: &'a ValidComment,
    link: &'a str,
    unsubscribe: &'a str,
}

impl Composer for SiteComposer {
    fn confirmation(&self, email: &str, article: &Article) -> (OutgoingMail, String) {
        let token = random_token();
        let expires = Utc::now().timestamp() + CONFIRM_WITHIN.as_secs() as i64;
        let signed = self.keys.sign(CONFIRM_PURPOSE, &format!("{token}~{expires}"));
        let link = self.config.url(&format!("/replies/confirm/{signed}"));
        let text = ConfirmText { site: &self.config, article, link: &link }.render().unwrap_or_default();
        let mail = OutgoingMail {
            to: email.to_owned(),
            subject: format!("Confirm: replies to your comment on {}", article.title),
            text,
            html: None,
            unsubscribe_url: None,
        };
        (mail, token_hash(&token))
    }

    fn recipient_key(&self, email: &str) -> String {
        self.keys.email_hash(email)
    }

    fn reply_notice(
        &self,
        sub: &Subscription,
        article: &Article,
        parent: &Comment,
        reply: &ValidComment,
    ) -> OutgoingMail {
        let link = self.config.url(&format!("/comments/{}/replies", parent.id));
        let unsubscribe = self.unsubscribe_url(sub.id);
        let (site, link, unsubscribe) = (&*self.config, link.as_str(), unsubscribe.as_str());
        OutgoingMail {
            to: sub.email.clone(),
            subject: format!("{} replied to your comment on {}", reply.author_name, article.title),
            text: ReplyText { site, article, reply, link, unsubscribe }.render().unwrap_or_default(),
            html: Some(ReplyHtml { site, article, reply, link, unsubscribe }.render().unwrap_or_default()),
            unsubscribe_url: Some(unsubscribe.to_owned()),
        }
    }

    fn comment_notice(&self, watcher: &Watcher, article: &Article, comment: &ValidComment) -> OutgoingMail {
        let link = self.config.url(&format!("/articles/{}#comments", article.slug));
        let unsubscribe = self.author_unsubscribe_url(watcher.user_id);
        let (site, link, unsubscribe) = (&*self.config, link.as_str(), unsubscribe.as_str());
        OutgoingMail {
            to: watcher.email.clone(),
            subject: format!("{} commented on {}", comment.author_name, article.title),
            text: CommentText { site, article, comment, link, unsubscribe }.render().unwrap_or_default(),
            html: Some(
                CommentHtml { site, article, comment, link, unsubscribe }.render().unwrap_or_default(),
            ),
            unsubscribe_url: Some(unsubscribe.to_owned()),
        }
    }
}

impl SiteComposer {
    /// The one-click address that stops an author's notices of comments: their id, signed.
    pub fn author_unsubscribe_url(&self, user_id: i64) -> String {
        let signed = self.keys.sign(AUTHOR_UNSUBSCRIBE_PURPOSE, &user_id.to_string());
        self.config.url(&format!("/notices/comments/unsubscribe/{signed}"))
    }

    /// The one-click address: the subscription's id, signed, so it works without signing in.
    pub fn unsubscribe_url(&self, id: i64) -> String {
        self.config
            .url(&format!("/replies/unsubscribe/{}", self.keys.sign(UNSUBSCRIBE_PURPOSE, &id.to_string())))
    }
}

/// The token inside a confirmation link, if the site signed it and it has not expired.
pub fn confirmation_token<'a>(keys: &SiteKeys, signed: &'a str, now: i64) -> Option<&'a str> {
    let (token, expires) = keys.verify(CONFIRM_PURPOSE, signed)?.split_once('~')?;
    (expires.parse::<i64>().ok()? >= now).then_some(token)
}

/// The author inside a link that stops notices of comments, if the site signed it.
pub fn author_unsubscribe_id(keys: &SiteKeys, signed: &str) -> Option<i64> {
    keys.verify(AUTHOR_UNSUBSCRIBE_PURPOSE, signed)?.parse().ok()
}

/// The subscription inside an unsubscribe link, if the site signed it.
pub fn unsubscribe_id(keys: &SiteKeys, signed: &str) -> Option<i64> {
    keys.verify(UNSUBSCRIBE_PURPOSE, signed)?.parse().ok()
}
