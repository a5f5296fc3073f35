//! Turns sqlx errors into the storage error the core understands.

use tribune_core::store::StoreError;

pub(crate) fn from_sqlx(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(db.constraint().unwrap_or_else(|| db.message()).to_owned())
        }
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
        // The server is restarting or going away (class 57: "terminating connection due to
        // administrator command", "the database system is starting up"; class 08: the
        // connection failed): the request may succeed in a moment, it is not a bug.
        sqlx::Error::Database(db)
            if db.code().is_some_and(|c| c.starts_with("57") || c.starts_with("08")) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Database(e.to_string()),
    }
}
