//! The publisher's side of reader funding: the month's goal, the ledger by month with its
//! totals and CSV export, manual entries and their reversals, and a year's chart.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use tribune_core::funding::donations::{FundingError, ManualDonation, add_manual_donation, set_goal};
use tribune_core::funding::goal::Goal;
use tribune_core::funding::guard::Guard;
use tribune_core::funding::ledger::{Entry, EntryKind, in_ledger_order};
use tribune_core::funding::money::{Currency, Money};
use tribune_core::funding::month::Month;
use tribune_core::store::FundingStore;
use tribune_core::user::User;

use super::chart::{ChartMonth, raised_vs_goal};
use super::reversal;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/funding", get(ledger_page))
        .route("/admin/funding/goal", post(save_goal))
        .route("/admin/funding/donations", post(add_donation))
        .route("/admin/funding/entries/{id}/reverse", get(reversal::confirm).post(reversal::reverse))
        .route("/admin/funding/ledger.csv", get(ledger_csv))
}

pub(super) fn publisher_only(me: &User) -> Result<(), AppError> {
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
            None => Ok(Month::containing(Utc::now(), state.site().tz())),
            Some(m) => Month::parse(m).map_err(|e| AppError::BadRequest(e.to_string())),
        }
    }
}

struct EntryRow {
    id: i64,
    date: String,
    /// A reversal, refund or lost dispute listed right under what it corrects.
    correction: bool,
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
    chart_rows: Vec<ChartRow>,
    /// Latest day a gift can be dated: today, in the site's time zone.
    today: String,
    error: Option<String>,
    notice: Option<&'a str>,
    /// Set when a new goal currency would drop counted gifts: what the box confirms.
    currency_confirm: Option<String>,
}

/// The chart's figures as a table, for a phone where the chart's text is small.
struct ChartRow {
    month: String,
    raised: String,
    goal: String,
}

/// What a page shows besides the month's figures: a refusal and the form as typed.
#[derive(Default)]
struct Shown<'a> {
    error: Option<String>,
    form: Option<GoalForm>,
    notice: Option<&'a str>,
    currency_confirm: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GoalForm {
    month: String,
    goal: String,
    currency: String,
    milestones: String,
    text: String,
    /// "yes" when the publisher ticked the box that names the gifts the change drops.
    confirm_currency_change: String,
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
    let html = page(&state, &me, &csrf, month, Shown { notice, ..Shown::default() }).await?;
    Ok((csrf, html).into_response())
}

async fn page(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    month: Month,
    shown: Shown<'_>,
) -> Result<axum::response::Html<String>, AppError> {
    let goals = state.store.goals_until(month).await?;
    let goal = goals.last().cloned().map(|mut g| {
        g.month = month;
        g
    });
    let goal_currency = goal.as_ref().map(|g| g.amount.currency.code());
    let entries = state.store.entries_of_month(month).await?;
    let totals = state.store.month_totals(month, month).await?;
    let goal_form = shown.form.unwrap_or_else(|| match &goal {
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
            confirm_currency_change: String::new(),
        },
        None => GoalForm { month: month.to_string(), currency: "USD".into(), ..Default::default() },
    });
    let (chart, chart_rows) = chart(state, month, &goals).await?;
    render(&LedgerPage {
        site: &state.site(),
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
        chart,
        chart_rows,
        today: Utc::now().with_timezone(&state.site().tz()).format("%Y-%m-%d").to_string(),
        goal,
        goal_form,
        error: shown.error,
        notice: shown.notice,
        currency_confirm: shown.currency_confirm,
    })
}

fn entry_rows(entries: &[Entry], goal_currency: Option<&str>, state: &AppState) -> Vec<EntryRow> {
    let reversed: Vec<i64> = entries.iter().filter_map(|e| e.entry.reverses).collect();
    let ordered = in_ledger_order(entries.to_vec());
    let mut rows = Vec::with_capacity(ordered.len());
    for (i, e) in ordered.iter().enumerate() {
        let x = &e.entry;
        // `in_ledger_order` put it under what it corrects when that is in the list.
        let correction = i > 0
            && match x.kind {
                EntryKind::Reversal => x.reverses.is_some_and(|r| ordered[..i].iter().any(|p| p.id == r)),
                EntryKind::Refund | EntryKind::DisputeLost => ordered[..i]
                    .iter()
                    .any(|p| p.entry.kind == EntryKind::Payment && p.entry.payment_key == x.payment_key),
                _ => false,
            };
        rows.push(EntryRow {
            id: e.id,
            date: x.occurred_at.with_timezone(&state.site().tz()).format("%Y-%m-%d %H:%M").to_string(),
            correction,
            kind: kind_label(x.kind),
            amount: x.amount.format(),
            counts: e.counted && Some(x.amount.currency.code()) == goal_currency,
            foreign: !e.counted,
            who: x.supporter_name.clone().unwrap_or_default(),
            note: x.note.clone().or_else(|| x.payment_key.clone()).unwrap_or_default(),
            reversible: x.kind == EntryKind::Manual && !reversed.contains(&e.id),
        });
    }
    rows
}

pub(super) fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Payment => "card payment",
        EntryKind::Refund => "refunded (total)",
        EntryKind::DisputeLost => "dispute lost",
        EntryKind::Manual => "manual entry",
        EntryKind::Reversal => "reversal",
    }
}

/// Twelve months up to `month`, raised (in the goal's currency) against the goal in force:
/// the chart, and its figures as rows.
async fn chart(state: &AppState, month: Month, goals: &[Goal]) -> Result<(String, Vec<ChartRow>), AppError> {
    let mut months = vec![month];
    for _ in 0..11 {
        months.insert(0, months[0].previous());
    }
    let totals = state.store.month_totals(months[0], month).await?;
    // The axis is in the latest goal's currency; before any goal there is nothing to scale.
    let axis_currency = goals.last().map(|g| g.amount.currency);
    let mut rows = Vec::new();
    let columns = months
        .iter()
        .map(|m| {
            let goal = goals.iter().rev().find(|g| g.month <= *m);
            let currency = goal.map_or("", |g| g.amount.currency.code());
            let raised: i64 =
                totals.iter().filter(|t| t.month == *m && t.currency == currency).map(|t| t.net_minor).sum();
            let raised_label = goal.map_or(String::new(), |g| whole_units(raised, g.amount.currency));
            rows.push(ChartRow {
                month: m.name(),
                raised: goal.map_or("—".into(), |g| Money::new(raised, g.amount.currency).format()),
                goal: goal.map_or("no goal".into(), |g| g.amount.format()),
            });
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
            ChartMonth {
                label,
                raised_minor: raised,
                goal_minor: goal.map(|g| g.amount.minor),
                raised_label,
                description,
            }
        })
        .collect::<Vec<_>>();
    let axis_label = |minor: i64| axis_currency.map_or(String::new(), |c| whole_units(minor, c));
    Ok((raised_vs_goal(&columns, &axis_label), rows))
}

/// "$1,235" for $1,234.56: short enough for a column's label, cents rounded half up.
fn whole_units(minor: i64, currency: Currency) -> String {
    let scale = 10i64.pow(currency.exponent());
    let major = minor.saturating_add(scale / 2) / scale;
    Money::new(major.saturating_mul(scale), currency).format()
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
    let guard = Guard {
        currency_change_confirmed: form.confirm_currency_change == "yes",
        ..state.config.funding_guard()
    };
    let text = Some(form.text.clone());
    match set_goal(
        &state.store,
        month,
        form.goal.trim(),
        form.currency.trim(),
        &milestones,
        text,
        guard,
        Utc::now(),
    )
    .await
    {
        Ok(_) => {
            state.changed(crate::coherence::Change::Funding).await;
            Ok(Redirect::to(&format!("/admin/funding?month={month}&done=1")).into_response())
        }
        Err(FundingError::Store(e)) => Err(e.into()),
        Err(e @ FundingError::CurrencyChange { .. }) => {
            let FundingError::CurrencyChange { month: name, old, new, raised } = &e else { unreachable!() };
            let confirm = format!(
                "Yes, set the goal in {new}: the {raised} given in {old} in {name} will no longer count toward it."
            );
            let shown = Shown { currency_confirm: Some(confirm), ..Shown::default() };
            refused(&state, &me, &csrf, month, e.to_string(), Some(form), shown).await
        }
        Err(e) => refused(&state, &me, &csrf, month, e.to_string(), Some(form), Shown::default()).await,
    }
}

async fn refused(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    month: Month,
    error: String,
    form: Option<GoalForm>,
    shown: Shown<'_>,
) -> Result<Response, AppError> {
    let html = page(state, me, csrf, month, Shown { error: Some(error), form, ..shown }).await?;
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
    let this_month = Month::containing(now, state.site().tz());
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
                    Shown::default(),
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
    match add_manual_donation(&state.store, gift, state.config.funding_guard(), state.site().tz(), now).await
    {
        Ok(_) => {
            state.changed(crate::coherence::Change::Funding).await;
            Ok(Redirect::to(&format!("/admin/funding?month={month}&done=1")).into_response())
        }
        Err(FundingError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &me, &csrf, month, e.to_string(), None, Shown::default()).await,
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
