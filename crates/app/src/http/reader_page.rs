//! A known reader's page of an article, cheaply. The discussion is rendered once for all
//! of them with a hole where each comment's actions and the comment form go (kept in the
//! page cache, dropped with the article's pages), and each response fills the holes with
//! this reader's own buttons, votes and form: small queries, no render of the discussion.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use chrono::Utc;
use tribune_core::comment::{Comment, Viewer};
use tribune_core::store::CommentStore;
use tribune_core::thread::CommentSort;

use super::pages::{ArticlePage, CommentForm, public_article};
use super::thread_view::{self, CommentView, Scope, views_of};
use super::{AppError, AppState, with_bar};
use crate::cache::article_key;
use crate::config::Config;

/// Where a reader's own part goes in the shared discussion.
const HOLE: &str = "<!--tribune:reader-->";

/// The discussion every known reader's page is filled from.
struct Shared {
    /// When it began to be read: a reader's comment from about then on may not be in it.
    read_at: chrono::DateTime<Utc>,
    /// The page between its holes (the funding bar's hole still in them).
    segments: Vec<String>,
    /// The comments whose actions fill the holes, in order, without their text.
    comments: Vec<Comment>,
    /// Whether the discussion is open: the last hole is then the comment form's.
    open: bool,
    /// The article, without its text: whether its discussion is for supporters only.
    article: tribune_core::article::Article,
}

#[derive(Template)]
#[template(path = "supporters_only.html")]
struct SupportersOnly;

#[derive(Template)]
#[template(path = "comment_actions.html")]
struct Actions<'a> {
    c: &'a CommentView,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "join.html")]
struct Join<'a> {
    site: &'a Config,
    slug: &'a str,
    signed_in_as: Option<String>,
    form: CommentForm,
    csrf: &'a str,
}

/// The first page of the article `slug` for `viewer`, or `None` when it needs a render of
/// its own: a moderator's (who sees everything), a reader with comments awaiting
/// moderation (shown only to them, in their place in the thread), or one who commented
/// since about when the shared discussion was read (which drops it only within a moment:
/// an author sees their comment at once).
pub async fn serve(
    state: &AppState,
    slug: &str,
    viewer: &Viewer,
    csrf: &str,
) -> Result<Option<String>, AppError> {
    let user_id = viewer.user.as_ref().map(|u| u.id);
    if viewer.moderates() {
        return Ok(None);
    }
    let shared = shared(state, slug).await?;
    // Comment times are whole seconds, and a comment dated a moment before the read may
    // have been committed after it.
    let since = shared.read_at - chrono::Duration::seconds(NOT_YET_COMMITTED_SECONDS);
    let guest = viewer.guest_token_hash.as_deref();
    if state.store.has_pending_or_since_on(slug, user_id, guest, since).await? {
        return Ok(None);
    }
    let votes = match user_id {
        Some(id) => {
            state.store.votes_by(id, &shared.comments.iter().map(|c| c.id).collect::<Vec<_>>()).await?
        }
        None => HashMap::new(),
    };
    let config = &state.site();
    let rules = config.discussion_rules();
    let now = Utc::now();
    let views =
        views_of(&shared.comments, viewer, &rules, config.comment_max_indent, 0, shared.open, &votes, now);
    if views.len() != shared.comments.len() {
        return Ok(None); // never expected: every comment in it is one anyone may see
    }
    let mut html = String::with_capacity(shared.segments.iter().map(String::len).sum::<usize>() * 2);
    for (i, segment) in shared.segments.iter().enumerate() {
        html.push_str(segment);
        if let Some(c) = views.get(i) {
            Actions { c, csrf }.render_into(&mut html)?;
        } else if i == views.len() && shared.open {
            if !thread_view::may_post(&state.store, &shared.article, viewer, &rules.supporters).await? {
                SupportersOnly.render_into(&mut html)?;
                continue;
            }
            let signed_in_as = viewer.user.as_ref().map(|u| u.name.clone());
            let join = Join { site: config, slug, signed_in_as, form: CommentForm::default(), csrf };
            join.render_into(&mut html)?;
        }
    }
    Ok(Some(with_bar(state, html)))
}

/// The shared discussion of `slug`, from the cache or rendered once (readers who arrive
/// meanwhile wait for that render).
async fn shared(state: &AppState, slug: &str) -> Result<Arc<Shared>, AppError> {
    let path = format!("reader:/articles/{slug}");
    let cached = || {
        state
            .cache
            .get(&path)
            .and_then(|p| p.extra.as_ref().and_then(|e| e.0.clone().downcast::<Shared>().ok()))
    };
    if let Some(shared) = cached() {
        return Ok(shared);
    }
    let _rendering = state.cache.render_slot(&path).lock().await;
    if let Some(shared) = cached() {
        return Ok(shared);
    }
    let generation = state.cache.generation();
    let shared = render(state, slug).await?;
    Ok(state.cache.insert_extra(path, shared, vec![article_key(slug)], generation))
}

/// How long before its commit a comment may be dated (its time is taken before it waits
/// for the group commit, itself bounded by the pool's 5 s wait for a connection).
const NOT_YET_COMMITTED_SECONDS: i64 = 10;

async fn render(state: &AppState, slug: &str) -> Result<Shared, AppError> {
    let read_at = Utc::now();
    let article = public_article(state, slug).await?;
    let anonymous = Viewer::anonymous();
    let order = (CommentSort::default(), None);
    let (mut thread, comments) = thread_view::load_with_comments(
        &state.store,
        &state.site(),
        &article,
        &anonymous,
        Scope::article(&article),
        order,
    )
    .await?;
    let by_id: HashMap<i64, &Comment> = comments.iter().map(|c| (c.id, c)).collect();
    let mut holes = Vec::new();
    for view in thread.comments.iter_mut().filter(|v| v.appearance == "full") {
        view.hole = true;
        let mut c = by_id.get(&view.id).map(|c| (*c).clone()).ok_or(AppError::NotFound)?;
        (c.body_markdown, c.body_html) = (String::new(), String::new());
        holes.push(c);
    }
    thread.holes = true;
    let open = thread.closed.is_none();
    let site = state.site();
    let mut page = ArticlePage::new(&site, &article, false);
    page.find_media(&state.store).await?;
    page.thread = Some(thread);
    let html = page.render()?;
    let segments: Vec<String> = html.split(HOLE).map(str::to_owned).collect();
    if segments.len() != holes.len() + usize::from(open) + 1 {
        return Err(AppError::Internal("the shared discussion's holes do not match its comments".into()));
    }
    let article =
        tribune_core::article::Article { body_markdown: String::new(), body_html: String::new(), ..article };
    Ok(Shared { read_at, segments, comments: holes, open, article })
}
