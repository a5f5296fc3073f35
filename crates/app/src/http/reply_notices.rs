//! The pages a notification message links to, all working without signing in:
//! a guest confirms their address (double opt-in: the link, signed and expiring, opens a
//! page whose button confirms, so a mail scanner following links confirms nothing), and
//! anyone leaves with one click (RFC 8058: the mail client's POST, or the page's button),
//! from reply notices and from an author's notices of new comments alike.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::store::ReplySubscriptionStore;

use super::csrf::{CsrfForm, CsrfToken};
use super::{AppError, AppState, render_public};
use crate::config::Config;
use crate::keys::token_hash;
use crate::reply_mail::{author_unsubscribe_id, confirmation_token, unsubscribe_id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/replies/confirm/{token}", get(confirm_page).post(confirm))
        .route("/replies/confirmed", get(confirmed))
        .route("/replies/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/notices/comments/unsubscribe/{token}", get(author_unsubscribe_page).post(author_unsubscribe))
}

#[derive(Template)]
#[template(path = "reply_notices.html")]
struct NoticePage<'a> {
    site: &'a Config,
    title: &'a str,
    said: &'a str,
    /// The button that does it, when the page offers one: its label.
    button: Option<&'a str>,
    csrf: &'a str,
}

fn page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    said: &str,
    button: Option<&str>,
    csrf: &str,
) -> Result<Response, AppError> {
    let site = state.site();
    let html = render_public(state, &NoticePage { site: &site, title, said, button, csrf })?;
    Ok((status, html).into_response())
}

const BAD_CONFIRM: &str = "This confirmation link is not valid, or more than three days old. \
                           Tick \u{201c}tell me of replies\u{201d} on your next comment to get a new one.";

async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let title = "Hear of replies";
    if confirmation_token(&state.keys, &token, Utc::now().timestamp()).is_none() {
        return page(&state, StatusCode::BAD_REQUEST, title, BAD_CONFIRM, None, &csrf.token);
    }
    let said = "Confirm that this address should receive an e-mail when someone replies to your comment.";
    let response = page(&state, StatusCode::OK, title, said, Some("Confirm"), &csrf.token)?;
    Ok((csrf, response).into_response())
}

#[derive(Deserialize)]
struct Nothing {}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    CsrfForm(_): CsrfForm<Nothing>,
) -> Result<Response, AppError> {
    let title = "Hear of replies";
    let Some(token) = confirmation_token(&state.keys, &token, Utc::now().timestamp()) else {
        return page(&state, StatusCode::BAD_REQUEST, title, BAD_CONFIRM, None, &csrf.token);
    };
    // Confirmed now, or before (a second click), or left since: the same page says so.
    state.store.confirm_reply_subscription(&token_hash(token), Utc::now()).await?;
    Ok(Redirect::to("/replies/confirmed").into_response())
}

async fn confirmed(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    let said = "Confirmed: you will receive an e-mail when someone replies to your comment. \
                Each message has a link to stop them.";
    page(&state, StatusCode::OK, "Hear of replies", said, None, &csrf.token)
}

const BAD_UNSUBSCRIBE: &str = "This link is not valid: copy the whole link from the message.";

async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let title = "Stop reply notifications";
    if unsubscribe_id(&state.keys, &token).is_none() {
        return page(&state, StatusCode::BAD_REQUEST, title, BAD_UNSUBSCRIBE, None, &csrf.token);
    }
    let said = "Stop the e-mails about replies to this comment?";
    page(&state, StatusCode::OK, title, said, Some("Stop them"), &csrf.token)
}

/// The one-click POST: authorised by the signed link itself (a mail client sends no
/// cookie and no form token), it only ever turns messages off.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let title = "Stop reply notifications";
    let Some(id) = unsubscribe_id(&state.keys, &token) else {
        return page(&state, StatusCode::BAD_REQUEST, title, BAD_UNSUBSCRIBE, None, &csrf.token);
    };
    state.store.unsubscribe_replies(id, Utc::now()).await?;
    let said = "Done: you will receive no more e-mails about replies to this comment.";
    page(&state, StatusCode::OK, title, said, None, &csrf.token)
}

const AUTHOR_TITLE: &str = "Stop notices of comments";

async fn author_unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    if author_unsubscribe_id(&state.keys, &token).is_none() {
        return page(&state, StatusCode::BAD_REQUEST, AUTHOR_TITLE, BAD_UNSUBSCRIBE, None, &csrf.token);
    }
    let said = "Stop the e-mails about new comments on your articles?";
    page(&state, StatusCode::OK, AUTHOR_TITLE, said, Some("Stop them"), &csrf.token)
}

/// The one-click POST (RFC 8058), authorised by the signed link: it only turns mail off.
async fn author_unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let Some(user_id) = author_unsubscribe_id(&state.keys, &token) else {
        return page(&state, StatusCode::BAD_REQUEST, AUTHOR_TITLE, BAD_UNSUBSCRIBE, None, &csrf.token);
    };
    state.store.set_comment_notices(user_id, false).await?;
    let said = "Done: you will receive no more e-mails about new comments on your articles. \
                Your account page can turn them on again.";
    page(&state, StatusCode::OK, AUTHOR_TITLE, said, None, &csrf.token)
}
