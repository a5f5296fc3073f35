//! Readers' accounts: registering with an email, a password and a display name, so that
//! they comment under their name, edit their comments and vote. Signing in is `auth`'s.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use serde::Deserialize;
use tribune_core::accounts::{RegisterError, register as register_reader};
use tribune_core::publishing::AddUserError;
use tribune_core::store::SessionStore;
use tribune_core::user::{NewUser, Role};

use super::auth::{SESSION_DAYS, reader_next, session_cookie};
use super::client::ClientAddress;
use super::csrf::{self, CsrfForm, CsrfToken};
use super::error::capitalized;
use super::{AppError, AppState, render_public};
use crate::config::Config;
use crate::keys::{random_token, token_hash};

pub fn router() -> Router<AppState> {
    Router::new().route("/register", get(register_form).post(register))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    site: &'a Config,
    csrf: &'a str,
    next: &'a str,
    name: &'a str,
    email: &'a str,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn register_form(
    State(state): State<AppState>,
    csrf: CsrfToken,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let next = reader_next(q.next.as_deref());
    let page =
        RegisterPage { site: &state.site(), csrf: &csrf.token, next, name: "", email: "", error: None };
    let html = render_public(&state, &page)?;
    Ok((csrf, html).into_response())
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

async fn register(
    State(state): State<AppState>,
    client: ClientAddress,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let new = NewUser {
        email: form.email.clone(),
        name: form.name.clone(),
        role: Role::Reader,
        password: form.password,
    };
    let user = match register_reader(&state.store, &*state.work, new, &client.hash, now).await {
        Ok(user) => user,
        Err(RegisterError::Refused(AddUserError::Invalid(e))) => {
            let page = RegisterPage {
                site: &state.site(),
                csrf: &csrf.token,
                next: reader_next(Some(&form.next)),
                name: &form.name,
                email: &form.email,
                error: Some(capitalized(&e.to_string())),
            };
            let html = render_public(&state, &page)?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, html).into_response());
        }
        Err(RegisterError::Throttled(t)) => return Err(t.into()),
        Err(RegisterError::Refused(AddUserError::Busy(b))) => return Err(b.into()),
        Err(RegisterError::Refused(AddUserError::Store(e))) => return Err(e.into()),
    };
    let token = random_token();
    state.store.create_session(&token_hash(&token), user.id, now, now + Duration::days(SESSION_DAYS)).await?;
    tracing::info!(user_id = user.id, "reader registered");
    let cookie = session_cookie(&state, &token);
    Ok(([(header::SET_COOKIE, cookie)], csrf::rotated(&state), Redirect::to(reader_next(Some(&form.next))))
        .into_response())
}
