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
        .route("/admin/login", get(login_form).post(login))
        .route("/login", get(login_form).post(login))
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
        let user = user.ok_or(AppError::SignInRequired { back_to })?;
        // A password an admin gave is replaced before anything else (signing out aside).
        let allowed = [ACCOUNT_PATH, CHANGE_PASSWORD_PATH, "/admin/logout"];
        if user.must_change_password && !allowed.contains(&parts.uri.path()) {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(CurrentUser(user))
    }
}

/// The page where a user changes their name and password, and where its password form posts.
pub const ACCOUNT_PATH: &str = "/account";
pub const CHANGE_PASSWORD_PATH: &str = "/account/password";

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
        // Until they set their own password, a reader is nobody to the discussion.
        let user = user.filter(|u| !u.must_change_password);
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

/// The door is the path the request came through: `/admin/login` is staff's, any other
/// sign-in path the readers'.
impl<S: Send + Sync> FromRequestParts<S> for Door {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(if parts.uri.path() == "/admin/login" { Door::Staff } else { Door::Readers })
    }
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
    /// Whether to offer "Forgot your password?" (a link by e-mail needs mail on).
    mail_on: bool,
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
    /// Whether to offer "Forgot your password?" (a link by e-mail needs mail on).
    mail_on: bool,
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
    let (site, next, mail_on) = (&state.site(), door.next(next), state.mail.is_some());
    match door {
        Door::Staff => {
            render(&StaffLoginPage { site, action: "/admin/login", csrf, next, email, error, mail_on })
        }
        Door::Readers => render_public(
            state,
            &ReaderLoginPage { site, action: "/login", csrf, next, email, error, mail_on },
        ),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    door: Door,
    csrf: CsrfToken,
    Query(q): Query<NextQuery>,
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
    door: Door,
    client: ClientAddress,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<LoginForm>,
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
        Err(SignInError::Disabled) => {
            let error = Some("This account is disabled. Ask the site's admin.");
            let html = login_page(&state, door, &csrf.token, Some(&form.next), &form.email, error)?;
            return Ok((StatusCode::FORBIDDEN, csrf, html).into_response());
        }
        Err(SignInError::Throttled(t)) => return Err(t.into()),
        Err(SignInError::Busy(b)) => return Err(b.into()),
        Err(SignInError::Store(e)) => return Err(e.into()),
    };
    let cookie = open_session(&state, &user, now).await?;
    tracing::info!(user_id = user.id, "signed in");
    let next = if user.must_change_password { ACCOUNT_PATH } else { door.next(Some(&form.next)) };
    Ok(([(header::SET_COOKIE, cookie)], csrf::rotated(&state), Redirect::to(next)).into_response())
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
pub(super) fn session_token<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
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
