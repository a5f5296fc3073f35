//! A backend-neutral description of a migrated schema, so that a test can prove the SQLite
//! and PostgreSQL migrations build the same thing: the code's guarantees (exactly-once
//! donations rest on a partial unique index) live in the schema, and a rule missing on one
//! backend would otherwise go unnoticed until it let a duplicate through.
//!
//! Each backend's catalog is read into lines of one shape, spelled the same way whatever
//! the backend: `column table.name class null|not null [pk N]`, `index table.name [unique]
//! (cols) [where predicate]`, `unique table (cols)` for a `UNIQUE` constraint (whose index
//! name the backends choose differently), `check table expression`, `foreign key table.col
//! -> table.col on delete action`. Full-text search is left out: it is the one thing the
//! backends do differently on purpose (FTS5 tables against a `tsvector` column).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Store};

/// The schema of `store`'s database as sorted lines (see the module's documentation).
pub async fn describe(store: &Store) -> Result<Vec<String>, sqlx::Error> {
    let fetch = |sql: &'static str| sqlx::query(sql).fetch_all(&store.pool);
    let backend = store.backend;
    let mut lines = Vec::new();
    for r in fetch(columns_sql(backend)).await? {
        lines.push(column_line(&r)?);
    }
    lines.extend(index_lines(&fetch(indexes_sql(backend)).await?)?);
    for r in fetch(checks_sql(backend)).await? {
        let table: String = r.try_get("tbl")?;
        let source: String = r.try_get("source")?;
        let checks = match backend {
            Backend::Sqlite => checks_in_create_table(&source),
            Backend::Postgres => vec![source.trim_start_matches("CHECK").to_owned()],
        };
        lines.extend(checks.iter().map(|c| format!("check {table} {}", normalise_expression(c))));
    }
    for r in fetch(foreign_keys_sql(backend)).await? {
        let [table, column, target, target_column, on_delete] =
            ["tbl", "col", "target", "target_col", "on_delete"].map(|c| r.try_get::<String, _>(c));
        lines.push(format!(
            "foreign key {}.{} -> {}.{} on delete {}",
            table?,
            column?,
            target?,
            target_column?,
            on_delete?.to_lowercase()
        ));
    }
    lines.sort();
    Ok(lines)
}

/// Lines of `a` missing from `b` and of `b` missing from `a`, each marked with its side.
pub fn differences(a_name: &str, a: &[String], b_name: &str, b: &[String]) -> Vec<String> {
    let only = |name: &str, x: &[String], y: &[String]| {
        x.iter().filter(|l| !y.contains(l)).map(|l| format!("only in {name}: {l}")).collect::<Vec<_>>()
    };
    let mut out = only(a_name, a, b);
    out.extend(only(b_name, b, a));
    out
}

fn columns_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, p.name AS col, p.type AS decl, p.\"notnull\" AS not_null, p.pk AS pk \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'articles_fts%'"
        }
        Backend::Postgres => {
            "SELECT c.table_name::text AS tbl, c.column_name::text AS col, c.data_type::text AS decl, \
             CAST(CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) AS not_null, \
             CAST(COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints t \
               JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
               AND k.table_schema = t.table_schema AND k.table_name = t.table_name \
               WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
               AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) AS BIGINT) AS pk \
             FROM information_schema.columns c \
             WHERE c.table_schema = current_schema() AND c.column_name <> 'search'"
        }
    }
}

fn column_line(r: &AnyRow) -> Result<String, sqlx::Error> {
    let table: String = r.try_get("tbl")?;
    let column: String = r.try_get("col")?;
    let decl: String = r.try_get("decl")?;
    let pk: i64 = r.try_get("pk")?;
    // A primary key column is NOT NULL on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is
    // the rowid, never null, though the catalog says nullable. SQLite's legacy leniency of
    // a NULL in another single-column key (`sessions.token_hash TEXT PRIMARY KEY`) is not
    // reported: no code writes one, and removing it means rebuilding those tables.
    let not_null = r.try_get::<i64, _>("not_null")? != 0 || pk > 0;
    let null = if not_null { "not null" } else { "null" };
    let pk = if pk > 0 { format!(" pk {pk}") } else { String::new() };
    Ok(format!("column {table}.{column} {} {null}{pk}", type_class(&decl)))
}

/// The kind of value a column holds, by SQLite's affinity rules, which also sort
/// PostgreSQL's type names: `BIGINT` and `integer` are both integers.
fn type_class(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t.contains("numeric") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else {
        "other"
    }
}

/// One row per indexed column, in order. `origin` is `c` for `CREATE INDEX`, `u` for a
/// `UNIQUE` constraint, `pk` for the primary key (described with the columns instead).
fn indexes_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, il.name AS idx, il.\"unique\" AS uniq, il.origin AS origin, \
             ii.seqno AS seqno, COALESCE(ii.name, '(expression)') AS col, ii.\"desc\" AS descending, \
             COALESCE((SELECT s.sql FROM sqlite_master s WHERE s.type = 'index' AND s.name = il.name), '') AS source \
             FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_xinfo(il.name) ii \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'articles_fts%' \
             AND ii.key = 1 ORDER BY m.name, il.name, ii.seqno"
        }
        Backend::Postgres => {
            "SELECT t.relname::text AS tbl, c.relname::text AS idx, \
             CAST(CASE WHEN i.indisunique THEN 1 ELSE 0 END AS BIGINT) AS uniq, \
             CASE WHEN i.indisprimary THEN 'pk' WHEN EXISTS (SELECT 1 FROM pg_constraint con \
               WHERE con.conindid = i.indexrelid AND con.contype = 'u') THEN 'u' ELSE 'c' END AS origin, \
             CAST(k.n - 1 AS BIGINT) AS seqno, pg_get_indexdef(i.indexrelid, k.n, true) AS col, \
             CAST(i.indoption[k.n - 1] & 1 AS BIGINT) AS descending, \
             COALESCE(' WHERE ' || pg_get_expr(i.indpred, i.indrelid, true), '') AS source \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             CROSS JOIN LATERAL generate_series(1, i.indnkeyatts) AS k(n) \
             WHERE ns.nspname = current_schema() \
             ORDER BY t.relname, c.relname, k.n"
        }
    }
}

fn index_lines(rows: &[AnyRow]) -> Result<Vec<String>, sqlx::Error> {
    let mut lines = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut columns: Vec<String> = Vec::new();
    let mut head = String::new();
    let mut tail = String::new();
    let mut skip = false;
    let mut flush = |head: &str, columns: &[String], tail: &str, skip: bool| {
        if !head.is_empty() && !skip {
            lines.push(format!("{head} ({}){tail}", columns.join(", ")));
        }
    };
    for r in rows {
        let table: String = r.try_get("tbl")?;
        let index: String = r.try_get("idx")?;
        if current.as_ref() != Some(&(table.clone(), index.clone())) {
            flush(&head, &columns, &tail, skip);
            columns.clear();
            let origin: String = r.try_get("origin")?;
            let unique = r.try_get::<i64, _>("uniq")? != 0;
            head = match origin.as_str() {
                "u" => format!("unique {table}"),
                _ if unique => format!("index {table}.{index} unique"),
                _ => format!("index {table}.{index}"),
            };
            let source: String = r.try_get("source")?;
            tail = partial_predicate(&source)
                .map(|p| format!(" where {}", normalise_expression(&p)))
                .unwrap_or_default();
            skip = origin == "pk";
            current = Some((table, index));
        }
        let column: String = r.try_get("col")?;
        // The full-text column has an index on PostgreSQL only, by design.
        skip |= column == "search";
        let descending = r.try_get::<i64, _>("descending")? != 0;
        let column = column.to_lowercase();
        columns.push(if descending { format!("{column} desc") } else { column });
    }
    flush(&head, &columns, &tail, skip);
    Ok(lines)
}

/// The `WHERE` of a partial index's definition, if it has one.
fn partial_predicate(source: &str) -> Option<String> {
    let at = source.to_ascii_uppercase().rfind(" WHERE ")?;
    Some(source[at + " WHERE ".len()..].to_owned())
}

/// SQLite keeps CHECK constraints only in the `CREATE TABLE` text.
fn checks_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, m.sql AS source FROM sqlite_master m \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'articles_fts%'"
        }
        Backend::Postgres => {
            "SELECT t.relname::text AS tbl, pg_get_constraintdef(con.oid, true) AS source \
             FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             WHERE con.contype = 'c' AND ns.nspname = current_schema()"
        }
    }
}

fn foreign_keys_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT m.name AS tbl, f.\"from\" AS col, f.\"table\" AS target, COALESCE(f.\"to\", '') AS target_col, \
             f.on_delete AS on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'articles_fts%'"
        }
        Backend::Postgres => {
            "SELECT t.relname::text AS tbl, a.attname::text AS col, rt.relname::text AS target, \
             ra.attname::text AS target_col, \
             CASE con.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' \
               WHEN 'r' THEN 'restrict' ELSE 'no action' END AS on_delete \
             FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid \
             JOIN pg_class rt ON rt.oid = con.confrelid JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(con.conkey, con.confkey) AS u(k, rk) \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.k \
             JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = u.rk \
             WHERE con.contype = 'f' AND ns.nspname = current_schema()"
        }
    }
}

/// The parenthesised expression of every `CHECK` in a `CREATE TABLE` statement.
fn checks_in_create_table(sql: &str) -> Vec<String> {
    let sql = without_comments(sql);
    let upper = sql.to_ascii_uppercase();
    let mut checks = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK") {
        let start = from + at + "CHECK".len();
        let Some(open) = sql[start..].find('(').map(|o| start + o) else { break };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in sql[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = open + i;
                break;
            }
        }
        checks.push(sql[open..=end].to_owned());
        from = end + 1;
    }
    checks
}

fn without_comments(sql: &str) -> String {
    sql.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

/// An SQL expression spelled one way: lower case, PostgreSQL's casts and `= ANY (ARRAY[…])`
/// back to the `IN (…)` they came from, quoted numbers unquoted, no parentheses, single
/// spaces. Good enough to compare the simple expressions of CHECK constraints and partial
/// index predicates, not a parser.
pub(crate) fn normalise_expression(expr: &str) -> String {
    let mut s = expr.to_lowercase();
    for cast in ["::character varying", "::double precision", "::timestamp with time zone"] {
        s = s.replace(cast, "");
    }
    s = without_casts(&s);
    s = s.replace("= any (array[", "in (").replace("])", ")");
    s = unquote_numbers(&s);
    let s: String = s.chars().filter(|c| !matches!(c, '(' | ')')).collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ",")
}

/// Removes `::type` casts (`'a'::text` is `'a'`).
fn without_casts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

/// `'-1'` becomes `-1`: PostgreSQL quotes a negative number it casts.
fn unquote_numbers(s: &str) -> String {
    let parts: Vec<&str> = s.split('\'').collect();
    let mut out = String::with_capacity(s.len());
    for (i, part) in parts.iter().enumerate() {
        let inside = i % 2 == 1;
        let numeric =
            !part.is_empty() && part.trim_start_matches('-').chars().all(|c| c.is_ascii_digit() || c == '.');
        if inside && !numeric {
            out.push('\'');
            out.push_str(part);
            out.push('\'');
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_a_check_normalise_alike() {
        assert_eq!(
            normalise_expression("(kind IN ('payment', 'refund'))"),
            normalise_expression(" ((kind = ANY (ARRAY['payment'::text, 'refund'::text])))")
        );
        assert_eq!(
            normalise_expression("(value IN (-1, 1))"),
            normalise_expression("(value = ANY (ARRAY['-1'::integer, 1]))")
        );
        assert_eq!(normalise_expression("kind = 'payment'"), normalise_expression("kind = 'payment'::text"));
        assert_ne!(normalise_expression("kind = 'payment'"), normalise_expression("kind = 'refund'"));
    }

    #[test]
    fn checks_are_found_in_create_table() {
        let sql = "CREATE TABLE t (\n  -- a CHECK (in a comment)\n  a INT CHECK (a > (0)),\n  b TEXT CHECK (b IN ('x'))\n)";
        assert_eq!(checks_in_create_table(sql), ["(a > (0))", "(b IN ('x'))"]);
    }
}
