//! Versioned schema migrations, the same numbers for both backends. Each runs in its own
//! transaction; on PostgreSQL an advisory lock keeps nodes that start together in line.

use chrono::Utc;
use sqlx::{Connection, Executor};
use tribune_core::store::StoreError;

use crate::error::from_sqlx;
use crate::{Backend, Store};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($version:literal, $file:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file)),
            postgres: include_str!(concat!("../migrations/postgres/", $file)),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_articles_and_users.sql", "articles and users"),
    migration!(2, "0002_reader_funding.sql", "reader funding"),
    migration!(3, "0003_comments.sql", "comments"),
    migration!(4, "0004_throttles.sql", "throttles"),
    migration!(5, "0005_comment_pages.sql", "comment pages"),
    migration!(6, "0006_moderation.sql", "moderation"),
    migration!(7, "0007_filter_examples.sql", "filter examples"),
    migration!(8, "0008_reader_flags.sql", "reader flags"),
    migration!(9, "0009_moderators.sql", "moderators: queue, bans, audit log"),
    migration!(10, "0010_import_sources.sql", "import sources"),
    migration!(11, "0011_imported_articles.sql", "imported articles"),
    migration!(12, "0012_invalidation_commit_order.sql", "invalidation log in commit order"),
    migration!(13, "0013_user_accounts.sql", "disabled accounts, passwords to replace, articles by creation"),
    migration!(14, "0014_media.sql", "uploaded images"),
    migration!(15, "0015_outbox.sql", "outbox of outgoing mail, reply subscriptions"),
    migration!(16, "0016_article_kinds_and_confirmed_addresses.sql", "article kinds, confirmed addresses"),
    migration!(17, "0017_account_mail.sql", "links mailed to accounts"),
    migration!(18, "0018_supporters.sql", "supporters: donor e-mails, badges, supporters-only discussions"),
    migration!(19, "0019_navigation_menu.sql", "navigation menu"),
    migration!(20, "0020_embedded_discussions.sql", "embedded discussions, sign-in handoffs"),
];

/// An arbitrary constant naming Tribune's migration lock among PostgreSQL advisory locks.
const PG_MIGRATION_LOCK: i64 = 0x0074_7269_6275_6e65; // "tribune" in ASCII

/// The newest schema version this binary knows.
pub(crate) fn newest_known() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    let mut conn = store.pool.acquire().await.map_err(from_sqlx)?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS tribune_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await
    .map_err(from_sqlx)?;
    for migration in MIGRATIONS {
        let mut tx = conn.begin_with(crate::begin_statement(store.backend)).await.map_err(from_sqlx)?;
        if store.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_MIGRATION_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        }
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM tribune_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(from_sqlx)?;
        if applied.is_some() {
            continue;
        }
        let sql = match store.backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(|e| {
            StoreError::Database(format!("migration {} ({}) failed: {e}", migration.version, migration.name))
        })?;
        sqlx::query("INSERT INTO tribune_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(Utc::now().timestamp())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        tx.commit().await.map_err(from_sqlx)?;
        tracing::info!(version = migration.version, name = migration.name, "applied migration");
    }
    crate::first_import::restore_source_index(&mut *conn, store.backend).await?;
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM tribune_migrations")
        .fetch_one(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    let known = newest_known();
    match newest {
        Some(v) if v > known => Err(StoreError::Database(format!(
            "the database is at schema version {v}, newer than this binary knows ({known}): run a newer Tribune"
        ))),
        _ => Ok(()),
    }
}
