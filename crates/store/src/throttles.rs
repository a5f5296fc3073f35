//! The counters behind throttles: one row per key, changed only by compare-and-swap so
//! that concurrent attempts (on one node or many) are each counted.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use tribune_core::store::{StoreError, ThrottleStore};
use tribune_core::throttle::{Attempts, MAX_RACES, Policy, Throttled};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{secs, time};

impl ThrottleStore for Store {
    async fn attempts(&self, key: &str) -> Result<Option<Attempts>, StoreError> {
        read(&mut *self.pool.acquire().await.map_err(from_sqlx)?, key).await
    }

    async fn swap_attempts(
        &self,
        key: &str,
        prior: Option<Attempts>,
        next: Attempts,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        swap(&mut *self.pool.acquire().await.map_err(from_sqlx)?, key, prior, next, stale_before).await
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

/// A key's attempts so far, on a connection of the pool or inside a transaction.
async fn read(conn: &mut AnyConnection, key: &str) -> Result<Option<Attempts>, StoreError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT attempts, last_at FROM throttles WHERE throttle_key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(from_sqlx)?;
    Ok(row.map(|(count, last_at)| Attempts {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last_at: time(last_at),
    }))
}

/// Stores `next` if the key still holds `prior`; false if another attempt changed it first.
async fn swap(
    conn: &mut AnyConnection,
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
                .execute(&mut *conn)
                .await
                .map_err(from_sqlx)?;
            sqlx::query(
                "INSERT INTO throttles (throttle_key, attempts, last_at) VALUES ($1, $2, $3)
                 ON CONFLICT (throttle_key) DO NOTHING",
            )
            .bind(key)
            .bind(i64::from(next.count))
            .bind(secs(next.last_at))
            .execute(&mut *conn)
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
            .execute(&mut *conn)
            .await
        }
    };
    Ok(swapped.map_err(from_sqlx)?.rows_affected() == 1)
}

/// Counts an attempt under `policy` inside the caller's transaction (the comment writer's):
/// the same compare-and-swap as [`ThrottleStore`], committed with the comment it guards.
pub(crate) async fn count_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    policy: &Policy,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = policy.key(subject);
    for _ in 0..MAX_RACES {
        let prior = read(tx, &key).await?;
        let next = policy.admit(prior, now)?;
        if swap(tx, &key, prior, next, now - policy.forget_after).await? {
            return Ok(());
        }
    }
    Err(Throttled { retry_after: policy.first_wait }.into())
}
