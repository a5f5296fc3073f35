//! Goals and the append-only donations ledger.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use tribune_core::funding::goal::Goal;
use tribune_core::funding::ledger::{Entry, EntryKind, NewEntry};
use tribune_core::funding::money::{Currency, Money};
use tribune_core::funding::month::Month;
use tribune_core::store::{FundingStore, MonthTotal, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{secs, time};

const ENTRY_COLUMNS: &str = "id, kind, amount_minor, currency, month, occurred_at, event_id, payment_key, \
     supporter_name, donor_email, note, reverses, created_at, \
     CAST(CASE WHEN l.kind IN ('refund', 'dispute_lost') AND NOT EXISTS (SELECT 1 FROM ledger_entries c \
       WHERE c.kind = 'payment' AND c.payment_key = l.payment_key AND c.currency = l.currency) \
     THEN 0 ELSE 1 END AS BIGINT) AS counted";

/// A month's net per currency. Each payment nets to what is left of it after its largest
/// refund (refunds are Stripe's cumulative amount, so replays and reordering net out) and
/// its lost dispute, counting only those in the payment's own currency, each capped at
/// the payment and the result never below zero.
///
/// The bound is applied here, when reading, rather than by clamping when recording:
/// recording stays one `INSERT … ON CONFLICT DO NOTHING`, with nothing read first, so
/// concurrent deliveries cannot race; a refund that arrives before its payment is bounded
/// once the payment is there; and every amount capped at the payment before it is
/// subtracted cannot overflow however large a refund Stripe reports. `CASE` rather than
/// `MIN`/`LEAST`, which the two backends spell differently.
const NET_BY_MONTH: &str = "SELECT month, currency, CAST(SUM(net) AS BIGINT) AS net FROM ( \
       SELECT month, currency, \
         CASE WHEN refunded >= amount THEN 0 WHEN disputed >= amount - refunded THEN 0 \
              ELSE amount - refunded - disputed END AS net \
       FROM (SELECT e.month, e.currency, e.amount_minor AS amount, \
               COALESCE((SELECT MAX(r.amount_minor) FROM ledger_entries r WHERE r.kind = 'refund' \
                         AND r.payment_key = e.payment_key AND r.currency = e.currency), 0) AS refunded, \
               COALESCE((SELECT MAX(d.amount_minor) FROM ledger_entries d WHERE d.kind = 'dispute_lost' \
                         AND d.payment_key = e.payment_key AND d.currency = e.currency), 0) AS disputed \
             FROM ledger_entries e WHERE e.kind = 'payment' AND e.month >= $1 AND e.month <= $2) p \
       UNION ALL \
       SELECT e.month, e.currency, e.amount_minor AS net FROM ledger_entries e \
       WHERE e.kind IN ('manual', 'reversal') AND e.month >= $1 AND e.month <= $2 \
     ) t GROUP BY month, currency ORDER BY month, currency";

impl FundingStore for Store {
    async fn set_goal(&self, goal: &Goal, now: DateTime<Utc>) -> Result<(), StoreError> {
        let milestones = goal.milestones.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sqlx::query(
            "INSERT INTO funding_goals (month, amount_minor, currency, milestones, note, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (month) DO UPDATE SET amount_minor = excluded.amount_minor, \
             currency = excluded.currency, milestones = excluded.milestones, note = excluded.note, \
             updated_at = excluded.updated_at",
        )
        .bind(goal.month.to_string())
        .bind(goal.amount.minor)
        .bind(goal.amount.currency.code())
        .bind(milestones)
        .bind(goal.text.clone())
        .bind(secs(now))
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn goal_at_or_before(&self, month: Month) -> Result<Option<Goal>, StoreError> {
        let row = sqlx::query(
            "SELECT month, amount_minor, currency, milestones, note FROM funding_goals \
             WHERE month <= $1 ORDER BY month DESC LIMIT 1",
        )
        .bind(month.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        row.map(|r| goal_from_row(&r)).transpose()
    }

    async fn goals_until(&self, to: Month) -> Result<Vec<Goal>, StoreError> {
        let rows = sqlx::query(
            "SELECT month, amount_minor, currency, milestones, note FROM funding_goals WHERE month <= $1 ORDER BY month",
        )
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        rows.iter().map(goal_from_row).collect()
    }

    async fn append_entry(&self, e: &NewEntry, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        // DO NOTHING without a target covers every unique rule: the event id, one payment
        // per key, one reversal per entry. Concurrent duplicates race here, and one wins.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO ledger_entries (kind, amount_minor, currency, month, occurred_at, event_id, payment_key, \
             supporter_name, donor_email, note, reverses, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(e.kind.as_str())
        .bind(e.amount.minor)
        .bind(e.amount.currency.code())
        .bind(e.month.to_string())
        .bind(secs(e.occurred_at))
        .bind(e.event_id.clone())
        .bind(e.payment_key.clone())
        .bind(e.supporter_name.clone())
        .bind(e.donor_email.clone())
        .bind(e.note.clone())
        .bind(e.reverses)
        .bind(secs(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(id)
    }

    async fn add_donor_email(&self, payment_key: &str, email: &str) -> Result<(), StoreError> {
        // Only an address not yet known: the first one Stripe sent stays.
        sqlx::query(
            "UPDATE ledger_entries SET donor_email = $1 \
             WHERE kind = 'payment' AND payment_key = $2 AND donor_email IS NULL",
        )
        .bind(email)
        .bind(payment_key)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn entry(&self, id: i64) -> Result<Option<Entry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries l WHERE l.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        row.map(|r| entry_from_row(&r)).transpose()
    }

    async fn entries_of_month(&self, month: Month) -> Result<Vec<Entry>, StoreError> {
        // Refunds and disputes are listed with the payment they reduce.
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM ledger_entries l WHERE l.month = $1 AND l.kind IN ('payment', 'manual', 'reversal') \
             OR l.kind IN ('refund', 'dispute_lost') AND EXISTS (SELECT 1 FROM ledger_entries p \
             WHERE p.kind = 'payment' AND p.payment_key = l.payment_key AND p.month = $1) \
             ORDER BY occurred_at, id"
        );
        let rows =
            sqlx::query(&sql).bind(month.to_string()).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn month_totals(&self, from: Month, to: Month) -> Result<Vec<MonthTotal>, StoreError> {
        let rows = sqlx::query(NET_BY_MONTH)
            .bind(from.to_string())
            .bind(to.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                Ok(MonthTotal {
                    month: month_column(r, "month")?,
                    currency: r.try_get("currency").map_err(from_sqlx)?,
                    net_minor: r.try_get("net").map_err(from_sqlx)?,
                })
            })
            .collect()
    }

    async fn supporters(&self, month: Month) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT supporter_name FROM ledger_entries WHERE month = $1 AND kind IN ('payment', 'manual') \
             AND supporter_name IS NOT NULL AND supporter_name <> '' ORDER BY occurred_at DESC, id DESC",
        )
        .bind(month.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)
    }
}

fn month_column(r: &AnyRow, column: &str) -> Result<Month, StoreError> {
    let s: String = r.try_get(column).map_err(from_sqlx)?;
    Month::parse(&s).map_err(|e| StoreError::Database(e.to_string()))
}

fn currency_column(r: &AnyRow) -> Result<Currency, StoreError> {
    let s: String = r.try_get("currency").map_err(from_sqlx)?;
    Currency::parse(&s).map_err(|e| StoreError::Database(e.to_string()))
}

fn goal_from_row(r: &AnyRow) -> Result<Goal, StoreError> {
    let milestones: String = r.try_get("milestones").map_err(from_sqlx)?;
    let milestones = milestones
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|e| StoreError::Database(format!("milestone {s:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Goal {
        month: month_column(r, "month")?,
        amount: Money::new(r.try_get("amount_minor").map_err(from_sqlx)?, currency_column(r)?),
        milestones,
        text: r.try_get("note").map_err(from_sqlx)?,
    })
}

fn entry_from_row(r: &AnyRow) -> Result<Entry, StoreError> {
    let kind: String = r.try_get("kind").map_err(from_sqlx)?;
    let opt = |c: &str| r.try_get::<Option<String>, _>(c).map_err(from_sqlx);
    Ok(Entry {
        id: r.try_get("id").map_err(from_sqlx)?,
        entry: NewEntry {
            kind: EntryKind::parse(&kind)
                .ok_or_else(|| StoreError::Database(format!("unknown entry kind {kind}")))?,
            amount: Money::new(r.try_get("amount_minor").map_err(from_sqlx)?, currency_column(r)?),
            month: month_column(r, "month")?,
            occurred_at: time(r.try_get("occurred_at").map_err(from_sqlx)?),
            event_id: opt("event_id")?,
            payment_key: opt("payment_key")?,
            supporter_name: opt("supporter_name")?,
            donor_email: opt("donor_email")?,
            note: opt("note")?,
            reverses: r.try_get("reverses").map_err(from_sqlx)?,
        },
        created_at: time(r.try_get("created_at").map_err(from_sqlx)?),
        counted: r.try_get::<i64, _>("counted").map_err(from_sqlx)? != 0,
    })
}
