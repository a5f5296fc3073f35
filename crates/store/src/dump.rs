//! Tribune's own export format read and written table by table (see `tribune_core::dump`):
//! the tables and columns come from that fixed list, never from a file, and every value is
//! bound.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tribune_core::dump::{Column, Kind, Stored, TABLES, Table};
use tribune_core::store::{DumpStore, Restore, StoreError};

use crate::dialect::markers;
use crate::error::from_sqlx;
use crate::rows::placeholders;
use crate::{Backend, Store};

/// Rows per INSERT: the widest table (20 columns) stays far under either backend's limit
/// on binds.
const ROWS_PER_STATEMENT: usize = 50;

impl DumpStore for Store {
    type Restore = Restoring;

    async fn dump_rows(
        &self,
        table: &Table,
        after: Option<&[Stored]>,
        limit: u32,
    ) -> Result<Vec<Vec<Stored>>, StoreError> {
        let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let order = table.order.join(", ");
        let mut conditions: Vec<String> = table.only.iter().map(|c| format!("({c})")).collect();
        if after.is_some() {
            conditions.push(format!("({order}) > ({})", placeholders(1, table.order.len())));
        }
        let condition =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT {} FROM {} {condition} ORDER BY {order} LIMIT {limit}",
            columns.join(", "),
            table.name
        );
        let mut query = sqlx::query(&sql);
        let order_kinds = table
            .order
            .iter()
            .map(|o| table.columns.iter().find(|c| c.name == *o).map_or(Kind::Int, |c| c.kind));
        for (value, kind) in after.unwrap_or_default().iter().zip(order_kinds) {
            query = bind(query, value, kind);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(|r| table.columns.iter().map(|c| read(r, c)).collect()).collect()
    }

    async fn holds_content(&self) -> Result<bool, StoreError> {
        for table in ["articles", "comments", "users", "ledger_entries"] {
            let sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 1) t");
            let n: i64 = sqlx::query_scalar(&sql).fetch_one(&self.pool).await.map_err(from_sqlx)?;
            if n > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn begin_restore(&self) -> Result<Restoring, StoreError> {
        let tx = self.begin_write().await?;
        Ok(Restoring { tx, backend: self.backend })
    }
}

/// A restore under way: one transaction.
pub struct Restoring {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl Restore for Restoring {
    async fn write(&mut self, table: &Table, rows: &[Vec<Stored>]) -> Result<(), StoreError> {
        let mut columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        // Not in the format: a restored account has no password until its owner sets one
        // (no hash ever matches this), and SQLite needs every NOT NULL column given.
        let no_password = table.name == "users";
        if no_password {
            columns.push("password_hash");
        }
        let width = columns.len();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", markers(self.backend, width * i + 1, width)))
                .collect();
            let sql =
                format!("INSERT INTO {} ({}) VALUES {}", table.name, columns.join(", "), values.join(", "));
            let mut query = sqlx::query(&sql);
            for row in chunk {
                for (value, column) in row.iter().zip(table.columns) {
                    query = bind(query, value, column.kind);
                }
                if no_password {
                    query = query.bind("!");
                }
            }
            query.execute(&mut *self.tx).await.map_err(from_sqlx)?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            for table in TABLES.iter().filter(|t| t.has_id) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                    table.name
                );
                sqlx::query(&sql).execute(&mut *self.tx).await.map_err(from_sqlx)?;
            }
        }
        self.tx.commit().await.map_err(from_sqlx)
    }
}

fn bind<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    value: &Stored,
    kind: Kind,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match value {
        // A NULL of the column's own type: PostgreSQL will not put a number's NULL in text.
        Stored::Null if kind == Kind::Text => query.bind(None::<String>),
        Stored::Null if kind == Kind::Real => query.bind(None::<f64>),
        Stored::Null if kind == Kind::Bytes => query.bind(None::<Vec<u8>>),
        Stored::Null => query.bind(None::<i64>),
        Stored::Int(n) => query.bind(*n),
        Stored::Real(x) => query.bind(*x),
        Stored::Text(s) => query.bind(s.clone()),
        Stored::Bytes(b) => query.bind(b.clone()),
    }
}

fn read(r: &AnyRow, c: &Column) -> Result<Stored, StoreError> {
    let value = match c.kind {
        Kind::Int | Kind::Time | Kind::Flag => {
            r.try_get::<Option<i64>, _>(c.name).map(|v| v.map(Stored::Int))
        }
        Kind::Real => r.try_get::<Option<f64>, _>(c.name).map(|v| v.map(Stored::Real)),
        Kind::Text => r.try_get::<Option<String>, _>(c.name).map(|v| v.map(Stored::Text)),
        Kind::Bytes => r.try_get::<Option<Vec<u8>>, _>(c.name).map(|v| v.map(Stored::Bytes)),
    };
    Ok(value.map_err(from_sqlx)?.unwrap_or(Stored::Null))
}
