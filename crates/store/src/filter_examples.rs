//! The learned filter's examples (see `FilterStore`): appended by moderators' decisions
//! and the CLI, read by every node in id order.

use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};
use tribune_core::moderation::learned::{Class, features_from_text, features_to_text};
use tribune_core::store::{FilterExample, FilterStore, StoreError};

use crate::error::from_sqlx;
use crate::rows::secs;
use crate::{Backend, Store};

/// Appends one example inside the caller's transaction, so a moderator's decision, its
/// audit row and the filter's example commit together or not at all.
pub(crate) async fn append_example(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    example: &FilterExample,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        // Readers take examples after the last id they applied: ids must commit in order,
        // or one allocated earlier but committed later would be skipped. SQLite has one
        // writer at a time already.
        sqlx::query("LOCK TABLE filter_examples IN EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await
            .map_err(from_sqlx)?;
    }
    sqlx::query("INSERT INTO filter_examples (label, features, source, created_at) VALUES ($1, $2, $3, $4)")
        .bind(example.class.as_str())
        .bind(features_to_text(&example.features))
        .bind(&example.source)
        .bind(secs(now))
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

impl FilterStore for Store {
    async fn append_filter_examples(
        &self,
        examples: &[FilterExample],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for example in examples {
            append_example(&mut tx, self.backend, example, now).await?;
        }
        tx.commit().await.map_err(from_sqlx)
    }

    async fn filter_examples_after(&self, id: i64) -> Result<Vec<(i64, Class, Vec<u32>)>, StoreError> {
        let rows = sqlx::query("SELECT id, label, features FROM filter_examples WHERE id > $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id").map_err(from_sqlx)?;
                let label: String = r.try_get("label").map_err(from_sqlx)?;
                let text: String = r.try_get("features").map_err(from_sqlx)?;
                let class = Class::parse(&label);
                let features = features_from_text(&text);
                match (class, features) {
                    (Some(c), Some(f)) => Ok((id, c, f)),
                    _ => Err(StoreError::Database(format!("filter example {id} is malformed"))),
                }
            })
            .collect()
    }
}
