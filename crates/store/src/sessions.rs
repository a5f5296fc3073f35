//! Signed-in sessions (stored by the hash of their token, so a copy of the database
//! signs nobody in).

use chrono::{DateTime, Utc};
use tribune_core::store::{SessionStore, StoreError};
use tribune_core::user::User;

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::secs;
use crate::users::{USER_COLUMNS, USER_FROM, user_from_row};

impl SessionStore for Store {
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Expired sessions are swept here, where sessions are written, not on every read.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(secs(now))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(secs(now))
        .bind(secs(expires_at))
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM sessions s, {USER_FROM} \
             WHERE u.id = s.user_id AND s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(secs(now))
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }
}
