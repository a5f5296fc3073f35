//! Reader flags: one row per comment and reader (the primary key says "once"), and the
//! hold that the N-th flag puts on a comment, in the flag's own transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;
use tribune_core::moderation::flags::{FlagCounts, FlagReason, FlagSummary, hold_reason, with_reason};
use tribune_core::store::{FlagHold, FlagStore, FlagWrite, NewFlag, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

impl FlagStore for Store {
    async fn add_flag(
        &self,
        flag: &NewFlag,
        hold: FlagHold,
        now: DateTime<Utc>,
    ) -> Result<FlagWrite, StoreError> {
        let mut tx = self.begin_write().await?;
        // A write first: it locks the comment's row, so the flags on one comment are
        // counted one transaction at a time (two "second of three" flags at once would
        // otherwise each count two, and neither hold it). PostgreSQL needs it: SQLite's
        // `begin_write` holds the whole database already.
        let (status, article_id): (String, i64) =
            sqlx::query_as("UPDATE comments SET status = status WHERE id = $1 RETURNING status, article_id")
                .bind(flag.comment_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(from_sqlx)?
                .ok_or(StoreError::NotFound)?;
        // Early answers end the transaction too: a dropped one would keep the comment's row
        // locked until its connection is next used.
        if status != "published" {
            tx.rollback().await.map_err(from_sqlx)?;
            return Ok(FlagWrite::NotPublished);
        }
        if !insert(&mut tx, flag, now).await? {
            tx.rollback().await.map_err(from_sqlx)?;
            return Ok(FlagWrite::AlreadyFlagged);
        }
        let counts = counts_of(&mut tx, flag.comment_id).await?;
        let flags = counts.total();
        let held = match hold {
            FlagHold::Never => false,
            FlagHold::AtCount(n) => flags == n,
            FlagHold::Now => true,
        };
        if held {
            hold_comment(&mut tx, flag.comment_id, article_id, &counts, now).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(FlagWrite::Counted { flags, held })
    }

    async fn flag_by(&self, comment_id: i64, flagger: &str) -> Result<Option<FlagReason>, StoreError> {
        let reason: Option<String> =
            sqlx::query_scalar("SELECT reason FROM comment_flags WHERE comment_id = $1 AND flagger = $2")
                .bind(comment_id)
                .bind(flagger)
                .fetch_optional(&self.pool)
                .await
                .map_err(from_sqlx)?;
        Ok(reason.as_deref().and_then(FlagReason::parse))
    }

    async fn flag_summaries(&self, comment_ids: &[i64]) -> Result<HashMap<i64, FlagSummary>, StoreError> {
        if comment_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT comment_id, reason, COUNT(*) AS n, MIN(created_at) AS first_at, MAX(created_at) AS last_at \
             FROM comment_flags WHERE comment_id IN ({}) GROUP BY comment_id, reason",
            placeholders(1, comment_ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in comment_ids {
            query = query.bind(*id);
        }
        summaries(&query.fetch_all(&self.pool).await.map_err(from_sqlx)?)
    }
}

/// Stores the flag; false when this reader had flagged the comment already.
async fn insert(tx: &mut Tx<'_>, flag: &NewFlag, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO comment_flags (comment_id, flagger, user_id, reason, ip_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (comment_id, flagger) DO NOTHING",
    )
    .bind(flag.comment_id)
    .bind(&flag.flagger)
    .bind(flag.user_id)
    .bind(flag.reason.as_str())
    .bind(flag.ip_hash.clone())
    .bind(secs(now))
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

async fn counts_of(tx: &mut Tx<'_>, comment_id: i64) -> Result<FlagCounts, StoreError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT reason, COUNT(*) FROM comment_flags WHERE comment_id = $1 GROUP BY reason")
            .bind(comment_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(from_sqlx)?;
    let mut counts = FlagCounts::default();
    for (reason, n) in rows {
        if let Some(reason) = FlagReason::parse(&reason) {
            counts.add(reason, u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
    Ok(counts)
}

/// Holds the comment for a moderator: pending, out of the article's count, its decision's
/// reasons (written when it was posted; imported comments have none) saying why for the
/// queue, and a line in the audit log. The decision keeps its outcome and time: the log
/// still shows what the pipeline decided when the comment was posted.
async fn hold_comment(
    tx: &mut Tx<'_>,
    comment_id: i64,
    article_id: i64,
    counts: &FlagCounts,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE comments SET status = 'pending' WHERE id = $1")
        .bind(comment_id)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    sqlx::query("UPDATE articles SET comment_count = comment_count - 1 WHERE id = $1 AND comment_count > 0")
        .bind(article_id)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    let reason = hold_reason(counts);
    let before: Option<(String, f64)> =
        sqlx::query_as("SELECT reasons, score FROM comment_decisions WHERE comment_id = $1")
            .bind(comment_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(from_sqlx)?;
    let (reasons, score) = before.unwrap_or_else(|| ("[]".into(), 0.0));
    sqlx::query(
        "INSERT INTO comment_decisions (comment_id, outcome, score, reasons, decided_at) \
         VALUES ($1, 'hold', $2, $3, $4) \
         ON CONFLICT (comment_id) DO UPDATE SET score = excluded.score, reasons = excluded.reasons",
    )
    .bind(comment_id)
    .bind(score + f64::from(reason.score))
    .bind(with_reason(&reasons, &reason))
    .bind(secs(now))
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    sqlx::query(
        "INSERT INTO moderation_actions (action, comment_id, actor_name, status_before, status_after, \
         reason, created_at) VALUES ('flag-hold', $1, 'reader flags', 'published', 'pending', $2, $3)",
    )
    .bind(comment_id)
    .bind(&reason.detail)
    .bind(secs(now))
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

/// Rows of (comment, reason, count, first, last) gathered per comment.
fn summaries(rows: &[sqlx::any::AnyRow]) -> Result<HashMap<i64, FlagSummary>, StoreError> {
    let mut out: HashMap<i64, FlagSummary> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get("comment_id").map_err(from_sqlx)?;
        let reason: String = r.try_get("reason").map_err(from_sqlx)?;
        let n: i64 = r.try_get("n").map_err(from_sqlx)?;
        let (first, last) =
            (time(r.try_get("first_at").map_err(from_sqlx)?), time(r.try_get("last_at").map_err(from_sqlx)?));
        let summary = out.entry(id).or_insert_with(|| FlagSummary {
            comment_id: id,
            counts: FlagCounts::default(),
            first_at: first,
            last_at: last,
        });
        if let Some(reason) = FlagReason::parse(&reason) {
            summary.counts.add(reason, u32::try_from(n).unwrap_or(u32::MAX));
        }
        summary.first_at = summary.first_at.min(first);
        summary.last_at = summary.last_at.max(last);
    }
    Ok(out)
}
