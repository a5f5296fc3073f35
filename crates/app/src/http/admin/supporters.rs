//! `/admin/supporters`: the readers the ledger makes supporters now, newest first, with
//! their address and the months they gave (never amounts), and the same list as CSV.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::moderators::log::spreadsheet_safe;
use tribune_core::store::PageRequest;
use tribune_core::supporters::{Supporter, SupporterStore};
use tribune_core::user::User;

use super::funding::publisher_only;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::CsrfToken;
use crate::http::views::{DateView, Pager, date};
use crate::http::{AppError, AppState, render};

/// Supporters per page; the CSV takes up to `CSV_ROWS`.
const PER_PAGE: u32 = 50;
const CSV_ROWS: u32 = 1000;
/// The most pages of a list anyone asks for: past it, 400 (an offset scans what it skips).
const MAX_PAGE: u32 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/supporters", get(list)).route("/admin/supporters.csv", get(csv_export))
}

struct Row {
    name: String,
    email: String,
    since: DateView,
    until: DateView,
    months: i64,
}

#[derive(Template)]
#[template(path = "admin/supporters.html")]
struct SupportersPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    rows: Vec<Row>,
    pager: Pager,
    days: u32,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let number = q.page.unwrap_or(1);
    if number > MAX_PAGE {
        return Err(AppError::BadRequest(format!("page: at most {MAX_PAGE}.")));
    }
    let site = state.site();
    let page = state
        .store
        .supporter_list(Utc::now(), site.supporter_rules().period, PageRequest::new(number, PER_PAGE))
        .await?;
    let pager = Pager::new("/admin/supporters", &page);
    let rows = page
        .items
        .into_iter()
        .map(|s| Row {
            name: s.name,
            email: s.email,
            since: date(s.since),
            until: date(s.until),
            months: s.months,
        })
        .collect();
    let html = render(&SupportersPage {
        site: &site,
        me: &me,
        csrf: &csrf.token,
        rows,
        pager,
        days: site.supporter_days,
    })?;
    Ok((csrf, html).into_response())
}

/// Every current supporter (up to `CSV_ROWS`) as CSV (RFC 4180, CRLF), each cell safe to
/// open in a spreadsheet: a name or address cannot be run as a formula.
async fn csv_export(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let period = state.site().supporter_rules().period;
    let page = state.store.supporter_list(Utc::now(), period, PageRequest::new(1, CSV_ROWS)).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record(["name", "email", "since", "until", "months"]).map_err(csv_error)?;
    for Supporter { name, email, since, until, months, .. } in &page.items {
        let cells = [
            name.clone(),
            email.clone(),
            since.date_naive().to_string(),
            until.date_naive().to_string(),
            months.to_string(),
        ];
        out.write_record(cells.iter().map(|c| spreadsheet_safe(c))).map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"supporters.csv\""),
        ],
        body,
    )
        .into_response())
}
