//! Reader flags as plain HTML. A "Flag" link on each comment a reader may flag opens this
//! page (a plain link, so an article's cached page stays one page for every stranger); its
//! form posts the reason with a CSRF token, then comes back here to say what happened.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::article::Article;
use tribune_core::comment::{Comment, CommentStatus};
use tribune_core::discussion::{self, Flagged};
use tribune_core::moderation::flags::FlagReason;
use tribune_core::store::FlagStore;

use super::auth::Reader;
use super::client::ClientAddress;
use super::comments::{comment_and_article, commenter};
use super::csrf::{CsrfForm, CsrfToken};
use super::thread_view::{CommentView, view_of_one};
use super::{AppError, AppState, render_public};
use crate::config::Config;

pub fn router() -> Router<AppState> {
    Router::new().route("/comments/{id}/flag", get(flag_page).post(flag))
}

#[derive(Template)]
#[template(path = "flag.html")]
struct FlagPage<'a> {
    site: &'a Config,
    article: &'a Article,
    slug: &'a str,
    /// The comment, with the form under it; `None` when the page only says what happened.
    c: Option<CommentView>,
    id: i64,
    csrf: &'a str,
    notice: Option<String>,
    error: Option<&'static str>,
    reasons: Vec<(&'static str, &'static str)>,
}

/// What the page says, if anything, instead of the form.
enum Said {
    Form { error: Option<&'static str> },
    Notice(String),
}

async fn flag_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let (comment, article) = comment_and_article(&state, id).await?;
    // A reader without a guest token gets one when they flag: judged as they will be.
    let (viewer, _) = commenter(&state, &reader);
    let flagger = discussion::may_flag(&comment, &viewer, &state.site().discussion_rules())?;
    let earlier = state.store.flag_by(id, &flagger).await?;
    let said = match (earlier, comment.status) {
        (Some(reason), CommentStatus::Pending) => Said::Notice(format!(
            "You flagged this comment as {}. It now waits for a moderator. Thank you.",
            reason.as_str()
        )),
        (Some(reason), _) => Said::Notice(format!(
            "You flagged this comment as {}. Thank you: moderators will see your flag.",
            reason.as_str()
        )),
        (None, CommentStatus::Pending) => Said::Notice(ALREADY_HELD.into()),
        (None, _) => Said::Form { error: None },
    };
    page(&state, &reader, csrf, (&comment, &article), said, StatusCode::OK)
}

const ALREADY_HELD: &str = "This comment already waits for a moderator. Thank you.";

#[derive(Deserialize)]
struct FlagForm {
    #[serde(default)]
    reason: String,
}

async fn flag(
    State(state): State<AppState>,
    client: ClientAddress,
    Path(id): Path<i64>,
    reader: Reader,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<FlagForm>,
) -> Result<Response, AppError> {
    let Some(reason) = FlagReason::parse(&form.reason) else {
        let (comment, article) = comment_and_article(&state, id).await?;
        let error = Some("Choose why you flag this comment: spam, abuse, off-topic or something else.");
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return page(&state, &reader, csrf, (&comment, &article), Said::Form { error }, status);
    };
    let (viewer, guest_cookie) = commenter(&state, &reader);
    let rules = state.site().discussion_rules();
    let (comment, flagged) =
        discussion::flag_comment(&state.store, id, reason, &viewer, &client.origin(), &rules, Utc::now())
            .await?;
    let said = match flagged {
        Flagged::Counted { held } => {
            if held {
                held_comment(&state, &comment).await?;
            }
            let mut response = Redirect::to(&format!("/comments/{id}/flag")).into_response();
            if let Some(cookie) = guest_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            return Ok(response);
        }
        Flagged::AlreadyFlagged => "You had already flagged this comment: a reader's flag counts once, \
                                    and your first one stands."
            .to_owned(),
        Flagged::AlreadyHeld => ALREADY_HELD.to_owned(),
    };
    let (comment, article) = comment_and_article(&state, id).await?;
    page(&state, &reader, csrf, (&comment, &article), Said::Notice(said), StatusCode::OK)
}

/// A comment the flags held leaves the pages strangers share.
pub(super) async fn held_comment(state: &AppState, comment: &Comment) -> Result<(), AppError> {
    state.changed(crate::coherence::Change::Discussions(&[comment.article_id])).await;
    Ok(())
}

fn page(
    state: &AppState,
    reader: &Reader,
    csrf: CsrfToken,
    (comment, article): (&Comment, &Article),
    said: Said,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (notice, error) = match said {
        Said::Form { error } => (None, error),
        Said::Notice(notice) => (Some(notice), None),
    };
    let c = notice
        .is_none()
        .then(|| view_of_one(&state.site(), comment, &reader.viewer, 0, comment.depth, false));
    let page = FlagPage {
        site: &state.site(),
        article,
        slug: article.slug.as_str(),
        c: c.flatten().map(|c| CommentView { can_flag: false, ..c }),
        id: comment.id,
        csrf: &csrf.token,
        notice,
        error,
        reasons: FlagReason::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
    };
    let html = render_public(state, &page)?;
    Ok((status, csrf, html).into_response())
}
