//! A site's first import from a platform is a bulk load: nothing from the platform can be
//! there yet, so no batch looks for what is, and on SQLite the unique index of sources is
//! built once at the end instead of kept up row by row.
//!
//! Why: that index is keyed by the platform's ids, which come in no useful order, so each
//! batch of a big import dirtied a page of it per comment, and SQLite wrote each of those
//! pages out at every commit: at a million comments, two fifths of the import's time.

use sqlx::Executor;
use tribune_core::store::{ImportMode, StoreError};

use crate::error::from_sqlx;
use crate::{Backend, Store};

/// The index as migration 0010 made it: a restored one is the same (SQLite keeps the
/// statement without its `IF NOT EXISTS`).
const SOURCE_INDEX: &str = "CREATE UNIQUE INDEX IF NOT EXISTS comments_by_source \
     ON comments (source, source_id) WHERE source_id IS NOT NULL";

/// See [`tribune_core::store::CommentStore::start_import`]. On SQLite, the check and the
/// index's removal are one write transaction, so two imports that start together cannot
/// both see an empty site: the second finds the index gone, restores it (see below) and
/// looks up as usual, and the index refuses whatever the two would have doubled.
pub(crate) async fn start(store: &Store, platform: &str, mode: ImportMode) -> Result<ImportMode, StoreError> {
    if mode != ImportMode::Write {
        return Ok(mode);
    }
    let mut tx = store.begin_write().await?;
    let indexed = match store.backend {
        Backend::Sqlite => {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'comments_by_source'",
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(from_sqlx)?
                == 1
        }
        Backend::Postgres => true,
    };
    if !indexed {
        // Another import's bulk load is under way, or one was cut short.
        tx.execute(SOURCE_INDEX).await.map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        return Ok(ImportMode::Write);
    }
    let present: Option<i64> = sqlx::query_scalar("SELECT id FROM comments WHERE source = $1 LIMIT 1")
        .bind(platform)
        .fetch_optional(&mut *tx)
        .await
        .map_err(from_sqlx)?;
    if present.is_some() {
        // Ended here, not left to the drop: a transaction dropped unfinished stays open on
        // PostgreSQL until its connection is used again, holding the writer's row lock.
        tx.rollback().await.map_err(from_sqlx)?;
        return Ok(ImportMode::Write);
    }
    // PostgreSQL keeps its index: there it costs little, and dropping it would lock the
    // table against every node's readers.
    if store.backend == Backend::Sqlite {
        tx.execute("DROP INDEX comments_by_source").await.map_err(from_sqlx)?;
    }
    tx.commit().await.map_err(from_sqlx)?;
    Ok(ImportMode::FirstLoad)
}

/// Builds the index of sources again if an import set it aside (SQLite only: PostgreSQL's
/// stays). Opening the site does it too (see `migrate`), for an import killed before its end.
pub(crate) async fn restore_source_index<'e, E: Executor<'e, Database = sqlx::Any>>(
    executor: E,
    backend: Backend,
) -> Result<(), StoreError> {
    if backend == Backend::Sqlite {
        executor.execute(SOURCE_INDEX).await.map_err(from_sqlx)?;
    }
    Ok(())
}
