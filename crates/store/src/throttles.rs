//! The counters behind throttles: one row per key, changed only by compare-and-swap so
//! that concurrent attempts (on one node or many) are each counted.

use chrono::{DateTime, Utc};
use tribune_core::store::{StoreError, ThrottleStore};
use tribune_core::throttle::Attempts;

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{secs, time};

impl ThrottleStore for Store {
    async fn attempts(&self, key: &str) -> Result<Option<Attempts>, StoreError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT attempts, last_at FROM throttles WHERE throttle_key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(from_sqlx)?;
        Ok(row.map(|(count, last_at)| Attempts {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            last_at: time(last_at),
        }))
    }

    async fn swap_attempts(
        &self,
        key: &str,
        prior: Option<Attempts>,
        next: Attempts,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let swapped = match prior {
            None => {
                // A new key: a good moment to sweep the keys nobody has used for long.
                sqlx::query("DELETE FROM throttles WHERE last_at < $1")
                    .bind(secs(stale_before))
                    .execute(&self.pool)
                    .await
                    .map_err(from_sqlx)?;
                sqlx::query(
                    "INSERT INTO throttles (throttle_key, attempts, last_at) VALUES ($1, $2, $3)
                     ON CONFLICT (throttle_key) DO NOTHING",
                )
                .bind(key)
                .bind(i64::from(next.count))
                .bind(secs(next.last_at))
                .execute(&self.pool)
                .await
            }
            Some(prior) => {
                sqlx::query(
                    "UPDATE throttles SET attempts = $2, last_at = $3
                     WHERE throttle_key = $1 AND attempts = $4 AND last_at = $5",
                )
                .bind(key)
                .bind(i64::from(next.count))
                .bind(secs(next.last_at))
                .bind(i64::from(prior.count))
                .bind(secs(prior.last_at))
                .execute(&self.pool)
                .await
            }
        };
        Ok(swapped.map_err(from_sqlx)?.rows_affected() == 1)
    }

    async fn forget_attempts(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttles WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }
}
