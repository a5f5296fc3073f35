//! Starting a site: open and migrate the database, load the keys, build the state, keep
//! the page cache in step with other writers, and serve until told to stop.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::net::TcpListener;
use tribune_core::store::{ArticleStore, InvalidationStore, StoreError};
use tribune_store::Store;

use crate::cache::{FRONT, PageCache};
use crate::commented::Commented;
use crate::config::Config;
use crate::connections;
use crate::funding_bar::{FUNDING_KEY, FundingBar};
use crate::http::{AppState, router};
use crate::keys::SiteKeys;
use crate::work_pool::WorkPool;
use tribune_core::funding::donations::FundingError;
use tribune_core::funding::month::Month;
use tribune_core::moderation::learned;

/// How often a node reads the shared invalidation log (and so how stale another node's
/// write, or one from the command line, can be here).
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// How often a node applies what the learned filter was taught elsewhere (by a moderator
/// on another node, or `tribune moderation train`).
const FILTER_INTERVAL: Duration = Duration::from_secs(2);

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
    let funding = FundingBar::new(Utc::now(), &config);
    funding.refresh(&store, &config, Utc::now()).await.map_err(|e| match e {
        FundingError::Store(e) => e,
        e => StoreError::Database(e.to_string()),
    })?;
    Ok(AppState {
        store,
        cache: Arc::new(PageCache::new(config.page_cache_entries)),
        config: Arc::new(config),
        keys: Arc::new(keys),
        funding: Arc::new(funding),
        unshared: Arc::new(Unshared::default()),
        work: Arc::new(WorkPool::sized_to_machine()),
        commented: Arc::new(Commented::default()),
    })
}

impl AppState {
    /// Drops stale pages here at once, and tells the other nodes through the store.
    pub async fn invalidate(&self, keys: Vec<String>) {
        // Only changes to articles (or the funding) come this way: comments use
        // `invalidate_soon`, which leaves the articles being commented on kept.
        self.commented.forget_all();
        self.apply_invalidation(&keys).await;
        self.share(&keys).await;
    }
}

/// Changes to discussions, gathered for a moment before they drop any page. A hot article
/// can take hundreds of comments a second while thousands read it: dropping its page on
/// every comment would have it rendered for nearly every reader (measured: 41,800 reads/s
/// fell to 1,000 under 155 posts/s). So strangers see a new comment within a fraction of
/// a second, as other nodes do; its author sees it at once, on the page rendered for them.
#[derive(Default)]
pub struct Unshared {
    keys: std::sync::Mutex<Vec<String>>,
    added: tokio::sync::Notify,
    /// Entries of the shared log this node wrote (and so has applied already).
    written: std::sync::Mutex<std::collections::HashSet<i64>>,
}

/// How long a burst of discussion changes may gather before pages are dropped and other
/// nodes are told.
const DISCUSSION_BURST: Duration = Duration::from_millis(200);

impl AppState {
    /// Drops the pages showing `keys` here and on every node, within a moment.
    pub fn invalidate_soon(&self, keys: Vec<String>) {
        self.unshared.keys.lock().expect("unshared keys").extend(keys);
        self.unshared.added.notify_one();
    }

    /// Applies what [`AppState::invalidate_soon`] gathered, here and (as one entry of the
    /// shared log) on the other nodes.
    pub async fn flush_invalidations(&self) {
        let mut keys = std::mem::take(&mut *self.unshared.keys.lock().expect("unshared keys"));
        if keys.is_empty() {
            return;
        }
        keys.sort();
        keys.dedup();
        self.cache.invalidate(&keys);
        self.share(&keys).await;
    }

    /// Writes keys this node has already dropped to the shared log, for the other nodes;
    /// this node then skips its own entry (dropping the pages twice would also throw away
    /// a page rendered in between).
    async fn share(&self, keys: &[String]) {
        match self.store.record_invalidation(keys, Utc::now()).await {
            Ok(id) => {
                self.unshared.written.lock().expect("written ids").insert(id);
            }
            // The write itself succeeded; only other nodes may serve the old page for now.
            Err(e) => tracing::error!(error = %e, "could not share a cache invalidation"),
        }
    }

    /// Drops the pages showing `keys`; a change to the funding figures also renders the bar
    /// again (pages keep their cached bodies and take the new bar).
    async fn apply_invalidation(&self, keys: &[String]) {
        self.cache.invalidate(keys);
        if keys.iter().any(|k| k == FUNDING_KEY) {
            self.refresh_funding().await;
        }
    }

    /// A donation came in: the bar is re-rendered shortly, once for a whole burst of them
    /// (a popular appeal can bring hundreds a second), well within the second readers wait.
    pub fn donation_recorded(&self) {
        self.funding.changed.notify_one();
    }

    async fn refresh_funding(&self) {
        if let Err(e) = self.funding.refresh(&self.store, &self.config, Utc::now()).await {
            tracing::error!(error = %e, "could not refresh the funding bar");
        }
    }
}

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight
/// (cutting those still open after `shutdown_grace_seconds`) and the comments they posted.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Read before the first request is taken: whatever another writer logs after it is
    // applied, so no page cached here can miss it (read in the task, it could come late).
    let seen = state.store.last_invalidation_id().await.unwrap_or(0);
    let sync = tokio::spawn(keep_cache_in_step(state.clone(), seen));
    let bar = tokio::spawn(refresh_bar_after_donations(state.clone()));
    let share = tokio::spawn(share_invalidations(state.clone()));
    let filter = tokio::spawn(keep_filter_in_step(state.clone()));
    let limits = connections::Limits::from_config(&state.config);
    connections::serve(listener, router(state.clone()), limits, shutdown).await;
    sync.abort();
    bar.abort();
    share.abort();
    filter.abort();
    // A comment whose poster was cut off may still be queued: it is written all the same.
    state.store.flush_comments().await;
    // What the last requests changed still reaches the other nodes.
    state.flush_invalidations().await;
    Ok(())
}

async fn share_invalidations(state: AppState) {
    loop {
        state.unshared.added.notified().await;
        tokio::time::sleep(DISCUSSION_BURST).await;
        state.flush_invalidations().await;
    }
}

/// How long a burst of donations may gather before the bar shows them all.
const DONATION_BURST: Duration = Duration::from_millis(100);

async fn refresh_bar_after_donations(state: AppState) {
    loop {
        state.funding.changed.notified().await;
        tokio::time::sleep(DONATION_BURST).await;
        state.refresh_funding().await;
        state.cache.invalidate(&[FUNDING_KEY.into()]);
        state.share(&[FUNDING_KEY.into()]).await;
    }
}

/// Applies the invalidations other writers logged, and drops the lists when a scheduled
/// article's time comes, so it appears without anyone touching the site.
async fn keep_cache_in_step(state: AppState, mut seen: i64) {
    let mut next_publication = state.store.next_publication_after(Utc::now()).await.ok().flatten();
    let mut ticker = tokio::time::interval(SYNC_INTERVAL);
    loop {
        ticker.tick().await;
        let mut refresh_schedule = false;
        match state.store.invalidations_after(seen).await {
            Ok(entries) => {
                for (id, keys) in entries {
                    let ours = state.unshared.written.lock().expect("written ids").remove(&id);
                    if !ours {
                        // It may be an article's change, its comments closed there.
                        state.commented.forget_all();
                        state.apply_invalidation(&keys).await;
                    }
                    seen = id;
                    refresh_schedule = true;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read cache invalidations"),
        }
        let now = Utc::now();
        if next_publication.is_some_and(|at| at <= now) {
            // Which lists the article joins is not known here; dropping them all is rare.
            state.cache.invalidate(&[FRONT.into(), "tag:*".into(), "author:*".into()]);
            refresh_schedule = true;
        }
        if state.funding.current().month != Month::containing(now, state.config.tz()) {
            // Midnight in the site's time zone: a new month, a new goal.
            state.cache.invalidate(&[FUNDING_KEY.into()]);
            state.refresh_funding().await;
        }
        if refresh_schedule {
            next_publication = state.store.next_publication_after(now).await.unwrap_or(next_publication);
        }
    }
}

impl AppState {
    /// Applies the learned filter's examples stored since this node last looked: call it
    /// after a moderator's decision taught the filter, so this node scores with it at once.
    pub async fn refresh_filter(&self) {
        if let Err(e) = learned::refresh(&self.store, &self.config.moderation.model).await {
            tracing::warn!(error = %e, "could not read the learned filter's new examples");
        }
    }
}

async fn keep_filter_in_step(state: AppState) {
    let mut ticker = tokio::time::interval(FILTER_INTERVAL);
    loop {
        ticker.tick().await;
        state.refresh_filter().await;
    }
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
