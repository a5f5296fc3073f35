//! Keeping every node's page cache coherent: what a change makes stale, dropped here at
//! once and on other nodes through the store's log (woken by `LISTEN/NOTIFY` on PostgreSQL).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tribune_core::article::Article;
use tribune_core::funding::month::Month;
use tribune_core::moderation::learned;
use tribune_core::publishing::Saved;
use tribune_core::slug::Slug;
use tribune_core::store::{ArticleStore, InvalidationStore, LogPosition, StoreError};
use tribune_core::supporters::SupporterStore;
use tribune_store::Store;

use crate::cache::{FRONT, PageCache, article_key, author_key, keys_of, keys_of_change};
use crate::commented::Commented;
use crate::funding_bar::{FUNDING_KEY, FundingBar};
use crate::site::{LiveConfig, SETTINGS_KEY};

/// What a write changed, as the use cases report it; [`Coherence::changed`] knows which
/// pages that makes stale.
pub enum Change<'a> {
    /// An article saved (its old and new lists, if it moved).
    Article(&'a Saved),
    /// An article changed in place, on the same lists (its comments opened or closed).
    ArticleChanged(&'a Article),
    /// A discussion under this article: a comment posted, edited, voted, flagged, held.
    Discussion(&'a Article),
    /// The discussions under the articles with these ids (as a comment knows its article):
    /// which pages show them is worked out once per burst, not per request.
    Discussions(&'a [i64]),
    /// The funding figures or the goal.
    Funding,
    /// The site's settings, these keys of them (`tribune_core::site::FIELDS`).
    Settings(&'a [&'static str]),
    /// Comments imported under these articles (`None`: under any): their pages and every list.
    Imported(Option<&'a [Slug]>),
    /// An image uploaded that these articles (by slug) already showed: their pages, and the
    /// lists that may show it as a thumbnail.
    MediaAdded(&'a [String]),
    /// A writer renamed: their byline's page, these articles (by slug) and the lists.
    Byline(&'a tribune_core::account::Renamed),
    /// The navigation menu, which every public page shows.
    Menu,
    /// Anything may have changed (a restore, a repair): every page.
    Everything,
}

/// The pages `change` makes stale, as cache keys; `None` for [`Change::Discussions`],
/// whose articles must be read first.
fn stale_keys(change: &Change<'_>) -> Option<Vec<String>> {
    Some(match change {
        Change::Article(saved) => keys_of_change(saved),
        Change::ArticleChanged(article) | Change::Discussion(article) => keys_of(article),
        Change::Discussions(_) => return None,
        Change::Funding => vec![FUNDING_KEY.into()],
        Change::Settings(fields) => crate::site::keys_of_change(fields.iter().copied()),
        Change::Imported(articles) => {
            let mut keys = match articles {
                Some(slugs) => slugs.iter().map(|s| article_key(s.as_str())).collect(),
                None => vec!["article:*".to_owned()],
            };
            keys.extend([FRONT.to_owned(), "tag:*".to_owned(), "author:*".to_owned()]);
            keys
        }
        Change::MediaAdded([]) => vec![],
        Change::MediaAdded(slugs) => {
            let mut keys: Vec<String> = slugs.iter().map(|s| article_key(s)).collect();
            keys.extend([FRONT.to_owned(), "tag:*".to_owned(), "author:*".to_owned()]);
            keys
        }
        Change::Byline(renamed) if renamed.bylines.is_empty() => vec![],
        Change::Byline(renamed) => {
            let mut keys: Vec<String> = renamed.articles.iter().map(|s| article_key(s)).collect();
            keys.extend(renamed.bylines.iter().map(|s| author_key(s.as_str())));
            keys.extend([FRONT.to_owned(), "tag:*".to_owned()]);
            keys
        }
        Change::Menu => vec![SETTINGS_KEY.into(), "*".into()],
        Change::Everything => vec![SETTINGS_KEY.into(), "*".into()],
    })
}

/// Tells every running node what a command changed: the keys a node would drop, written
/// to the shared log (a command has no page cache of its own).
pub async fn announce(store: &Store, change: Change<'_>) -> Result<(), StoreError> {
    let keys = match stale_keys(&change) {
        Some(keys) => keys,
        None => {
            let Change::Discussions(ids) = change else { unreachable!("only discussions need reading") };
            let mut keys = Vec::new();
            for id in ids {
                if let Some(article) = store.article_by_id(*id).await? {
                    keys.extend(keys_of(&article));
                }
            }
            keys
        }
    };
    if !keys.is_empty() {
        store.record_invalidation(&keys, Utc::now()).await?;
    }
    Ok(())
}

/// How a burst of discussion changes may gather before pages are dropped and other nodes
/// told. A hot article can take hundreds of comments a second while thousands read it:
/// dropping its page on every comment would have it rendered for nearly every reader
/// (measured: 41,800 reads/s fell to 1,000 under 155 posts/s). So strangers see a new
/// comment within a fraction of a second; its author sees it at once, on their own page.
const DISCUSSION_BURST: Duration = Duration::from_millis(200);

/// How long a burst of donations may gather before the bar shows them all.
const DONATION_BURST: Duration = Duration::from_millis(100);

/// How often a node applies what the learned filter was taught elsewhere (by a moderator
/// on another node, or `tribune moderation train`).
const FILTER_INTERVAL: Duration = Duration::from_secs(2);

/// How often a node looks for supporters whose status ran out with no event (the period
/// after their last gift ended), to take their badge off its cached pages.
const BADGE_CHECK: Duration = Duration::from_secs(60);

/// How long a node waits before listening again after its connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

/// One per node: the page cache's link with the store's log and with the other nodes.
pub struct Coherence {
    store: Store,
    cache: Arc<PageCache>,
    funding: Arc<FundingBar>,
    live: Arc<LiveConfig>,
    commented: Arc<Commented>,
    /// Discussion keys dropped soon (see [`DISCUSSION_BURST`]).
    gathered: Mutex<Vec<String>>,
    /// Articles whose discussion pages are dropped soon, by id.
    gathered_articles: Mutex<Vec<i64>>,
    gathered_added: Notify,
    /// Held through a flush: one that starts while another is applying what it took
    /// returns only after that, so everything gathered before the call is applied.
    flushing: tokio::sync::Mutex<()>,
    /// Entries of the shared log this node wrote (and so has applied already).
    written: Mutex<HashSet<i64>>,
    /// Held from writing an entry until it is in `written`, and while the log is read:
    /// otherwise the reader (woken by that very entry's notification) could take this
    /// node's entry for another's and drop, a second time, pages rendered since.
    logging: tokio::sync::Mutex<()>,
    /// Read the log now: another writer's entry committed.
    wake: Notify,
    /// Log entries written for other nodes, and applied from them (for the metrics).
    sent: AtomicU64,
    received: AtomicU64,
    /// Donations recorded on this node (webhooks and the admin).
    donations: AtomicU64,
}

impl Coherence {
    pub fn new(
        store: Store,
        cache: Arc<PageCache>,
        funding: Arc<FundingBar>,
        live: Arc<LiveConfig>,
        commented: Arc<Commented>,
    ) -> Self {
        Coherence {
            store,
            cache,
            funding,
            live,
            commented,
            gathered: Mutex::default(),
            gathered_articles: Mutex::default(),
            gathered_added: Notify::new(),
            flushing: tokio::sync::Mutex::new(()),
            written: Mutex::default(),
            logging: tokio::sync::Mutex::new(()),
            wake: Notify::new(),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            donations: AtomicU64::new(0),
        }
    }

    /// Drops what `change` made stale, here and on every node: at once for articles and
    /// the funding, within [`DISCUSSION_BURST`] for discussions.
    pub async fn changed(&self, change: Change<'_>) {
        match (&change, stale_keys(&change)) {
            (Change::Discussions(ids), _) => {
                self.gathered_articles.lock().expect("gathered articles").extend(ids.iter());
                self.gathered_added.notify_one();
            }
            (Change::Discussion(_), Some(keys)) => self.invalidate_soon(keys),
            (_, Some(keys)) => self.invalidate(keys).await,
            (_, None) => unreachable!("only discussions need reading"),
        }
    }

    /// Drops stale pages here at once, and tells the other nodes through the store.
    pub async fn invalidate(&self, keys: Vec<String>) {
        // Only changes to articles (or the funding) come this way: comments use
        // `invalidate_soon`, which leaves the articles being commented on kept.
        self.commented.forget_all();
        self.apply(&keys).await;
        self.share(&keys).await;
    }

    /// Drops the pages showing `keys` here and on every node, within a moment.
    pub fn invalidate_soon(&self, keys: Vec<String>) {
        self.gathered.lock().expect("gathered keys").extend(keys);
        self.gathered_added.notify_one();
    }

    /// Applies what [`Coherence::invalidate_soon`] gathered, here and (as one entry of the
    /// shared log) on the other nodes.
    pub async fn flush(&self) {
        let _one_at_a_time = self.flushing.lock().await;
        let mut ids = std::mem::take(&mut *self.gathered_articles.lock().expect("gathered articles"));
        let mut keys = std::mem::take(&mut *self.gathered.lock().expect("gathered keys"));
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            match self.store.article_by_id(id).await {
                Ok(Some(article)) => keys.extend(keys_of(&article)),
                Ok(None) => {}
                // Its pages would stay stale everywhere: drop every discussion page instead.
                Err(e) => {
                    tracing::warn!(error = %e, article = id, "could not read which pages show a discussion");
                    keys.extend([FRONT.to_owned(), "article:*".into(), "tag:*".into(), "author:*".into()]);
                }
            }
        }
        if keys.is_empty() {
            return;
        }
        keys.sort();
        keys.dedup();
        self.cache.invalidate(&keys);
        self.share(&keys).await;
    }

    /// A donation came in: the bar is re-rendered shortly, once for a whole burst of them
    /// (a popular appeal can bring hundreds a second), well within the second readers wait.
    pub fn donation_recorded(&self) {
        self.donations.fetch_add(1, Ordering::Relaxed);
        self.funding.changed.notify_one();
    }

    /// Invalidations since start: (written for the other nodes, applied from them).
    pub fn invalidations(&self) -> (u64, u64) {
        (self.sent.load(Ordering::Relaxed), self.received.load(Ordering::Relaxed))
    }

    /// Donations recorded on this node since start.
    pub fn donations_recorded(&self) -> u64 {
        self.donations.load(Ordering::Relaxed)
    }

    /// Applies the learned filter's examples stored since this node last looked: call it
    /// after a moderator's decision taught the filter, so this node scores with it at once.
    pub async fn refresh_filter(&self) {
        if let Err(e) = learned::refresh(&self.store, &self.live.base().moderation.model).await {
            tracing::warn!(error = %e, "could not read the learned filter's new examples");
        }
    }

    /// Writes keys this node has already dropped to the shared log, for the other nodes;
    /// this node then skips its own entry (dropping the pages twice would also throw away
    /// a page rendered in between).
    async fn share(&self, keys: &[String]) {
        let _logging = self.logging.lock().await;
        match self.store.record_invalidation(keys, Utc::now()).await {
            Ok(id) => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                self.written.lock().expect("written ids").insert(id);
            }
            // The write itself succeeded; only other nodes may serve the old page for now.
            Err(e) => tracing::error!(error = %e, "could not share a cache invalidation"),
        }
    }

    /// Drops the pages showing `keys`; a change to the funding figures also renders the bar
    /// again (pages keep their cached bodies and take the new bar).
    async fn apply(&self, keys: &[String]) {
        if keys.iter().any(|k| k == SETTINGS_KEY) {
            // Before the pages go: those rendered next must show the new settings.
            if let Err(e) = self.live.reload(&self.store).await {
                tracing::error!(error = %e, "could not read the site's settings");
            }
        }
        self.cache.invalidate(keys);
        if keys.iter().any(|k| k == FUNDING_KEY || k == "*") {
            self.refresh_funding().await;
        }
    }

    async fn refresh_funding(&self) {
        if let Err(e) = self.funding.refresh(&self.store, &self.live.current(), Utc::now()).await {
            tracing::error!(error = %e, "could not refresh the funding bar");
        }
    }

    /// Applies the entries other writers logged since `position`; true if there were any.
    async fn catch_up(&self, position: &mut LogPosition) -> bool {
        let (any, theirs): (bool, Vec<Vec<String>>) = {
            let _logging = self.logging.lock().await;
            let entries = match self.store.invalidations_since(position).await {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read cache invalidations");
                    return false;
                }
            };
            let mut written = self.written.lock().expect("written ids");
            let any = !entries.is_empty();
            (any, entries.into_iter().filter(|(id, _)| !written.remove(id)).map(|(_, keys)| keys).collect())
        };
        for keys in theirs {
            self.received.fetch_add(1, Ordering::Relaxed);
            // It may be an article's change, its comments closed there.
            self.commented.forget_all();
            self.apply(&keys).await;
        }
        any
    }

    /// Everything may have changed unseen (the listening connection was lost): nothing
    /// cached is served again without being rendered anew.
    async fn forget_everything(&self) {
        self.commented.forget_all();
        self.cache.invalidate_all();
        self.refresh_funding().await;
    }
}

/// The background work that keeps a node coherent; stopped with [`Tasks::stop`].
pub struct Tasks {
    handles: Vec<JoinHandle<()>>,
    coherence: Arc<Coherence>,
}

/// Starts the node's background work. Reads where the log ends before returning, so that
/// whatever another writer logs after it is applied, and no page cached here (the caller
/// serves only after this) can miss it.
pub async fn start(coherence: Arc<Coherence>) -> Tasks {
    let position = match coherence.store.invalidation_log_end().await {
        Ok(position) => position,
        Err(e) => {
            // Reading from the start applies an hour of entries: harmless on a cold cache.
            tracing::warn!(error = %e, "could not read where the invalidation log ends");
            LogPosition::default()
        }
    };
    let handles = vec![
        tokio::spawn(keep_cache_in_step(coherence.clone(), position)),
        tokio::spawn(listen(coherence.clone())),
        tokio::spawn(share_gathered(coherence.clone())),
        tokio::spawn(refresh_bar_after_donations(coherence.clone())),
        tokio::spawn(keep_filter_in_step(coherence.clone())),
        tokio::spawn(take_off_lapsed_badges(coherence.clone())),
    ];
    Tasks { handles, coherence }
}

impl Tasks {
    /// Stops the background work; what the last requests changed still reaches the
    /// other nodes.
    pub async fn stop(self) {
        for handle in &self.handles {
            handle.abort();
        }
        self.coherence.flush().await;
    }
}

async fn share_gathered(co: Arc<Coherence>) {
    loop {
        co.gathered_added.notified().await;
        tokio::time::sleep(DISCUSSION_BURST).await;
        co.flush().await;
    }
}

async fn refresh_bar_after_donations(co: Arc<Coherence>) {
    loop {
        co.funding.changed.notified().await;
        tokio::time::sleep(DONATION_BURST).await;
        co.refresh_funding().await;
        co.cache.invalidate(&[FUNDING_KEY.into()]);
        co.share(&[FUNDING_KEY.into()]).await;
    }
}

/// Applies the invalidations other writers logged (when woken, or every
/// `cache_sync_seconds` to catch up), and drops the lists when a scheduled article's time
/// comes, so it appears without anyone touching the site.
async fn keep_cache_in_step(co: Arc<Coherence>, mut position: LogPosition) {
    let mut next_publication = co.store.next_publication_after(Utc::now()).await.ok().flatten();
    let mut ticker = tokio::time::interval(Duration::from_secs(co.live.base().cache_sync_seconds));
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = co.wake.notified() => {}
        }
        let refresh_schedule = co.catch_up(&mut position).await;
        let now = Utc::now();
        let published = next_publication.is_some_and(|at| at <= now);
        if published {
            // Which lists the article joins is not known here; dropping them all is rare.
            co.cache.invalidate(&[FRONT.into(), "tag:*".into(), "author:*".into()]);
        }
        if co.funding.current().month != Month::containing(now, co.live.current().tz()) {
            // Midnight in the site's time zone: a new month, a new goal.
            co.cache.invalidate(&[FUNDING_KEY.into()]);
            co.refresh_funding().await;
        }
        if refresh_schedule || published {
            next_publication = co.store.next_publication_after(now).await.unwrap_or(next_publication);
        }
    }
}

/// On PostgreSQL, wakes the log reader as soon as another writer's entry commits. A lost
/// connection may have missed announcements: once listening again, the node forgets every
/// cached page rather than serve one it may have missed the change of.
async fn listen(co: Arc<Coherence>) {
    let mut reconnecting = false;
    loop {
        let mut listener = match co.store.listen_for_invalidations().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other nodes' changes; retrying");
                tokio::time::sleep(RELISTEN_AFTER).await;
                continue;
            }
        };
        if reconnecting {
            co.forget_everything().await;
            tracing::info!("listening for other nodes' changes again; cached pages dropped");
        }
        reconnecting = true;
        co.wake.notify_one();
        while listener.wait().await.is_ok() {
            co.wake.notify_one();
        }
        tracing::warn!("lost the connection that hears other nodes' changes");
    }
}

async fn keep_filter_in_step(co: Arc<Coherence>) {
    let mut ticker = tokio::time::interval(FILTER_INTERVAL);
    loop {
        ticker.tick().await;
        co.refresh_filter().await;
    }
}

/// A supporter's status also ends by itself, a period after their last gift: nothing is
/// written then, so each node looks once in a while for the badges that lapsed since it
/// last looked, and drops the discussions that showed them.
async fn take_off_lapsed_badges(co: Arc<Coherence>) {
    let mut since = Utc::now();
    let mut ticker = tokio::time::interval(BADGE_CHECK);
    ticker.tick().await; // the first tick is at once
    loop {
        ticker.tick().await;
        let now = Utc::now();
        let period = co.live.current().supporter_rules().period;
        match co.store.articles_where_badges_lapsed(since, now, period).await {
            Ok(articles) => {
                if !articles.is_empty() {
                    co.changed(Change::Discussions(&articles)).await;
                }
                since = now;
            }
            // Looked for again next time, from the same moment.
            Err(e) => tracing::warn!(error = %e, "could not look for lapsed supporter badges"),
        }
    }
}
