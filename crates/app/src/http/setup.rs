//! The first-run setup page (`/setup`): the first visitor of a site without accounts is
//! led here, and with the code `tribune serve` printed creates the admin, names the site
//! and sets the month's goal. Once done, `/setup` is a 404 for good.

use std::sync::atomic::{AtomicBool, Ordering};

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::article::FieldError;
use tribune_core::setup::{SetupError, SetupInput, awaiting_setup, complete_setup};

use super::auth::open_session;
use super::client::ClientAddress;
use super::csrf::{self, CsrfForm, CsrfToken};
use super::{AppError, AppState, render};
use crate::config::Config;

pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(form).post(submit))
}

/// Whether this node may still see a site waiting for its setup: true from start until
/// it learns otherwise, after which no request asks the database again.
#[derive(Default)]
pub struct Pending(AtomicBool);

impl Pending {
    pub fn new(pending: bool) -> Self {
        Pending(AtomicBool::new(pending))
    }

    /// Whether this node has seen the setup done (no visitor is led to it any more).
    pub fn is_settled(&self) -> bool {
        !self.0.load(Ordering::Acquire)
    }

    /// Asks the store while this node has not seen the setup done (it may have been done
    /// on another node).
    async fn check(&self, state: &AppState) -> Result<bool, AppError> {
        if !self.0.load(Ordering::Acquire) {
            return Ok(false);
        }
        let pending = awaiting_setup(&state.store).await?;
        if !pending {
            self.0.store(false, Ordering::Release);
        }
        Ok(pending)
    }
}

/// Leads the visitors of a site still to be set up from its front page and the admin to
/// the setup page.
pub async fn lead_to_setup(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let leads =
        request.method() == Method::GET && (path == "/" || path == "/admin" || path == "/admin/login");
    if leads {
        match state.setup.check(&state).await {
            Ok(true) => return Redirect::to("/setup").into_response(),
            Ok(false) => {}
            Err(e) => return e.into_response(),
        }
    }
    next.run(request).await
}

#[derive(Deserialize, Default, Clone)]
struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    site_title: String,
    #[serde(default)]
    goal_amount: String,
    #[serde(default)]
    goal_currency: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    site: &'a Config,
    csrf: &'a str,
    form: &'a SetupForm,
    errors: Vec<String>,
}

impl SetupPage<'_> {
    fn error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.starts_with(&format!("{}:", label(field))))
    }
}

fn label(field: &str) -> &'static str {
    match field {
        "code" => "Setup code",
        "name" => "Your name",
        "email" => "Email",
        "password" => "Password",
        "site_title" => "Site title",
        "goal_amount" => "Monthly goal",
        "goal_currency" => "Currency",
        _ => "Form",
    }
}

async fn form(State(state): State<AppState>, csrf: CsrfToken) -> Result<Response, AppError> {
    if !state.setup.check(&state).await? {
        return Err(AppError::NotFound);
    }
    let site = state.site();
    let form =
        SetupForm { site_title: site.site_title.clone(), goal_currency: "USD".into(), ..Default::default() };
    let html = render(&SetupPage { site: &site, csrf: &csrf.token, form: &form, errors: Vec::new() })?;
    Ok((csrf, html).into_response())
}

async fn submit(
    State(state): State<AppState>,
    client: ClientAddress,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response, AppError> {
    if !state.setup.check(&state).await? {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    let site = state.site();
    let input = SetupInput {
        code: form.code.clone(),
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        site_title: form.site_title.clone(),
        goal_amount: form.goal_amount.clone(),
        goal_currency: form.goal_currency.clone(),
    };
    let guard = state.config.funding_guard();
    let refused = |status: StatusCode, errors: Vec<FieldError>| -> Result<Response, AppError> {
        let form = SetupForm { password: String::new(), code: String::new(), ..form.clone() };
        let errors = errors.iter().map(|e| format!("{}: {}", label(e.field), e.problem)).collect();
        let html = render(&SetupPage { site: &site, csrf: &csrf.token, form: &form, errors })?;
        Ok((status, html).into_response())
    };
    match complete_setup(&state.store, &*state.work, input, &client.hash, guard, site.tz(), now).await {
        Ok(admin) => {
            tracing::info!(user_id = admin.id, "the site was set up");
            state.setup.0.store(false, Ordering::Release);
            let keys = ["site_title"];
            state.changed(crate::coherence::Change::Settings(&keys)).await;
            state.changed(crate::coherence::Change::Funding).await;
            let cookie = open_session(&state, &admin, now).await?;
            Ok(([(header::SET_COOKIE, cookie)], csrf::rotated(&state), Redirect::to("/admin/settings"))
                .into_response())
        }
        Err(SetupError::Done) => Err(AppError::NotFound),
        Err(SetupError::WrongCode) => refused(
            StatusCode::FORBIDDEN,
            vec![FieldError::new(
                "code",
                "is not the code the server printed when it started; check its terminal",
            )],
        ),
        Err(SetupError::Invalid(errors)) => refused(StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(SetupError::Throttled(t)) => Err(t.into()),
        Err(SetupError::Busy(b)) => Err(b.into()),
        Err(SetupError::Store(e)) => Err(e.into()),
    }
}
