//! The editors' side of the site, behind sign-in: articles and users. Nothing here is
//! cached, and every form carries a CSRF token.

mod articles;
mod chart;
mod funding;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use super::AppState;

/// An article form carries up to a megabyte of Markdown, plus the other fields.
const FORM_LIMIT_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(articles::router())
        .merge(funding::router())
        .merge(users::router())
        .layer(DefaultBodyLimit::max(FORM_LIMIT_BYTES))
}
