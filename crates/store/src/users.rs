//! The people who run the site. Each user writes under an author byline of their name.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use tribune_core::article::NamedLink;
use tribune_core::slug::Slug;
use tribune_core::store::{StoreError, UserRecord, UserStore};
use tribune_core::user::{Role, User};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{secs, time};

pub(crate) const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.created_at, u.disabled_at, u.must_change_password, \
     au.slug AS author_slug, au.name AS author_name";
pub(crate) const USER_FROM: &str = "users u LEFT JOIN authors au ON au.id = u.author_id";

impl UserStore for Store {
    async fn create_user(&self, user: &UserRecord, now: DateTime<Utc>) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        // A new staff member takes over the byline of their name if articles already credit it.
        let author_id: Option<i64> = match &user.author {
            Some(author) => Some(
                sqlx::query_scalar(
                    "INSERT INTO authors (slug, name) VALUES ($1, $2) \
                     ON CONFLICT (slug) DO UPDATE SET name = authors.name RETURNING id",
                )
                .bind(author.slug.as_str())
                .bind(&author.name)
                .fetch_one(&mut *tx)
                .await
                .map_err(from_sqlx)?,
            ),
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, name, role, password_hash, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(author_id)
        .bind(secs(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        self.user_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_FROM} WHERE u.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, u.password_hash FROM {USER_FROM} WHERE u.email = $1");
        let row = sqlx::query(&sql).bind(email).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash").map_err(from_sqlx)?))).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM {USER_FROM} ORDER BY u.name, u.id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn has_users(&self) -> Result<bool, StoreError> {
        let one: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(one.is_some())
    }

    async fn set_user_role(&self, id: i64, role: Role) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn set_user_name(&self, id: i64, name: &str, slug: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE authors SET name = $1, slug = CASE WHEN EXISTS \
             (SELECT 1 FROM authors o WHERE o.slug = $2 AND o.id <> authors.id) THEN slug ELSE $2 END \
             WHERE id = (SELECT author_id FROM users WHERE id = $3)",
        )
        .bind(name)
        .bind(slug)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let articles: Vec<String> = sqlx::query_scalar(
            "SELECT a.slug FROM articles a JOIN article_authors aa ON aa.article_id = a.id \
             JOIN users u ON u.author_id = aa.author_id WHERE u.id = $1 ORDER BY a.id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(articles)
    }

    async fn change_own_password(&self, id: i64, password_hash: &str, keep: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        end_sessions_but(&mut tx, id, keep).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn require_password_change(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        end_sessions(&mut tx, id).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn set_user_disabled(&self, id: i64, disabled_at: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(disabled_at.map(secs))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled_at.is_some() {
            end_sessions(&mut tx, id).await?;
        }
        tx.commit().await.map_err(from_sqlx)
    }

    async fn delete_user(&self, id: i64) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        // The discussions the account took part in: their pages show its votes or comments.
        let articles: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT c.article_id FROM comments c WHERE c.user_id = $1 \
             OR c.id IN (SELECT v.comment_id FROM comment_votes v WHERE v.user_id = $1) ORDER BY 1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        // Each reference decided per table: the name is already on the row wherever a
        // reader sees it (comments, the moderation log), so the account link goes.
        for sql in [
            // A score is its votes' sum (as a vote recounts it): recounted without theirs.
            "UPDATE comments SET score = (SELECT COALESCE(SUM(v.value), 0) FROM comment_votes v \
             WHERE v.comment_id = comments.id AND v.user_id <> $1) \
             WHERE id IN (SELECT comment_id FROM comment_votes WHERE user_id = $1)",
            "DELETE FROM comment_votes WHERE user_id = $1",
            "UPDATE comments SET user_id = NULL WHERE user_id = $1",
            "UPDATE comment_flags SET user_id = NULL WHERE user_id = $1",
            "UPDATE bans SET created_by = NULL WHERE created_by = $1",
            "UPDATE moderation_actions SET actor_id = NULL WHERE actor_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(from_sqlx)?;
        }
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(articles)
    }
}

/// Ends every session of a user, inside the transaction that made them invalid.
pub(crate) async fn end_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
) -> Result<(), StoreError> {
    end_sessions_but(tx, id, "").await
}

/// Ends every session of user `id` but the one whose token hashes to `keep` (none: "").
async fn end_sessions_but(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    keep: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(id)
        .bind(keep)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

pub(crate) fn user_from_row(r: &AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role").map_err(from_sqlx)?;
    let author_slug: Option<String> = r.try_get("author_slug").map_err(from_sqlx)?;
    Ok(User {
        id: r.try_get("id").map_err(from_sqlx)?,
        email: r.try_get("email").map_err(from_sqlx)?,
        name: r.try_get("name").map_err(from_sqlx)?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Database(format!("unknown role {role}")))?,
        author: match author_slug {
            Some(slug) => Some(NamedLink {
                slug: Slug::parse(&slug).map_err(|e| StoreError::Database(e.to_string()))?,
                name: r.try_get("author_name").map_err(from_sqlx)?,
            }),
            None => None,
        },
        created_at: time(r.try_get("created_at").map_err(from_sqlx)?),
        disabled: r.try_get::<Option<i64>, _>("disabled_at").map_err(from_sqlx)?.is_some(),
        must_change_password: r.try_get::<i64, _>("must_change_password").map_err(from_sqlx)? != 0,
    })
}
