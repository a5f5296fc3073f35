//! The counters behind throttles: one row per key, changed only by compare-and-swap so
//! that concurrent attempts (on one node or many) are each counted.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use tribune_core::store::{RateCount, StoreError, ThrottleStore};
use tribune_core::throttle::{Attempts, MAX_RACES, Policy, Tally, Throttled};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};

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
            // A new key: a good moment to sweep the keys of its action nobody has used for long.
            sweep(conn, action_of(key), stale_before).await?;
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

/// The action a key counts (`comment-address` of `comment-address:…`).
fn action_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(action, _)| action)
}

/// Forgets the keys of one action quiet since `stale_before`. Only that action's: another
/// action forgets more slowly (a sign-in count lasts a day, a comment count minutes).
async fn sweep(
    conn: &mut AnyConnection,
    action: &str,
    stale_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    let prefix = format!("{action}:");
    sqlx::query(
        "DELETE FROM throttles WHERE last_at < $1 AND substr(throttle_key, 1, CAST($2 AS INTEGER)) = $3",
    )
    .bind(secs(stale_before))
    .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX))
    .bind(prefix)
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

/// Keys read or written per statement: well under either backend's limit on binds.
const KEYS_PER_STATEMENT: usize = 200;

/// Counts the rate limits of a burst of comments inside the writer's transaction: every
/// key read once, the rule applied in memory in posting order, one write per key. One
/// result per comment: refused, nothing of it counts. Another node counting the same key
/// meanwhile (PostgreSQL) makes a write find its row changed: the count is rolled back and
/// done again from a fresh read.
pub(crate) async fn count_burst(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    burst: &[(&[RateCount], DateTime<Utc>)],
) -> Result<Vec<Result<(), Throttled>>, StoreError> {
    let limits: Vec<Vec<(Policy, String)>> = burst
        .iter()
        .map(|(rates, _)| rates.iter().map(|r| (r.policy, r.policy.key(&r.subject))).collect())
        .collect();
    let Some(latest) = burst.iter().map(|(_, now)| *now).max() else { return Ok(vec![]) };
    let policies: BTreeMap<&str, Policy> = limits.iter().flatten().map(|(p, _)| (p.action, *p)).collect();
    for policy in policies.values() {
        sweep(tx, policy.action, latest - policy.forget_after).await?;
    }
    let keys: Vec<String> = {
        let distinct: BTreeMap<&str, ()> = limits.iter().flatten().map(|(_, k)| (k.as_str(), ())).collect();
        distinct.into_keys().map(str::to_owned).collect()
    };
    for _ in 0..MAX_RACES {
        sqlx::query("SAVEPOINT rate_counts").execute(&mut **tx).await.map_err(from_sqlx)?;
        let mut tally = Tally::new(keys.iter().cloned(), read_many(tx, &keys).await?);
        let results: Vec<_> =
            limits.iter().zip(burst).map(|(limits, (_, now))| tally.admit(limits, *now)).collect();
        if write_tally(tx, &tally).await? {
            sqlx::query("RELEASE SAVEPOINT rate_counts").execute(&mut **tx).await.map_err(from_sqlx)?;
            return Ok(results);
        }
        sqlx::query("ROLLBACK TO SAVEPOINT rate_counts").execute(&mut **tx).await.map_err(from_sqlx)?;
        sqlx::query("RELEASE SAVEPOINT rate_counts").execute(&mut **tx).await.map_err(from_sqlx)?;
    }
    // Hammered from several nodes at once: refusing is the right answer.
    Ok(limits
        .iter()
        .map(|l| match l.first() {
            Some((policy, _)) => Err(Throttled { retry_after: policy.first_wait }),
            None => Ok(()),
        })
        .collect())
}

/// The stored attempts of `keys` that have a row.
async fn read_many(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<HashMap<String, Attempts>, StoreError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let sql = format!(
            "SELECT throttle_key, attempts, last_at FROM throttles WHERE throttle_key IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64, i64)>(&sql);
        for key in chunk {
            query = query.bind(key);
        }
        for (key, count, last_at) in query.fetch_all(&mut *conn).await.map_err(from_sqlx)? {
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            found.insert(key, Attempts { count, last_at: time(last_at) });
        }
    }
    Ok(found)
}

/// Stores a tally's changes: new keys in one statement per chunk, known ones each by
/// compare-and-swap. False if any row was changed by someone else since it was read.
async fn write_tally(conn: &mut AnyConnection, tally: &Tally) -> Result<bool, StoreError> {
    let (new, known): (Vec<_>, Vec<_>) = tally.changes().partition(|(_, prior, _)| prior.is_none());
    for chunk in new.chunks(KEYS_PER_STATEMENT) {
        let rows: Vec<String> =
            (0..chunk.len()).map(|i| format!("({})", placeholders(3 * i + 1, 3))).collect();
        let sql = format!(
            "INSERT INTO throttles (throttle_key, attempts, last_at) VALUES {} ON CONFLICT (throttle_key) DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (key, _, next) in chunk {
            query = query.bind(*key).bind(i64::from(next.count)).bind(secs(next.last_at));
        }
        let inserted = query.execute(&mut *conn).await.map_err(from_sqlx)?.rows_affected();
        if inserted != chunk.len() as u64 {
            return Ok(false);
        }
    }
    for (key, prior, next) in known {
        if !swap(conn, key, prior, next, next.last_at).await? {
            return Ok(false);
        }
    }
    Ok(true)
}
