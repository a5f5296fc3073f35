//! The web front: one router, thin handlers (extract, call the core, render), and the
//! layers every response goes through (error pages, security headers).

mod account;
mod accounts;
mod admin;
mod api;
pub mod assets;
mod auth;
mod client;
mod comments;
mod cookies;
mod csrf;
mod email_change;
pub mod embed;
pub mod error;
mod feeds;
mod flags;
pub mod front_door;
mod funding;
mod health;
mod input;
mod media;
pub mod metrics;
mod page_body;
mod pages;
mod password_reset;
mod reader_page;
mod reply_notices;
pub mod setup;
mod thread_view;
pub(crate) mod views;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tribune_store::Store;

use crate::cache::{CachedPage, HOLE, PageCache};
use crate::compress::Encoding;
use crate::config::Config;
use crate::funding_bar::FundingBar;
use crate::keys::SiteKeys;
pub use error::AppError;

/// What every handler can reach: one shared [`Node`]. axum clones the state for every
/// extractor and middleware of every request, so a clone is one reference count, not one
/// per part (measured: cloning and dropping the parts one by one took 13% of a cached
/// page's CPU, the reference counts bouncing between cores).
#[derive(Clone)]
pub struct AppState(Arc<Node>);

impl AppState {
    pub fn new(node: Node) -> AppState {
        AppState(Arc::new(node))
    }
}

impl std::ops::Deref for AppState {
    type Target = Node;

    fn deref(&self) -> &Node {
        &self.0
    }
}

/// Everything one node serves with.
pub struct Node {
    pub store: Store,
    /// The configuration as started (file, environment, flags): the settings' defaults.
    pub config: Arc<Config>,
    /// The configuration with the admin's settings over it: what pages show.
    pub live: Arc<crate::site::LiveConfig>,
    pub cache: Arc<PageCache>,
    pub keys: Arc<SiteKeys>,
    pub funding: Arc<FundingBar>,
    /// What keeps this node's cache in step with changes here and elsewhere.
    pub coherence: Arc<crate::coherence::Coherence>,
    /// Where password hashing runs: bounded, so a flood of logins cannot exhaust memory.
    pub work: Arc<crate::work_pool::WorkPool>,
    /// The articles being commented on, kept a moment (see `commented`).
    pub commented: Arc<crate::commented::Commented>,
    /// What this node has done, for Prometheus (see `crate::metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The outbox worker, when mail is on (`smtp_url`); `None` means mail is off.
    pub mail: Option<Arc<crate::mail_worker::MailWorker>>,
    /// Embedded discussions rendered at once (they are not cached): past it, 503.
    pub embed_renders: Arc<tokio::sync::Semaphore>,
    /// Whether the site may still wait for its first-run setup (see `setup`).
    pub setup: Arc<setup::Pending>,
}

impl AppState {
    /// The configuration with the admin's settings: what every page renders with.
    pub fn site(&self) -> Arc<Config> {
        self.live.current()
    }

    /// The discussion's rules as the settings say, with reply notifications composed here
    /// when mail is on.
    pub fn discussion_rules(&self) -> tribune_core::discussion::DiscussionRules {
        tribune_core::discussion::DiscussionRules {
            notices: self.notices(),
            ..self.site().discussion_rules()
        }
    }

    /// What composes reply notifications, when mail is on.
    pub fn notices(&self) -> Option<Arc<dyn tribune_core::reply_notices::Composer>> {
        let composer = crate::reply_mail::SiteComposer { config: self.site(), keys: self.keys.clone() };
        self.mail.as_ref().map(|_| Arc::new(composer) as Arc<dyn tribune_core::reply_notices::Composer>)
    }

    /// What composes the mail sent to an account's address, when mail is on.
    pub fn account_mail(&self) -> Option<crate::account_mail::SiteAccountMail> {
        let composer = crate::account_mail::SiteAccountMail { config: self.site(), keys: self.keys.clone() };
        self.mail.as_ref().map(|_| composer)
    }

    /// Has this node's mail worker look at the outbox now (a post may have queued mail).
    pub fn mail_queued(&self) {
        if let Some(worker) = &self.mail {
            worker.wake.notify_one();
        }
    }

    /// Drops what `change` made stale, here and on every node (see `coherence`).
    pub async fn changed(&self, change: crate::coherence::Change<'_>) {
        self.coherence.changed(change).await;
    }

    /// Drops the pages showing `keys` here and on every node at once.
    pub async fn invalidate(&self, keys: Vec<String>) {
        self.coherence.invalidate(keys).await;
    }

    /// Applies the discussion changes gathered for a moment now.
    pub async fn flush_invalidations(&self) {
        self.coherence.flush().await;
    }

    pub fn donation_recorded(&self) {
        self.coherence.donation_recorded();
    }

    pub async fn refresh_filter(&self) {
        self.coherence.refresh_filter().await;
    }
}

pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .merge(pages::router())
        .merge(comments::router())
        .merge(embed::router())
        .merge(flags::router())
        .merge(reply_notices::router())
        .merge(api::router())
        .merge(feeds::router())
        .merge(funding::router())
        .merge(admin::router(state.clone()))
        .merge(auth::router())
        .merge(accounts::router())
        .merge(account::router())
        .merge(password_reset::router())
        .merge(email_change::router())
        .merge(assets::router())
        .merge(media::router())
        .merge(health::router())
        .merge(metrics::router())
        .merge(setup::router())
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), setup::lead_to_setup))
        .layer(middleware::from_fn(input::plain_text_only))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(dynamic_compression());
    // Counting requests costs a little on every one: only when someone reads the counts.
    let router = if state.config.metrics_enabled() {
        router.layer(middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::record))
    } else {
        router
    };
    router.with_state(state)
}

/// Responses rendered per request (a signed-in reader's page, admin pages, the API) are
/// gzipped on the fly when large enough to gain; cached pages and assets come compressed
/// already (`Content-Encoding` set), which the layer leaves alone. The fastest level, as
/// nginx's default: deflate was a third of a signed-in page's CPU at the default level, for
/// a few hundred bytes less on the wire.
fn dynamic_compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::CompressionLevel;
    use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024)))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    site: &'a Config,
    status: u16,
    reason: &'a str,
    message: &'a str,
    /// The theme's `error.html` in place of the built-in main content, if it has one.
    themed_main: Option<String>,
}

/// Draws an HTML page around every error that has no body of its own kind: ours (which
/// carry their message) and the framework's (a refused form, an unknown method).
async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_ours = response.extensions().get::<error::ErrorMessage>().cloned();
    let has_own_body = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if is_ours.is_none() && has_own_body {
        return response;
    }
    let message = match is_ours {
        Some(error::ErrorMessage(m)) => m,
        None => framework_message(status),
    };
    let site = state.site();
    let reason = status.canonical_reason().unwrap_or("Error");
    // Built only for a theme that has its own: a flood of 429s should not copy its message.
    let themed_main = site.theme.replaces(crate::theme::ERROR).then(|| {
        let error = crate::theme::ErrorVars {
            status: status.as_u16(),
            reason: reason.to_owned(),
            message: message.clone(),
        };
        site.theme.render_error(&site, &error)
    });
    let page = ErrorPage {
        site: &site,
        status: status.as_u16(),
        reason,
        message: &message,
        themed_main: themed_main.flatten(),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    let body = page.render().map(|html| with_bar(&state, html)).unwrap_or_else(|_| message.clone());
    Response::from_parts(parts, body.into())
}

fn framework_message(status: StatusCode) -> String {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large.".into(),
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.".into(),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "The form was incomplete or malformed. Go back and try again.".into()
        }
        s => s.canonical_reason().unwrap_or("Error").to_owned(),
    }
}

/// The site's own styles and scripts only; images from any https site (an article may
/// show one); frames only from the video players a reader asked for (click-to-load).
static CONTENT_SECURITY_POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "default-src 'self'; img-src 'self' https: data:; frame-src {}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        tribune_core::markdown::video::FRAME_SOURCES.join(" ")
    )
});

/// No third-party anything: the policy allows only this site's own styles and scripts.
/// Admin pages and exports hold what only their reader may see: no cache keeps them; what
/// a signed-in reader gets is private to their browser.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_admin = request.uri().path().starts_with("/admin");
    let signed_in = cookies::get(request.headers(), cookies::SESSION).is_some();
    let mut response = next.run(request).await;
    add_security_headers(&state, response.headers_mut(), signed_in, is_admin);
    response
}

/// See [`security_headers`]; also used by the `front_door`.
fn add_security_headers(state: &AppState, h: &mut HeaderMap, signed_in: bool, is_admin: bool) {
    if signed_in && !h.contains_key(header::CACHE_CONTROL) {
        // Rendered for this reader: no shared cache may keep it, and it is asked for again.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(PRIVATE_PAGE));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Unless a handler has its own policy (the embeddable widget may be framed anywhere).
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY.as_str()));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    if is_admin {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.is_https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

/// What serving a cached page needs of its request: the headers (encodings, `ETag`s,
/// cookies) and the route (under which the `front_door` counts its answers).
pub struct Asked {
    pub headers: HeaderMap,
    pub route: MatchedPath,
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = <MatchedPath as FromRequestParts<S>>::Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let route = MatchedPath::from_request_parts(parts, state).await?;
        Ok(Asked { headers: parts.headers.clone(), route })
    }
}

/// Serves `path` from the page cache, or renders it with `render`, stores it under `keys`
/// and serves it. Answers 304 when the browser already has this version.
pub async fn cached<F>(
    state: &AppState,
    asked: &Asked,
    path: String,
    content_type: &'static str,
    keys: Vec<String>,
    render: F,
) -> Result<Response, AppError>
where
    F: Future<Output = Result<String, AppError>>,
{
    cached_with_form(state, asked, path, content_type, keys, None, render).await
}

/// [`cached`] for a page whose forms take the reader's CSRF token (see `cache::FORM_TOKEN`).
pub async fn cached_with_form<F>(
    state: &AppState,
    asked: &Asked,
    path: String,
    content_type: &'static str,
    keys: Vec<String>,
    form_token: Option<&str>,
    render: F,
) -> Result<Response, AppError>
where
    F: Future<Output = Result<String, AppError>>,
{
    let page = match state.cache.get(&path) {
        Some(page) => page,
        None => {
            let _rendering = state.cache.render_slot(&path).lock().await;
            // Whoever held the slot before may have just rendered this very page.
            match state.cache.get(&path) {
                Some(page) => page,
                None => {
                    let generation = state.cache.generation();
                    let body = render.await?;
                    state.cache.insert(path, asked.route.as_str(), content_type, body, keys, generation)
                }
            }
        }
    };
    Ok(page_response(state, &page, &asked.headers, form_token))
}

/// What a CDN and browsers may do with a page every stranger shares: keep it a minute
/// (a CDN may serve it a while longer while it asks again), so a change shows within one.
const PUBLIC_PAGE: &str = "public, max-age=60, s-maxage=60, stale-while-revalidate=300";
/// A page with a reader's own token in it, or asked for by a signed-in reader (who, having
/// just published, must see the change at once): that browser only, asking again each time.
const PRIVATE_PAGE: &str = "private, no-cache";

fn page_response(
    state: &AppState,
    page: &CachedPage,
    request_headers: &HeaderMap,
    form_token: Option<&str>,
) -> Response {
    let bar = state.funding.current();
    let token = form_token.filter(|_| page.has_form());
    let encoding = Encoding::negotiate(request_headers);
    let mut etag_text = page.etag(bar.version);
    etag_text.pop();
    if let Some(token) = token {
        // The token is part of the body: a browser holding another one must get the page
        // again. (It is this browser's own, already in the page: no secret is given away.)
        etag_text.push('-');
        etag_text.push_str(token.get(..8).unwrap_or(token));
    }
    etag_text.push_str(encoding.etag_suffix());
    etag_text.push('"');
    let etag = HeaderValue::from_str(&etag_text).expect("etag is ASCII");
    let private = page.has_form() || cookies::get(request_headers, cookies::SESSION).is_some();
    // Room for the headers added on the way out (security, a cookie; ten in all): none
    // grows the map. (16 made room for 32 at 2.5 KB; 12 makes room for 16.)
    let mut headers = HeaderMap::with_capacity(12);
    headers.insert(header::ETAG, etag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if private { PRIVATE_PAGE } else { PUBLIC_PAGE }),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if etag_matches(request_headers, &etag_text) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        *response.headers_mut() = headers;
        return response;
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(page.content_type));
    if let Some(coding) = encoding.header() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    let token = Bytes::from(token.unwrap_or("").to_owned());
    let variants = page.body(bar.version, &bar.html);
    let mut response = Response::new(page_body::Pieces::body(variants.pieces(encoding, &token)));
    *response.headers_mut() = headers;
    response
}

/// Whether `If-None-Match` names `etag` (weakly: a proxy may have marked it `W/`), or is `*`.
pub fn etag_matches(request_headers: &HeaderMap, etag: &str) -> bool {
    request_headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    })
}

pub fn render<T: Template>(template: &T) -> Result<Html<String>, AppError> {
    Ok(Html(template.render()?))
}

/// A public page rendered for one response (not cached), with the current funding bar.
pub fn render_public<T: Template>(state: &AppState, template: &T) -> Result<Html<String>, AppError> {
    Ok(Html(with_bar(state, template.render()?)))
}

pub fn with_bar(state: &AppState, html: String) -> String {
    let bar = state.funding.current();
    html.replace(HOLE, std::str::from_utf8(&bar.html).unwrap_or(""))
}
