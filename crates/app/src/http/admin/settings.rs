//! Admins change the site's settings from the browser (`/admin/settings`); the config
//! file and `TRIBUNE_*` variables stay as their defaults, shown beside each field.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tribune_core::article::FieldError;
use tribune_core::moderators::digest::DigestFrequency;
use tribune_core::site::{FIELDS, ModerationMode, SettingsInput};
use tribune_core::user::User;

use crate::coherence::Change;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

/// The form's fields are short; the longest (bank details) is 2,000 characters.
const MAX_FIELDS: usize = 64;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/settings", get(show).post(save))
}

/// How a field is drawn.
pub enum Kind {
    Line,
    Text,
    Choice(Vec<(&'static str, &'static str)>),
}

pub struct FieldView {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: Kind,
    pub value: String,
    /// The config's value, as the page shows it.
    pub default: String,
    /// No stored value: the config's applies.
    pub is_default: bool,
    /// "Go back to the default" was ticked (a form shown again).
    pub reset: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    notice: Option<&'a str>,
    fields: Vec<FieldView>,
    errors: Vec<String>,
}

fn admin_only(me: &User) -> Result<(), AppError> {
    if me.can_manage_users() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only admins change the settings.".into()))
    }
}

fn kind(key: &str) -> Kind {
    match key {
        "support_bank_details" | "support_other" | "site_description" | "support_call" => Kind::Text,
        "comments_allow_guests" | "supporters_skip_hold" => Kind::Choice(vec![("yes", "Yes"), ("no", "No")]),
        "comments_moderation" => {
            Kind::Choice(ModerationMode::ALL.iter().map(|m| (m.as_str(), m.label())).collect())
        }
        "moderation_digest" => {
            Kind::Choice(DigestFrequency::ALL.iter().map(|f| (f.as_str(), f.label())).collect())
        }
        _ => Kind::Line,
    }
}

/// The fields with `shown` values (the current ones, or what was submitted) and errors.
fn fields(
    state: &AppState,
    shown: &BTreeMap<String, String>,
    use_default: &[String],
    errors: &[FieldError],
) -> Vec<FieldView> {
    let current = state.live.settings();
    let defaults = state.live.base().site_settings();
    let stored = state.live.stored();
    FIELDS
        .iter()
        .map(|f| FieldView {
            key: f.key,
            label: f.label,
            hint: f.hint,
            kind: kind(f.key),
            value: shown.get(f.key).cloned().unwrap_or_else(|| current.value(f.key)),
            default: match defaults.value(f.key) {
                v if v.is_empty() => "(empty)".into(),
                v => v,
            },
            is_default: !stored.contains_key(f.key),
            reset: use_default.iter().any(|k| k == f.key),
            error: errors.iter().find(|e| e.field == f.key).map(|e| e.problem.clone()),
        })
        .collect()
}

#[derive(Deserialize)]
struct Notice {
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let page = SettingsPage {
        site: &state.site(),
        me: &me,
        csrf: &csrf.token,
        notice: q.saved.as_ref().map(|_| "Settings saved. Readers see them now."),
        fields: fields(&state, &BTreeMap::new(), &[], &[]),
        errors: Vec::new(),
    };
    let html = render(&page)?;
    Ok((csrf, html).into_response())
}

async fn save(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    if form.len() > MAX_FIELDS {
        return Err(AppError::BadRequest("The form has more fields than the settings page sends.".into()));
    }
    let input = SettingsInput {
        use_default: form.keys().filter_map(|k| k.strip_prefix("default_")).map(str::to_owned).collect(),
        values: form.into_iter().filter(|(k, _)| FIELDS.iter().any(|f| f.key == k)).collect(),
    };
    match input.validate() {
        Ok(change) => {
            let change = change.against(&state.live.stored(), &state.live.base().site_settings());
            crate::site::save(&state.store, &change).await?;
            let keys: Vec<&'static str> = change.keys().collect();
            state.changed(Change::Settings(&keys)).await;
            tracing::info!(by = me.id, keys = ?keys, "changed the site's settings");
            Ok(Redirect::to("/admin/settings?saved=1").into_response())
        }
        Err(errors) => {
            let page = SettingsPage {
                site: &state.site(),
                me: &me,
                csrf: &csrf.token,
                notice: None,
                fields: fields(&state, &input.values, &input.use_default, &errors),
                errors: errors.iter().map(|e| format!("{}: {}", label(e.field), e.problem)).collect(),
            };
            let html = render(&page)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, html).into_response())
        }
    }
}

fn label(key: &str) -> &'static str {
    FIELDS.iter().find(|f| f.key == key).map_or("Setting", |f| f.label)
}
