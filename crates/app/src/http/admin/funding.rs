//! The publisher's side of reader funding: the month's goal, the ledger by month with its
//! totals and CSV export, manual entries and their reversals, and a year's chart.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use tribune_core::funding::donations::{
    FundingError, ManualDonation, add_manual_donation, reverse_entry, set_goal,
};
use tribune_core::funding::goal::Goal;
use tribune_core::funding::ledger::{Entry, EntryKind};
use tribune_core::funding::money::{Currency, Money};
use tribune_core::funding::month::Month;
use tribune_core::store::FundingStore;
use tribune_core::user::User;

use super::chart::{ChartMonth, raised_vs_goal};
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/funding", get(ledger_page))
        .route("/admin/funding/goal", post(save_goal))
        .route("/admin/funding/donations", post(add_donation))
        .route("/admin/funding/entries/{id}/reverse", post(reverse))
        .route("/admin/funding/ledger.csv", get(ledger_csv))
}

fn publisher_only(me: &User) -> Result<(), AppError> {
    if me.can_manage_users() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only admins see the funding ledger.".into()))
    }
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
    done: Option<String>,
}

impl MonthQuery {
    fn month(&self, state: &AppState) -> Result<Month, AppError> {
        match self.month.as_deref().filter(|m| !m.is_empty()) {
            None => Ok(Month::containing(Utc::now(), state.config.tz())),
            Some(m) => Month::parse(m).map_err(|e| AppError::BadRequest(e.to_string())),
        }
    }
}

struct EntryRow {
    id: i64,
    date: String,
    kind: &'static str,
    amount: String,
    counts: bool,
    /// A refund or dispute in another currency than its payment's: it counts nowhere.
    foreign: bool,
    who: String,
    note: String,
    reversible: bool,
}

struct TotalRow {
    currency: String,
    amount: String,
    counts: bool,
}

#[derive(Template)]
#[template(path = "admin/funding.html")]
struct LedgerPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    month: String,
    month_name: String,
    previous: String,
    next: String,
    goal: Option<Goal>,
    goal_form: GoalForm,
    rows: Vec<EntryRow>,
    totals: Vec<TotalRow>,
    chart: String,
    error: Option<String>,
    notice: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GoalForm {
    month: String,
    goal: String,
    currency: String,
    milestones: String,
    text: String,
}

async fn ledger_page(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let month = q.month(&state)?;
    let notice = q.done.as_ref().map(|_| "Saved.");
    let html = page(&state, &me, &csrf, month, None, None, notice).await?;
    Ok((csrf, html).into_response())
}

async fn page(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    month: Month,
    error: Option<String>,
    form: Option<GoalForm>,
    notice: Option<&str>,
) -> Result<axum::response::Html<String>, AppError> {
    let goals = state.store.goals_until(month).await?;
    let goal = goals.last().cloned().map(|mut g| {
        g.month = month;
        g
    });
    let goal_currency = goal.as_ref().map(|g| g.amount.currency.code());
    let entries = state.store.entries_of_month(month).await?;
    let totals = state.store.month_totals(month, month).await?;
    let goal_form = form.unwrap_or_else(|| match &goal {
        Some(g) => GoalForm {
            month: month.to_string(),
            goal: g.amount.to_major_string(),
            currency: g.amount.currency.code().into(),
            milestones: g
                .milestones
                .iter()
                .map(|m| Money::new(*m, g.amount.currency).to_major_string())
                .collect::<Vec<_>>()
                .join(", "),
            text: g.text.clone().unwrap_or_default(),
        },
        None => GoalForm { month: month.to_string(), currency: "USD".into(), ..Default::default() },
    });
    render(&LedgerPage {
        site: &state.config,
        me,
        csrf: &csrf.token,
        month: month.to_string(),
        month_name: month.name(),
        previous: month.previous().to_string(),
        next: month.next().to_string(),
        rows: entry_rows(&entries, goal_currency, state),
        totals: totals
            .into_iter()
            .filter_map(|t| {
                let c = Currency::parse(&t.currency).ok()?;
                Some(TotalRow {
                    counts: Some(c.code()) == goal_currency,
                    currency: t.currency,
                    amount: Money::new(t.net_minor, c).format(),
                })
            })
            .collect(),
        chart: chart(state, month, &goals).await?,
        goal,
        goal_form,
        error,
        notice,
    })
}

fn entry_rows(entries: &[Entry], goal_currency: Option<&str>, state: &AppState) -> Vec<EntryRow> {
    let reversed: Vec<i64> = entries.iter().filter_map(|e| e.entry.reverses).collect();
    entries
        .iter()
        .map(|e| {
            let x = &e.entry;
            EntryRow {
                id: e.id,
                date: x.occurred_at.with_timezone(&state.config.tz()).format("%Y-%m-%d %H:%M").to_string(),
                kind: kind_label(x.kind),
                amount: x.amount.format(),
                counts: e.counted && Some(x.amount.currency.code()) == goal_currency,
                foreign: !e.counted,
                who: x.supporter_name.clone().unwrap_or_default(),
                note: x.note.clone().or_else(|| x.payment_key.clone()).unwrap_or_default(),
                reversible: x.kind == EntryKind::Manual && !reversed.contains(&e.id),
            }
        })
        .collect()
}

fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Payment => "card payment",
        EntryKind::Refund => "refunded (total)",
        EntryKind::DisputeLost => "dispute lost",
        EntryKind::Manual => "manual entry",
        EntryKind::Reversal => "reversal",
    }
}

/// Twelve months up to `month`, raised (in the goal's currency) against the goal in force.
async fn chart(state: &AppState, month: Month, goals: &[Goal]) -> Result<String, AppError> {
    let mut months = vec![month];
    for _ in 0..11 {
        months.insert(0, months[0].previous());
    }
    let totals = state.store.month_totals(months[0], month).await?;
    let columns = months
        .iter()
        .map(|m| {
            let goal = goals.iter().rev().find(|g| g.month <= *m);
            let currency = goal.map_or("", |g| g.amount.currency.code());
            let raised: i64 =
                totals.iter().filter(|t| t.month == *m && t.currency == currency).map(|t| t.net_minor).sum();
            let description = match goal {
                Some(g) => format!(
                    "{}: {} of {}",
                    m.name(),
                    Money::new(raised, g.amount.currency).format(),
                    g.amount.format()
                ),
                None => format!("{}: no goal", m.name()),
            };
            let label = NaiveDate::from_ymd_opt(m.year, m.month, 1)
                .map_or(String::new(), |d| d.format("%b").to_string());
            ChartMonth { label, raised_minor: raised, goal_minor: goal.map(|g| g.amount.minor), description }
        })
        .collect::<Vec<_>>();
    Ok(raised_vs_goal(&columns))
}

async fn save_goal(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<GoalForm>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let month = Month::parse(form.month.trim()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let milestones: Vec<String> = form.milestones.split(',').map(|m| m.trim().to_owned()).collect();
    match set_goal(
        &state.store,
        month,
        form.goal.trim(),
        form.currency.trim(),
        &milestones,
        Some(form.text.clone()),
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            state.changed(crate::coherence::Change::Funding).await;
            Ok(Redirect::to(&format!("/admin/funding?month={month}&done=1")).into_response())
        }
        Err(FundingError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &me, &csrf, month, e.to_string(), Some(form)).await,
    }
}

async fn refused(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    month: Month,
    error: String,
    form: Option<GoalForm>,
) -> Result<Response, AppError> {
    let html = page(state, me, csrf, month, Some(error), form, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

#[derive(Deserialize)]
struct DonationForm {
    amount: String,
    currency: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    donor: String,
    #[serde(default)]
    note: String,
}

async fn add_donation(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<DonationForm>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let now = Utc::now();
    let this_month = Month::containing(now, state.config.tz());
    let date = match form.date.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                return refused(
                    &state,
                    &me,
                    &csrf,
                    this_month,
                    format!("date: \"{d}\" is not a date (YYYY-MM-DD)"),
                    None,
                )
                .await;
            }
        },
    };
    let gift = ManualDonation {
        amount: form.amount,
        currency: form.currency,
        date,
        donor: Some(form.donor),
        note: Some(form.note),
    };
    let month = date.map_or(this_month, |d| Month { year: d.year(), month: d.month() });
    match add_manual_donation(&state.store, gift, state.config.tz(), now).await {
        Ok(_) => {
            state.changed(crate::coherence::Change::Funding).await;
            Ok(Redirect::to(&format!("/admin/funding?month={month}&done=1")).into_response())
        }
        Err(FundingError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &me, &csrf, month, e.to_string(), None).await,
    }
}

#[derive(Deserialize)]
struct ReverseForm {
    #[serde(default)]
    note: String,
}

async fn reverse(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ReverseForm>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let original = state.store.entry(id).await?.ok_or(AppError::NotFound)?;
    let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
    match reverse_entry(&state.store, id, note, Utc::now()).await {
        Ok(_) => {
            state.changed(crate::coherence::Change::Funding).await;
            Ok(Redirect::to(&format!("/admin/funding?month={}&done=1", original.entry.month)).into_response())
        }
        Err(FundingError::Store(e)) => Err(e.into()),
        Err(e) => Err(AppError::BadRequest(e.to_string())),
    }
}

/// The month's ledger as CSV (RFC 4180: quoted where needed, CRLF line ends).
async fn ledger_csv(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    publisher_only(&me)?;
    let month = q.month(&state)?;
    let entries = state.store.entries_of_month(month).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = [
        "id",
        "date",
        "month",
        "kind",
        "amount",
        "currency",
        "payment",
        "event",
        "supporter",
        "note",
        "reverses",
        "counted",
    ];
    let csv_error = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record(header).map_err(csv_error)?;
    for e in &entries {
        let x = &e.entry;
        out.write_record([
            e.id.to_string(),
            x.occurred_at.to_rfc3339(),
            x.month.to_string(),
            x.kind.as_str().to_owned(),
            x.amount.to_major_string(),
            x.amount.currency.code().to_owned(),
            x.payment_key.clone().unwrap_or_default(),
            x.event_id.clone().unwrap_or_default(),
            x.supporter_name.clone().unwrap_or_default(),
            x.note.clone().unwrap_or_default(),
            x.reverses.map(|r| r.to_string()).unwrap_or_default(),
            if e.counted { "yes" } else { "no" }.to_owned(),
        ])
        .map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    let disposition = format!("attachment; filename=\"ledger-{month}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
