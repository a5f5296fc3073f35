//! The moderators' digest as mailed (`core::moderators::digest`): the messages, from
//! templates, and the check every node runs while mail is on.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use chrono::Utc;
use tokio::task::JoinHandle;
use tribune_core::mail::OutgoingMail;
use tribune_core::moderators::QueueItem;
use tribune_core::moderators::digest::{DigestComposer, DigestOutcome, send_if_due};
use tribune_core::moderators::queue::excerpt;
use tribune_core::store::StoreError;
use tribune_core::user::User;

use crate::config::Config;
use crate::http::AppState;

/// How often each node looks for a digest to send: "immediately" means within this.
const CHECK_EVERY: Duration = Duration::from_secs(30);

/// One held comment as the digest lists it (every value escaped by the HTML template).
struct Line {
    author: String,
    article: String,
    excerpt: String,
    why: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    site: &'a Config,
    lines: &'a [Line],
    unlisted: usize,
    waiting: i64,
    link: &'a str,
    settings: &'a str,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    site: &'a Config,
    lines: &'a [Line],
    unlisted: usize,
    waiting: i64,
    link: &'a str,
    settings: &'a str,
}

pub struct SiteDigest {
    pub config: Arc<Config>,
}

impl DigestComposer for SiteDigest {
    fn digest(&self, moderator: &User, listed: &[QueueItem], unlisted: usize, waiting: i64) -> OutgoingMail {
        let lines: Vec<Line> = listed.iter().map(line).collect();
        let site = &*self.config;
        let (link, settings) = (site.url("/admin/moderation"), site.url("/admin/settings"));
        let (link, settings, lines) = (link.as_str(), settings.as_str(), lines.as_slice());
        OutgoingMail {
            to: moderator.email.clone(),
            subject: format!("{waiting} waiting for moderation on {}", site.site_title),
            text: DigestText { site, lines, unlisted, waiting, link, settings }.render().unwrap_or_default(),
            html: Some(
                DigestHtml { site, lines, unlisted, waiting, link, settings }.render().unwrap_or_default(),
            ),
            unsubscribe_url: None,
        }
    }
}

fn line(item: &QueueItem) -> Line {
    let why: Vec<&str> = item.reasons.iter().map(|r| r.detail.as_str()).filter(|d| !d.is_empty()).collect();
    Line {
        author: item.comment.author_name.clone(),
        article: item.article_title.clone(),
        excerpt: excerpt(&item.comment.body_markdown, 140),
        why: if why.is_empty() { "the site's moderation setting".into() } else { why.join("; ") },
    }
}

/// One check: queues the digest if the site's setting says one is due.
pub async fn check(state: &AppState) -> Result<DigestOutcome, StoreError> {
    let site = state.site();
    let frequency = state.live.settings().moderation_digest;
    let outcome = send_if_due(&state.store, &SiteDigest { config: site }, frequency, Utc::now()).await?;
    if let DigestOutcome::Queued(n) = outcome {
        tracing::info!(moderators = n, "moderators' digest queued");
        state.mail_queued();
    }
    Ok(outcome)
}

/// Checks every [`CHECK_EVERY`] until aborted; only while the site sends mail.
pub fn start(state: AppState) -> Option<JoinHandle<()>> {
    state.mail.as_ref()?;
    Some(tokio::spawn(async move {
        loop {
            if let Err(e) = check(&state).await {
                tracing::warn!(error = %e, "the moderators' digest could not be checked");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    }))
}
