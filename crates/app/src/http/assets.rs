//! The site's own stylesheet and its one small script (progressive enhancement of the
//! discussion), built into the binary: one file to deploy, no CDN, no build step.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

const SITE_CSS: &str = include_str!("../../assets/site.css");
const COMMENTS_JS: &str = include_str!("../../assets/comments.js");
const MODERATION_JS: &str = include_str!("../../assets/moderation.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/site.css", get(|| asset("text/css; charset=utf-8", SITE_CSS)))
        .route("/static/comments.js", get(|| asset("text/javascript; charset=utf-8", COMMENTS_JS)))
        .route("/static/moderation.js", get(|| asset("text/javascript; charset=utf-8", MODERATION_JS)))
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
}
