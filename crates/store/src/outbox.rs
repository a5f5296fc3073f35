//! The outbox of outgoing mail: queued with the change that causes it, claimed by a worker
//! for a lease (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so workers on several nodes take
//! different rows without waiting on each other), then marked sent or failed.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use tribune_core::mail::{AfterFailure, LEASE, OutgoingMail, QueuedMail};
use tribune_core::store::{OutboxCounts, OutboxStore, StoreError};

use crate::error::from_sqlx;
use crate::rows::secs;
use crate::{Backend, Store};

impl OutboxStore for Store {
    async fn queue_mail(&self, mail: &OutgoingMail, now: DateTime<Utc>) -> Result<i64, StoreError> {
        queue_in(&mut *self.pool.acquire().await.map_err(from_sqlx)?, mail, now).await
    }

    async fn claim_mail(&self, limit: u32, now: DateTime<Utc>) -> Result<Vec<QueuedMail>, StoreError> {
        let until = secs(now) + LEASE.as_secs() as i64;
        // SQLite has one writer, so the UPDATE alone claims atomically; PostgreSQL's rows
        // locked by another node's claim are skipped rather than waited for. The outer
        // WHERE repeats the test, so a row claimed meanwhile is never taken twice. The
        // pick is a materialized CTE: as a subquery of the UPDATE, PostgreSQL may run it
        // more than once and claim more than `limit` rows (seen in the two-workers test).
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "WITH picked AS MATERIALIZED (
                 SELECT id FROM outbox
                 WHERE status = 'queued' AND next_attempt_at <= $1 AND claimed_until <= $1
                 ORDER BY next_attempt_at, id LIMIT $3 {lock})
             UPDATE outbox SET claimed_until = $2, attempts = attempts + 1
             WHERE status = 'queued' AND next_attempt_at <= $1 AND claimed_until <= $1
               AND id IN (SELECT id FROM picked)
             RETURNING id, attempts, recipient, subject, body_text, body_html, unsubscribe_url"
        );
        let rows = sqlx::query(&sql)
            .bind(secs(now))
            .bind(until)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(QueuedMail {
                    id: r.try_get("id")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    mail: OutgoingMail {
                        to: r.try_get("recipient")?,
                        subject: r.try_get("subject")?,
                        text: r.try_get("body_text")?,
                        html: r.try_get("body_html")?,
                        unsubscribe_url: r.try_get("unsubscribe_url")?,
                    },
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(from_sqlx)?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, claimed_until = 0 WHERE id = $1")
            .bind(id)
            .bind(secs(now))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn forget_sent_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1")
            .bind(secs(before))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected())
    }

    async fn mail_failed(&self, id: i64, error: &str, after: AfterFailure) -> Result<(), StoreError> {
        // The error text is the server's or the network's, never the credentials; it is
        // cut so a chatty server cannot grow the row.
        let error: String = error.chars().take(500).collect();
        let query = match after {
            AfterFailure::RetryAt(at) => sqlx::query(
                "UPDATE outbox SET next_attempt_at = $2, claimed_until = 0, last_error = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(secs(at))
            .bind(error),
            AfterFailure::GiveUp => sqlx::query(
                "UPDATE outbox SET status = 'failed', claimed_until = 0, last_error = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(error),
        };
        query.execute(&self.pool).await.map_err(from_sqlx)?;
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut counts = OutboxCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => counts.queued = n,
                "sent" => counts.sent = n,
                _ => counts.failed = n,
            }
        }
        Ok(counts)
    }
}

/// Queues `mail` on `conn`, which may be inside the transaction of the change that causes
/// it: the message then exists exactly when the change does.
pub(crate) async fn queue_in(
    conn: &mut AnyConnection,
    mail: &OutgoingMail,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(&format!("{INSERT_MAIL} VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id"))
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(mail.html.as_deref())
        .bind(mail.unsubscribe_url.as_deref())
        .bind(secs(now))
        .fetch_one(&mut *conn)
        .await
        .map_err(from_sqlx)
}

const INSERT_MAIL: &str = "INSERT INTO outbox \
     (recipient, subject, body_text, body_html, unsubscribe_url, next_attempt_at, created_at)";

/// Queues `mail` on `conn` only if `exists` (a query whose one parameter, `$7`, is `arg`)
/// finds a row: checked in the same statement, inside the caller's transaction. The
/// statement runs either way, so a caller that must not show whether it wrote (a reset for
/// an unknown address) does the same work.
pub(crate) async fn queue_in_if<T>(
    conn: &mut AnyConnection,
    mail: &OutgoingMail,
    now: DateTime<Utc>,
    exists: &str,
    arg: T,
) -> Result<(), StoreError>
where
    T: 'static + Send + for<'a> sqlx::Encode<'a, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let sql = format!("{INSERT_MAIL} SELECT $1, $2, $3, $4, $5, $6, $6 WHERE EXISTS ({exists})");
    sqlx::query(&sql)
        .bind(&mail.to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(mail.html.as_deref())
        .bind(mail.unsubscribe_url.as_deref())
        .bind(secs(now))
        .bind(arg)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}
