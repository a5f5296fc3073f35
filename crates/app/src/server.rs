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
use crate::http::{AppState, router};
use crate::keys::SiteKeys;
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

pub async fn build_state(config: Config, store: Store) -> Result<AppState, StoreError> {
    let keys = SiteKeys::load(&store).await?;
    learned::refresh(&store, &config.moderation.model).await?;
    let config = Arc::new(config);
    let live = Arc::new(LiveConfig::new(config.clone()));
    live.reload(&store).await?;
    let funding = FundingBar::new(Utc::now(), &live.current());
    funding.refresh(&store, &live.current(), Utc::now()).await.map_err(|e| match e {
        FundingError::Store(e) => e,
        e => StoreError::Database(e.to_string()),
    })?;
    let cache = Arc::new(PageCache::new(config.page_cache_entries));
    let funding = Arc::new(funding);
    let commented = Arc::new(Commented::default());
    let store_for_setup = store.clone();
    let coherence =
        Coherence::new(store.clone(), cache.clone(), funding.clone(), live.clone(), commented.clone());
    Ok(AppState {
        store,
        cache,
        config,
        live,
        keys: Arc::new(keys),
        funding,
        coherence: Arc::new(coherence),
        work: Arc::new(WorkPool::sized_to_machine()),
        commented,
        setup: Arc::new(crate::http::setup::Pending::new(
            tribune_core::setup::awaiting_setup(&store_for_setup).await?,
        )),
    })
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
    let limits = connections::Limits::from_config(&state.config);
    connections::serve(listener, router(state.clone()), limits, shutdown).await;
    // A comment whose poster was cut off may still be queued: it is written all the same.
    state.store.flush_comments().await;
    tasks.stop().await;
    Ok(())
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
