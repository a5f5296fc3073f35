//! "Forgot your password?": a reader or staff member asks for a link by e-mail (the same
//! answer whether or not the address has an account), and the link opens a page whose
//! form sets a new password. Opening the link changes nothing: mail scanners follow links.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::account_mail::{AccountMailError, request_reset, reset_link, reset_password};

use super::client::ClientAddress;
use super::csrf::{CsrfForm, CsrfToken};
use super::error::capitalized;
use super::{AppError, AppState, render_public};
use crate::config::Config;
use crate::keys::token_hash;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/sent", get(sent))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/password/changed", get(changed))
}

#[derive(Template)]
#[template(path = "account_link.html")]
struct LinkPage<'a> {
    site: &'a Config,
    csrf: &'a str,
    title: &'a str,
    said: &'a str,
    /// The form the page shows: "email", "password", "confirm" (a button), or none ("").
    ask: &'a str,
    error: Option<String>,
}

const FORGOT: &str = "Forgot your password?";
const MAIL_OFF: &str = "This site sends no e-mail, so it cannot send you a link. \
                        Ask the site's admin to give you a new password.";
const SENT: &str = "If an account uses this address, a link to choose a new password is on its way. \
                    It works for an hour. Nothing arrived? Check the spam folder, or ask again later.";
const NEW: &str = "Choose a new password";
const BAD_LINK: &str = "This link is not valid any more: it works once, for an hour. \
                        Ask for a new one on the sign-in page.";

/// A page about a mailed link (asking for one, following one), with its form if any.
pub(super) fn page(
    state: &AppState,
    csrf: CsrfToken,
    status: StatusCode,
    title: &str,
    said: &str,
    ask: &str,
    error: Option<String>,
) -> Result<Response, AppError> {
    let site = state.site();
    let html = render_public(state, &LinkPage { site: &site, csrf: &csrf.token, title, said, ask, error })?;
    Ok((status, csrf, html).into_response())
}

async fn forgot_form(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    match state.mail {
        Some(_) => {
            let said = "Type the address of your account: we will send it a link to choose a new password.";
            page(&state, csrf, StatusCode::OK, FORGOT, said, "email", None)
        }
        None => page(&state, csrf, StatusCode::OK, FORGOT, MAIL_OFF, "", None),
    }
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(state): State<AppState>,
    client: ClientAddress,
    CsrfForm(form): CsrfForm<ForgotForm>,
) -> Result<Response, AppError> {
    // Mail off: the form's page says to ask an admin (a form posted before it was).
    let Some(composer) = state.account_mail() else {
        return Ok(Redirect::to("/password/forgot").into_response());
    };
    request_reset(&state.store, &composer, &form.email, &client.hash, Utc::now()).await?;
    state.mail_queued();
    Ok(Redirect::to("/password/sent").into_response())
}

async fn sent(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    page(&state, csrf, StatusCode::OK, "Check your e-mail", SENT, "", None)
}

/// The hash of a link's token, or `None` for what cannot be one of ours (no query made).
pub(super) fn link_hash(token: &str) -> Option<String> {
    let plausible =
        token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| token_hash(token))
}

async fn reset_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let valid = match link_hash(&token) {
        Some(hash) => reset_link(&state.store, &hash, Utc::now()).await.map(|_| true).or_else(ok_if_bad)?,
        None => false,
    };
    if !valid {
        return page(&state, csrf, StatusCode::BAD_REQUEST, NEW, BAD_LINK, "", None);
    }
    let said = "Your other sessions will be signed out.";
    page(&state, csrf, StatusCode::OK, NEW, said, "password", None)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}

async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let Some(hash) = link_hash(&token) else {
        return page(&state, csrf, StatusCode::BAD_REQUEST, NEW, BAD_LINK, "", None);
    };
    match reset_password(&state.store, &*state.work, &hash, form.password, Utc::now()).await {
        Ok(user_id) => {
            tracing::info!(user_id, "password reset by e-mail");
            Ok(Redirect::to("/password/changed").into_response())
        }
        Err(AccountMailError::BadLink) => {
            page(&state, csrf, StatusCode::BAD_REQUEST, NEW, BAD_LINK, "", None)
        }
        Err(AccountMailError::Invalid(e)) => {
            let error = Some(format!("{}.", capitalized(&e.to_string())));
            page(&state, csrf, StatusCode::UNPROCESSABLE_ENTITY, NEW, "", "password", error)
        }
        Err(e) => Err(e.into()),
    }
}

async fn changed(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    let said = "Your new password is set, and every session of your account is signed out. Sign in with it.";
    page(&state, csrf, StatusCode::OK, "Password changed", said, "", None)
}

fn ok_if_bad(e: AccountMailError) -> Result<bool, AccountMailError> {
    match e {
        AccountMailError::BadLink => Ok(false),
        e => Err(e),
    }
}
