//! The funding bar at the top of every public page, rendered once per change and kept in
//! memory: a donation bumps its version, and cached pages are put together again with the
//! new bar (see `cache::HOLE`), so the bar is never stale behind the page cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use askama::Template;
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use tribune_core::funding::donations::{FundingError, current_progress};
use tribune_core::funding::goal::Progress;
use tribune_core::funding::month::Month;
use tribune_store::Store;

use crate::config::Config;

/// The cache key of everything that shows funding figures (the bar, /support).
pub const FUNDING_KEY: &str = "funding";

pub struct Snapshot {
    pub version: u64,
    /// The month it was computed for: when the site's month changes, it is computed again.
    pub month: Month,
    pub progress: Option<Progress>,
    /// The bar's HTML; empty when there is no goal to show.
    pub html: Bytes,
}

pub struct FundingBar {
    current: RwLock<Arc<Snapshot>>,
    versions: AtomicU64,
    /// Wakes the task that re-renders the bar after donations (see `server`).
    pub changed: tokio::sync::Notify,
}

impl FundingBar {
    pub fn new(now: DateTime<Utc>, config: &Config) -> Self {
        let empty = Snapshot {
            version: 0,
            month: Month::containing(now, config.tz()),
            progress: None,
            html: Bytes::new(),
        };
        FundingBar {
            current: RwLock::new(Arc::new(empty)),
            versions: AtomicU64::new(0),
            changed: Default::default(),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current.read().expect("funding bar lock").clone()
    }

    /// Recomputes the month's progress and renders the bar again.
    pub async fn refresh(
        &self,
        store: &Store,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<(), FundingError> {
        let progress = current_progress(store, config.tz(), config.funding_carry_forward, now).await?;
        // The Give button rides with the bar, so a cached page gets it (or loses it) with
        // the bar's next version, never by being rendered again.
        let give = config.has_way_to_give();
        let html = match &progress {
            Some(p) => BarView { give, ..BarView::new(p) }.render().map_err(|e| {
                FundingError::Store(tribune_core::store::StoreError::Database(format!(
                    "funding bar template: {e}"
                )))
            })?,
            None if give => GIVE_ONLY.to_owned(),
            None => String::new(),
        };
        let version = self.versions.fetch_add(1, Ordering::AcqRel) + 1;
        let snapshot =
            Snapshot { version, month: Month::containing(now, config.tz()), progress, html: html.into() };
        *self.current.write().expect("funding bar lock") = Arc::new(snapshot);
        Ok(())
    }
}

/// The bar's place when there is no goal to show but there is a way to give.
const GIVE_ONLY: &str = r#"<div class="funding funding-give-only"><div class="wrap"><a class="button give" href="/support">Give</a></div></div>"#;

pub struct MilestoneView {
    pub label: String,
    pub position: u32,
    pub reached: bool,
}

/// The bar as the templates draw it; also used by /support and the embeddable widget.
#[derive(Template)]
#[template(path = "funding_bar.html")]
pub struct BarView {
    pub month_name: String,
    pub raised: String,
    pub goal: String,
    pub percent: u64,
    /// "312% of the goal": the truth, where the bar can only be full.
    pub percent_text: String,
    pub bar_percent: u32,
    /// For assistive technology: what is raised, but never past the bar's end (the goal).
    pub now_major: String,
    pub goal_major: String,
    pub milestones: Vec<MilestoneView>,
    pub text: Option<String>,
    /// The Give button beside the bar (when readers have a way to give).
    pub give: bool,
}

impl BarView {
    pub fn new(p: &Progress) -> Self {
        BarView {
            month_name: p.goal.month.name(),
            raised: p.raised.format(),
            goal: p.goal.amount.format(),
            percent: p.percent,
            percent_text: p.percent_text(),
            bar_percent: p.bar_percent,
            now_major: if p.raised.minor > p.goal.amount.minor {
                p.goal.amount.to_major_string()
            } else {
                p.raised.to_major_string()
            },
            goal_major: p.goal.amount.to_major_string(),
            milestones: p
                .milestones
                .iter()
                .map(|m| MilestoneView {
                    label: m.amount.format(),
                    position: m.position_percent,
                    reached: m.reached,
                })
                .collect(),
            text: p.goal.text.clone(),
            give: false,
        }
    }
}
