//! The shared log of page-cache invalidations (see `InvalidationStore`).

use chrono::{DateTime, Utc};
use sqlx::Row;
use tribune_core::store::{InvalidationStore, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::secs;

impl InvalidationStore for Store {
    async fn record_invalidation(&self, keys: &[String], now: DateTime<Utc>) -> Result<i64, StoreError> {
        sqlx::query("DELETE FROM page_invalidations WHERE created_at < $1")
            .bind(secs(now) - 3600)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        sqlx::query_scalar("INSERT INTO page_invalidations (keys, created_at) VALUES ($1, $2) RETURNING id")
            .bind(keys.join(" "))
            .bind(secs(now))
            .fetch_one(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn invalidations_after(&self, id: i64) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let rows = sqlx::query("SELECT id, keys FROM page_invalidations WHERE id > $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                let keys: String = r.try_get("keys").map_err(from_sqlx)?;
                Ok((r.try_get("id").map_err(from_sqlx)?, keys.split(' ').map(str::to_owned).collect()))
            })
            .collect()
    }

    async fn last_invalidation_id(&self) -> Result<i64, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM page_invalidations")
            .fetch_one(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(id.unwrap_or(0))
    }
}
