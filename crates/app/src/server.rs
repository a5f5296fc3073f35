//! Starting a site: open and migrate the database, load the keys, build the state, and
//! serve until told to stop (the page cache kept in step by `coherence`).

use std::sync::Arc;

use chrono::Utc;
use tokio::net::TcpListener;
use tribune_core::funding::donations::FundingError;
use tribune_core::moderation::learned;
use tribune_core::store::StoreError;
use tribune_store::Store;

use crate::cache::PageCache;
use crate::coherence::{self, Coherence};
use crate::commented::Commented;
use crate::config::Config;
use crate::connections;
use crate::funding_bar::FundingBar;
use crate::http::{AppState, Node, router};
use crate::keys::SiteKeys;
use crate::mail::{MailError, Mailer};
use crate::mail_worker::MailWorker;
use crate::metrics::Metrics;
use crate::site::LiveConfig;
use crate::work_pool::WorkPool;

/// Opens the configured database (creating the data folder for SQLite) and migrates it.
pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            ))
        })?;
    }
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    Ok(store)
}

/// Why a site could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Theme(#[from] crate::theme::ThemeError),
}

pub async fn build_state(mut config: Config, store: Store) -> Result<AppState, StartError> {
    if !config.theme.is_from(&config.theme_dir) {
        config.theme = Arc::new(crate::theme::Theme::load(&config.theme_dir)?);
    }
    let mail = Mailer::from_config(&config)?.map(|mailer| {
        let first_wait = std::time::Duration::from_secs(config.mail_retry_seconds);
        Arc::new(MailWorker::new(store.clone(), mailer, first_wait))
    });
    let keys = SiteKeys::load(&store).await?;
    learned::refresh(&store, &config.moderation.model).await?;
    let config = Arc::new(config);
    let live = Arc::new(LiveConfig::new(config.clone()));
    live.reload(&store).await?;
    // Every partial rendered once with the site's own values, before any reader sees one.
    config.theme.check(&live.current())?;
    let funding = FundingBar::new(Utc::now(), &live.current());
    funding.refresh(&store, &live.current(), Utc::now()).await.map_err(|e| match e {
        FundingError::Store(e) => e,
        e => StoreError::Database(e.to_string()),
    })?;
    let cache = Arc::new(PageCache::new(config.page_cache_entries));
    let funding = Arc::new(funding);
    let commented = Arc::new(Commented::default());
    let store_for_setup = store.clone();
    let coherence = Arc::new(Coherence::new(
        store.clone(),
        cache.clone(),
        funding.clone(),
        live.clone(),
        commented.clone(),
    ));
    let metrics = Arc::new(Metrics::new(cache.clone(), coherence.clone(), store.clone()));
    Ok(AppState::new(Node {
        store,
        cache,
        config,
        live,
        keys: Arc::new(keys),
        funding,
        coherence,
        work: Arc::new(WorkPool::sized_to_machine()),
        commented,
        metrics,
        mail,
        embed_renders: Arc::new(tokio::sync::Semaphore::new(crate::http::embed::RENDERS_AT_ONCE)),
        setup: Arc::new(crate::http::setup::Pending::new(
            tribune_core::setup::awaiting_setup(&store_for_setup).await?,
        )),
    }))
}

/// On a site still to be set up, a new one-time code for `/setup` (the last printed is the
/// one that works; only its hash is kept). `None` once the site is set up.
pub async fn issue_setup_code(store: &Store) -> Result<Option<String>, StoreError> {
    if !tribune_core::setup::needs_setup(store).await? {
        return Ok(None);
    }
    let code = tribune_core::setup::format_code(&crate::keys::random_token());
    tribune_core::setup::issue_code(store, &code).await?;
    Ok(Some(code))
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight
/// (cutting those still open after `shutdown_grace_seconds`) and the comments they posted.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Started before the first request is taken (see `coherence::start`).
    let tasks = coherence::start(state.coherence.clone()).await;
    let metrics = serve_metrics(&state).await?;
    let mail = state.mail.clone().map(MailWorker::start);
    let digest = crate::digest_mail::start(state.clone());
    let limits = connections::Limits::from_config(&state.config);
    let front_door: connections::FrontDoor = {
        let state = state.clone();
        Arc::new(move |request| crate::http::front_door::answer(&state, request))
    };
    connections::serve(listener, front_door, router(state.clone()), limits, shutdown).await;
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    // A comment whose poster was cut off may still be queued: it is written all the same.
    state.store.flush_comments().await;
    tasks.stop().await;
    if let Some(digest) = digest {
        digest.abort();
    }
    if let Some(mail) = mail {
        // A message being sent now stays claimed, and is sent again when its claim runs
        // out: at worst a repeat, never a loss.
        mail.abort();
    }
    Ok(())
}

/// Serves `/metrics` alone on `metrics_bind`, if set: an address only the scraper reaches.
async fn serve_metrics(state: &AppState) -> std::io::Result<Option<tokio::task::JoinHandle<()>>> {
    if state.config.metrics_bind.is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(&state.config.metrics_bind).await?;
    tracing::info!(address = %state.config.metrics_bind, "serving metrics");
    let metrics = state.metrics.clone();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { crate::http::metrics::exposition(&metrics) }
        }),
    );
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    })))
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
