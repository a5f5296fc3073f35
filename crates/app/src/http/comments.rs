//! The discussion as plain HTML forms: post, reply, edit, delete, vote and moderate, each a
//! POST with a CSRF token that redirects back to the comment. With the site's script, a
//! post asks for `X-Tribune-Fragment` and gets the new comment's HTML to put in place.

use askama::Template;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::article::{Article, FieldError};
use tribune_core::comment::{Comment, CommentInput, Viewer};
use tribune_core::discussion::{self, DiscussionError, Moderation, Origin, Vote, page_outline};
use tribune_core::store::{ArticleStore, CommentStore, Tops};
use tribune_core::thread::{CommentSort, Cursor, PageLimits};

use super::auth::{GUEST_COOKIE, Reader, guest_hash};
use super::client::ClientAddress;
use super::csrf::{CsrfForm, CsrfToken};
use super::error::capitalized;
use super::pages::{CommentForm, ThreadQuery, article_to_comment_on, public_article, render_article};
use super::thread_view::{self, CommentView, Scope, ThreadView, view_of_one};
use super::{AppError, AppState, cookies, render_public, with_bar};
use crate::config::Config;
use crate::keys::random_token;

/// Asked for by the site's script: answer with an HTML fragment rather than a redirect.
const FRAGMENT_HEADER: &str = "x-tribune-fragment";
/// A guest's browser keeps its token for a year.
const GUEST_COOKIE_SECONDS: i64 = 365 * 86_400;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/articles/{slug}/comments", get(more_comments).post(post_comment))
        .route("/comments/{id}", get(permalink))
        .route("/comments/{id}/reply", get(reply_form))
        .route("/comments/{id}/replies", get(replies))
        .route("/comments/{id}/edit", get(edit_form).post(edit))
        .route("/comments/{id}/delete", post(delete))
        .route("/comments/{id}/vote", post(vote))
        .route("/comments/{id}/moderate", post(moderate))
}

#[derive(Deserialize)]
struct PostForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    author_name: String,
    #[serde(default)]
    author_email: String,
    /// The "tell me of replies" box: sent only when ticked.
    notify_replies: Option<String>,
}

#[derive(Template)]
#[template(path = "comment_fragment.html")]
struct CommentFragment<'a> {
    c: &'a CommentView,
    csrf: &'a str,
}

async fn post_comment(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(slug): Path<String>,
    headers: HeaderMap,
    reader: Reader,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<PostForm>,
) -> Result<Response, AppError> {
    let article = article_to_comment_on(&state, &slug).await?;
    let parent_id = match form.parent_id.trim() {
        "" => None,
        p => Some(
            p.parse::<i64>().map_err(|_| AppError::BadRequest("parent_id is not a comment id.".into()))?,
        ),
    };
    let input = CommentInput {
        body: form.body.clone(),
        parent_id,
        author_name: Some(form.author_name.clone()),
        author_email: Some(form.author_email.clone()),
        notify_replies: form.notify_replies.is_some(),
    };
    let (author, new_guest_cookie) = commenter(&state, &reader);
    let fragment = headers.contains_key(FRAGMENT_HEADER);
    let now = Utc::now();
    let rules = state.discussion_rules();
    let origin = Origin {
        new_guest: new_guest_cookie.is_some(),
        email_hash: email_hash(&state, &author, &form.author_email),
        ..client.origin()
    };
    match discussion::post_comment(&state.store, &article, &input, &author, &origin, &rules, now).await {
        Ok(comment) => {
            state.mail_queued();
            state.changed(crate::coherence::Change::Discussion(&article)).await;
            let mut response = if fragment {
                new_comment_fragment(&state, &comment, &author, &csrf.token)?
            } else {
                Redirect::to(&format!("/comments/{}", comment.id)).into_response()
            };
            if let Some(cookie) = new_guest_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok((csrf, response).into_response())
        }
        Err(e @ (DiscussionError::Invalid(_) | DiscussionError::Refused(_))) => {
            let errors: Vec<String> = match &e {
                DiscussionError::Invalid(errors) => errors.iter().map(form_message).collect(),
                refused => vec![format!("{}.", capitalized(&refused.to_string()))],
            };
            if fragment {
                let html = FormErrors { form: CommentForm { errors, ..CommentForm::default() } }.render()?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
            }
            let kept = CommentForm {
                body: form.body,
                author_name: form.author_name,
                author_email: form.author_email,
                notify_replies: form.notify_replies.is_some(),
                parent_id,
                errors,
            };
            // The page again with the form kept: the article read whole this time.
            let article = public_article(&state, &slug).await?;
            let order = (CommentSort::default(), None);
            let html = render_article(&state, &article, &reader.viewer, order, &csrf.token, kept).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, Html(with_bar(&state, html))).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The keyed hash of the poster's e-mail, for bans: their account's, or the one a guest gives.
pub fn email_hash(state: &AppState, author: &Viewer, given: &str) -> Option<String> {
    let email = author.user.as_ref().map_or(given, |u| u.email.as_str());
    (!email.trim().is_empty()).then(|| state.keys.email_hash(email))
}

/// The new comment's HTML as its author sees it, for the script to put in place.
fn new_comment_fragment(
    state: &AppState,
    comment: &Comment,
    author: &Viewer,
    csrf: &str,
) -> Result<Response, AppError> {
    let indent = state.config.comment_max_indent;
    let view = view_of_one(&state.site(), comment, author, indent, 0, true)
        .ok_or_else(|| AppError::Internal("a new comment its author cannot see".into()))?;
    let html = CommentFragment { c: &view, csrf }.render()?;
    Ok((StatusCode::CREATED, Html(html)).into_response())
}

/// The author of a new comment: the signed-in user, or this browser as a guest (given a
/// token, and the cookie to keep it, on its first comment).
pub fn commenter(state: &AppState, reader: &Reader) -> (Viewer, Option<HeaderValue>) {
    if !reader.is_anonymous() {
        return (reader.viewer.clone(), None);
    }
    let token = random_token();
    let signed = state.keys.sign(GUEST_COOKIE, &token);
    let cookie = cookies::set(cookies::GUEST, &signed, Some(GUEST_COOKIE_SECONDS), state.config.is_https());
    (Viewer { user: None, guest_token_hash: Some(guest_hash(state, &token)) }, Some(cookie))
}

/// A field's problem as the form's reader would put it: "Name is required".
pub(super) fn form_message(e: &FieldError) -> String {
    let label = match e.field {
        "body" => "Your comment",
        "author_name" => "Name",
        "author_email" => "Email",
        "parent_id" => "The comment you answer",
        other => other,
    };
    format!("{label} {}", e.problem)
}

#[derive(Template)]
#[template(path = "form_errors.html")]
struct FormErrors {
    form: CommentForm,
}

#[derive(Template)]
#[template(path = "thread_fragment.html")]
struct ThreadFragment<'a> {
    site: &'a Config,
    slug: &'a str,
    thread: ThreadView,
    csrf: &'a str,
}

/// The next page of threads as a fragment, for the script's "more comments".
async fn more_comments(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<ThreadQuery>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let article = public_article(&state, &slug).await?;
    let scope = Scope::article(&article);
    let thread =
        thread_view::load(&state.store, &state.site(), &article, &reader.viewer, scope, q.parse()?).await?;
    let html = ThreadFragment { site: &state.site(), slug: article.slug.as_str(), thread, csrf: &csrf.token }
        .render()?;
    Ok((csrf, Html(html)).into_response())
}

/// `/comments/{id}`: the page that shows the comment, at its anchor: the article's page
/// that starts with its thread (the first page for the first thread) when that page shows
/// it, else the page of its parent's replies that starts with it.
async fn permalink(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, AppError> {
    let (comment, article) = comment_and_article(&state, id).await?;
    // A cursor just before a comment in the oldest-first order: the page starts with it.
    let from = |first: i64| Cursor { id: first - 1, score: 0 };
    let from_query = |first: i64| format!("sort=oldest&after={}", from(first).encode(CommentSort::Oldest));
    let first_thread = state.store.threads_before(article.id, comment.root_id).await? == 0;
    let on_article_page = match comment.parent_id {
        None => true,
        Some(_) => {
            let order = (CommentSort::Oldest, (!first_thread).then(|| from(comment.root_id)));
            let per_page = state.config.comment_threads_per_page;
            let tops = Tops::Article(article.id);
            let page = page_outline(&state.store, tops, order, per_page, PageLimits::DEFAULT).await?;
            page.comments().any(|c| c.id == id)
        }
    };
    let page = match comment.parent_id.filter(|_| !on_article_page) {
        Some(parent) => format!("/comments/{parent}/replies?{}", from_query(id)),
        None if first_thread => format!("/articles/{}", article.slug),
        None => format!("/articles/{}?{}", article.slug, from_query(comment.root_id)),
    };
    Ok(Redirect::to(&format!("{page}#comment-{id}")).into_response())
}

#[derive(Template)]
#[template(path = "replies.html")]
struct RepliesPage<'a> {
    site: &'a Config,
    article: &'a Article,
    slug: &'a str,
    /// The comment whose replies these are, shown above them.
    c: CommentView,
    thread: ThreadView,
    csrf: &'a str,
}

#[derive(Template)]
#[template(path = "replies_fragment.html")]
struct RepliesFragment<'a> {
    site: &'a Config,
    id: i64,
    thread: ThreadView,
    csrf: &'a str,
}

/// `/comments/{id}/replies`: a page of one comment's replies, where a page of the
/// discussion leaves them off ("more replies", "continue this thread"). With the script
/// (`X-Tribune-Fragment`), only the replies, indented as on the article's page.
async fn replies(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Query(q): Query<ThreadQuery>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let (parent, article) = comment_and_article(&state, id).await?;
    let fragment = headers.contains_key(FRAGMENT_HEADER);
    let base_depth = if fragment { 0 } else { parent.depth };
    let scope = Scope { tops: Tops::RepliesTo(id), base_depth, tops_depth: parent.depth + 1 };
    let thread =
        thread_view::load(&state.store, &state.site(), &article, &reader.viewer, scope, q.parse()?).await?;
    let vary = [(header::VARY, HeaderValue::from_static("x-tribune-fragment"))];
    if fragment {
        let html = RepliesFragment { site: &state.site(), id, thread, csrf: &csrf.token }.render()?;
        return Ok((vary, csrf, Html(html)).into_response());
    }
    let open = thread.closed.is_none();
    let indent = state.config.comment_max_indent;
    let c = view_of_one(&state.site(), &parent, &reader.viewer, indent, parent.depth, open)
        .ok_or(AppError::NotFound)?;
    let page = RepliesPage {
        site: &state.site(),
        article: &article,
        slug: article.slug.as_str(),
        c,
        thread,
        csrf: &csrf.token,
    };
    let html = render_public(&state, &page)?;
    Ok((vary, csrf, html).into_response())
}

pub(super) async fn comment_and_article(state: &AppState, id: i64) -> Result<(Comment, Article), AppError> {
    let comment = state.store.comment(id).await?.ok_or(AppError::NotFound)?;
    let article = state.store.article_by_id(comment.article_id).await?;
    let article = article.filter(|a| a.is_public_at(Utc::now())).ok_or(AppError::NotFound)?;
    Ok((comment, article))
}

#[derive(Template)]
#[template(path = "comment_page.html")]
struct CommentPage<'a> {
    site: &'a Config,
    heading: &'a str,
    article: &'a Article,
    slug: &'a str,
    c: CommentView,
    csrf: &'a str,
    form: CommentForm,
    signed_in_as: Option<String>,
    /// Editing: the form posts to the comment itself.
    editing: bool,
}

/// Without the script, "Reply" opens this page: the comment, and a form that answers it.
async fn reply_form(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let (comment, article) = comment_and_article(&state, id).await?;
    discussion::open_for_comments(&article, &state.site().discussion_rules(), Utc::now())?;
    let form = CommentForm { parent_id: Some(id), ..CommentForm::default() };
    comment_page(&state, &reader, csrf, CommentPageKind::Reply, &comment, &article, form)
}

async fn edit_form(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let (comment, article) = comment_and_article(&state, id).await?;
    let rules = state.discussion_rules();
    if !reader.viewer.may_edit(&comment, rules.edit_window, Utc::now()) {
        return Err(AppError::Forbidden(
            "Only its author may edit a comment, and only for a while after posting it.".into(),
        ));
    }
    let form = CommentForm { body: comment.body_markdown.clone(), ..CommentForm::default() };
    comment_page(&state, &reader, csrf, CommentPageKind::Edit, &comment, &article, form)
}

/// The two pages that show one comment with a form under it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CommentPageKind {
    /// A reply to it (the no-script way to answer a comment).
    Reply,
    /// A new text for it, by its author.
    Edit,
}

fn comment_page(
    state: &AppState,
    reader: &Reader,
    csrf: CsrfToken,
    kind: CommentPageKind,
    comment: &Comment,
    article: &Article,
    form: CommentForm,
) -> Result<Response, AppError> {
    let (heading, editing) = match kind {
        CommentPageKind::Reply => ("Reply", false),
        CommentPageKind::Edit => ("Edit your comment", true),
    };
    let c = view_of_one(&state.site(), comment, &reader.viewer, 0, comment.depth, true)
        .ok_or(AppError::NotFound)?;
    let page = CommentPage {
        site: &state.site(),
        heading,
        article,
        slug: article.slug.as_str(),
        c,
        csrf: &csrf.token,
        form,
        signed_in_as: reader.viewer.user.as_ref().map(|u| u.name.clone()),
        editing,
    };
    let status = if page.form.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let html = render_public(state, &page)?;
    Ok((status, csrf, html).into_response())
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    body: String,
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<Response, AppError> {
    let rules = state.discussion_rules();
    match discussion::edit_comment(&state.store, id, &form.body, &reader.viewer, &rules, Utc::now()).await {
        Ok(comment) => changed(&state, &comment).await,
        Err(DiscussionError::Invalid(errors)) => {
            let (comment, article) = comment_and_article(&state, id).await?;
            let errors = errors.iter().map(form_message).collect();
            let kept = CommentForm { body: form.body, errors, ..CommentForm::default() };
            comment_page(&state, &reader, csrf, CommentPageKind::Edit, &comment, &article, kept)
        }
        Err(e) => Err(e.into()),
    }
}

/// After a change: drop the pages that show the comment, and go back to it.
async fn changed(state: &AppState, comment: &Comment) -> Result<Response, AppError> {
    state.changed(crate::coherence::Change::Discussions(&[comment.article_id])).await;
    Ok(Redirect::to(&format!("/comments/{}", comment.id)).into_response())
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    action: String,
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    _checked: CsrfForm<ActionForm>,
) -> Result<Response, AppError> {
    let rules = state.discussion_rules();
    let (comment, _) =
        discussion::delete_comment(&state.store, id, &reader.viewer, &rules, Utc::now()).await?;
    back_to_discussion(&state, &comment).await
}

async fn back_to_discussion(state: &AppState, comment: &Comment) -> Result<Response, AppError> {
    let article = state.store.article_by_id(comment.article_id).await?.ok_or(AppError::NotFound)?;
    state.changed(crate::coherence::Change::Discussion(&article)).await;
    Ok(Redirect::to(&format!("/articles/{}#comments", article.slug)).into_response())
}

async fn vote(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<Response, AppError> {
    let vote =
        Vote::parse(&form.value).ok_or_else(|| AppError::BadRequest("A vote is up, down or none.".into()))?;
    let comment = discussion::vote(&state.store, id, vote, &reader.viewer, Utc::now()).await?;
    changed(&state, &comment).await
}

async fn moderate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<Response, AppError> {
    let action = Moderation::parse(&form.action)
        .ok_or_else(|| AppError::BadRequest("A moderator may approve, hide or delete a comment.".into()))?;
    let comment = discussion::moderate(
        &state.store,
        id,
        action,
        &reader.viewer,
        state.notices().as_deref(),
        Utc::now(),
    )
    .await?;
    state.mail_queued();
    tracing::info!(comment = id, ?action, moderator = reader.viewer.user.as_ref().map(|u| u.id), "moderated");
    if action == Moderation::Delete {
        back_to_discussion(&state, &comment).await
    } else {
        changed(&state, &comment).await
    }
}
