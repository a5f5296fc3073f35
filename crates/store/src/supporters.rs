//! Supporter status, read from the ledger by every query that needs it (nothing is kept
//! beside the ledger to fall out of step with it), and the choices that go with it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sqlx::Row;
use tribune_core::store::{Page, PageRequest, StoreError};
use tribune_core::supporters::{Status, Supporter, SupporterStore};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};

/// The gifts that still stand, for a ledger row aliased `p`: a Stripe payment with a donor
/// address that neither its refunds (Stripe's cumulative amount, the largest one) nor a
/// lost dispute took back in full, counting only those in its own currency as the month's
/// net does. Written as conditions rather than a view so each query's own filter (an
/// address, a date) reaches the `ledger_by_donor` index.
const STANDS: &str = "p.kind = 'payment' AND p.donor_email IS NOT NULL AND p.amount_minor > 0 \
     AND COALESCE((SELECT MAX(r.amount_minor) FROM ledger_entries r WHERE r.kind = 'refund' \
         AND r.payment_key = p.payment_key AND r.currency = p.currency), 0) < p.amount_minor \
     AND COALESCE((SELECT MAX(d.amount_minor) FROM ledger_entries d WHERE d.kind = 'dispute_lost' \
         AND d.payment_key = p.payment_key AND d.currency = p.currency), 0) < p.amount_minor - \
       COALESCE((SELECT MAX(r.amount_minor) FROM ledger_entries r WHERE r.kind = 'refund' \
         AND r.payment_key = p.payment_key AND r.currency = p.currency), 0)";

/// An account a gift can be matched to: its address shown to be its holder's.
const CONFIRMED: &str = "u.email_confirmed_at IS NOT NULL";

impl SupporterStore for Store {
    async fn supporter_status(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        period: Duration,
    ) -> Result<Status, StoreError> {
        let sql = format!(
            "SELECT u.supporter_badge, CASE WHEN {CONFIRMED} THEN (SELECT MAX(p.occurred_at) \
               FROM ledger_entries p WHERE p.donor_email = u.email AND {STANDS} AND p.occurred_at <= $2) \
             END AS latest FROM users u WHERE u.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(user_id)
            .bind(secs(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let Some(row) = row else { return Ok(Status::default()) };
        let latest: Option<i64> = row.try_get("latest").map_err(from_sqlx)?;
        Ok(Status {
            until: latest.map(|at| time(at) + period).filter(|until| *until > now),
            badge_chosen: row.try_get::<i64, _>("supporter_badge").map_err(from_sqlx)? != 0,
        })
    }

    async fn badge_holders(
        &self,
        user_ids: &[i64],
        now: DateTime<Utc>,
        period: Duration,
    ) -> Result<HashSet<i64>, StoreError> {
        if user_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "SELECT u.id FROM users u WHERE u.id IN ({}) AND u.supporter_badge = 1 AND {CONFIRMED} \
             AND EXISTS (SELECT 1 FROM ledger_entries p WHERE p.donor_email = u.email AND {STANDS} \
               AND p.occurred_at > $1 AND p.occurred_at <= $2)",
            placeholders(3, user_ids.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(secs(now - period)).bind(secs(now));
        for id in user_ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.pool).await.map_err(from_sqlx)?.into_iter().collect())
    }

    async fn set_supporter_badge(&self, user_id: i64, shown: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET supporter_badge = $1 WHERE id = $2")
            .bind(i64::from(shown))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn supporter_list(
        &self,
        now: DateTime<Utc>,
        period: Duration,
        page: PageRequest,
    ) -> Result<Page<Supporter>, StoreError> {
        let sql = format!(
            "SELECT u.id, u.name, u.email, MIN(p.occurred_at) AS since, MAX(p.occurred_at) AS latest, \
               COUNT(DISTINCT p.month) AS months \
             FROM users u JOIN ledger_entries p ON p.donor_email = u.email \
             WHERE {CONFIRMED} AND {STANDS} AND p.occurred_at <= $1 \
             GROUP BY u.id, u.name, u.email HAVING MAX(p.occurred_at) > $2 \
             ORDER BY since DESC, u.id DESC LIMIT $3 OFFSET $4"
        );
        let rows = sqlx::query(&sql)
            .bind(secs(now))
            .bind(secs(now - period))
            .bind(i64::from(page.size) + 1)
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut items = rows
            .iter()
            .map(|r| {
                Ok(Supporter {
                    user_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    since: time(r.try_get("since")?),
                    until: time(r.try_get("latest")?) + period,
                    months: r.try_get("months")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(from_sqlx)?;
        let has_next = items.len() > page.size as usize;
        items.truncate(page.size as usize);
        Ok(Page { items, number: page.number, has_next })
    }

    async fn articles_showing_donor_of(&self, payment_key: &str) -> Result<Vec<i64>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT c.article_id FROM comments c JOIN users u ON u.id = c.user_id \
             WHERE u.supporter_badge = 1 AND {CONFIRMED} AND u.email IN (SELECT p.donor_email \
               FROM ledger_entries p WHERE p.kind = 'payment' AND p.payment_key = $1) ORDER BY 1"
        );
        sqlx::query_scalar(&sql).bind(payment_key).fetch_all(&self.pool).await.map_err(from_sqlx)
    }

    async fn articles_where_badges_lapsed(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        period: Duration,
    ) -> Result<Vec<i64>, StoreError> {
        // The status ends at the latest standing gift plus the period: in (from, to] when
        // that gift is in (from - period, to - period].
        let sql = format!(
            "SELECT DISTINCT c.article_id FROM comments c JOIN ( \
               SELECT u.id, (SELECT MAX(p.occurred_at) FROM ledger_entries p \
                 WHERE p.donor_email = u.email AND {STANDS} AND p.occurred_at <= $3) AS latest \
               FROM users u WHERE u.supporter_badge = 1 AND {CONFIRMED}) s ON s.id = c.user_id \
             WHERE s.latest > $1 AND s.latest <= $2 ORDER BY 1"
        );
        sqlx::query_scalar(&sql)
            .bind(secs(from - period))
            .bind(secs(to - period))
            .bind(secs(to))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn articles_commented_by(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        sqlx::query_scalar("SELECT DISTINCT c.article_id FROM comments c WHERE c.user_id = $1 ORDER BY 1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn set_supporters_only(&self, article_id: i64, only: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE articles SET supporters_only = $1 WHERE id = $2")
            .bind(i64::from(only))
            .bind(article_id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
