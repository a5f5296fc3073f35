//! Reader funding on the public side: the /support page, the embeddable goal widget and
//! its JSON, and the Stripe webhook that records donations.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use tribune_core::funding::donations::{FundingError, Recorded, record_stripe_event};
use tribune_core::funding::money::Money;
use tribune_core::funding::stripe::{parse_event, verify_signature};
use tribune_core::store::FundingStore;

use super::{AppError, AppState, Asked, cached};
use crate::config::Config;
use crate::funding_bar::{BarView, FUNDING_KEY};

/// Stripe's events are a few kilobytes; anything far larger is not one.
const WEBHOOK_LIMIT_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/support", get(support_page))
        .route("/embed/goal", get(embed_goal))
        .route("/api/v1/goal", get(goal_json))
        .route("/webhooks/stripe", post(stripe_webhook).layer(DefaultBodyLimit::max(WEBHOOK_LIMIT_BYTES)))
}

struct TotalView {
    currency: String,
    amount: String,
    counts_toward_goal: bool,
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage<'a> {
    site: &'a Config,
    bar: Option<BarView>,
    month_name: String,
    totals: Vec<TotalView>,
    supporters: Vec<String>,
}

async fn support_page(State(state): State<AppState>, asked: Asked) -> Result<Response, AppError> {
    let render = async {
        let snapshot = state.funding.current();
        let month = snapshot.month;
        let goal_currency = snapshot.progress.as_ref().map(|p| p.goal.amount.currency.code());
        let totals = state.store.month_totals(month, month).await?;
        let totals = totals
            .into_iter()
            .filter_map(|t| {
                let currency = tribune_core::funding::money::Currency::parse(&t.currency).ok()?;
                Some(TotalView {
                    counts_toward_goal: goal_currency == Some(currency.code()),
                    currency: t.currency,
                    amount: Money::new(t.net_minor, currency).format(),
                })
            })
            .collect();
        let page = SupportPage {
            site: &state.site(),
            bar: snapshot.progress.as_ref().map(BarView::new),
            month_name: month.name(),
            totals,
            supporters: state.store.supporters(month).await?,
        };
        Ok(page.render()?)
    };
    cached(&state, &asked, "/support".into(), "text/html; charset=utf-8", vec![FUNDING_KEY.into()], render)
        .await
}

#[derive(Template)]
#[template(path = "embed_goal.html")]
struct EmbedPage<'a> {
    site: &'a Config,
    bar: &'a str,
}

/// A bare page with just the bar, for an iframe on the site's other pages or newsletter.
async fn embed_goal(State(state): State<AppState>) -> Result<Response, AppError> {
    let snapshot = state.funding.current();
    let html =
        EmbedPage { site: &state.site(), bar: std::str::from_utf8(&snapshot.html).unwrap_or("") }.render()?;
    let policy = "default-src 'none'; style-src 'self'; frame-ancestors *; base-uri 'none'";
    Ok((
        [
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        axum::response::Html(html),
    )
        .into_response())
}

async fn goal_json(State(state): State<AppState>) -> Response {
    let snapshot = state.funding.current();
    let body = match &snapshot.progress {
        None => serde_json::json!({ "month": snapshot.month.to_string(), "goal": null }),
        Some(p) => serde_json::json!({
            "month": p.goal.month.to_string(),
            "month_name": p.goal.month.name(),
            "currency": p.goal.amount.currency.code(),
            "goal_minor": p.goal.amount.minor,
            "raised_minor": p.raised.minor,
            "goal": p.goal.amount.format(),
            "raised": p.raised.format(),
            "percent": p.percent,
            "percent_text": p.percent_text(),
            "bar_percent": p.bar_percent,
            "milestones": p.milestones.iter().map(|m| serde_json::json!({
                "amount_minor": m.amount.minor,
                "label": m.amount.format(),
                "reached": m.reached,
            })).collect::<Vec<_>>(),
            "text": p.goal.text,
            "support_url": state.config.url("/support"),
        }),
    };
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

/// Stripe's webhook. 400 for anything not signed by Stripe or not an event (Stripe will
/// not retry, and nothing is stored); 5xx when recording fails (Stripe retries); 200
/// otherwise, including for redeliveries and event types we ignore.
async fn stripe_webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = &state.config.stripe_webhook_secret;
    if secret.is_empty() {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Stripe webhooks are not configured on this site",
        );
    }
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(e) = verify_signature(signature, &body, secret, Utc::now().timestamp()) {
        tracing::warn!(error = %e, "refused a Stripe webhook");
        return json_error(StatusCode::BAD_REQUEST, &e.to_string());
    }
    let event = match parse_event(&body) {
        Ok(event) => event,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    match record_stripe_event(
        &state.store,
        &event,
        state.config.funding_guard(),
        state.site().tz(),
        Utc::now(),
    )
    .await
    {
        Ok(recorded) => {
            if let Recorded::Counted(entry) = recorded {
                tracing::info!(event = %event.id, entry, "recorded a Stripe event");
                state.donation_recorded();
            }
            // A duplicate may still have brought the donor's address (see `add_donor_email`).
            if recorded != Recorded::Ignored {
                match tribune_core::supporters::articles_showing_gift(&state.store, &event).await {
                    Ok(articles) if !articles.is_empty() => {
                        state.changed(crate::coherence::Change::Discussions(&articles)).await;
                    }
                    Ok(_) => {}
                    // Stripe retries; the redelivery is a duplicate that comes back here.
                    Err(e) => {
                        tracing::error!(error = %e, event = %event.id, "could not find supporters' pages");
                        return json_error(StatusCode::SERVICE_UNAVAILABLE, "could not finish; retry later");
                    }
                }
            }
            let outcome = match recorded {
                Recorded::Counted(_) => "recorded",
                Recorded::Duplicate => "already recorded",
                Recorded::Ignored => "ignored",
            };
            (StatusCode::OK, axum::Json(serde_json::json!({ "received": true, "outcome": outcome })))
                .into_response()
        }
        Err(FundingError::Store(e)) => {
            tracing::error!(error = %e, event = %event.id, "could not record a Stripe event");
            json_error(StatusCode::SERVICE_UNAVAILABLE, "could not record the event; retry later")
        }
        Err(e @ FundingError::AboveCeiling { .. }) => {
            // Stripe retries and the dashboard shows the message: the publisher can raise
            // the ceiling, and the retried event is then counted once as usual.
            tracing::warn!(error = %e, event = %event.id, "refused a Stripe payment above the ceiling");
            json_error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
