//! `/metrics` for Prometheus on the site's own port, for a scraper holding the token
//! (`metrics_token`); without one configured the address does not exist here. The
//! `metrics_bind` listener (see `server`) serves the same text without a token.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use super::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let token = state.config.metrics_token.as_bytes();
    if token.is_empty() {
        return Err(AppError::NotFound);
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(token)) {
        let mut refused = (StatusCode::UNAUTHORIZED, "metrics need the bearer token set in metrics_token\n")
            .into_response();
        refused.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Ok(refused);
    }
    Ok(exposition(&state.metrics))
}

/// The scrape's response, in the text format Prometheus reads.
pub fn exposition(metrics: &crate::metrics::Metrics) -> Response {
    let mut response = metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
