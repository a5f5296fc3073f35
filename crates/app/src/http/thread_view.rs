//! What the discussion templates receive: a page of a thread as one reader sees it, each
//! comment with its indentation, its marks and the actions that reader may take.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tribune_core::article::Article;
use tribune_core::comment::{Comment, CommentStatus, Viewer};
use tribune_core::discussion::{DiscussionError, DiscussionRules, open_for_comments};
use tribune_core::store::{CommentStore, ThreadPage};
use tribune_core::thread::{Appearance, CommentSort, Cursor, arrange, visible};

use super::AppError;
use super::views::{DateView, date};
use crate::config::Config;

pub struct CommentView {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub depth: u32,
    pub indent: u32,
    /// "full", "deleted" or "removed" (see [`Appearance`]).
    pub appearance: &'static str,
    pub author: String,
    /// Written without an account: anyone can type any name, so the page says so.
    pub is_guest: bool,
    pub body_html: String,
    pub date: DateView,
    pub edited: bool,
    /// Past the indentation cap: the parent's id and name.
    pub in_reply_to: Option<(i64, String)>,
    /// A mark beside the author: awaiting moderation, hidden.
    pub note: Option<&'static str>,
    pub score: i64,
    /// This reader's vote: 1, -1 or 0.
    pub my_vote: i64,
    pub can_vote: bool,
    pub can_reply: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_moderate: bool,
    pub is_pending: bool,
}

/// One page of an article's discussion for one reader.
pub struct ThreadView {
    pub comments: Vec<CommentView>,
    pub sort: CommentSort,
    /// The "more comments" link's query (`sort=…&after=…`), when there is more.
    pub more_query: Option<String>,
    /// Why readers can no longer comment here, if they cannot.
    pub closed: Option<&'static str>,
}

impl ThreadView {
    pub fn sort_links(&self) -> Vec<(&'static str, bool)> {
        CommentSort::ALL.iter().map(|s| (s.as_str(), *s == self.sort)).collect()
    }
}

/// Loads a page of threads and prepares it for `viewer`: two queries, plus one for the
/// reader's own votes when signed in.
pub async fn load(
    store: &tribune_store::Store,
    config: &Config,
    article: &Article,
    viewer: &Viewer,
    sort: CommentSort,
    after: Option<Cursor>,
) -> Result<ThreadView, AppError> {
    let ThreadPage { comments, next } =
        store.thread_page(article.id, sort, after, config.comment_threads_per_page).await?;
    let comments = arrange(comments, sort);
    let my_votes = match &viewer.user {
        Some(user) => store.votes_by(user.id, &comments.iter().map(|c| c.id).collect::<Vec<_>>()).await?,
        None => HashMap::new(),
    };
    let rules = config.discussion_rules();
    let closed = match open_for_comments(article, &rules, Utc::now()) {
        Ok(()) => None,
        Err(DiscussionError::Closed(why)) => Some(why),
        Err(_) => Some("comments are closed"),
    };
    let views = views_of(
        &comments,
        viewer,
        &rules,
        config.comment_max_indent,
        closed.is_none(),
        &my_votes,
        Utc::now(),
    );
    let more_query = next.map(|c| format!("sort={}&after={}", sort.as_str(), c.encode(sort)));
    Ok(ThreadView { comments: views, sort, more_query, closed })
}

/// The view of each comment `viewer` may see, in display order.
pub fn views_of(
    comments: &[Comment],
    viewer: &Viewer,
    rules: &DiscussionRules,
    max_indent: u32,
    open: bool,
    my_votes: &HashMap<i64, i64>,
    now: DateTime<Utc>,
) -> Vec<CommentView> {
    visible(comments, viewer, max_indent)
        .into_iter()
        .map(|p| {
            let c = p.comment;
            let full = p.appearance == Appearance::Full;
            CommentView {
                id: c.id,
                parent_id: c.parent_id,
                depth: c.depth,
                indent: p.indent,
                appearance: match p.appearance {
                    Appearance::Full => "full",
                    Appearance::Deleted => "deleted",
                    Appearance::Removed => "removed",
                },
                author: if full { c.author_name.clone() } else { String::new() },
                is_guest: c.user_id.is_none(),
                body_html: if full { c.body_html.clone() } else { String::new() },
                date: date(c.created_at),
                edited: c.edited_at.is_some(),
                in_reply_to: p.in_reply_to.map(|name| (c.parent_id.unwrap_or_default(), name.to_owned())),
                note: match c.status {
                    CommentStatus::Pending if full => Some("awaiting moderation"),
                    CommentStatus::Rejected if full => Some("hidden by a moderator"),
                    _ => None,
                },
                score: c.score,
                my_vote: my_votes.get(&c.id).copied().unwrap_or(0),
                can_vote: full && viewer.may_vote(c),
                can_reply: full && open && c.status == CommentStatus::Published,
                can_edit: full && viewer.may_edit(c, rules.edit_window, now),
                can_delete: full && viewer.may_delete(c, rules.edit_window, now),
                can_moderate: viewer.moderates() && c.status != CommentStatus::Deleted,
                is_pending: c.status == CommentStatus::Pending,
            }
        })
        .collect()
}
