//! Embedded discussions: a page address on another site leads to an article of kind
//! `embedded`; and the one-use tokens that sign a cookieless frame in.

use chrono::{DateTime, Utc};
use tribune_core::article::{Article, ArticleKind, ArticleStatus};
use tribune_core::embed::{EmbedStore, NewEmbedded};
use tribune_core::store::{ArticleStore, StoreError};

use crate::Store;
use crate::articles::{COLUMNS, free_slug};
use crate::error::from_sqlx;
use crate::rows::secs;

impl EmbedStore for Store {
    async fn embedded_discussion(&self, url: &str) -> Result<Option<Article>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM embedded_pages e JOIN articles a ON a.id = e.article_id WHERE e.url = $1"
        );
        let row = sqlx::query(&sql).bind(url).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        Ok(self.with_links(row.into_iter().collect()).await?.pop())
    }

    async fn create_embedded_discussion(
        &self,
        new: &NewEmbedded,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        let mut tx = self.begin_write().await?;
        let slug = free_slug(&mut tx, &new.slug).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (slug, title, summary, body_markdown, body_html, status, published_at, \
             updated_at, created_at, kind) VALUES ($1, $2, '', '', '', $3, $4, $4, $4, $5) RETURNING id",
        )
        .bind(slug.as_str())
        .bind(&new.title)
        .bind(ArticleStatus::Published.as_str())
        .bind(secs(now))
        .bind(ArticleKind::Embedded.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let mapped = sqlx::query(
            "INSERT INTO embedded_pages (url, origin, article_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (url) DO NOTHING",
        )
        .bind(&new.address.url)
        .bind(&new.address.origin)
        .bind(id)
        .bind(secs(now))
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?
        .rows_affected();
        if mapped == 0 {
            // Another request created it first: theirs is the discussion, ours goes.
            tx.rollback().await.map_err(from_sqlx)?;
            return self.embedded_discussion(&new.address.url).await?.ok_or(StoreError::NotFound);
        }
        tx.commit().await.map_err(from_sqlx)?;
        self.article_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn add_handoff(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Expired tokens are swept where tokens are written.
        sqlx::query("DELETE FROM embed_handoffs WHERE expires_at <= $1")
            .bind(secs(Utc::now()))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        sqlx::query("INSERT INTO embed_handoffs (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(secs(expires_at))
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn take_handoff(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        // One statement: of two requests with the same token, one deletes it, one finds none.
        let user: Option<(i64, i64)> =
            sqlx::query_as("DELETE FROM embed_handoffs WHERE token_hash = $1 RETURNING user_id, expires_at")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(from_sqlx)?;
        Ok(user.filter(|(_, expires_at)| *expires_at > secs(now)).map(|(id, _)| id))
    }
}
