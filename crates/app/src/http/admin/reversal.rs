//! Reversing a manual ledger entry, behind a confirmation page that works without
//! JavaScript: the page names the entry and what the month loses, and the form must carry
//! a ticked box as well as its CSRF token.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::funding::donations::{FundingError, reverse_entry, reversible_entry};
use tribune_core::funding::ledger::Entry;
use tribune_core::funding::money::Money;
use tribune_core::user::User;

use super::funding::{kind_label, publisher_only};
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

#[derive(Template)]
#[template(path = "admin/funding_reverse.html")]
struct ConfirmPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    id: i64,
    date: String,
    kind: &'static str,
    amount: String,
    /// The reversal's amount: the same, negative.
    reversal: String,
    month: String,
    month_name: String,
    who: String,
    note: String,
    typed_note: String,
    error: Option<String>,
}

fn confirm_page(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    entry: &Entry,
    typed_note: String,
    error: Option<String>,
) -> Result<axum::response::Html<String>, AppError> {
    let x = &entry.entry;
    render(&ConfirmPage {
        site: &state.site(),
        me,
        csrf: &csrf.token,
        id: entry.id,
        date: x.occurred_at.with_timezone(&state.site().tz()).format("%Y-%m-%d %H:%M").to_string(),
        kind: kind_label(x.kind),
        amount: x.amount.format(),
        reversal: Money::new(x.amount.minor.saturating_neg(), x.amount.currency).format(),
        month: x.month.to_string(),
        month_name: x.month.name(),
        who: x.supporter_name.clone().unwrap_or_default(),
        note: x.note.clone().unwrap_or_default(),
        typed_note,
        error,
    })
}

fn refusal(e: FundingError) -> AppError {
    match e {
        FundingError::Store(e) => e.into(),
        FundingError::NoSuchEntry(_) => AppError::NotFound,
        e => AppError::BadRequest(e.to_string()),
    }
}

/// The confirmation page; an entry that cannot be reversed is refused here already.
pub(super) async fn confirm(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let entry = reversible_entry(&state.store, id).await.map_err(refusal)?;
    let html = confirm_page(&state, &me, &csrf, &entry, String::new(), None)?;
    Ok((csrf, html).into_response())
}

#[derive(Deserialize)]
pub(super) struct ReverseForm {
    #[serde(default)]
    note: String,
    /// "yes" from the ticked box; anything else changes nothing.
    #[serde(default)]
    confirm: String,
}

pub(super) async fn reverse(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReverseForm>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let original = reversible_entry(&state.store, id).await.map_err(refusal)?;
    if form.confirm != "yes" {
        let error =
            Some("Nothing was reversed: tick the box to confirm, then press the button again.".into());
        let html = confirm_page(&state, &me, &csrf, &original, form.note, error)?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    reverse_entry(&state.store, id, note, Utc::now()).await.map_err(refusal)?;
    state.changed(crate::coherence::Change::Funding).await;
    Ok(Redirect::to(&format!("/admin/funding?month={}&done=1", original.entry.month)).into_response())
}
