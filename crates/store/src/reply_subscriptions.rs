//! Who asked to hear of replies to their comment (`core::reply_notices`): written with the
//! comment by the group-commit writer, with the mail that goes with it; confirmed by a
//! guest's link; ended by one click.

use chrono::{DateTime, Utc};
use sqlx::Row;
use tribune_core::author_notices::Watcher;
use tribune_core::comment::CommentStatus;
use tribune_core::mail::OutgoingMail;
use tribune_core::reply_notices::Subscription;
use tribune_core::store::{CommentRecord, ReplySubscriptionStore, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::secs;

impl ReplySubscriptionStore for Store {
    async fn reply_subscription(&self, comment_id: i64) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query(
            "SELECT id, comment_id, email, user_id, guest_token_hash, confirmed_at, unsubscribed_at
             FROM reply_subscriptions WHERE comment_id = $1",
        )
        .bind(comment_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        row.map(|r| {
            Ok(Subscription {
                id: r.try_get("id")?,
                comment_id: r.try_get("comment_id")?,
                email: r.try_get("email")?,
                user_id: r.try_get("user_id")?,
                guest_token_hash: r.try_get("guest_token_hash")?,
                confirmed: r.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
                unsubscribed: r.try_get::<Option<i64>, _>("unsubscribed_at")?.is_some(),
            })
        })
        .transpose()
        .map_err(from_sqlx)
    }

    async fn confirm_reply_subscription(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reply_subscriptions SET confirmed_at = $2, confirm_token_hash = NULL
             WHERE confirm_token_hash = $1 AND unsubscribed_at IS NULL",
        )
        .bind(token_hash)
        .bind(secs(now))
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn unsubscribe_replies(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reply_subscriptions SET unsubscribed_at = COALESCE(unsubscribed_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(secs(now))
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }

    async fn article_watchers(&self, article_id: i64) -> Result<Vec<Watcher>, StoreError> {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.email, u.name FROM article_authors aa JOIN users u ON u.author_id = aa.author_id \
             WHERE aa.article_id = $1 AND u.notify_comments = 1 AND u.disabled_at IS NULL ORDER BY u.id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(rows.into_iter().map(|(user_id, email, name)| Watcher { user_id, email, name }).collect())
    }

    async fn comment_notices(&self, user_id: i64) -> Result<bool, StoreError> {
        let on: Option<i64> = sqlx::query_scalar("SELECT notify_comments FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(on == Some(1))
    }

    async fn set_comment_notices(&self, user_id: i64, on: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET notify_comments = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() == 1)
    }
}

/// The subscription and mail of a comment just written, in the writer's transaction: a
/// request to hear of replies, a guest's confirmation message, and, if the reply was
/// published, the notice to the parent's subscriber. Only comments that asked or answer
/// a subscriber come here, so this is a few statements for a rare comment, not per row.
pub(crate) async fn write_with_comment(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    record: &CommentRecord,
    comment_id: i64,
    status: CommentStatus,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(sub) = &record.subscription {
        let confirmed_at = sub.confirm_token_hash.is_none().then(|| secs(now));
        sqlx::query(
            "INSERT INTO reply_subscriptions
                 (comment_id, email, user_id, guest_token_hash, confirm_token_hash, confirmed_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(comment_id)
        .bind(&sub.email)
        .bind(sub.user_id)
        .bind(sub.guest_token_hash.as_deref())
        .bind(sub.confirm_token_hash.as_deref())
        .bind(confirmed_at)
        .bind(secs(now))
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    }
    if let Some(mail) = &record.mail.confirmation {
        crate::outbox::queue_in(tx, mail, now).await?;
    }
    if status == CommentStatus::Published {
        if let Some((sub_id, mail)) = &record.mail.reply_notice {
            queue_notice(tx, *sub_id, mail, now).await?;
        }
        queue_author_notices(tx, &record.mail.author_notices, now).await?;
    }
    Ok(())
}

/// Queues a comment's notices to the article's authors in `tx`, each only if its author
/// still asks for them (they may have turned them off since they were composed).
pub(crate) async fn queue_author_notices(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    notices: &[(i64, OutgoingMail)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (user_id, mail) in notices {
        let watching = "SELECT 1 FROM users WHERE id = $7 AND notify_comments = 1 AND disabled_at IS NULL";
        crate::outbox::queue_in_if(tx, mail, now, watching, *user_id).await?;
    }
    Ok(())
}

/// Queues a reply's notice to subscription `sub_id` in `tx`, if the subscriber is still
/// in: checked again here, as they may have left since the notice was composed.
pub(crate) async fn queue_notice(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sub_id: i64,
    mail: &OutgoingMail,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let still_in = "SELECT 1 FROM reply_subscriptions \
                    WHERE id = $7 AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL";
    crate::outbox::queue_in_if(tx, mail, now, still_in, sub_id).await
}
