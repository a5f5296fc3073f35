//! Links mailed to accounts (`core::account_mail`), kept by their token's hash: a link is
//! used up by the UPDATE that checks it, so two uses at once cannot both succeed.

use chrono::{DateTime, Utc};
use tribune_core::account_mail::{AccountLink, LinkPurpose};
use tribune_core::mail::OutgoingMail;
use tribune_core::store::{AccountLinkStore, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::outbox::{queue_in, queue_in_if};
use crate::rows::secs;
use crate::users::end_sessions;

impl AccountLinkStore for Store {
    async fn add_reset_link(
        &self,
        email: &str,
        token_hash: &str,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sweep(&mut tx, now).await?;
        sqlx::query(
            "INSERT INTO account_links (token_hash, purpose, user_id, email, created_at, expires_at) \
             SELECT $1, $2, u.id, u.email, $3, $4 FROM users u WHERE u.email = $5 AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(LinkPurpose::PasswordReset.as_str())
        .bind(secs(now))
        .bind(secs(expires_at))
        .bind(email)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        queue_in_if(&mut tx, mail, now, LINK_EXISTS, token_hash.to_owned()).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn add_email_change_link(
        &self,
        user_id: i64,
        new_email: &str,
        token_hash: &str,
        mail: &OutgoingMail,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sweep(&mut tx, now).await?;
        sqlx::query(
            "INSERT INTO account_links (token_hash, purpose, user_id, email, created_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = $4)",
        )
        .bind(token_hash)
        .bind(LinkPurpose::EmailChange.as_str())
        .bind(user_id)
        .bind(new_email)
        .bind(secs(now))
        .bind(secs(expires_at))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        queue_in_if(&mut tx, mail, now, LINK_EXISTS, token_hash.to_owned()).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn use_email_change_link(
        &self,
        token_hash: &str,
        old_email: &str,
        notice: &OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some((user_id, new_email)) = use_link(&mut tx, token_hash, LinkPurpose::EmailChange, now).await?
        else {
            return Ok(false);
        };
        // Another account taking the address meanwhile fails here, on the unique index.
        let done = sqlx::query(
            "UPDATE users SET email = $1, email_confirmed_at = $2 \
             WHERE id = $3 AND email = $4 AND disabled_at IS NULL",
        )
        .bind(&new_email)
        .bind(secs(now))
        .bind(user_id)
        .bind(old_email)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        queue_in(&mut tx, notice, now).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(true)
    }

    async fn account_link(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<AccountLink>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT l.user_id, l.email FROM account_links l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > $3 \
               AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(secs(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(row.map(|(user_id, email)| AccountLink { user_id, email }))
    }

    async fn use_reset_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let used = use_link(&mut tx, token_hash, LinkPurpose::PasswordReset, now).await?;
        let Some((user_id, mailed_to)) = used else {
            return Ok(None);
        };
        // The address is confirmed only if the account still has the one the link went to.
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0, \
             email_confirmed_at = CASE WHEN email = $3 THEN $4 ELSE email_confirmed_at END \
             WHERE id = $2 AND disabled_at IS NULL",
        )
        .bind(password_hash)
        .bind(user_id)
        .bind(&mailed_to)
        .bind(secs(now))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Ok(None); // disabled meanwhile: the transaction is dropped, the link stays unused
        }
        sqlx::query(
            "UPDATE account_links SET used_at = $2 WHERE user_id = $1 AND purpose = $3 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(secs(now))
        .bind(LinkPurpose::PasswordReset.as_str())
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        end_sessions(&mut tx, user_id).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(user_id))
    }
}

/// The mail of a link goes with the link: none when the link was not written.
const LINK_EXISTS: &str = "SELECT 1 FROM account_links WHERE token_hash = $7";

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// Links that expired go where links are written, not on every read.
async fn sweep(tx: &mut Tx<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM account_links WHERE expires_at <= $1")
        .bind(secs(now))
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

/// Marks a working link used, in the statement that checks it: of two uses at once, one
/// gets the account and the address, the other `None`.
async fn use_link(
    tx: &mut Tx<'_>,
    token_hash: &str,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> Result<Option<(i64, String)>, StoreError> {
    sqlx::query_as(
        "UPDATE account_links SET used_at = $3 \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         RETURNING user_id, email",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(secs(now))
    .fetch_optional(&mut **tx)
    .await
    .map_err(from_sqlx)
}
