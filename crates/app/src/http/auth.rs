//! Signing in and out, and the extractor that tells a handler who is signed in.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tribune_core::accounts::{SignInError, sign_in};
use tribune_core::comment::Viewer;
use tribune_core::store::SessionStore;
use tribune_core::user::User;

use super::client::ClientAddress;
use super::csrf::{self, CsrfForm, CsrfToken};
use super::{AppError, AppState, cookies, render, render_public};
use crate::config::Config;
use crate::keys::{random_token, token_hash};

pub const SESSION_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(staff_login_form).post(staff_login))
        .route("/login", get(reader_login_form).post(reader_login))
        .route("/admin/logout", post(logout))
}

/// The signed-in user; a handler that takes it is for signed-in users only.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let back_to = parts.uri.path().to_owned();
        let token = session_token(state, &parts.headers)
            .ok_or(AppError::SignInRequired { back_to: back_to.clone() })?;
        let user = state.store.session_user(&token_hash(token), Utc::now()).await?;
        user.map(CurrentUser).ok_or(AppError::SignInRequired { back_to })
    }
}

/// Whoever is reading a discussion: the signed-in user, if any, and the guest browser's
/// token (by its hash), if it has commented before and holds the cookie this site signed
/// (any other `tribune_guest` value counts as none). Never refuses a request.
pub struct Reader {
    pub viewer: Viewer,
}

impl Reader {
    /// Nobody we know: such readers all get the same cached pages.
    pub fn is_anonymous(&self) -> bool {
        self.viewer.user.is_none() && self.viewer.guest_token_hash.is_none()
    }
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = match session_token(state, &parts.headers) {
            Some(token) => state.store.session_user(&token_hash(token), Utc::now()).await?,
            None => None,
        };
        let guest_token_hash = cookies::get(&parts.headers, cookies::GUEST)
            .and_then(|signed| state.keys.verify(GUEST_COOKIE, signed))
            .map(|t| guest_hash(state, t));
        Ok(Reader { viewer: Viewer { user, guest_token_hash } })
    }
}

/// The purpose the guest cookie is signed for (see `SiteKeys::sign`).
pub const GUEST_COOKIE: &str = "guest-cookie";

/// What a guest comment stores of its browser's token.
pub fn guest_hash(state: &AppState, token: &str) -> String {
    state.keys.keyed_hash("guest", token)
}

/// Which sign-in page a request came through: the same accounts, but a reader signs in on
/// the site's own page (its title, a way to register) and staff on the admin's.
#[derive(Clone, Copy)]
enum Door {
    Readers,
    Staff,
}

impl Door {
    /// Where to go after signing in: back where the reader was, else the front page (a
    /// reader) or the admin (staff).
    fn next(self, next: Option<&str>) -> &str {
        match self {
            Door::Readers => reader_next(next),
            Door::Staff => safe_next(next),
        }
    }
}

/// [`safe_next`] for a reader, whose home is the front page rather than the admin.
pub(super) fn reader_next(next: Option<&str>) -> &str {
    match safe_next(next) {
        "/admin" => "/",
        n => n,
    }
}

async fn reader_login_form(
    state: State<AppState>,
    csrf: CsrfToken,
    q: Query<NextQuery>,
) -> Result<Response, AppError> {
    login_form(state, csrf, q, Door::Readers).await
}

async fn staff_login_form(
    state: State<AppState>,
    csrf: CsrfToken,
    q: Query<NextQuery>,
) -> Result<Response, AppError> {
    login_form(state, csrf, q, Door::Staff).await
}

async fn reader_login(
    state: State<AppState>,
    client: ClientAddress,
    csrf: CsrfToken,
    form: CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    login(state, client, csrf, form, Door::Readers).await
}

async fn staff_login(
    state: State<AppState>,
    client: ClientAddress,
    csrf: CsrfToken,
    form: CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    login(state, client, csrf, form, Door::Staff).await
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct StaffLoginPage<'a> {
    site: &'a Config,
    action: &'a str,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct ReaderLoginPage<'a> {
    site: &'a Config,
    action: &'a str,
    csrf: &'a str,
    next: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page behind `door`, with the address typed and what went wrong, if anything.
fn login_page(
    state: &AppState,
    door: Door,
    csrf: &str,
    next: Option<&str>,
    email: &str,
    error: Option<&str>,
) -> Result<Html<String>, AppError> {
    let (site, next) = (&state.site(), door.next(next));
    match door {
        Door::Staff => render(&StaffLoginPage { site, action: "/admin/login", csrf, next, email, error }),
        Door::Readers => {
            render_public(state, &ReaderLoginPage { site, action: "/login", csrf, next, email, error })
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    csrf: CsrfToken,
    Query(q): Query<NextQuery>,
    door: Door,
) -> Result<Response, AppError> {
    let html = login_page(&state, door, &csrf.token, q.next.as_deref(), "", None)?;
    Ok((csrf, html).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<LoginForm>,
    door: Door,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let attempt = sign_in(&state.store, &*state.work, &form.email, form.password, &client.hash, now).await;
    let user = match attempt {
        Ok(user) => user,
        Err(SignInError::WrongCredentials) => {
            let error = Some("Wrong email or password.");
            let html = login_page(&state, door, &csrf.token, Some(&form.next), &form.email, error)?;
            return Ok((StatusCode::UNAUTHORIZED, csrf, html).into_response());
        }
        Err(SignInError::Throttled(t)) => return Err(t.into()),
        Err(SignInError::Busy(b)) => return Err(b.into()),
        Err(SignInError::Store(e)) => return Err(e.into()),
    };
    let cookie = open_session(&state, &user, now).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(([(header::SET_COOKIE, cookie)], csrf::rotated(&state), Redirect::to(door.next(Some(&form.next))))
        .into_response())
}

#[derive(Deserialize)]
struct LogoutForm {}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(LogoutForm {}): CsrfForm<LogoutForm>,
) -> Result<Response, AppError> {
    if let Some(token) = session_token(&state, &headers) {
        state.store.delete_session(&token_hash(token)).await?;
    }
    let cookie = cookies::set(cookies::SESSION, "", Some(0), state.config.is_https());
    Ok(([(header::SET_COOKIE, cookie)], csrf::rotated(&state), Redirect::to("/")).into_response())
}

/// Opens a session for `user` (signed in, or the admin a setup just made): its cookie.
pub async fn open_session(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
) -> Result<HeaderValue, AppError> {
    let token = random_token();
    let expires = now + Duration::days(SESSION_DAYS);
    state.store.create_session(&token_hash(&token), user.id, now, expires).await?;
    Ok(session_cookie(state, &token))
}

/// What a session cookie's signature is for (see [`SiteKeys::sign`](crate::keys::SiteKeys::sign)).
const SESSION_COOKIE: &str = "session";

/// The cookie for a new session: its token, signed, so that a made-up cookie is turned
/// away without a database query (one per request halved the cached page's rate).
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let signed = state.keys.sign(SESSION_COOKIE, token);
    cookies::set(cookies::SESSION, &signed, Some(SESSION_DAYS * 86_400), state.config.is_https())
}

/// The session token a request carries, if its cookie is one this site signed.
fn session_token<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    cookies::get(headers, cookies::SESSION).and_then(|signed| state.keys.verify(SESSION_COOKIE, signed))
}

/// Only a path on this site (readers come back to the article they were reading): never
/// an open redirect to somewhere else.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n != "/admin/login" =>
        {
            n
        }
        _ => "/admin",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redirects_only_within_the_site() {
        assert_eq!(super::safe_next(Some("/admin/articles/3")), "/admin/articles/3");
        assert_eq!(super::safe_next(Some("/articles/a#comments")), "/articles/a#comments");
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "/admin/login", ""] {
            assert_eq!(super::safe_next(Some(bad)), "/admin", "{bad}");
        }
    }
}
