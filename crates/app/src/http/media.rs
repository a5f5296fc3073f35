//! `/media/{name}` and its narrower copies `/media/w{width}/{name}`: uploaded images,
//! served from the database with a year's immutable cache. A name is never given to
//! another picture (see `core::media::Media::name`), so "immutable" stays true.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tribune_core::media::{MediaStore, is_media_name};

use super::{AppError, AppState, etag_matches};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn router() -> Router<AppState> {
    Router::new().route("/media/{name}", get(full_size)).route("/media/{size}/{name}", get(copy))
}

async fn full_size(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    serve(&state, &headers, &name, None).await
}

async fn copy(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((size, name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let width = size.strip_prefix('w').and_then(|w| w.parse::<u32>().ok()).ok_or(AppError::NotFound)?;
    serve(&state, &headers, &name, Some(width)).await
}

async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    width: Option<u32>,
) -> Result<Response, AppError> {
    if !is_media_name(name) {
        return Err(AppError::NotFound);
    }
    let file = state.store.media_file(name, width).await?.ok_or(AppError::NotFound)?;
    let size = width.map_or_else(|| "full".to_owned(), |w| format!("w{w}"));
    let etag = format!("\"{}-{size}\"", &file.content_hash[..file.content_hash.len().min(32)]);
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| AppError::Internal(e.to_string()))?;
    let cache = HeaderValue::from_static(IMMUTABLE);
    if etag_matches(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)])
            .into_response());
    }
    let content_type =
        HeaderValue::from_str(&file.content_type).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [(header::CONTENT_TYPE, content_type), (header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        file.bytes,
    )
        .into_response())
}
