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
}
