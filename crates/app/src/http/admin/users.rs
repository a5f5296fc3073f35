//! Admins add users, change their roles, disable, enable and delete them, and give them a
//! password to replace (each action that ends someone's access asks for a ticked box); the
//! page also says whether the site sends mail.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::publishing::{AddUserError, add_user};
use tribune_core::store::{OutboxCounts, OutboxStore, UserStore};
use tribune_core::user::{NewUser, Role, User};
use tribune_core::user_admin;

use crate::coherence::Change;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}/role", post(set_role))
        .route("/admin/users/{id}/disabled", post(set_disabled))
        .route("/admin/users/{id}/delete", post(delete))
        .route("/admin/users/{id}/password", post(force_password))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    users: Vec<User>,
    roles: Vec<&'static str>,
    notice: Option<&'a str>,
    error: Option<String>,
    new_name: &'a str,
    new_email: &'a str,
    /// The outbox's counts when mail is on; `None` says mail is off.
    mail: Option<OutboxCounts>,
}

fn admin_only(me: &User) -> Result<(), AppError> {
    if me.can_manage_users() { Ok(()) } else { Err(AppError::Forbidden("Only admins manage users.".into())) }
}

async fn page(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    notice: Option<&str>,
    error: Option<String>,
    new_name: &str,
    new_email: &str,
) -> Result<axum::response::Html<String>, AppError> {
    render(&UsersPage {
        site: &state.site(),
        me,
        csrf: &csrf.token,
        users: state.store.list_users().await?,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        notice,
        error,
        new_name,
        new_email,
        mail: match state.mail {
            Some(_) => Some(state.store.outbox_counts().await?),
            None => None,
        },
    })
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let notice = q.done.as_deref().map(|done| match done {
        "disabled" => "The account is disabled and signed out.",
        "enabled" => "The account is enabled.",
        "deleted" => "The account is deleted; its bylines and comments keep their name.",
        "password" => {
            "The password is set and the account signed out; it must choose its own at next sign-in."
        }
        _ => "Done.",
    });
    let html = page(&state, &me, &csrf, notice, None, "", "").await?;
    Ok((csrf, html).into_response())
}

#[derive(Deserialize)]
struct NewUserForm {
    name: String,
    email: String,
    role: String,
    password: String,
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<NewUserForm>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest(format!("\"{}\" is not a role.", form.role)))?;
    let new = NewUser { email: form.email.clone(), name: form.name.clone(), role, password: form.password };
    match add_user(&state.store, &*state.work, new, Utc::now()).await {
        Ok(user) => {
            tracing::info!(by = me.id, user_id = user.id, "added user");
            Ok(Redirect::to("/admin/users?done=1").into_response())
        }
        Err(AddUserError::Invalid(e)) => {
            let html = page(&state, &me, &csrf, None, Some(e.to_string()), &form.name, &form.email).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(AddUserError::Busy(b)) => Err(b.into()),
        Err(AddUserError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::BadRequest(format!("\"{}\" is not a role.", form.role)))?;
    if id == me.id && role != Role::Admin {
        return Err(AppError::BadRequest(
            "You cannot take away your own admin role; ask another admin.".into(),
        ));
    }
    state.store.set_user_role(id, role).await?;
    tracing::info!(by = me.id, user_id = id, role = role.as_str(), "changed role");
    Ok(Redirect::to("/admin/users?done=1").into_response())
}

/// A ticked box, without JavaScript: an action that ends someone's access is never one click.
#[derive(Deserialize)]
struct Confirmed {
    #[serde(default)]
    confirm: String,
}

fn confirmed(confirm: &str) -> Result<(), AppError> {
    if confirm == "yes" {
        Ok(())
    } else {
        Err(AppError::BadRequest("confirm: tick the box to confirm. Nothing was changed.".into()))
    }
}

#[derive(Deserialize)]
struct DisabledForm {
    #[serde(default)]
    disabled: String,
    #[serde(default)]
    confirm: String,
}

async fn set_disabled(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DisabledForm>,
) -> Result<Response, AppError> {
    let disabled = match form.disabled.as_str() {
        "yes" => true,
        "no" => false,
        other => return Err(AppError::BadRequest(format!("disabled: \"{other}\" is neither yes nor no."))),
    };
    if disabled {
        confirmed(&form.confirm)?;
    }
    user_admin::set_disabled(&state.store, &me, id, disabled, Utc::now()).await?;
    tracing::info!(by = me.id, user_id = id, disabled, "changed account access");
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/admin/users?done={done}")).into_response())
}

async fn delete(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<Confirmed>,
) -> Result<Response, AppError> {
    confirmed(&form.confirm)?;
    let articles = user_admin::delete(&state.store, &me, id).await?;
    // Their comments and votes were on these discussions' pages.
    state.changed(Change::Discussions(&articles)).await;
    tracing::info!(by = me.id, user_id = id, "deleted user");
    Ok(Redirect::to("/admin/users?done=deleted").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn force_password(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    confirmed(&form.confirm)?;
    user_admin::force_password_change(&state.store, &*state.work, &me, id, form.password).await?;
    tracing::info!(by = me.id, user_id = id, "set a password to be replaced");
    Ok(Redirect::to("/admin/users?done=password").into_response())
}
