//! The statements that cannot be one text for both backends. Everything else is shared.

use tribune_core::search::SearchQuery;

use crate::Backend;

/// Public articles (not pages) matching the search, best first. Binds: $1 the match argument from
/// [`search_argument`], $2 now, $3 limit, $4 offset.
pub(crate) fn search_articles(backend: Backend, columns: &str) -> String {
    match backend {
        // bm25() is lower for better matches; the weights favour the title, then the summary.
        Backend::Sqlite => format!(
            "SELECT {columns} FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid \
             WHERE articles_fts MATCH $1 AND a.kind = 'article' AND a.status <> 'draft' AND a.published_at <= $2 \
             ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0), a.published_at DESC LIMIT $3 OFFSET $4"
        ),
        Backend::Postgres => format!(
            "SELECT {columns} FROM articles a, plainto_tsquery('english', $1) q \
             WHERE a.search @@ q AND a.kind = 'article' AND a.status <> 'draft' AND a.published_at <= $2 \
             ORDER BY ts_rank(a.search, q) DESC, a.published_at DESC LIMIT $3 OFFSET $4"
        ),
    }
}

/// The condition "article `a` matches the search", whatever its state (the admin's list),
/// with one `$?` for the argument from [`search_argument`].
pub(crate) fn matches_search(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH $?)",
        Backend::Postgres => "a.search @@ plainto_tsquery('english', $?)",
    }
}

/// The query argument: FTS5 gets every term quoted (so none is read as an operator);
/// PostgreSQL's plainto_tsquery takes plain words and never fails on syntax.
pub(crate) fn search_argument(backend: Backend, query: &SearchQuery) -> String {
    match backend {
        Backend::Sqlite => query.terms().iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" "),
        Backend::Postgres => query.terms().join(" "),
    }
}

/// Bind markers for `n` values bound in order from `start`, for a statement that has no
/// others: bare `?` on SQLite, `$start, …` on PostgreSQL. sqlx finds each `$N` of an SQLite
/// statement by its name, and SQLite finds a name by scanning the statement's list: a
/// statement of a hundred rows spent a quarter of an import's time there.
pub(crate) fn markers(backend: Backend, start: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => crate::rows::placeholders(start, n),
    }
}
