//! The shared log of page-cache invalidations (see `InvalidationStore`), read in commit
//! order, and on PostgreSQL the notification that wakes other nodes when an entry commits.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tribune_core::store::{InvalidationStore, LogPosition, StoreError};

use crate::error::from_sqlx;
use crate::rows::secs;
use crate::{Backend, Store};

/// The PostgreSQL channel a committed log entry is announced on.
pub const CHANNEL: &str = "tribune_invalidations";

impl InvalidationStore for Store {
    async fn record_invalidation(&self, keys: &[String], now: DateTime<Utc>) -> Result<i64, StoreError> {
        sqlx::query("DELETE FROM page_invalidations WHERE created_at < $1")
            .bind(secs(now) - 3600)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        // One statement: the entry and, on PostgreSQL, its notification commit together
        // (a notification is sent on commit), and no transaction is left open if the
        // caller goes away midway.
        let insert = "INSERT INTO page_invalidations (keys, created_at) VALUES ($1, $2) RETURNING id";
        let notify_too = format!(
            "WITH entry AS ({insert}) SELECT entry.id FROM entry, (SELECT pg_notify($3, '')) AS notified"
        );
        let query = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(insert).bind(keys.join(" ")).bind(secs(now)),
            Backend::Postgres => {
                sqlx::query_scalar(&notify_too).bind(keys.join(" ")).bind(secs(now)).bind(CHANNEL)
            }
        };
        query.fetch_one(&self.pool).await.map_err(from_sqlx)
    }

    async fn invalidation_log_end(&self) -> Result<LogPosition, StoreError> {
        let mut position = LogPosition::default();
        self.invalidations_since(&mut position).await?;
        Ok(position)
    }

    async fn invalidations_since(
        &self,
        position: &mut LogPosition,
    ) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        match self.backend {
            Backend::Sqlite => self.read_after_id(position).await,
            Backend::Postgres => self.read_by_commit(position).await,
        }
    }
}

impl Store {
    async fn read_after_id(&self, position: &mut LogPosition) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let rows = sqlx::query("SELECT id, keys FROM page_invalidations WHERE id > $1 ORDER BY id")
            .bind(position.last_id)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let entries = rows.iter().map(entry).collect::<Result<Vec<_>, _>>()?;
        if let Some((id, _)) = entries.last() {
            position.last_id = *id;
        }
        Ok(entries)
    }

    /// Reads, in one statement (so one snapshot), the oldest transaction still open and
    /// the entries of every transaction since the last read's oldest open one. An entry not
    /// visible now was written by a transaction open now, so the next read (from the new
    /// horizon) sees it.
    async fn read_by_commit(
        &self,
        position: &mut LogPosition,
    ) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT now_open.horizon, p.id, p.keys, p.writer_txid \
             FROM (SELECT txid_snapshot_xmin(txid_current_snapshot()) AS horizon) now_open \
             LEFT JOIN page_invalidations p ON p.writer_txid >= $1 ORDER BY p.id",
        )
        .bind(position.horizon)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        let horizon: i64 = match rows.first() {
            Some(row) => row.try_get("horizon").map_err(from_sqlx)?,
            None => return Err(StoreError::Database("the log read returned no row".into())),
        };
        let mut at_horizon = std::collections::BTreeSet::new();
        let mut entries = Vec::new();
        for row in &rows {
            if row.try_get::<Option<i64>, _>("id").map_err(from_sqlx)?.is_none() {
                continue; // The log has nothing from `position.horizon` on.
            }
            let (id, keys) = entry(row)?;
            let txid: i64 = row.try_get("writer_txid").map_err(from_sqlx)?;
            if txid >= horizon {
                at_horizon.insert(id);
            }
            if !position.read.contains(&id) {
                entries.push((id, keys));
            }
            position.last_id = position.last_id.max(id);
        }
        position.horizon = horizon;
        position.read = at_horizon;
        Ok(entries)
    }
}

fn entry(row: &sqlx::any::AnyRow) -> Result<(i64, Vec<String>), StoreError> {
    let keys: String = row.try_get("keys").map_err(from_sqlx)?;
    Ok((row.try_get("id").map_err(from_sqlx)?, keys.split(' ').map(str::to_owned).collect()))
}

/// A connection that hears when another writer's log entry commits (PostgreSQL only).
pub struct InvalidationListener {
    listener: PgListener,
}

impl Store {
    /// Listens for committed log entries; `None` on SQLite, where every writer is this
    /// process or the command line and the periodic read is the only way. The connection
    /// is named [`Store::listener_name`] in `pg_stat_activity`.
    pub async fn listen_for_invalidations(&self) -> Result<Option<InvalidationListener>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let options: PgConnectOptions = self
            .url
            .parse::<PgConnectOptions>()
            .map_err(|e| StoreError::Unavailable(format!("invalid database URL: {e}")))?
            .application_name(&self.listener_name);
        // A pool of one that never reconnects behind our back: a lost connection is
        // reported (see `InvalidationListener::wait`), as notifications may have been missed.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(from_sqlx)?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(from_sqlx)?;
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await.map_err(from_sqlx)?;
        Ok(Some(InvalidationListener { listener }))
    }

    /// The `application_name` of this store's listening connection.
    pub fn listener_name(&self) -> &str {
        &self.listener_name
    }
}

impl InvalidationListener {
    /// Waits for the next committed entry; an error means the connection was lost and
    /// what was announced meanwhile is unknown: listen again, and assume anything changed.
    pub async fn wait(&mut self) -> Result<(), StoreError> {
        match self.listener.try_recv().await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(StoreError::Unavailable("the listening connection was lost".into())),
            Err(e) => Err(from_sqlx(e)),
        }
    }
}
