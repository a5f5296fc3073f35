//! What the discussion templates receive: a page of a thread as one reader sees it, each
//! comment with its indentation, its marks and the actions that reader may take, and
//! links to the replies the page leaves off.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tribune_core::article::Article;
use tribune_core::comment::{Comment, CommentStatus, Viewer};
use tribune_core::discussion::{DiscussionError, DiscussionRules, open_for_comments, thread_page};
use tribune_core::store::{CommentStore, ThreadPage, Tops};
use tribune_core::supporters::{self, Status, SupporterRules, SupporterStore};
use tribune_core::thread::{Appearance, CommentSort, Cursor, MoreReplies, PageLimits, Shown, visible};
use tribune_core::user::Role;

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
    /// A "Flag" link: someone else's published comment (see `Viewer::may_flag`).
    pub can_flag: bool,
    pub is_pending: bool,
    /// Its replies go deeper than this page: where they continue.
    pub continue_href: Option<String>,
    /// Links to the replies this page leaves off after this comment, innermost first.
    pub more_after: Vec<MoreLink>,
    /// Its actions are left out, for each reader's own (see `reader_page`).
    pub hole: bool,
    /// Its author is a supporter who chose to show it.
    pub supporter: bool,
}

/// "More replies": the replies of one comment that a page leaves off.
pub struct MoreLink {
    pub href: String,
    pub indent: u32,
}

/// One page of an article's discussion for one reader.
pub struct ThreadView {
    pub comments: Vec<CommentView>,
    pub sort: CommentSort,
    /// The "more comments" link's query (`sort=…&after=…`), when there is more.
    pub more_query: Option<String>,
    /// Why readers can no longer comment here, if they cannot.
    pub closed: Option<&'static str>,
    /// The comment form is left out, for each reader's own (see `reader_page`).
    pub holes: bool,
    /// This reader may post here: false in a supporters-only discussion for anyone but
    /// supporters and staff, who see why instead of the form.
    pub may_post: bool,
}

impl ThreadView {
    pub fn sort_links(&self) -> Vec<(&'static str, bool)> {
        CommentSort::ALL.iter().map(|s| (s.as_str(), *s == self.sort)).collect()
    }
}

/// Where a page of discussion starts and how it is indented.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub tops: Tops,
    /// The depth shown unindented: 0 on the article's page and in fragments put into it,
    /// the parent's depth on a page of its replies.
    pub base_depth: u32,
    /// The depth of the page's top comments.
    pub tops_depth: u32,
}

impl Scope {
    pub fn article(article: &Article) -> Self {
        Scope { tops: Tops::Article(article.id), base_depth: 0, tops_depth: 0 }
    }
}

/// Loads a page of threads and prepares it for `viewer`: four queries (see
/// `discussion::thread_page`), one for the supporters' badges, one for the reader's own
/// votes when signed in, and one for their standing in a supporters-only discussion.
pub async fn load(
    store: &tribune_store::Store,
    config: &Config,
    article: &Article,
    viewer: &Viewer,
    scope: Scope,
    order: (CommentSort, Option<Cursor>),
) -> Result<ThreadView, AppError> {
    Ok(load_with_comments(store, config, article, viewer, scope, order).await?.0)
}

/// [`load`], with the comments the page holds.
pub async fn load_with_comments(
    store: &tribune_store::Store,
    config: &Config,
    article: &Article,
    viewer: &Viewer,
    scope: Scope,
    (sort, after): (CommentSort, Option<Cursor>),
) -> Result<(ThreadView, Vec<Comment>), AppError> {
    let page =
        thread_page(store, scope.tops, (sort, after), config.comment_threads_per_page, PageLimits::DEFAULT)
            .await?;
    let ThreadPage { shown, next } = page;
    let ids: Vec<i64> = shown.iter().map(|s| s.comment.id).collect();
    let my_votes = match &viewer.user {
        Some(user) => store.votes_by(user.id, &ids).await?,
        None => HashMap::new(),
    };
    let rules = config.discussion_rules();
    let closed = match open_for_comments(article, &rules, Utc::now()) {
        Ok(()) => None,
        Err(DiscussionError::Closed(why)) => Some(why),
        Err(_) => Some("comments are closed"),
    };
    let (comments, links): (Vec<Comment>, Vec<_>) = shown
        .into_iter()
        .map(|Shown { comment, continues, more_after }| (comment, (continues, more_after)))
        .unzip();
    let mut views = views_of(
        &comments,
        viewer,
        &rules,
        config.comment_max_indent,
        scope.base_depth,
        closed.is_none(),
        &my_votes,
        Utc::now(),
    );
    add_links(&mut views, &comments, links, scope, sort, config.comment_max_indent);
    mark_supporters(store, &mut views, &comments, &rules.supporters).await?;
    let may_post = may_post(store, article, viewer, &rules.supporters).await?;
    let more_query = next.map(|c| format!("sort={}&after={}", sort.as_str(), c.encode(sort)));
    Ok((ThreadView { comments: views, sort, more_query, closed, holes: false, may_post }, comments))
}

/// Puts the badge on the comments of supporters who chose to show it: one query for the
/// page's authors.
async fn mark_supporters(
    store: &tribune_store::Store,
    views: &mut [CommentView],
    comments: &[Comment],
    rules: &SupporterRules,
) -> Result<(), AppError> {
    let author_of: HashMap<i64, i64> = comments.iter().filter_map(|c| Some((c.id, c.user_id?))).collect();
    let mut authors: Vec<i64> = author_of.values().copied().collect();
    authors.sort_unstable();
    authors.dedup();
    let badges = store.badge_holders(&authors, Utc::now(), rules.period).await?;
    for view in views.iter_mut().filter(|v| v.appearance == "full") {
        view.supporter = author_of.get(&view.id).is_some_and(|id| badges.contains(id));
    }
    Ok(())
}

/// Whether `viewer` may post under `article` (see `supporters::may_post`); read from the
/// ledger only for a supporters-only discussion and a signed-in reader.
pub async fn may_post(
    store: &tribune_store::Store,
    article: &Article,
    viewer: &Viewer,
    rules: &SupporterRules,
) -> Result<bool, AppError> {
    let status = match &viewer.user {
        Some(user) if article.supporters_only && user.role == Role::Reader => {
            store.supporter_status(user.id, Utc::now(), rules.period).await?
        }
        _ => Status::default(),
    };
    Ok(supporters::may_post(article, viewer.user.as_ref(), status))
}

/// Puts each comment's "continue" and "more replies" links on its view; the links of a
/// comment this reader does not see go to the view before it, so no reply is lost.
fn add_links(
    views: &mut [CommentView],
    comments: &[Comment],
    links: Vec<(bool, Vec<MoreReplies>)>,
    scope: Scope,
    sort: CommentSort,
    max_indent: u32,
) {
    let position: HashMap<i64, usize> = views.iter().enumerate().map(|(i, v)| (v.id, i)).collect();
    let mut last_seen = None;
    for (comment, (continues, more)) in comments.iter().zip(links) {
        if let Some(&i) = position.get(&comment.id) {
            last_seen = Some(i);
            if continues {
                views[i].continue_href = Some(format!("/comments/{}/replies", comment.id));
            }
        }
        let Some(i) = last_seen else { continue };
        for m in more {
            let depth = (scope.tops_depth + m.level).saturating_sub(scope.base_depth);
            let after = m.after.map(|c| format!("&after={}", c.encode(sort))).unwrap_or_default();
            let href = format!("/comments/{}/replies?sort={}{after}", m.parent_id, sort.as_str());
            views[i].more_after.push(MoreLink { href, indent: depth.min(max_indent) });
        }
    }
}

/// One comment as `viewer` sees it on its own (the script's fragment of a new comment, the
/// head of a reply or replies page), without votes; `None` when they may not see it.
pub fn view_of_one(
    config: &crate::config::Config,
    comment: &Comment,
    viewer: &Viewer,
    max_indent: u32,
    base_depth: u32,
    open: bool,
) -> Option<CommentView> {
    let rules = config.discussion_rules();
    let no_votes = HashMap::new();
    let one = std::slice::from_ref(comment);
    views_of(one, viewer, &rules, max_indent, base_depth, open, &no_votes, Utc::now()).into_iter().next()
}

/// The view of each comment `viewer` may see, in display order.
#[allow(clippy::too_many_arguments)]
pub fn views_of(
    comments: &[Comment],
    viewer: &Viewer,
    rules: &DiscussionRules,
    max_indent: u32,
    base_depth: u32,
    open: bool,
    my_votes: &HashMap<i64, i64>,
    now: DateTime<Utc>,
) -> Vec<CommentView> {
    visible(comments, viewer, max_indent, base_depth)
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
                can_flag: full && viewer.may_flag(c, rules.allow_guests),
                is_pending: c.status == CommentStatus::Pending,
                continue_href: None,
                more_after: Vec::new(),
                hole: false,
                supporter: false,
            }
        })
        .collect()
}
