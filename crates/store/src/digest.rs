//! The mark of the last moderators' digest, kept among the site's settings, swapped with
//! the digest's mails in one transaction (see `core::moderators::digest`).

use chrono::{DateTime, Utc};
use tribune_core::mail::OutgoingMail;
use tribune_core::moderators::digest::DigestStore;
use tribune_core::store::{SettingStore, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::outbox::queue_in;

const MARK_KEY: &str = "moderation.digest_mark";

impl DigestStore for Store {
    async fn digest_mark(&self) -> Result<Option<String>, StoreError> {
        self.setting(MARK_KEY).await
    }

    async fn record_digest(
        &self,
        expected: Option<&str>,
        mark: &str,
        mails: &[OutgoingMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        // PostgreSQL re-reads the row a concurrent swap changed before applying the
        // condition, and SQLite writes one at a time: of two nodes, one swaps.
        let swap = match expected {
            None => {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(MARK_KEY)
                    .bind(mark)
            }
            Some(old) => sqlx::query("UPDATE settings SET value = $2 WHERE key = $1 AND value = $3")
                .bind(MARK_KEY)
                .bind(mark)
                .bind(old),
        };
        if swap.execute(&mut *tx).await.map_err(from_sqlx)?.rows_affected() == 0 {
            return Ok(false);
        }
        for mail in mails {
            queue_in(&mut tx, mail, now).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }
}
