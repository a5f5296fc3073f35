//! `/account`: any signed-in user (reader or staff) changes the name they comment under
//! and their password, and a supporter shows or hides their badge. A user whose password
//! an admin set is sent here first.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::account::{AccountError, PasswordChange, change_password, rename};
use tribune_core::supporters::{self, Status, SupporterStore};
use tribune_core::user::User;

use super::auth::{CurrentUser, session_token};
use super::client::ClientAddress;
use super::csrf::{CsrfForm, CsrfToken};
use super::error::capitalized;
use super::views::{DateView, date};
use super::{AppError, AppState, render_public};
use crate::coherence::Change;
use crate::config::Config;
use crate::keys::token_hash;

/// The paths are `auth::ACCOUNT_PATH` and `auth::CHANGE_PASSWORD_PATH` (literal here, where routes are read).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/name", post(set_name))
        .route("/account/password", post(set_password))
        .route("/account/supporter-badge", post(set_badge))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    name: &'a str,
    notice: Option<&'static str>,
    name_error: Option<String>,
    password_error: Option<String>,
    supporter: Standing,
}

/// What the page says of the reader's support.
struct Standing {
    status: Status,
    /// The last day of their status, for people.
    until: Option<DateView>,
    days: u32,
}

async fn standing(state: &AppState, me: &User) -> Result<Standing, AppError> {
    let site = state.site();
    let status = state.store.supporter_status(me.id, Utc::now(), site.supporter_rules().period).await?;
    Ok(Standing { status, until: status.until.map(date), days: site.supporter_days })
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let notice = match q.done.as_deref() {
        Some("name") => Some("Your name is changed."),
        Some("password") => Some("Your password is changed. Your other sessions are signed out."),
        Some("badge-shown") => {
            Some("Your choice is saved: the badge shows beside your name while you are a supporter.")
        }
        Some("badge-hidden") => Some("Your choice is saved: no badge shows beside your name."),
        _ => None,
    };
    let site = state.site();
    let page = AccountPage {
        site: &site,
        me: &me,
        csrf: &csrf.token,
        name: &me.name,
        notice,
        name_error: None,
        password_error: None,
        supporter: standing(&state, &me).await?,
    };
    let html = render_public(&state, &page)?;
    Ok((csrf, html).into_response())
}

/// The page again with what was refused and why, the name as typed.
async fn refused(
    state: &AppState,
    me: &User,
    csrf: CsrfToken,
    name: &str,
    e: AccountError,
    on_password: bool,
) -> Result<Response, AppError> {
    let status = match e {
        AccountError::WrongPassword => StatusCode::UNAUTHORIZED,
        AccountError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AccountError::Throttled(t) => return Err(t.into()),
        AccountError::Busy(b) => return Err(b.into()),
        AccountError::Store(e) => return Err(e.into()),
    };
    let message = Some(format!("{}.", capitalized(&e.to_string())));
    let (name_error, password_error) = if on_password { (None, message) } else { (message, None) };
    let site = state.site();
    let supporter = standing(state, me).await?;
    let page = AccountPage {
        site: &site,
        me,
        csrf: &csrf.token,
        name,
        notice: None,
        name_error,
        password_error,
        supporter,
    };
    let html = render_public(state, &page)?;
    Ok((status, csrf, html).into_response())
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn set_name(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<NameForm>,
) -> Result<Response, AppError> {
    match rename(&state.store, &me, &form.name).await {
        Ok(renamed) => {
            state.changed(crate::coherence::Change::Byline(&renamed)).await;
            tracing::info!(user_id = me.id, "changed own name");
            Ok(Redirect::to("/account?done=name").into_response())
        }
        Err(e) => refused(&state, &me, csrf, &form.name, e, false).await,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

async fn set_password(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    client: ClientAddress,
    headers: HeaderMap,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    // CurrentUser found the session, so the cookie is there.
    let session = session_token(&state, &headers).map(token_hash).unwrap_or_default();
    let change = PasswordChange {
        current: form.current,
        new: form.password,
        session: &session,
        address: &client.hash,
    };
    match change_password(&state.store, &*state.work, &me, change, Utc::now()).await {
        Ok(()) => {
            tracing::info!(user_id = me.id, "changed own password");
            Ok(Redirect::to("/account?done=password").into_response())
        }
        Err(e) => refused(&state, &me, csrf, &me.name, e, true).await,
    }
}

#[derive(Deserialize)]
struct BadgeForm {
    #[serde(default)]
    shown: String,
}

/// Shows or hides the supporter badge; the pages with the reader's comments change only
/// when they are a supporter now.
async fn set_badge(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    CsrfForm(form): CsrfForm<BadgeForm>,
) -> Result<Response, AppError> {
    let shown = match form.shown.as_str() {
        "yes" => true,
        "no" => false,
        other => return Err(AppError::BadRequest(format!("shown: \"{other}\" is neither yes nor no."))),
    };
    let rules = state.site().supporter_rules();
    let articles = supporters::set_badge(&state.store, &me, shown, rules, Utc::now()).await?;
    if !articles.is_empty() {
        state.changed(Change::Discussions(&articles)).await;
    }
    tracing::info!(user_id = me.id, shown, "chose the supporter badge");
    let done = if shown { "badge-shown" } else { "badge-hidden" };
    Ok(Redirect::to(&format!("/account?done={done}")).into_response())
}
