//! Tribune's storage layer: the only code that knows SQL. One [`Store`] serves SQLite and
//! PostgreSQL with the same query texts; the few statements that must differ live in
//! [`dialect`], the schemas in `migrations/{sqlite,postgres}` with the same versions.

mod account_links;
mod articles;
mod comments;
mod dialect;
mod digest;
mod dump;
mod embeds;
mod error;
mod export;
mod filter_examples;
mod first_import;
mod flags;
mod funding;
mod group_commit;
mod invalidations;
mod maintenance;
mod media;
mod menu;
mod migrate;
mod moderators;
mod outbox;
mod reply_subscriptions;
mod rows;
#[cfg(feature = "testing")]
pub mod schema;
mod sessions;
mod settings;
mod supporters;
#[cfg(feature = "testing")]
pub mod testing;
mod throttles;
mod users;

use std::time::Duration;

pub use group_commit::WriterStats;
pub use invalidations::InvalidationListener;
pub use maintenance::CheckReport;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
pub use tribune_core::store::StoreError;

/// Which database a [`Store`] talks to; chosen by the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to the site's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    comments: group_commit::CommentWriter,
    /// The database URL, for connections outside the pool (the invalidation listener).
    url: std::sync::Arc<str>,
    listener_name: std::sync::Arc<str>,
}

impl Store {
    /// Connects to `sqlite://PATH` (the file is created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_url(url)?;
        let options: AnyConnectOptions =
            url.parse().map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?;
        // One plain connection first: the pool would retry a refused connection until its
        // timeout, and an operator with a wrong URL deserves the error at once.
        let probe = AnyConnection::connect_with(&options)
            .await
            .map_err(|e| StoreError::Unavailable(describe_connect_error(&url, &e)))?;
        probe.close().await.ok();
        let pool = pool_options(backend, if backend == Backend::Sqlite { 8 } else { 16 })
            .connect_with(options.clone())
            .await
            .map_err(|e| StoreError::Unavailable(describe_connect_error(&url, &e)))?;
        // The comment writer has a connection of its own, so a burst of readers never
        // keeps it waiting for one (it is the only writer that a busy discussion has).
        let writer_url = url.clone();
        let writer = async move {
            let connected = pool_options(backend, 1).connect_with(options).await;
            connected.map_err(|e| StoreError::Unavailable(describe_connect_error(&writer_url, &e)))
        };
        let comments = group_commit::CommentWriter::start(writer, backend).await?;
        let listener_name = listener_name().into();
        Ok(Store { pool, backend, comments, url: url.into(), listener_name })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a transaction that writes (see [`begin_write`]).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        begin_write(&self.pool, self.backend).await
    }

    /// Brings the schema up to date; safe to run from several nodes at once.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrate::run(self).await
    }

    /// Answers whether the database responds, for the readiness endpoint.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(error::from_sqlx)
    }

    /// What the comment writer has committed since this node started.
    pub fn writer_stats(&self) -> WriterStats {
        self.comments.stats()
    }

    /// The request pool's connections: (open, idle).
    pub fn pool_use(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Returns once every comment posted so far is committed: a shutdown waits for it.
    pub async fn flush_comments(&self) {
        self.comments.flush().await;
    }

    /// Lets PostgreSQL's planner see how big the comments table has grown. A bulk import
    /// calls it now and then: a server without autovacuum otherwise plans the duplicate
    /// lookup for the empty table it started with (seconds per lookup at a million rows).
    /// SQLite's planner needs nothing.
    pub async fn refresh_planner_statistics(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE comments").execute(&self.pool).await.map_err(error::from_sqlx)?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.comments.close().await;
    }
}

/// The statement that begins a transaction that writes. SQLite's plain `BEGIN` defers the
/// write lock to the first write, and a transaction that has read by then fails at once
/// with "database is locked" if another connection committed in between (no wait can
/// refresh its snapshot). `BEGIN IMMEDIATE` takes the lock first, waiting its turn.
pub(crate) fn begin_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// Begins a transaction that writes, on a connection from `pool`.
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>, StoreError> {
    pool.begin_with(begin_statement(backend)).await.map_err(error::from_sqlx)
}

/// Unique among the stores of this machine, so an operator (or a test) can tell one
/// node's listening connection from another's.
fn listener_name() -> String {
    static STORES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("tribune-listener-{}-{n}", std::process::id())
}

fn pool_options(backend: Backend, connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        // Also how long a request waits while the database is down before its 503.
        .acquire_timeout(Duration::from_secs(5))
        // A SQLite connection is a file in this process: it cannot go stale, and pinging it
        // before every query was a round trip to its worker thread for nothing.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers work while one writer commits; FULL makes every
                    // acknowledged write survive a power cut, not only a crash.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                    ] {
                        conn.execute(pragma).await?;
                    }
                }
                Ok(())
            })
        })
}

/// Accepts `sqlite:PATH`, `sqlite://PATH` and `postgres(ql)://…`; makes SQLite create the
/// file if it is missing.
fn normalize_url(url: &str) -> Result<(Backend, String), StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Err(StoreError::Unavailable(format!(
            "unsupported database URL \"{url}\": use sqlite://PATH or postgres://USER@HOST/DB"
        )));
    };
    let path = rest.trim_start_matches("//");
    if path.is_empty() {
        return Err(StoreError::Unavailable("the sqlite:// URL names no file".into()));
    }
    let url = if path.contains("mode=") {
        format!("sqlite://{path}")
    } else {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("sqlite://{path}{sep}mode=rwc")
    };
    Ok((Backend::Sqlite, url))
}

fn describe_connect_error(url: &str, e: &sqlx::Error) -> String {
    // Never echo a password from the URL into logs or the terminal.
    let shown = match url.split_once('@') {
        Some((scheme_user, host)) if url.starts_with("postgres") => {
            let user = scheme_user.rsplit('/').next().unwrap_or("").split(':').next().unwrap_or("");
            format!("postgres://{user}@{host}")
        }
        _ => url.to_owned(),
    };
    format!("cannot connect to {shown}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_urls() {
        assert_eq!(
            normalize_url("sqlite://data/t.db").unwrap(),
            (Backend::Sqlite, "sqlite://data/t.db?mode=rwc".into())
        );
        assert_eq!(
            normalize_url("sqlite:/abs/t.db").unwrap(),
            (Backend::Sqlite, "sqlite:///abs/t.db?mode=rwc".into())
        );
        assert_eq!(normalize_url("postgres://u@h/db").unwrap().0, Backend::Postgres);
        assert!(normalize_url("mysql://u@h/db").is_err());
        assert!(normalize_url("sqlite://").is_err());
    }

    #[test]
    fn hides_passwords() {
        let e = sqlx::Error::PoolTimedOut;
        let msg = describe_connect_error("postgres://bob:secret@db.example:5432/site", &e);
        assert!(!msg.contains("secret"), "{msg}");
        assert!(msg.contains("bob@db.example:5432/site"), "{msg}");
    }
}
