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
use tribune_core::account_mail::{AccountMailError, request_email_change};
use tribune_core::store::ReplySubscriptionStore;
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
        .route("/account/email", post(change_email))
        .route("/account/notices", post(set_notices))
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
    /// Whether the address can be changed (its link is mailed).
    mail_on: bool,
    email_error: Option<String>,
    /// Whether they asked to hear of new comments on their articles.
    comment_notices: bool,
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
        Some("notices") => Some("Your choice of e-mails is saved."),
        Some("email") => Some(
            "A link is on its way to the new address. Your address changes when you follow it (within a day).",
        ),
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
        mail_on: state.mail.is_some(),
        email_error: None,
        comment_notices: state.store.comment_notices(me.id).await?,
    };
    let html = render_public(&state, &page)?;
    Ok((csrf, html).into_response())
}

/// Which of the page's forms was refused.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Name,
    Password,
    Email,
}

/// The page again with what was refused and why, the name as typed.
async fn refused(
    state: &AppState,
    me: &User,
    csrf: CsrfToken,
    name: &str,
    e: AccountError,
    part: Part,
) -> Result<Response, AppError> {
    let status = match e {
        AccountError::WrongPassword => StatusCode::UNAUTHORIZED,
        AccountError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AccountError::Throttled(t) => return Err(t.into()),
        AccountError::Busy(b) => return Err(b.into()),
        AccountError::Store(e) => return Err(e.into()),
    };
    let message = format!("{}.", capitalized(&e.to_string()));
    page_with_error(state, me, csrf, name, status, message, part).await
}

/// The page with `message` beside the form that was refused.
async fn page_with_error(
    state: &AppState,
    me: &User,
    csrf: CsrfToken,
    name: &str,
    status: StatusCode,
    message: String,
    part: Part,
) -> Result<Response, AppError> {
    let error_on = |p: Part| (part == p).then(|| message.clone());
    let site = state.site();
    let supporter = standing(state, me).await?;
    let page = AccountPage {
        site: &site,
        me,
        csrf: &csrf.token,
        name,
        notice: None,
        name_error: error_on(Part::Name),
        password_error: error_on(Part::Password),
        mail_on: state.mail.is_some(),
        email_error: error_on(Part::Email),
        comment_notices: state.store.comment_notices(me.id).await?,
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
        Err(e) => refused(&state, &me, csrf, &form.name, e, Part::Name).await,
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
        Err(e) => refused(&state, &me, csrf, &me.name, e, Part::Password).await,
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

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Mails a link to the new address; the account takes it when the link is followed.
async fn change_email(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, AppError> {
    let Some(composer) = state.account_mail() else {
        return Ok(Redirect::to("/account").into_response());
    };
    match request_email_change(&state.store, &composer, &me, &form.email, Utc::now()).await {
        Ok(_) => {
            state.mail_queued();
            tracing::info!(user_id = me.id, "asked to change own address");
            Ok(Redirect::to("/account?done=email").into_response())
        }
        Err(e @ (AccountMailError::Invalid(_) | AccountMailError::SameAddress)) => {
            let message = format!("{}.", capitalized(&e.to_string()));
            page_with_error(
                &state,
                &me,
                csrf,
                &me.name,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
                Part::Email,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct NoticesForm {
    /// The checkbox: present when ticked.
    comments: Option<String>,
}

/// An author's choice to hear of new comments on their articles.
async fn set_notices(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    CsrfForm(form): CsrfForm<NoticesForm>,
) -> Result<Response, AppError> {
    state.store.set_comment_notices(me.id, form.comments.is_some()).await?;
    Ok(Redirect::to("/account?done=notices").into_response())
}
