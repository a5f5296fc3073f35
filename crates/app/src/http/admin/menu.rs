//! The navigation menu's editor (`/admin/menu`, admins only): rows of label and target,
//! moved and removed with plain submit buttons, so it works without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tribune_core::article::NamedLink;
use tribune_core::menu::{self, MAX_ITEMS, MenuItem, MenuItemInput, MenuStore, MenuTarget};
use tribune_core::store::ArticleStore;
use tribune_core::user::User;

use crate::coherence::Change;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

/// Three fields a row, the rows a menu may hold and a blank one, the token and the action.
const MAX_FIELDS: usize = 3 * (MAX_ITEMS + 1) + 2;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/menu", get(show).post(save))
}

#[derive(Template)]
#[template(path = "admin/menu.html")]
struct MenuPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    notice: Option<&'a str>,
    rows: Vec<MenuItemInput>,
    /// The targets a row may choose, as (value, label).
    tags: Vec<(String, String)>,
    pages: Vec<(String, String)>,
    errors: Vec<String>,
    max: usize,
}

fn admin_only(me: &User) -> Result<(), AppError> {
    if me.can_manage_users() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only admins change the menu.".into()))
    }
}

fn row_of(item: &MenuItem) -> MenuItemInput {
    let (to, url) = match &item.target {
        MenuTarget::Tag(s) => (format!("tag:{s}"), String::new()),
        MenuTarget::Page(s) => (format!("page:{s}"), String::new()),
        MenuTarget::Url(u) => ("url".to_owned(), u.clone()),
    };
    MenuItemInput { label: item.label.clone(), to, url }
}

#[derive(Deserialize)]
struct Notice {
    saved: Option<String>,
}

async fn page<'a>(
    state: &AppState,
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    rows: Vec<MenuItemInput>,
    errors: Vec<String>,
    notice: Option<&'a str>,
) -> Result<Html<String>, AppError> {
    let (_, tags) = state.store.bylines_and_tags().await?;
    let tags = tags.into_iter().map(|t| (format!("tag:{}", t.slug), t.name)).collect();
    let pages = state.store.pages().await?;
    let pages = pages
        .into_iter()
        .map(|p| (format!("page:{}", p.slug), format!("{} (/{})", p.name, p.slug)))
        .collect();
    let mut rows = rows;
    if rows.len() < MAX_ITEMS {
        rows.push(MenuItemInput::default());
    }
    render(&MenuPage { site, me, csrf, notice, rows, tags, pages, errors, max: MAX_ITEMS })
}

async fn show(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<Notice>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let rows = state.store.menu().await?.iter().map(row_of).collect();
    let notice = q.saved.as_ref().map(|_| "Menu saved. Every page shows it now.");
    let html = page(&state, &state.site(), &me, &csrf.token, rows, Vec::new(), notice).await?;
    Ok((csrf, html).into_response())
}

/// The rows as sent (`label_N`, `to_N`, `url_N`, N from 0) and what to do with them:
/// `save`, or `up:N`, `down:N`, `remove:N` (then saved as well).
fn read_form(form: &[(String, String)]) -> Result<(Vec<MenuItemInput>, String), AppError> {
    if form.len() > MAX_FIELDS {
        return Err(AppError::BadRequest("The form has more fields than the menu editor sends.".into()));
    }
    let mut rows: Vec<MenuItemInput> = Vec::new();
    let mut action = String::from("save");
    for (key, value) in form {
        if key == "action" {
            action = value.clone();
            continue;
        }
        let Some((field, n)) = key.rsplit_once('_') else { continue };
        let Some(n) = n.parse::<usize>().ok().filter(|n| *n <= MAX_ITEMS) else { continue };
        if rows.len() <= n {
            rows.resize_with(n + 1, MenuItemInput::default);
        }
        match field {
            "label" => rows[n].label = value.clone(),
            "to" => rows[n].to = value.clone(),
            "url" => rows[n].url = value.clone(),
            _ => {}
        }
    }
    Ok((rows, action))
}

/// Applies a move or a removal to the rows (blank rows dropped first, as they are no items).
fn apply(mut rows: Vec<MenuItemInput>, action: &str) -> Vec<MenuItemInput> {
    rows.retain(|r| !r.is_blank());
    let (verb, n) = action.split_once(':').unwrap_or((action, ""));
    let Ok(n) = n.parse::<usize>() else { return rows };
    match verb {
        "up" if n > 0 && n < rows.len() => rows.swap(n - 1, n),
        "down" if n + 1 < rows.len() => rows.swap(n, n + 1),
        "remove" if n < rows.len() => {
            rows.remove(n);
        }
        _ => {}
    }
    rows
}

async fn save(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    admin_only(&me)?;
    let (rows, action) = read_form(&form)?;
    let rows = apply(rows, &action);
    let (_, tags) = state.store.bylines_and_tags().await?;
    let pages = state.store.pages().await?;
    let slugs = |links: &[NamedLink]| links.iter().map(|l| l.slug.clone()).collect::<Vec<_>>();
    match menu::validate(&rows, &slugs(&tags), &slugs(&pages)) {
        Ok(items) => {
            state.store.save_menu(&items).await?;
            state.changed(Change::Menu).await;
            tracing::info!(by = me.id, items = items.len(), "changed the navigation menu");
            Ok(Redirect::to("/admin/menu?saved=1").into_response())
        }
        Err(errors) => {
            let html = page(&state, &state.site(), &me, &csrf.token, rows, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, csrf, html).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn rows_move_and_go_without_javascript() {
        let sent = form(&[
            ("csrf", "t"),
            ("label_0", "A"),
            ("to_0", "url"),
            ("url_0", "https://a.example/"),
            ("label_1", "B"),
            ("to_1", "tag:b"),
            ("label_2", ""),
            ("to_2", "url"),
            ("url_2", ""),
            ("action", "up:1"),
        ]);
        let (rows, action) = read_form(&sent).unwrap();
        let labels = |rows: &[MenuItemInput]| rows.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
        assert_eq!(labels(&apply(rows.clone(), &action)), ["B", "A"]);
        assert_eq!(labels(&apply(rows.clone(), "remove:0")), ["B"]);
        assert_eq!(labels(&apply(rows, "down:1")), ["A", "B"], "the last row stays last");
    }
}
