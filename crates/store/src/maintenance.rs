//! What an operator runs against a site's database: a consistent copy while it serves
//! (SQLite), and a check that the schema, the pages and the counts kept in step are sound.

use std::path::Path;

use sqlx::Executor;
use tribune_core::store::StoreError;

use crate::error::from_sqlx;
use crate::{Backend, Store};

/// What [`Store::check`] found. Empty lists mean sound.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// The newest migration applied, and the newest this binary knows.
    pub schema_version: (i64, i64),
    /// What SQLite's own checks said, when it was not "ok" (pages, indexes, foreign keys).
    pub integrity: Vec<String>,
    /// Articles whose published-comment count is not what their comments say: (slug,
    /// stored, counted).
    pub miscounted_articles: Vec<(String, i64, i64)>,
    /// Comments whose score is not the sum of their votes: (id, stored, summed).
    pub misscored_comments: Vec<(i64, i64, i64)>,
    /// Replies not under their parent's thread (another article or another top comment).
    pub misplaced_replies: Vec<i64>,
    /// Rows per table, for the record.
    pub rows: Vec<(&'static str, i64)>,
}

impl CheckReport {
    pub fn is_sound(&self) -> bool {
        self.schema_version.0 == self.schema_version.1
            && self.integrity.is_empty()
            && self.miscounted_articles.is_empty()
            && self.misscored_comments.is_empty()
            && self.misplaced_replies.is_empty()
    }
}

/// Reported as they come: a damaged database can have millions.
const MAX_LISTED: i64 = 100;

const COUNTED_TABLES: [&str; 6] =
    ["articles", "comments", "comment_votes", "users", "ledger_entries", "bans"];

const MISCOUNTED: &str = "SELECT a.slug, a.comment_count, \
     (SELECT COUNT(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'published') AS counted \
     FROM articles a WHERE a.comment_count <> \
     (SELECT COUNT(*) FROM comments c WHERE c.article_id = a.id AND c.status = 'published') ORDER BY a.id LIMIT $1";
const MISSCORED: &str = "SELECT c.id, c.score, COALESCE(v.total, 0) AS summed FROM comments c \
     LEFT JOIN (SELECT comment_id, CAST(SUM(value) AS BIGINT) AS total FROM comment_votes GROUP BY comment_id) v \
     ON v.comment_id = c.id WHERE c.score <> COALESCE(v.total, 0) ORDER BY c.id LIMIT $1";
const MISPLACED: &str = "SELECT r.id FROM comments r JOIN comments p ON p.id = r.parent_id \
     WHERE r.article_id <> p.article_id OR r.root_id <> p.root_id ORDER BY r.id LIMIT $1";
const RECOUNT_ARTICLES: &str = "UPDATE articles SET comment_count = \
     (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.status = 'published') \
     WHERE comment_count <> \
     (SELECT COUNT(*) FROM comments c WHERE c.article_id = articles.id AND c.status = 'published')";
const RESCORE_COMMENTS: &str = "UPDATE comments SET score = \
     (SELECT COALESCE(CAST(SUM(value) AS BIGINT), 0) FROM comment_votes v WHERE v.comment_id = comments.id) \
     WHERE score <> \
     (SELECT COALESCE(CAST(SUM(value) AS BIGINT), 0) FROM comment_votes v WHERE v.comment_id = comments.id)";

impl Store {
    /// Copies a SQLite site into `target`, a new file, as one consistent snapshot while the
    /// site keeps serving (`VACUUM INTO`: readers and the writer go on meanwhile). The copy
    /// is written beside `target` and renamed, so `target` is never half a database.
    pub async fn back_up_to(&self, target: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unavailable(
                "tribune backup copies SQLite sites; back up PostgreSQL with pg_dump (see docs/deploy.md)"
                    .into(),
            ));
        }
        let partial = target.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let shown = partial.to_str().ok_or_else(|| StoreError::Database("the path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(shown).execute(&self.pool).await.map_err(from_sqlx)?;
        std::fs::rename(&partial, target).map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            StoreError::Database(format!("cannot move the copy into place: {e}"))
        })
    }

    /// Checks the schema version, the database's own integrity (SQLite: pages, indexes and
    /// foreign keys; PostgreSQL checks its pages itself) and every count kept in step with
    /// the rows it counts.
    pub async fn check(&self) -> Result<CheckReport, StoreError> {
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM tribune_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut report = CheckReport {
            schema_version: (applied.unwrap_or(0), crate::migrate::newest_known()),
            ..Default::default()
        };
        if self.backend == Backend::Sqlite {
            report.integrity = self.sqlite_integrity().await?;
        }
        report.miscounted_articles =
            sqlx::query_as(MISCOUNTED).bind(MAX_LISTED).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        report.misscored_comments =
            sqlx::query_as(MISSCORED).bind(MAX_LISTED).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        report.misplaced_replies =
            sqlx::query_scalar(MISPLACED).bind(MAX_LISTED).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        for table in COUNTED_TABLES {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&self.pool)
                .await
                .map_err(from_sqlx)?;
            report.rows.push((table, n));
        }
        Ok(report)
    }

    async fn sqlite_integrity(&self) -> Result<Vec<String>, StoreError> {
        let mut found: Vec<String> =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.pool).await.map_err(from_sqlx)?;
        found.retain(|line| line != "ok");
        let broken: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
        found.extend(broken.into_iter().map(|(table, row, parent)| {
            format!("{table} row {row} refers to a row of {parent} that does not exist")
        }));
        Ok(found)
    }

    /// Counts again what [`Store::check`] found out of step (articles' comment counts,
    /// comments' scores), in one transaction; how many of each it changed.
    pub async fn recount(&self) -> Result<(u64, u64), StoreError> {
        let mut tx = self.begin_write().await?;
        let articles = tx.execute(RECOUNT_ARTICLES).await.map_err(from_sqlx)?.rows_affected();
        let comments = tx.execute(RESCORE_COMMENTS).await.map_err(from_sqlx)?.rows_affected();
        tx.commit().await.map_err(from_sqlx)?;
        Ok((articles, comments))
    }
}
