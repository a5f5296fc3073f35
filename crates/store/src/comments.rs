//! Comment threads: the pieces of a page of discussion (its top comments by keyset, the
//! outline of their replies without text, then the text of what is shown), votes with the
//! score kept beside them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use tribune_core::comment::{Comment, CommentStatus, Deletion, ValidComment, child_path};
use tribune_core::store::{
    CommentRecord, CommentStore, ImportMode, ImportSource, Imported, ImportedComment, ImportedDiscussion,
    StoreError, StoredDecision, Tops,
};
use tribune_core::thread::{CommentSort, Cursor, Outlined};

use crate::dialect::markers;
use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};
use crate::{Backend, Store};

pub(crate) const COLUMNS: &str = "id, article_id, parent_id, root_id, path, depth, status, body_markdown, body_html, \
     author_name, user_id, guest_token_hash, score, created_at, edited_at";

/// A comment without its text, with the text's size: what a page's outline needs.
const OUTLINE: &str = "id, article_id, parent_id, root_id, path, depth, status, '' AS body_markdown, \
     '' AS body_html, author_name, user_id, guest_token_hash, score, created_at, edited_at, \
     CAST(LENGTH(body_html) AS BIGINT) AS text_bytes";

impl CommentStore for Store {
    /// Through the group-commit writer: see `group_commit`.
    async fn insert_comment(&self, r: &CommentRecord, now: DateTime<Utc>) -> Result<Comment, StoreError> {
        self.comments.insert(r.clone(), now).await
    }

    async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM comments WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        row.as_ref().map(comment_from_row).transpose()
    }

    async fn thread(&self, article_id: i64) -> Result<Vec<Comment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM comments WHERE article_id = $1 ORDER BY path");
        let rows = sqlx::query(&sql).bind(article_id).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(comment_from_row).collect()
    }

    async fn edit_comment(
        &self,
        id: i64,
        md: &str,
        html: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE comments SET body_markdown = $1, body_html = $2, edited_at = $3 WHERE id = $4",
        )
        .bind(md)
        .bind(html)
        .bind(secs(now))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn set_comment_status(&self, id: i64, status: CommentStatus) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let article_id = article_of(&mut tx, id).await?;
        sqlx::query("UPDATE comments SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        recount(&mut tx, article_id).await?;
        tx.commit().await.map_err(from_sqlx)
    }

    async fn delete_comment(&self, id: i64) -> Result<Deletion, StoreError> {
        let mut tx = self.begin_write().await?;
        let article_id = article_of(&mut tx, id).await?;
        let removed = sqlx::query(
            "DELETE FROM comments WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(from_sqlx)?;
        let deletion = if removed.rows_affected() == 1 {
            Deletion::Remove
        } else {
            // Replies hang from it: keep its place, drop what it said.
            sqlx::query(
                "UPDATE comments SET status = 'deleted', body_markdown = '', body_html = '', author_email = NULL \
                 WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
            Deletion::Placeholder
        };
        recount(&mut tx, article_id).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(deletion)
    }

    async fn thread_tops(
        &self,
        tops: Tops,
        sort: CommentSort,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Vec<Outlined>, StoreError> {
        let (order, after_clause) = match sort {
            CommentSort::Oldest => ("id", "id > $3"),
            CommentSort::Newest => ("id DESC", "id < $3"),
            CommentSort::Best => ("score DESC, id", "(score < $4 OR (score = $4 AND id > $3))"),
        };
        let (scope, owner) = match tops {
            Tops::Article(id) => ("article_id = $1 AND depth = 0", id),
            Tops::RepliesTo(id) => ("parent_id = $1", id),
        };
        let filter = if after.is_some() { after_clause } else { "1 = 1" };
        let sql =
            format!("SELECT {OUTLINE} FROM comments WHERE {scope} AND {filter} ORDER BY {order} LIMIT $2");
        let mut query = sqlx::query(&sql).bind(owner).bind(i64::from(limit));
        if let Some(after) = after {
            query = query.bind(after.id);
            if sort == CommentSort::Best {
                query = query.bind(after.score);
            }
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(outlined_from_row).collect()
    }

    async fn reply_outline(&self, tops: &[i64], levels: u32) -> Result<Vec<Outlined>, StoreError> {
        if tops.is_empty() || levels == 0 {
            return Ok(vec![]);
        }
        let sql = format!(
            "WITH RECURSIVE below (id, level) AS ( \
               SELECT id, 1 FROM comments WHERE parent_id IN ({}) \
               UNION ALL \
               SELECT c.id, b.level + 1 FROM comments c JOIN below b ON c.parent_id = b.id WHERE b.level < $1 \
             ) SELECT {OUTLINE} FROM comments WHERE id IN (SELECT id FROM below)",
            placeholders(2, tops.len())
        );
        let mut query = sqlx::query(&sql).bind(i64::from(levels));
        for id in tops {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(outlined_from_row).collect()
    }

    async fn comment_texts(&self, ids: &[i64]) -> Result<HashMap<i64, (String, String)>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT id, body_markdown, body_html FROM comments WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                let text = (
                    r.try_get("body_markdown").map_err(from_sqlx)?,
                    r.try_get("body_html").map_err(from_sqlx)?,
                );
                Ok((r.try_get("id").map_err(from_sqlx)?, text))
            })
            .collect()
    }

    async fn comment_decision(&self, id: i64) -> Result<Option<StoredDecision>, StoreError> {
        let row = sqlx::query(
            "SELECT outcome, score, reasons, decided_at FROM comment_decisions WHERE comment_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(from_sqlx)?;
        row.as_ref().map(decision_from_row).transpose().map_err(from_sqlx)
    }

    async fn guest_has_comment_since(
        &self,
        slug: &str,
        guest_token_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE c.guest_token_hash = $1 AND a.slug = $2 AND (c.status = 'pending' OR c.created_at >= $3) \
             LIMIT 1) t",
        )
        .bind(guest_token_hash)
        .bind(slug)
        .bind(secs(since))
        .fetch_one(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(found > 0)
    }

    async fn has_pending_or_since_on(
        &self,
        slug: &str,
        user_id: Option<i64>,
        guest_token_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Three probes, each on its own index: one condition with an OR over both read
        // every comment of the article (measured: a signed-in reader's page 10% slower).
        // The `+` keeps SQLite's planner on the reader's comments, not the article's.
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ( \
             SELECT 1 FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE a.slug = $1 AND c.status = 'pending' AND (c.user_id = $2 OR c.guest_token_hash = $3) \
             UNION ALL SELECT 1 FROM comments c JOIN articles a ON a.id = +c.article_id \
             WHERE a.slug = $1 AND c.user_id = $2 AND c.created_at >= $4 \
             UNION ALL SELECT 1 FROM comments c JOIN articles a ON a.id = c.article_id \
             WHERE a.slug = $1 AND c.guest_token_hash = $3 AND c.created_at >= $4 \
             LIMIT 1) t",
        )
        .bind(slug)
        .bind(user_id)
        .bind(guest_token_hash.map(str::to_owned))
        .bind(secs(since))
        .fetch_one(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(found > 0)
    }

    async fn threads_before(&self, article_id: i64, root_id: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE article_id = $1 AND depth = 0 AND id < $2")
            .bind(article_id)
            .bind(root_id)
            .fetch_one(&self.pool)
            .await
            .map_err(from_sqlx)
    }

    async fn vote(
        &self,
        comment_id: i64,
        user_id: i64,
        value: i64,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        if value == 0 {
            sqlx::query("DELETE FROM comment_votes WHERE comment_id = $1 AND user_id = $2")
                .bind(comment_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        } else {
            sqlx::query(
                "INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (comment_id, user_id) DO UPDATE SET value = excluded.value",
            )
            .bind(comment_id)
            .bind(user_id)
            .bind(value)
            .bind(secs(now))
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        }
        // Recounted rather than incremented, so a repeated vote cannot drift the score.
        let score: i64 = sqlx::query_scalar(
            "UPDATE comments SET score = (SELECT COALESCE(SUM(value), 0) FROM comment_votes WHERE comment_id = $1) \
             WHERE id = $1 RETURNING score",
        )
        .bind(comment_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?
        .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(score)
    }

    async fn votes_by(&self, user_id: i64, comment_ids: &[i64]) -> Result<HashMap<i64, i64>, StoreError> {
        if comment_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT comment_id, value FROM comment_votes WHERE user_id = $1 AND comment_id IN ({})",
            placeholders(2, comment_ids.len())
        );
        let mut query = sqlx::query(&sql).bind(user_id);
        for id in comment_ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                Ok((r.try_get("comment_id").map_err(from_sqlx)?, r.try_get("value").map_err(from_sqlx)?))
            })
            .collect()
    }

    async fn import_discussions(
        &self,
        discussions: &[ImportedDiscussion],
        mode: ImportMode,
    ) -> Result<Vec<Vec<Imported>>, StoreError> {
        // Checked before the transaction starts: one that fails later holds its locks until
        // its connection is used again.
        for d in discussions {
            if let Some((i, p)) =
                d.comments.iter().enumerate().find_map(|(i, c)| Some((i, c.parent.filter(|p| *p >= i)?)))
            {
                return Err(StoreError::Database(format!(
                    "comment {i} answers {p}, which does not come before it"
                )));
            }
        }
        let all = || discussions.iter().flat_map(|d| &d.comments);
        let mut tx = self.begin_write().await?;
        let known = match mode {
            ImportMode::FirstLoad => HashMap::new(),
            ImportMode::Write | ImportMode::DryRun => already_imported(&mut tx, self.backend, all()).await?,
        };
        let fresh = all().filter(|c| !c.source.as_ref().is_some_and(|s| known.contains_key(s))).count();
        let mut ids = new_comment_ids(&mut tx, self.backend, fresh).await?.into_iter();
        let mut rows: Vec<PlacedRow<'_>> = Vec::with_capacity(fresh);
        let mut outcome = Vec::with_capacity(discussions.len());
        for d in discussions {
            // Every comment's id and place, the known ones' as stored: replies find either.
            let mut places: Vec<(i64, Place)> = Vec::with_capacity(d.comments.len());
            let mut imported = Vec::with_capacity(d.comments.len());
            for c in &d.comments {
                if let Some(stored) = c.source.as_ref().and_then(|s| known.get(s)) {
                    imported.push(Imported { id: stored.0, new: false });
                    places.push(stored.clone());
                    continue;
                }
                let parent = c.parent.map(|p| &places[p]);
                let id = ids.next().ok_or_else(|| StoreError::Database("too few new comment ids".into()))?;
                let place = Place::below(parent.map(|(_, p)| p), id);
                let row = NewRow {
                    article_id: d.article_id,
                    parent_id: parent.map(|(id, _)| *id),
                    status: c.status,
                    comment: &c.comment,
                    user_id: None,
                    guest_token_hash: None,
                    ip_hash: None,
                    body_hash: None,
                    created_at: c.created_at,
                };
                imported.push(Imported { id, new: true });
                places.push((id, place.clone()));
                rows.push(PlacedRow { id, row, place, source: c.source.as_ref() });
            }
            outcome.push(imported);
        }
        insert_placed(&mut tx, self.backend, &rows).await?;
        let touched: BTreeSet<i64> = discussions.iter().map(|d| d.article_id).collect();
        for article_id in touched {
            recount(&mut tx, article_id).await?;
        }
        if mode.keeps() {
            tx.commit().await.map_err(from_sqlx)?;
        } else {
            tx.rollback().await.map_err(from_sqlx)?;
        }
        Ok(outcome)
    }

    async fn start_import(&self, platform: &str, mode: ImportMode) -> Result<ImportMode, StoreError> {
        crate::first_import::start(self, platform, mode).await
    }

    async fn finish_import(&self) -> Result<(), StoreError> {
        crate::first_import::restore_source_index(&self.pool, self.backend).await
    }

    async fn approved_comments(
        &self,
        user_id: Option<i64>,
        guest_token_hash: Option<&str>,
        up_to: u32,
    ) -> Result<u32, StoreError> {
        // One side of the index pair only (an account's, else the browser's), and no
        // further than the threshold: a regular with thousands of comments costs the same.
        let query = match (user_id, guest_token_hash) {
            (Some(id), _) => sqlx::query_scalar(APPROVED_BY_USER).bind(id),
            (None, Some(hash)) => sqlx::query_scalar(APPROVED_BY_GUEST).bind(hash.to_owned()),
            (None, None) => return Ok(0),
        };
        let found: i64 = query.bind(i64::from(up_to)).fetch_one(&self.pool).await.map_err(from_sqlx)?;
        Ok(u32::try_from(found).unwrap_or(0))
    }

    async fn comment_decisions(&self, ids: &[i64]) -> Result<HashMap<i64, StoredDecision>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT comment_id, outcome, score, reasons, decided_at FROM comment_decisions \
             WHERE comment_id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter()
            .map(|r| Ok((r.try_get("comment_id")?, decision_from_row(r)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(from_sqlx)
    }

    async fn set_comments_closed(&self, article_id: i64, closed: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE articles SET comments_closed = $1 WHERE id = $2")
            .bind(i64::from(closed))
            .bind(article_id)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}

async fn article_of(tx: &mut sqlx::Transaction<'_, sqlx::Any>, comment_id: i64) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT article_id FROM comments WHERE id = $1")
        .bind(comment_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(from_sqlx)?
        .ok_or(StoreError::NotFound)
}

/// Counts an article's published comments again, after a change of status or a deletion.
pub(crate) async fn recount(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    article_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE articles SET comment_count = \
         (SELECT COUNT(*) FROM comments WHERE article_id = $1 AND status = 'published') WHERE id = $1",
    )
    .bind(article_id)
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

/// Adds `n` new published comments to an article's count.
pub(crate) async fn count_new(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    article_id: i64,
    n: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE articles SET comment_count = comment_count + $1 WHERE id = $2")
        .bind(n)
        .bind(article_id)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    Ok(())
}

/// Where a comment sits in its tree: what its replies need to know.
#[derive(Clone)]
pub(crate) struct Place {
    pub(crate) path: String,
    pub(crate) root_id: i64,
    pub(crate) depth: i64,
}

impl Place {
    /// The place of comment `id` under `parent` (at the top of a new tree without one).
    pub(crate) fn below(parent: Option<&Place>, id: i64) -> Place {
        Place {
            path: child_path(parent.map(|p| p.path.as_str()), id),
            root_id: parent.map_or(id, |p| p.root_id),
            depth: parent.map_or(0, |p| p.depth + 1),
        }
    }
}

pub(crate) struct NewRow<'a> {
    pub(crate) article_id: i64,
    pub(crate) parent_id: Option<i64>,
    pub(crate) status: CommentStatus,
    pub(crate) comment: &'a ValidComment,
    pub(crate) user_id: Option<i64>,
    pub(crate) guest_token_hash: Option<&'a str>,
    pub(crate) ip_hash: Option<&'a str>,
    pub(crate) body_hash: Option<&'a str>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A new comment whose id was taken before it is written ([`new_comment_ids`]), so its
/// path (which holds the id) goes into the INSERT itself: no UPDATE after it.
pub(crate) struct PlacedRow<'a> {
    pub(crate) id: i64,
    pub(crate) row: NewRow<'a>,
    pub(crate) place: Place,
    /// Where an imported comment came from; none for a posted one.
    pub(crate) source: Option<&'a ImportSource>,
}

/// The comments of `comments` already imported from the same place, by source: their ids
/// and places, in as many queries as there are platforms among them.
async fn already_imported<'a>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    comments: impl Iterator<Item = &'a ImportedComment>,
) -> Result<HashMap<ImportSource, (i64, Place)>, StoreError> {
    let mut by_platform: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in comments.filter_map(|c| c.source.as_ref()) {
        by_platform.entry(s.platform.as_str()).or_default().push(s.id.as_str());
    }
    let mut known = HashMap::new();
    for (platform, ids) in by_platform {
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, path, root_id, depth, source_id FROM comments WHERE source = {} AND source_id IN ({})",
                markers(backend, 1, 1),
                markers(backend, 2, chunk.len())
            );
            let mut query = sqlx::query_as::<_, (i64, String, i64, i64, String)>(&sql).bind(platform);
            for id in chunk {
                query = query.bind(*id);
            }
            for (id, path, root_id, depth, source_id) in
                query.fetch_all(&mut **tx).await.map_err(from_sqlx)?
            {
                let source = ImportSource { platform: platform.to_owned(), id: source_id };
                known.insert(source, (id, Place { path, root_id, depth }));
            }
        }
    }
    Ok(known)
}

/// Placed rows per INSERT: 18 binds each, well under either backend's limit on binds.
const ROWS_PER_STATEMENT: usize = 100;

/// Writes placed comments, one statement per chunk, in the caller's transaction.
pub(crate) async fn insert_placed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    rows: &[PlacedRow<'_>],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> =
            (0..chunk.len()).map(|i| format!("({})", markers(backend, 18 * i + 1, 18))).collect();
        let sql = format!(
            "INSERT INTO comments (id, article_id, parent_id, root_id, path, depth, status, body_markdown, \
             body_html, author_name, author_email, user_id, guest_token_hash, ip_hash, body_hash, created_at, \
             source, source_id) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for PlacedRow { id, row, place, source } in chunk {
            query = query
                .bind(*id)
                .bind(row.article_id)
                .bind(row.parent_id)
                .bind(place.root_id)
                .bind(&place.path)
                .bind(place.depth)
                .bind(row.status.as_str())
                .bind(&row.comment.body_markdown)
                .bind(&row.comment.body_html)
                .bind(&row.comment.author_name)
                .bind(row.comment.author_email.clone())
                .bind(row.user_id)
                .bind(row.guest_token_hash.map(str::to_owned))
                .bind(row.ip_hash.map(str::to_owned))
                .bind(row.body_hash.map(str::to_owned))
                .bind(secs(row.created_at))
                .bind(source.map(|s| s.platform.clone()))
                .bind(source.map(|s| s.id.clone()));
        }
        query.execute(&mut **tx).await.map_err(from_sqlx)?;
    }
    Ok(())
}

/// `n` ids for new comments, ascending. On SQLite the caller's transaction must hold the
/// write lock ([`crate::begin_write`]): the ids after the largest then stay free until it
/// commits, as SQLite's own rowids would. PostgreSQL takes them from the identity column's
/// sequence, which every node shares.
pub(crate) async fn new_comment_ids(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    n: usize,
) -> Result<Vec<i64>, StoreError> {
    let count = i64::try_from(n).map_err(|e| StoreError::Database(e.to_string()))?;
    if count == 0 {
        return Ok(vec![]);
    }
    let mut ids: Vec<i64> = match backend {
        Backend::Sqlite => {
            let largest: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM comments")
                .fetch_one(&mut **tx)
                .await
                .map_err(from_sqlx)?;
            (largest + 1..=largest + count).collect()
        }
        Backend::Postgres => sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('comments', 'id')) FROM generate_series(1, CAST($1 AS BIGINT))",
        )
        .bind(count)
        .fetch_all(&mut **tx)
        .await
        .map_err(from_sqlx)?,
    };
    ids.sort_unstable();
    Ok(ids)
}

/// Published comments of one account or one guest browser, up to a limit (`$2`).
const APPROVED_BY_USER: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM comments \
     WHERE user_id = $1 AND status = 'published' LIMIT $2) t";
const APPROVED_BY_GUEST: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM comments \
     WHERE guest_token_hash = $1 AND status = 'published' LIMIT $2) t";

fn decision_from_row(r: &AnyRow) -> Result<StoredDecision, sqlx::Error> {
    Ok(StoredDecision {
        outcome: r.try_get("outcome")?,
        score: r.try_get("score")?,
        reasons_json: r.try_get("reasons")?,
        decided_at: time(r.try_get("decided_at")?),
    })
}

fn outlined_from_row(r: &AnyRow) -> Result<Outlined, StoreError> {
    let text_bytes: i64 = r.try_get("text_bytes").map_err(from_sqlx)?;
    Ok(Outlined { comment: comment_from_row(r)?, text_bytes: usize::try_from(text_bytes).unwrap_or(0) })
}

pub(crate) fn comment_from_row(r: &AnyRow) -> Result<Comment, StoreError> {
    let status: String = r.try_get("status").map_err(from_sqlx)?;
    let depth: i64 = r.try_get("depth").map_err(from_sqlx)?;
    Ok(Comment {
        id: r.try_get("id").map_err(from_sqlx)?,
        article_id: r.try_get("article_id").map_err(from_sqlx)?,
        parent_id: r.try_get("parent_id").map_err(from_sqlx)?,
        root_id: r.try_get("root_id").map_err(from_sqlx)?,
        depth: u32::try_from(depth).map_err(|e| StoreError::Database(e.to_string()))?,
        path: r.try_get("path").map_err(from_sqlx)?,
        status: CommentStatus::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("unknown status {status}")))?,
        body_markdown: r.try_get("body_markdown").map_err(from_sqlx)?,
        body_html: r.try_get("body_html").map_err(from_sqlx)?,
        author_name: r.try_get("author_name").map_err(from_sqlx)?,
        user_id: r.try_get("user_id").map_err(from_sqlx)?,
        guest_token_hash: r.try_get("guest_token_hash").map_err(from_sqlx)?,
        score: r.try_get("score").map_err(from_sqlx)?,
        created_at: time(r.try_get("created_at").map_err(from_sqlx)?),
        edited_at: r.try_get::<Option<i64>, _>("edited_at").map_err(from_sqlx)?.map(time),
    })
}
