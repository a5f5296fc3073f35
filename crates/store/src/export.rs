//! Everything a site owns, read a page at a time in a stable order (see `ExportStore`).

use sqlx::Row;
use tribune_core::store::{ExportStore, ExportedArticle, ExportedComment, ImportSource, StoreError};

use crate::Store;
use crate::error::from_sqlx;

impl ExportStore for Store {
    async fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<ExportedArticle>, StoreError> {
        let sql = format!(
            "SELECT {}, a.import_source, a.import_id, a.import_link FROM articles a \
             WHERE a.id > $1 ORDER BY a.id LIMIT $2",
            crate::articles::COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let imports = rows.iter().map(import_of).collect::<Result<Vec<_>, _>>()?;
        let articles = self.with_links(rows).await?;
        Ok(articles
            .into_iter()
            .zip(imports)
            .map(|(article, import)| ExportedArticle { article, import })
            .collect())
    }

    // The cursor is one row value: PostgreSQL reads `a > x OR (a = x AND p > y)` as a
    // filter on a scan from the start, each page longer than the last (minutes at a million
    // comments), but a row comparison as where to start the index scan.
    async fn comments_after(
        &self,
        after: Option<&(i64, String)>,
        limit: u32,
    ) -> Result<Vec<ExportedComment>, StoreError> {
        let sql = format!(
            "SELECT {}, author_email, source, source_id FROM comments \
             WHERE (article_id, path) > ($1, $2) ORDER BY article_id, path LIMIT $3",
            crate::comments::COLUMNS
        );
        let (article_id, path) = after.map_or((i64::MIN, ""), |(a, p)| (*a, p.as_str()));
        let rows = sqlx::query(&sql)
            .bind(article_id)
            .bind(path.to_owned())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                let source = match (
                    r.try_get("source").map_err(from_sqlx)?,
                    r.try_get("source_id").map_err(from_sqlx)?,
                ) {
                    (Some(platform), Some(id)) => Some(ImportSource { platform, id }),
                    _ => None,
                };
                Ok(ExportedComment {
                    comment: crate::comments::comment_from_row(r)?,
                    author_email: r.try_get("author_email").map_err(from_sqlx)?,
                    source,
                })
            })
            .collect()
    }
}

fn import_of(r: &sqlx::any::AnyRow) -> Result<Option<(ImportSource, String)>, StoreError> {
    let platform: Option<String> = r.try_get("import_source").map_err(from_sqlx)?;
    let id: Option<String> = r.try_get("import_id").map_err(from_sqlx)?;
    let link: Option<String> = r.try_get("import_link").map_err(from_sqlx)?;
    Ok(match (platform, id) {
        (Some(platform), Some(id)) => Some((ImportSource { platform, id }, link.unwrap_or_default())),
        _ => None,
    })
}
