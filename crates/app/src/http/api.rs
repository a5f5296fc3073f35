//! The JSON API of the discussion, and its OpenAPI 3 document, generated from these very
//! handlers and types (utoipa), so the two cannot drift apart. It takes JSON only: a
//! browser cannot send that from another site without asking first, which is its CSRF
//! protection.

use axum::extract::rejection::JsonRejection;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tribune_core::comment::{Comment, CommentInput, CommentStatus};
use tribune_core::discussion::thread_page;
use tribune_core::discussion::{self, Flagged, Origin};
use tribune_core::moderation::flags::FlagReason;
use tribune_core::store::{CommentStore, FlagStore, Tops};
use tribune_core::thread::{Appearance, PageLimits, Placed, visible};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::auth::Reader;
use super::client::ClientAddress;
use super::comments::commenter;
use super::error::ApiError;
use super::pages::{ThreadQuery, article_to_comment_on, public_article};
use super::views::iso;
use super::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/articles/{slug}/comments", get(list_comments).post(create_comment))
        .route("/api/v1/comments/{id}/flag", post(flag_comment))
        .route("/api/openapi.json", get(openapi))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tribune", description = "The discussion under a news site's articles."),
    paths(list_comments, create_comment, flag_comment),
    components(schemas(ApiComment, CommentList, LeftOff, NewComment, NewFlag, FlagResult, ErrorBody))
)]
struct ApiDoc;

async fn openapi() -> Response {
    let json = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into());
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json).into_response()
}

/// A comment as the API shows it. A placeholder (deleted or removed, kept for its
/// replies) has status `deleted`, no author and an empty body.
#[derive(Serialize, ToSchema)]
struct ApiComment {
    id: i64,
    parent_id: Option<i64>,
    /// 0 for a top-level comment.
    depth: u32,
    /// published, pending (shown only to its author and moderators), rejected, deleted.
    status: &'static str,
    /// Sanitized HTML of the comment's Markdown.
    body_html: String,
    author_name: Option<String>,
    /// RFC 3339.
    created_at: String,
    edited_at: Option<String>,
    /// Up votes less down votes.
    score: i64,
    /// To moderators, on a posted comment: why moderation held or published it, each
    /// `{signal, outcome, detail, score}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    reasons: Option<serde_json::Value>,
    /// To moderators, when readers flagged it: how many flags, by reason
    /// (`{"off-topic": 2, "spam": 1}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    flags: Option<std::collections::BTreeMap<&'static str, u32>>,
}

impl ApiComment {
    fn of(p: &Placed<'_>) -> Self {
        let c = p.comment;
        let full = p.appearance == Appearance::Full;
        ApiComment {
            id: c.id,
            parent_id: c.parent_id,
            depth: c.depth,
            status: if full { c.status.as_str() } else { CommentStatus::Deleted.as_str() },
            body_html: if full { c.body_html.clone() } else { String::new() },
            author_name: full.then(|| c.author_name.clone()),
            created_at: iso(c.created_at),
            edited_at: c.edited_at.map(iso),
            score: c.score,
            reasons: None,
            flags: None,
        }
    }

    fn new(c: &Comment) -> Self {
        ApiComment::of(&Placed { comment: c, appearance: Appearance::Full, indent: 0, in_reply_to: None })
    }
}

#[derive(Serialize, ToSchema)]
struct CommentList {
    /// In display order: each comment followed by its replies (as many as one page holds).
    comments: Vec<ApiComment>,
    /// Pass as `cursor` (with the same `sort`) for the next top-level threads.
    next_cursor: Option<String>,
    /// Where replies were left off: too many under one comment, or too deep for one page.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_off: Vec<LeftOff>,
}

/// Replies a page left off: list them with `replies_to` (and `cursor`, if any, with the
/// same `sort`).
#[derive(Serialize, ToSchema)]
struct LeftOff {
    replies_to: i64,
    cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// oldest (default), newest or best.
    sort: Option<String>,
    /// The `next_cursor` of the previous page (or a `left_off` cursor).
    cursor: Option<String>,
    /// List this comment's replies instead of the top-level threads (see `left_off`).
    replies_to: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct ErrorBody {
    error: String,
}

/// A page of an article's discussion: some top-level threads (or one comment's replies)
/// with as many of their replies as one page holds.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{slug}/comments",
    params(("slug" = String, Path, description = "The article's slug"), ListParams),
    responses(
        (status = 200, description = "Comments in display order (to moderators, with the reasons moderation gave and readers' flags)", body = CommentList),
        (status = 400, description = "Unknown sort or a cursor this site did not make", body = ErrorBody),
        (status = 404, description = "No such public article", body = ErrorBody)
    )
)]
async fn list_comments(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
    reader: Reader,
) -> Result<Json<CommentList>, ApiError> {
    let article = public_article(&state, &slug).await?;
    let (sort, after) = ThreadQuery { sort: params.sort, after: params.cursor }.parse()?;
    let tops = match params.replies_to {
        None => Tops::Article(article.id),
        Some(id) => {
            let parent = state.store.comment(id).await?.filter(|c| c.article_id == article.id);
            Tops::RepliesTo(parent.ok_or(AppError::NotFound)?.id)
        }
    };
    let per_page = state.config.comment_threads_per_page;
    let page = thread_page(&state.store, tops, (sort, after), per_page, PageLimits::DEFAULT).await?;
    let left_off = page
        .shown
        .iter()
        .flat_map(|s| {
            let deeper = s.continues.then_some(LeftOff { replies_to: s.comment.id, cursor: None });
            let more = s
                .more_after
                .iter()
                .map(|m| LeftOff { replies_to: m.parent_id, cursor: m.after.map(|c| c.encode(sort)) });
            deeper.into_iter().chain(more)
        })
        .collect();
    let comments: Vec<_> = page.comments().cloned().collect();
    let shown = visible(&comments, &reader.viewer, state.config.comment_max_indent, 0);
    let mut listed: Vec<ApiComment> = shown.iter().map(ApiComment::of).collect();
    if reader.viewer.moderates() {
        for_moderators(&state, &mut listed).await?;
    }
    Ok(Json(CommentList { comments: listed, next_cursor: page.next.map(|c| c.encode(sort)), left_off }))
}

/// What moderators see beside each comment: why moderation decided as it did, and the
/// readers' flags. Two queries for the whole page.
async fn for_moderators(state: &AppState, listed: &mut [ApiComment]) -> Result<(), ApiError> {
    let ids: Vec<i64> = listed.iter().map(|c| c.id).collect();
    let mut decisions = state.store.comment_decisions(&ids).await?;
    let mut flags = state.store.flag_summaries(&ids).await?;
    for c in listed {
        c.reasons = decisions.remove(&c.id).and_then(|d| serde_json::from_str(&d.reasons_json).ok());
        c.flags = flags
            .remove(&c.id)
            .map(|f| f.counts.by_reason.into_iter().map(|(r, n)| (r.as_str(), n)).collect());
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewComment {
    /// Markdown: paragraphs, emphasis, lists, quotes, inline code, links. No HTML.
    body: String,
    /// The comment this answers; none for a top-level comment.
    parent_id: Option<i64>,
    /// Required of guests; a signed-in reader comments under their own name.
    author_name: Option<String>,
    /// Optional, never shown.
    author_email: Option<String>,
    /// Tell me of replies by e-mail (when the site sends mail): a signed-in reader is
    /// subscribed at once; a guest's `author_email` (then required) first gets a link to
    /// confirm it, as from the form.
    #[serde(default)]
    notify_replies: bool,
}

/// Posts a comment or a reply. A guest's browser gets a cookie that lets it edit or
/// delete the comment later.
#[utoipa::path(
    post,
    path = "/api/v1/articles/{slug}/comments",
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = NewComment,
    responses(
        (status = 201, description = "Stored", body = ApiComment),
        (status = 400, description = "Not JSON, or not this shape", body = ErrorBody),
        (status = 403, description = "Comments are closed, or guests may not comment", body = ErrorBody),
        (status = 404, description = "No such public article", body = ErrorBody),
        (status = 413, description = "Larger than the site accepts", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "Empty, too long, nameless, an unknown parent, or refused by moderation", body = ErrorBody),
        (status = 429, description = "Too many comments from this commenter or address: see Retry-After", body = ErrorBody)
    )
)]
async fn create_comment(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(slug): Path<String>,
    reader: Reader,
    body: Result<Json<NewComment>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(new) = body.map_err(|e| json_refused(&e, "a comment"))?;
    let article = article_to_comment_on(&state, &slug).await?;
    let input = CommentInput {
        body: new.body,
        parent_id: new.parent_id,
        author_name: new.author_name,
        author_email: new.author_email,
        notify_replies: new.notify_replies,
    };
    let (author, guest_cookie) = commenter(&state, &reader);
    let rules = state.discussion_rules();
    let email = input.author_email.clone().unwrap_or_default();
    let origin = Origin {
        new_guest: guest_cookie.is_some(),
        email_hash: super::comments::email_hash(&state, &author, &email),
        ..client.origin()
    };
    let comment =
        discussion::post_comment(&state.store, &article, &input, &author, &origin, &rules, Utc::now())
            .await?;
    state.mail_queued();
    state.changed(crate::coherence::Change::Discussion(&article)).await;
    let mut shown = ApiComment::new(&comment);
    if author.moderates() {
        let decision = state.store.comment_decision(comment.id).await?;
        shown.reasons = decision.and_then(|d| serde_json::from_str(&d.reasons_json).ok());
    }
    let mut response = (StatusCode::CREATED, Json(shown)).into_response();
    let location = HeaderValue::from_str(&format!("/comments/{}", comment.id)).expect("ASCII");
    response.headers_mut().insert(header::LOCATION, location);
    if let Some(cookie) = guest_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewFlag {
    /// spam, abuse, off-topic or other.
    reason: String,
}

#[derive(Serialize, ToSchema)]
struct FlagResult {
    /// `counted`: a new flag; `already-flagged`: this reader flagged the comment before, and
    /// that first flag stands (nothing changed); `already-held`: the comment already waits
    /// for a moderator (nothing changed).
    outcome: &'static str,
    /// The comment's status now: `pending` once enough readers flagged it.
    status: &'static str,
}

/// Flags someone else's comment for the moderators, once per reader (an account, or a
/// guest's browser, which gets a cookie on its first flag). Enough readers' flags hold it.
/// A repeated flag is not an error: it answers 200 and changes nothing, as resending a
/// form should.
#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/flag",
    params(("id" = i64, Path, description = "The comment's id")),
    request_body = NewFlag,
    responses(
        (status = 201, description = "Counted (and the comment held, if this flag was the one that tipped it)", body = FlagResult),
        (status = 200, description = "Nothing changed: already flagged by this reader, or already held", body = FlagResult),
        (status = 400, description = "Not JSON, or not this shape", body = ErrorBody),
        (status = 403, description = "One's own comment, or guests may not flag on this site", body = ErrorBody),
        (status = 404, description = "No such comment, or not one readers can see", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "An unknown reason", body = ErrorBody),
        (status = 429, description = "Too many flags from this address: see Retry-After", body = ErrorBody)
    )
)]
async fn flag_comment(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(id): Path<i64>,
    reader: Reader,
    body: Result<Json<NewFlag>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(new) = body.map_err(|e| json_refused(&e, "a flag"))?;
    let reason = FlagReason::parse(&new.reason).ok_or_else(|| {
        AppError::Unprocessable("reason must be one of spam, abuse, off-topic or other.".into())
    })?;
    let (viewer, guest_cookie) = commenter(&state, &reader);
    let rules = state.discussion_rules();
    let (comment, flagged) =
        discussion::flag_comment(&state.store, id, reason, &viewer, &client.origin(), &rules, Utc::now())
            .await?;
    let (code, outcome, status) = match flagged {
        Flagged::Counted { held: true } => {
            super::flags::held_comment(&state, &comment).await?;
            (StatusCode::CREATED, "counted", CommentStatus::Pending)
        }
        Flagged::Counted { held: false } => (StatusCode::CREATED, "counted", comment.status),
        Flagged::AlreadyFlagged => (StatusCode::OK, "already-flagged", comment.status),
        Flagged::AlreadyHeld => (StatusCode::OK, "already-held", CommentStatus::Pending),
    };
    let mut response = (code, Json(FlagResult { outcome, status: status.as_str() })).into_response();
    if let (StatusCode::CREATED, Some(cookie)) = (code, guest_cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// A body that is not the JSON asked for, with the status its problem calls for.
fn json_refused(e: &JsonRejection, what: &str) -> ApiError {
    let message = format!("The request body is not {what}: {}", e.body_text());
    ApiError(match e.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(message),
    })
}
