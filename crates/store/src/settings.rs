//! Site-wide values every node must agree on.

use tribune_core::store::{SettingStore, StoreError};

use crate::Store;
use crate::error::from_sqlx;

impl SettingStore for Store {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        self.setting(key).await?.ok_or(StoreError::NotFound)
    }

    async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        // A prefix compared as bytes, so no collation or LIKE wildcard changes what matches.
        sqlx::query_as("SELECT key, value FROM settings WHERE SUBSTR(key, 1, $1) = $2 ORDER BY key")
            .bind(prefix.chars().count() as i32)
            .bind(prefix)
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn change_settings(&self, set: &[(String, String)], remove: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (key, value) in set {
            sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        }
        for key in remove {
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        tx.commit().await.map_err(from_sqlx)
    }
}
