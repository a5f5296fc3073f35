//! Uploaded images: their description in `media`, their bytes (full size and each narrower
//! copy) in `media_files`, BLOB on SQLite and BYTEA on PostgreSQL, read and written by the
//! same texts.

use chrono::Utc;
use tribune_core::media::{Media, MediaFile, MediaStore, NewMedia};
use tribune_core::store::{Page, PageRequest, StoreError};

use crate::Store;
use crate::error::from_sqlx;
use crate::rows::{placeholders, time};

const COLUMNS: &str =
    "id, name, content_type, width, height, alt, content_hash, byte_size, uploaded_by, created_at";

/// A row of `media` in [`COLUMNS`]' order.
type MediaRow = (i64, String, String, i64, i64, String, String, i64, Option<i64>, i64);

fn media(r: MediaRow) -> Media {
    let (id, name, content_type, width, height, alt, content_hash, byte_size, uploaded_by, created_at) = r;
    Media {
        id,
        name,
        content_type,
        width: u32::try_from(width).unwrap_or(0),
        height: u32::try_from(height).unwrap_or(0),
        alt,
        content_hash,
        byte_size,
        uploaded_by,
        created_at: time(created_at),
    }
}

impl MediaStore for Store {
    async fn media_names_like(&self, stem: &str) -> Result<Vec<String>, StoreError> {
        // A stem is a slug (letters, digits, hyphens): nothing in it is a LIKE wildcard.
        sqlx::query_scalar("SELECT name FROM media WHERE name LIKE $1 OR name LIKE $2")
            .bind(format!("{stem}.%"))
            .bind(format!("{stem}-%"))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn media_by_hash(&self, hash: &str) -> Result<Option<Media>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM media WHERE content_hash = $1 AND deleted_at IS NULL LIMIT 1");
        let row: Option<MediaRow> =
            sqlx::query_as(&sql).bind(hash).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        Ok(row.map(media))
    }

    async fn insert_media(&self, new: &NewMedia) -> Result<Media, StoreError> {
        let p = &new.processed;
        let full_size = p.files.first().map_or(0, |(_, b)| b.len());
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO media (name, content_type, width, height, alt, content_hash, byte_size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        );
        let row: MediaRow = sqlx::query_as(&sql)
            .bind(&new.name)
            .bind(p.kind.content_type())
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(&new.alt)
            .bind(&p.hash)
            .bind(full_size as i64)
            .bind(new.uploaded_by)
            .bind(Utc::now().timestamp())
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        // A handful of copies per image (the full size and at most three narrower).
        for (width, bytes) in &p.files {
            sqlx::query("INSERT INTO media_files (media_id, width, bytes) VALUES ($1, $2, $3)")
                .bind(row.0)
                .bind(i64::from(*width))
                .bind(bytes.as_slice())
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(media(row))
    }

    async fn media_by_names(&self, names: &[&str]) -> Result<Vec<Media>, StoreError> {
        if names.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM media WHERE deleted_at IS NULL AND name IN ({})",
            placeholders(1, names.len())
        );
        let mut query = sqlx::query_as::<_, MediaRow>(&sql);
        for name in names {
            query = query.bind(*name);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        Ok(rows.into_iter().map(media).collect())
    }

    async fn list_media(&self, page: PageRequest) -> Result<Page<Media>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM media WHERE deleted_at IS NULL \
             ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
        );
        let mut rows: Vec<MediaRow> = sqlx::query_as(&sql)
            .bind(i64::from(page.size) + 1)
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let has_next = rows.len() > page.size as usize;
        rows.truncate(page.size as usize);
        Ok(Page { items: rows.into_iter().map(media).collect(), number: page.number, has_next })
    }

    async fn media_file(&self, name: &str, width: Option<u32>) -> Result<Option<MediaFile>, StoreError> {
        let row: Option<(Vec<u8>, String, String)> = sqlx::query_as(
            "SELECT f.bytes, m.content_type, m.content_hash FROM media m \
             JOIN media_files f ON f.media_id = m.id \
             WHERE m.name = $1 AND m.deleted_at IS NULL AND f.width = COALESCE($2, m.width)",
        )
        .bind(name)
        .bind(width.map(i64::from))
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(row.map(|(bytes, content_type, content_hash)| MediaFile { bytes, content_type, content_hash }))
    }

    async fn articles_using_media(&self, name: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        // A name is a slug and an extension: no LIKE wildcard in it. The full size and
        // any copy (`/media/w480/name`), as a path or inside an absolute URL.
        sqlx::query_scalar(
            "SELECT slug FROM articles WHERE image_url LIKE $1 OR image_url LIKE $2 \
             OR body_markdown LIKE $1 OR body_markdown LIKE $2 ORDER BY id LIMIT $3",
        )
        .bind(format!("%/media/{name}%"))
        .bind(format!("%/media/w%/{name}%"))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(from_sqlx)
    }

    async fn delete_media(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM media_files WHERE media_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query("UPDATE media SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(Utc::now().timestamp())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)
    }
}
