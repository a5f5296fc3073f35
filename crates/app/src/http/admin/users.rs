//! Admins add users and change their roles.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::publishing::{AddUserError, add_user};
use tribune_core::store::UserStore;
use tribune_core::user::{NewUser, Role, User};

use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}/role", post(set_role))
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
    let notice = q.done.as_ref().map(|_| "Done.");
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
