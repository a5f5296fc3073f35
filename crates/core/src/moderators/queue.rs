//! The moderators' queue: held comments, oldest first, each with what a moderator needs to
//! decide at a glance (its article, what it answers, why it was held, who wrote it).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{ModerationError, ModerationStore};
use crate::comment::Comment;

/// One held comment in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub comment: Comment,
    pub article_slug: String,
    pub article_title: String,
    /// The start of the comment it replies to, and its author.
    pub parent: Option<(String, String)>,
    /// Why it was held (the pipeline's stored decision), strictest first as stored.
    pub reasons: Vec<ShownReason>,
    pub score: Option<f64>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The author's other comments: how many were published, how many rejected.
    pub approved: i64,
    pub rejected: i64,
    /// Other names that posted from the same address hash.
    pub siblings: Vec<String>,
    /// Readers' flags on it, by reason (a published comment is here because of them).
    pub flags: Option<crate::moderation::flags::FlagCounts>,
}

/// One signal that fired, as stored with the comment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ShownReason {
    pub signal: String,
    pub outcome: String,
    pub detail: String,
    #[serde(default)]
    pub score: f64,
}

/// The reasons of a stored decision (a JSON list); nothing if unreadable.
pub fn reasons_of(json: &str) -> Vec<ShownReason> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The first words of a comment, for a line of the queue or the log.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let flat = markdown.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        return flat;
    }
    let cut: String = flat.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

/// A page of the queue and where the next starts (keyset: the last comment's id).
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next: Option<i64>,
}

/// The queue after comment `after`, `per_page` at a time.
pub async fn queue_page<S: ModerationStore>(
    store: &S,
    after: Option<i64>,
    per_page: u32,
) -> Result<QueuePage, ModerationError> {
    let per_page = per_page.clamp(1, super::decide::MAX_BULK as u32);
    let mut items = store.queue(after, per_page + 1).await?;
    let more = items.len() > per_page as usize;
    items.truncate(per_page as usize);
    let next = if more { items.last().map(|i| i.comment.id) } else { None };
    Ok(QueuePage { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(excerpt("one\n\ntwo  three", 50), "one two three");
        assert_eq!(excerpt("abcdef ghij", 6), "abcdef…");
    }

    #[test]
    fn stored_reasons_are_read_back() {
        let r =
            reasons_of(r#"[{"signal":"links","outcome":"hold","detail":"a signature link","score":0.6}]"#);
        assert_eq!(r[0].signal, "links");
        assert!(reasons_of("not json").is_empty());
    }
}
