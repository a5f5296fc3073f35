//! The editors' side of the site, behind sign-in: articles, funding, supporters, users, moderation, settings. Nothing here is
//! cached, and every form carries a CSRF token.

mod articles;
mod chart;
mod funding;
pub mod media;
mod menu;
mod moderation;
mod reversal;
pub mod settings;
mod supporters;
mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tribune_core::moderators::ModerationStore;

use super::{AppError, AppState};

/// An article form carries up to a megabyte of Markdown, plus the other fields.
const FORM_LIMIT_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(articles::router())
        .merge(funding::router())
        .merge(moderation::router())
        .merge(users::router())
        .merge(settings::router())
        .merge(supporters::router())
        .merge(menu::router())
        .layer(DefaultBodyLimit::max(FORM_LIMIT_BYTES))
        // After the general limit, so that the upload's own (larger) limit is the one applied.
        .merge(media::router(&state))
        .layer(middleware::from_fn_with_state(state, fill_waiting))
}

/// Where the admin navigation shows how many comments wait for a moderator: filled in as
/// the page leaves, so that no page has to carry the count.
const WAITING_HOLE: &str = "<!--tribune:waiting-->";

async fn fill_waiting(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if !is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * FORM_LIMIT_BYTES).await else {
        return AppError::Internal("an admin page too large to read back".into()).into_response();
    };
    let Some(html) = std::str::from_utf8(&bytes).ok().filter(|h| h.contains(WAITING_HOLE)) else {
        return Response::from_parts(parts, bytes.into());
    };
    let count = match state.store.waiting_count().await {
        Ok(n) if n > 0 => {
            format!(" <span class=\"count\">{n}<span class=\"visually-hidden\"> waiting</span></span>")
        }
        Ok(_) => String::new(),
        Err(e) => return AppError::from(e).into_response(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    Response::from_parts(parts, html.replace(WAITING_HOLE, &count).into())
}
