//! The moderators' pages: the queue of held comments with its decisions, bans and bulk
//! actions, and the audit log (as a page and as CSV). Plain forms; a small script adds
//! keyboard shortcuts.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::comment::CommentStatus;
use tribune_core::moderators::bans::{ban_author_of, parse_duration};
use tribune_core::moderators::decide::{Decided, MAX_BULK, decide_each};
use tribune_core::moderators::log::{ACTIONS, LogCursor, Source, spreadsheet_safe};
use tribune_core::moderators::queue::{QueuePage, queue_page};
use tribune_core::moderators::{
    Actor, LogEntry, LogFilter, ModerationError, ModerationStore, Removed, Verdict, decide,
};
use tribune_core::user::User;

use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::error::encode_component;
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/moderation", get(queue))
        .route("/admin/moderation/{id}/decide", post(decide_one))
        .route("/admin/moderation/{id}/ban", post(ban))
        .route("/admin/moderation/bulk", post(bulk))
        .route("/admin/moderation/log", get(log))
        .route("/admin/moderation/log.csv", get(log_csv))
}

/// Comments per page of the queue.
const PER_PAGE: u32 = 50;
/// Entries per page of the log; the CSV takes up to `CSV_ROWS`.
const LOG_PER_PAGE: u32 = 100;
const CSV_ROWS: u32 = 100_000;

/// The shortcut keys of the queue's actions, as the script reads them.
const KEYS: [(&str, &str, &str); 3] = [
    ("approve", "a", "Approve"),
    ("reject-spam", "s", "Reject as spam"),
    ("reject-abuse", "x", "Reject as abuse"),
];

fn moderator(me: &User) -> Result<Actor, AppError> {
    if me.can_moderate() {
        Ok(Actor::Moderator(me.clone()))
    } else {
        Err(AppError::Forbidden("Only moderators see the moderation queue.".into()))
    }
}

#[derive(Template)]
#[template(path = "admin/moderation.html")]
struct QueueView<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    page: QueuePage,
    waiting: i64,
    notice: Option<String>,
    error: Option<String>,
    keys: [(&'static str, &'static str, &'static str); 3],
    max_bulk: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    after: Option<i64>,
    done: Option<u32>,
    stale: Option<u32>,
    banned: Option<u32>,
    removed: Option<u32>,
}

impl QueueQuery {
    /// What the last action did, in words (numbers only come from the query: no text).
    fn notice(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = self.done {
            parts.push(format!("{n} comment{} decided.", plural(n)));
        }
        if let Some(n) = self.stale.filter(|n| *n > 0) {
            parts.push(format!("{n} {} already decided by someone else: left as they were.", were(n)));
        }
        if self.banned.is_some() {
            parts.push("Banned.".to_owned());
        }
        if let Some(n) = self.removed.filter(|n| *n > 0) {
            parts.push(format!("{n} of their comment{} removed.", plural(n)));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn were(n: u32) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

async fn queue(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    moderator(&me)?;
    let html = queue_html(&state, &me, &csrf, q.after, q.notice(), None).await?;
    Ok((csrf, html).into_response())
}

async fn queue_html(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    after: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<axum::response::Html<String>, AppError> {
    let page = queue_page(&state.store, after, PER_PAGE).await?;
    let waiting = state.store.waiting_count().await?;
    render(&QueueView {
        site: &state.site(),
        me,
        csrf: &csrf.token,
        page,
        waiting,
        notice,
        error,
        keys: KEYS,
        max_bulk: MAX_BULK,
    })
}

#[derive(Deserialize)]
struct DecideForm {
    verdict: String,
    /// The status the moderator's page showed.
    #[serde(default)]
    seen: String,
    /// Where the moderator was in the queue, to go back there.
    #[serde(default)]
    after: String,
}

fn verdict_of(s: &str) -> Result<Verdict, AppError> {
    Verdict::parse(s)
        .filter(|v| matches!(v, Verdict::Approve | Verdict::RejectSpam | Verdict::RejectAbuse))
        .ok_or_else(|| AppError::BadRequest("verdict: must be approve, reject-spam or reject-abuse.".into()))
}

fn seen_of(s: &str) -> Result<Option<CommentStatus>, AppError> {
    match s.trim() {
        "" => Ok(None),
        s => CommentStatus::parse(s)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("seen: \"{s}\" is not a comment status."))),
    }
}

fn back(after: &str, notice: &str) -> Response {
    let after = after.trim().parse::<i64>().ok().map(|a| format!("after={a}&")).unwrap_or_default();
    Redirect::to(&format!("/admin/moderation?{after}{notice}")).into_response()
}

async fn decide_one(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<DecideForm>,
) -> Result<Response, AppError> {
    let actor = moderator(&me)?;
    let verdict = verdict_of(&form.verdict)?;
    let notices = state.notices();
    match decide(&state.store, id, verdict, seen_of(&form.seen)?, &actor, notices.as_deref(), Utc::now())
        .await
    {
        Ok(decided) => {
            state.mail_queued();
            drop_pages(&state, &[decided.before.article_id]).await?;
            state.refresh_filter().await;
            tracing::info!(comment = id, verdict = verdict.as_str(), moderator = me.id, "decided");
            Ok(back(&form.after, "done=1"))
        }
        Err(e @ ModerationError::AlreadyDecided { .. }) => {
            // The queue again, as it is now, with what happened on top.
            let message = AppError::from(e).to_string();
            let html = queue_html(&state, &me, &csrf, None, None, Some(message)).await?;
            Ok((StatusCode::CONFLICT, csrf, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The bulk form: the verdict, and a checkbox `c<ID>` per chosen comment.
#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    verdict: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

async fn bulk(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    CsrfForm(form): CsrfForm<BulkForm>,
) -> Result<Response, AppError> {
    let actor = moderator(&me)?;
    let verdict = verdict_of(&form.verdict)?;
    let mut ids: Vec<(i64, Option<CommentStatus>)> = form
        .fields
        .iter()
        .filter_map(|(k, seen)| Some((k.strip_prefix('c')?.parse().ok()?, seen)))
        // The status the page showed (held, or published and flagged): as for one decision.
        .map(|(id, seen)| (id, Some(CommentStatus::parse(seen).unwrap_or(CommentStatus::Pending))))
        .collect();
    if ids.is_empty() {
        return Err(AppError::BadRequest("Choose at least one comment for a bulk action.".into()));
    }
    ids.sort_unstable_by_key(|(id, _)| *id);
    let notices = state.notices();
    let outcomes = decide_each(&state.store, &ids, verdict, &actor, notices.as_deref(), Utc::now()).await?;
    state.mail_queued();
    let decided: Vec<&Decided> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    let stale = outcomes.iter().filter(|o| matches!(o, Err(ModerationError::AlreadyDecided { .. }))).count();
    if let Some(Err(e)) =
        outcomes.iter().find(|o| matches!(o, Err(e) if !matches!(e, ModerationError::AlreadyDecided { .. })))
    {
        tracing::warn!(error = %e, "a bulk decision failed");
    }
    let articles: Vec<i64> = decided.iter().map(|d| d.before.article_id).collect();
    drop_pages(&state, &articles).await?;
    state.refresh_filter().await;
    tracing::info!(
        count = decided.len(),
        stale,
        verdict = verdict.as_str(),
        moderator = me.id,
        "decided in bulk"
    );
    Ok(back("", &format!("done={}&stale={stale}", decided.len())))
}

#[derive(Deserialize)]
struct BanForm {
    #[serde(default)]
    duration: String,
    #[serde(default)]
    reason: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    remove: Option<String>,
}

async fn ban(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<BanForm>,
) -> Result<Response, AppError> {
    let actor = moderator(&me)?;
    let duration = parse_duration(&form.duration)?;
    let remove = form.remove.is_some();
    let banned = ban_author_of(&state.store, id, duration, &form.reason, remove, &actor, Utc::now()).await?;
    let Removed { comment_ids, article_ids } = &banned.removed;
    drop_pages(&state, article_ids).await?;
    tracing::info!(comment = id, bans = ?banned.ban_ids, removed = comment_ids.len(), moderator = me.id, "banned");
    Ok(back("", &format!("banned=1&removed={}", comment_ids.len())))
}

/// Drops the cached pages of these articles (their discussions changed).
async fn drop_pages(state: &AppState, article_ids: &[i64]) -> Result<(), AppError> {
    state.changed(crate::coherence::Change::Discussions(article_ids)).await;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogQuery {
    action: String,
    who: String,
    comment: String,
    from: String,
    to: String,
    /// Where the previous page ended ([`LogCursor`]); none for the newest entries.
    before: String,
}

impl LogQuery {
    fn filter(&self) -> Result<LogFilter, AppError> {
        Ok(LogFilter::parse(&self.action, &self.who, &self.comment, &self.from, &self.to)?)
    }

    /// The filter as a query string, for the CSV link and the pager.
    fn query_string(&self) -> String {
        [
            ("action", &self.action),
            ("who", &self.who),
            ("comment", &self.comment),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

#[derive(Template)]
#[template(path = "admin/moderation_log.html")]
struct LogView<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    q: &'a LogQuery,
    entries: Vec<LogEntry>,
    actions: [&'static str; 10],
    filters: String,
    /// Whether this page is not the newest, and where the next older page starts.
    deeper: bool,
    older: Option<String>,
    error: Option<String>,
}

impl LogView<'_> {
    fn is_auto(e: &LogEntry) -> bool {
        e.source == Source::Automatic
    }
}

async fn log(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    moderator(&me)?;
    let before = match q.before.trim() {
        "" => None,
        given => Some(LogCursor::parse(given).ok_or_else(|| {
            AppError::BadRequest(
                "before: not a place in the log; start again from the newest entries.".into(),
            )
        })?),
    };
    let (mut entries, error) = match q.filter() {
        Ok(filter) => (state.store.moderation_log(&filter, before, LOG_PER_PAGE + 1).await?, None),
        Err(e) => (vec![], Some(e.to_string())),
    };
    let more = entries.len() > LOG_PER_PAGE as usize;
    entries.truncate(LOG_PER_PAGE as usize);
    let older = entries.last().filter(|_| more).map(|e| LogCursor::after(e).to_param());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let html = render(&LogView {
        site: &state.site(),
        me: &me,
        csrf: &csrf.token,
        q: &q,
        entries,
        actions: ACTIONS,
        filters: q.query_string(),
        deeper: before.is_some(),
        older,
        error,
    })?;
    Ok((status, csrf, html).into_response())
}

/// The log with the same filters, as CSV (RFC 4180, CRLF), safe to open in a spreadsheet.
async fn log_csv(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(q): Query<LogQuery>,
) -> Result<Response, AppError> {
    moderator(&me)?;
    let entries = state.store.moderation_log(&q.filter()?, None, CSV_ROWS).await?;
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let csv_error = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record(["at", "action", "by", "comment", "status_before", "status_after", "reason"])
        .map_err(csv_error)?;
    for e in &entries {
        let cells = [
            e.at.to_rfc3339(),
            e.action.clone(),
            e.actor.clone(),
            e.comment_id.map(|c| c.to_string()).unwrap_or_default(),
            e.status_before.clone().unwrap_or_default(),
            e.status_after.clone().unwrap_or_default(),
            e.reason.clone(),
        ];
        out.write_record(cells.iter().map(|c| spreadsheet_safe(c))).map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"moderation-log.csv\""),
        ],
        body,
    )
        .into_response())
}
