//! The site's own stylesheet, its small scripts (progressive enhancement) and its icon,
//! built into the binary: one file to deploy, no CDN, no build step. Pages link to each
//! under a name with a hash of its content, which browsers and CDNs may keep for a year.

use std::sync::LazyLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::{AppState, etag_matches, page_body::Pieces};
use crate::compress::{Encoding, Variants};

/// A hashed name never changes content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The unhashed names (`/static/site.css`, `/favicon.ico`) change with a new release.
const BY_NAME: &str = "public, max-age=3600";

pub struct Asset {
    /// Its name under `/static/`, e.g. `site.css`.
    name: &'static str,
    content_type: &'static str,
    /// `/assets/site.<hash>.css`.
    url: String,
    etag: String,
    variants: Variants,
    /// Text gains from compression; the icon's pixels hardly do.
    compressible: bool,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: &'static [u8]) -> Asset {
        Asset::owned(name, content_type, body.into())
    }

    /// An asset read at start (a theme's stylesheet): its hash follows its bytes, so
    /// browsers fetch it anew when it changes.
    pub fn owned(name: &'static str, content_type: &'static str, body: Vec<u8>) -> Asset {
        let body = Bytes::from(body);
        let hash: String = Sha256::digest(&body)[..5].iter().map(|b| format!("{b:02x}")).collect();
        let (stem, ext) = name.rsplit_once('.').expect("assets have an extension");
        let compressible = content_type.starts_with("text/") || content_type.starts_with("image/svg");
        Asset {
            name,
            content_type,
            url: format!("/assets/{stem}.{hash}.{ext}"),
            etag: format!("\"{hash}\""),
            variants: Variants::new(vec![body].into()),
            compressible,
        }
    }

    /// The asset (compressed as the request prefers), or 304 when the browser has it.
    fn response(&self, request: &HeaderMap, cache_control: &'static str) -> Response {
        let encoding = match self.compressible {
            true => Encoding::negotiate(request),
            false => Encoding::Identity,
        };
        let mut etag = self.etag.clone();
        etag.insert_str(etag.len() - 1, encoding.etag_suffix());
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
        headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("etag is ASCII"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if etag_matches(request, &etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(coding) = encoding.header() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        let body: Body = Pieces::body(self.variants.pieces(encoding, &Bytes::new()));
        (headers, body).into_response()
    }
}

static ASSETS: LazyLock<[Asset; 10]> = LazyLock::new(|| {
    [
        Asset::new("site.css", "text/css; charset=utf-8", include_bytes!("../../assets/site.css")),
        Asset::new(
            "comments.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/comments.js"),
        ),
        Asset::new(
            "moderation.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/moderation.js"),
        ),
        Asset::new("video.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/video.js")),
        Asset::new("embed.js", "text/javascript; charset=utf-8", include_bytes!("../../assets/embed.js")),
        Asset::new(
            "embed-frame.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/embed-frame.js"),
        ),
        Asset::new(
            "embed-signin.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../assets/embed-signin.js"),
        ),
        Asset::new("embed.css", "text/css; charset=utf-8", include_bytes!("../../assets/embed.css")),
        Asset::new("favicon.svg", "image/svg+xml", include_bytes!("../../assets/favicon.svg")),
        Asset::new("favicon.ico", "image/x-icon", include_bytes!("../../assets/favicon.ico")),
    ]
});

/// The hashed address of the built-in asset `name` (e.g. `site.css`), for templates to
/// link to. The stylesheets a page links to are `Config::stylesheet_links` (a theme's too).
pub fn url(name: &str) -> &'static str {
    let asset = ASSETS.iter().find(|a| a.name == name);
    &asset.unwrap_or_else(|| panic!("no asset named {name}")).url
}

impl Asset {
    /// Its hashed address, `/assets/site.<hash>.css`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The assets this site serves: the theme's stylesheets first, so that its `site.css`
/// wins over the built-in one.
fn assets(state: &AppState) -> impl Iterator<Item = &Asset> {
    state.config.theme.stylesheets().chain(ASSETS.iter())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/{name}", get(by_name))
        .route("/assets/{file}", get(hashed))
        // Asked for by browsers and feed readers whatever the page links to.
        .route(
            "/favicon.ico",
            get(|state: State<AppState>, headers: HeaderMap| async move {
                by_name(state, Path("favicon.ico".into()), headers).await
            }),
        )
}

/// The asset `name` under an address of its own (the embed's loader), with `cache_control`.
pub fn serve(name: &str, headers: &HeaderMap, cache_control: &'static str) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => asset.response(headers, cache_control),
        None => super::AppError::NotFound.into_response(),
    }
}

async fn by_name(State(state): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Response {
    match assets(&state).find(|a| a.name == name) {
        Some(asset) => asset.response(&headers, BY_NAME),
        None => super::AppError::NotFound.into_response(),
    }
}

/// `/assets/site.<hash>.css`. A hash of another release (a page cached before an upgrade,
/// or served by a node not yet upgraded) gets today's file, which may not be kept.
async fn hashed(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let exact = assets(&state).find(|a| a.url.strip_prefix("/assets/") == Some(file.as_str()));
    if let Some(asset) = exact {
        return asset.response(&headers, IMMUTABLE);
    }
    let same_name = file.split_once('.').zip(file.rsplit_once('.')).and_then(|((stem, _), (_, ext))| {
        assets(&state).find(|a| a.name.split_once('.') == Some((stem, ext)))
    });
    match same_name {
        Some(asset) => asset.response(&headers, "no-cache"),
        None => super::AppError::NotFound.into_response(),
    }
}
