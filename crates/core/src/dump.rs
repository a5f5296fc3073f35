//! Tribune's own export format (version 1): everything a site owns, table by table, a row
//! per JSON object, in an order that a restore can write as it reads. Defined here once,
//! so that the export, the import, the JSON Schema in `docs/` and its test agree.
//!
//! Left out on purpose: password hashes, sessions, rate-limit counters, the cache's log,
//! the mail outbox (messages in flight, not content),
//! the site's secret keys, and the keyed hashes of readers' addresses and browsers (useless
//! without the keys, and not the site's to hand on).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::media::{MediaError, copies_of};

pub const FORMAT: &str = "tribune-export";
pub const VERSION: u64 = 1;

/// How a column is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    /// Stored as seconds since 1970; written as RFC 3339 (`2024-05-01T08:00:00Z`).
    Time,
    /// Stored as 0 or 1; written as `false` or `true`.
    Flag,
    /// Stored as BLOB or BYTEA; written as base64.
    Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// What a file written before the column existed means by its absence (a text).
    pub default: Option<&'static str>,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: false, default: None }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: true, default: None }
}

/// A text column added after files were written: their rows restore with `default`.
const fn added(name: &'static str, default: &'static str) -> Column {
    Column { name, kind: Kind::Text, nullable: false, default: Some(default) }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub about: &'static str,
    pub columns: &'static [Column],
    /// The columns rows are ordered by: a row comes after everything it refers to.
    pub order: &'static [&'static str],
    /// Whether `id` is a generated key whose counter a restore moves past the largest.
    pub has_id: bool,
    /// Which rows are written (SQL over the table's own columns), when not all are.
    pub only: Option<&'static str>,
}

use Kind::{Bytes, Flag, Int, Real, Text, Time};

/// The tables, in the order a restore writes them.
pub const TABLES: &[Table] = &[
    Table {
        name: "authors",
        about: "Bylines: a name and the slug of its page.",
        columns: &[col("id", Int), col("slug", Text), col("name", Text)],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "tags",
        about: "Tags: a name and the slug of its page.",
        columns: &[col("id", Int), col("slug", Text), col("name", Text)],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "users",
        about: "The people who run the site and readers with accounts; no password (each sets a new one).",
        columns: &[
            col("id", Int),
            col("email", Text),
            col("name", Text),
            col("role", Text),
            opt("author_id", Int),
            col("created_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "articles",
        about: "Articles in every state; `kind` is `article` (the news), `page` (a standalone page such as About) or `embedded` (the discussion of a page on another site); `import_*` say where an imported one came from.",
        columns: &[
            col("id", Int),
            added("kind", "article"),
            col("slug", Text),
            col("title", Text),
            col("summary", Text),
            col("body_markdown", Text),
            col("body_html", Text),
            col("status", Text),
            opt("published_at", Time),
            opt("source_name", Text),
            opt("source_url", Text),
            opt("image_url", Text),
            opt("image_alt", Text),
            col("created_at", Time),
            col("updated_at", Time),
            col("comments_closed", Flag),
            col("comment_count", Int),
            opt("import_source", Text),
            opt("import_id", Text),
            opt("import_link", Text),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "article_authors",
        about: "Each article's byline, in order.",
        columns: &[col("article_id", Int), col("author_id", Int), col("position", Int)],
        order: &["article_id", "position"],
        has_id: false,
        only: None,
    },
    Table {
        name: "article_tags",
        about: "Each article's tags, in order.",
        columns: &[col("article_id", Int), col("tag_id", Int), col("position", Int)],
        order: &["article_id", "position"],
        has_id: false,
        only: None,
    },
    Table {
        name: "comments",
        about: "The discussions: `path` places a comment in its tree; `source` names an imported one's origin.",
        columns: &[
            col("id", Int),
            col("article_id", Int),
            opt("parent_id", Int),
            opt("root_id", Int),
            col("path", Text),
            col("depth", Int),
            col("status", Text),
            col("body_markdown", Text),
            col("body_html", Text),
            col("author_name", Text),
            opt("author_email", Text),
            opt("user_id", Int),
            col("score", Int),
            col("created_at", Time),
            opt("edited_at", Time),
            opt("source", Text),
            opt("source_id", Text),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "comment_votes",
        about: "Readers' votes: +1 or -1.",
        columns: &[col("comment_id", Int), col("user_id", Int), col("value", Int), col("created_at", Time)],
        order: &["comment_id", "user_id"],
        has_id: false,
        only: None,
    },
    Table {
        name: "comment_decisions",
        about: "What moderation decided of each comment when it was posted, and why.",
        columns: &[
            col("comment_id", Int),
            col("outcome", Text),
            col("score", Real),
            col("reasons", Text),
            col("decided_at", Time),
        ],
        order: &["comment_id"],
        has_id: false,
        only: None,
    },
    Table {
        name: "comment_flags",
        about: "Readers' reports of comments.",
        columns: &[
            col("comment_id", Int),
            col("flagger", Text),
            opt("user_id", Int),
            col("reason", Text),
            col("created_at", Time),
            opt("settled_at", Time),
        ],
        order: &["comment_id", "flagger"],
        has_id: false,
        only: None,
    },
    Table {
        name: "bans",
        about: "Bans: a subject is an account id, or a keyed hash that only the old site can match.",
        columns: &[
            col("id", Int),
            col("kind", Text),
            col("subject", Text),
            col("reason", Text),
            opt("created_by", Int),
            col("created_at", Time),
            opt("expires_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "moderation_actions",
        about: "The moderators' audit log.",
        columns: &[
            col("id", Int),
            col("action", Text),
            opt("comment_id", Int),
            opt("ban_id", Int),
            opt("actor_id", Int),
            col("actor_name", Text),
            opt("status_before", Text),
            opt("status_after", Text),
            col("reason", Text),
            col("created_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "funding_goals",
        about: "Monthly funding goals, amounts in the currency's minor unit.",
        columns: &[
            col("month", Text),
            col("amount_minor", Int),
            col("currency", Text),
            col("milestones", Text),
            opt("note", Text),
            col("updated_at", Time),
        ],
        order: &["month"],
        has_id: false,
        only: None,
    },
    Table {
        name: "ledger_entries",
        about: "The donations ledger: gifts, refunds and reversals, never edited.",
        columns: &[
            col("id", Int),
            col("kind", Text),
            col("amount_minor", Int),
            col("currency", Text),
            col("month", Text),
            col("occurred_at", Time),
            opt("event_id", Text),
            opt("payment_key", Text),
            opt("supporter_name", Text),
            opt("note", Text),
            opt("reverses", Int),
            col("created_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "menu_items",
        about: "The navigation menu in order: a label and a target (`tag` or `page` with a slug, or `url`).",
        columns: &[col("position", Int), col("label", Text), col("target_kind", Text), col("target", Text)],
        order: &["position"],
        has_id: false,
        only: None,
    },
    Table {
        name: "filter_examples",
        about: "What the site taught its learned filter (hashed word features).",
        columns: &[
            col("id", Int),
            col("label", Text),
            col("features", Text),
            col("source", Text),
            col("created_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "media",
        about: "Uploaded images: name (served at `/media/{name}`), size in pixels and alt text; a deleted one keeps its name, never given again.",
        columns: &[
            col("id", Int),
            col("name", Text),
            col("content_type", Text),
            col("width", Int),
            col("height", Int),
            col("alt", Text),
            col("content_hash", Text),
            col("byte_size", Int),
            opt("uploaded_by", Int),
            col("created_at", Time),
            opt("deleted_at", Time),
        ],
        order: &["id"],
        has_id: true,
        only: None,
    },
    Table {
        name: "media_files",
        about: "Each image's bytes at full size, base64; the narrower copies are made again on restore.",
        columns: &[col("media_id", Int), col("width", Int), col("bytes", Bytes)],
        order: &["media_id", "width"],
        has_id: false,
        only: Some("width = (SELECT m.width FROM media m WHERE m.id = media_files.media_id)"),
    },
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// A stored value as the database gives it (times in seconds, flags as 0 or 1).
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Why a row of a file cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error("no column `{0}` in this table")]
    Unknown(String),
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`{0}`: {1}")]
    Bad(&'static str, &'static str),
}

/// A stored value as JSON.
pub fn to_json(column: &Column, value: &Stored) -> Value {
    match (column.kind, value) {
        (_, Stored::Null) => Value::Null,
        (Kind::Time, Stored::Int(secs)) => DateTime::from_timestamp(*secs, 0)
            .map_or(Value::Null, |t| Value::String(t.to_rfc3339_opts(SecondsFormat::Secs, true))),
        (Kind::Flag, Stored::Int(n)) => Value::Bool(*n != 0),
        (_, Stored::Int(n)) => Value::from(*n),
        (_, Stored::Real(x)) => Value::from(*x),
        (_, Stored::Text(s)) => Value::String(s.clone()),
        (_, Stored::Bytes(b)) => Value::String(BASE64.encode(b)),
    }
}

/// A row of a file as stored values, in the table's column order: every column present,
/// each of its kind, nothing else.
pub fn from_json(table: &Table, row: &serde_json::Map<String, Value>) -> Result<Vec<Stored>, RowError> {
    if let Some(unknown) = row.keys().find(|k| !table.columns.iter().any(|c| c.name == k.as_str())) {
        return Err(RowError::Unknown(unknown.clone()));
    }
    table
        .columns
        .iter()
        .map(|c| match row.get(c.name) {
            None => c.default.map(|d| Stored::Text(d.to_owned())).ok_or(RowError::Missing(c.name)),
            Some(v) => stored(c, v),
        })
        .collect()
}

fn stored(c: &Column, v: &Value) -> Result<Stored, RowError> {
    let bad = |why| Err(RowError::Bad(c.name, why));
    match (c.kind, v) {
        (_, Value::Null) if c.nullable => Ok(Stored::Null),
        (_, Value::Null) => bad("cannot be null"),
        (Kind::Int, Value::Number(n)) => {
            n.as_i64().map(Stored::Int).map_or_else(|| bad("is not a whole number"), Ok)
        }
        (Kind::Real, Value::Number(n)) => {
            n.as_f64().map(Stored::Real).map_or_else(|| bad("is not a number"), Ok)
        }
        (Kind::Text, Value::String(s)) => Ok(Stored::Text(s.clone())),
        (Kind::Bytes, Value::String(s)) => {
            BASE64.decode(s).map(Stored::Bytes).or_else(|_| bad("is not base64"))
        }
        (Kind::Flag, Value::Bool(b)) => Ok(Stored::Int(i64::from(*b))),
        (Kind::Time, Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Stored::Int(t.with_timezone(&Utc).timestamp()))
            .or_else(|_| bad("is not an RFC 3339 time")),
        (Kind::Int, _) => bad("must be a whole number"),
        (Kind::Real, _) => bad("must be a number"),
        (Kind::Text, _) => bad("must be a string"),
        (Kind::Flag, _) => bad("must be true or false"),
        (Kind::Time, _) => bad("must be an RFC 3339 time string"),
        (Kind::Bytes, _) => bad("must be a base64 string"),
    }
}

/// What a restore writes besides `rows` of `table`, made from them: each image's narrower
/// copies, which the file leaves out. CPU-bound.
pub fn derived_rows(table: &Table, rows: &[Vec<Stored>]) -> Result<Vec<Vec<Stored>>, MediaError> {
    if table.name != "media_files" {
        return Ok(Vec::new());
    }
    let mut derived = Vec::new();
    for row in rows {
        let [Stored::Int(media_id), _, Stored::Bytes(bytes)] = row.as_slice() else {
            return Err(MediaError::Broken("a media_files row without its bytes".into()));
        };
        for (width, copy) in copies_of(bytes)? {
            derived.push(vec![Stored::Int(*media_id), Stored::Int(i64::from(width)), Stored::Bytes(copy)]);
        }
    }
    Ok(derived)
}

/// The JSON Schema of the format, made from [`TABLES`]: `docs/export.schema.json` is this,
/// and a test keeps the two the same.
pub fn json_schema() -> Value {
    let tables: serde_json::Map<String, Value> = TABLES
        .iter()
        .map(|t| {
            let properties: serde_json::Map<String, Value> =
                t.columns.iter().map(|c| (c.name.to_owned(), column_schema(c))).collect();
            let required: Vec<&str> =
                t.columns.iter().filter(|c| c.default.is_none()).map(|c| c.name).collect();
            let row = serde_json::json!({
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            });
            (t.name.to_owned(), serde_json::json!({ "description": t.about, "type": "array", "items": row }))
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tribune export, version 1",
        "description": "Everything a Tribune site owns: `tribune export --format json` writes it, `tribune import tribune` reads it.",
        "type": "object",
        "properties": {
            "format": { "const": FORMAT },
            "version": { "const": VERSION },
            "exported_at": { "type": "string", "format": "date-time" },
            "tables": { "type": "object", "properties": tables, "additionalProperties": false },
        },
        "required": ["format", "version", "exported_at", "tables"],
        "additionalProperties": false,
    })
}

fn column_schema(c: &Column) -> Value {
    let base = match c.kind {
        Kind::Int => serde_json::json!({ "type": "integer" }),
        Kind::Real => serde_json::json!({ "type": "number" }),
        Kind::Text => serde_json::json!({ "type": "string" }),
        Kind::Flag => serde_json::json!({ "type": "boolean" }),
        Kind::Time => serde_json::json!({ "type": "string", "format": "date-time" }),
        Kind::Bytes => serde_json::json!({ "type": "string", "contentEncoding": "base64" }),
    };
    let mut schema =
        if c.nullable { serde_json::json!({ "anyOf": [base, { "type": "null" }] }) } else { base };
    if let Some(d) = c.default {
        schema["default"] = Value::from(d);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema published in `docs/` is the one the format is: regenerate it with
    /// `TRIBUNE_WRITE_SCHEMA=1 cargo test -p tribune-core dump` after changing [`TABLES`].
    #[test]
    fn the_published_schema_is_the_formats() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/export.schema.json");
        let made = serde_json::to_string_pretty(&json_schema()).unwrap() + "\n";
        if std::env::var_os("TRIBUNE_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &made).unwrap();
        }
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(published == made, "docs/export.schema.json is out of date (see this test's comment)");
    }

    #[test]
    fn a_row_goes_to_json_and_back_unchanged() {
        let t = table("articles").unwrap();
        let stored: Vec<Stored> = t
            .columns
            .iter()
            .map(|c| match c.kind {
                _ if c.nullable => Stored::Null,
                Kind::Time => Stored::Int(1_714_550_400),
                Kind::Flag => Stored::Int(1),
                Kind::Int => Stored::Int(7),
                Kind::Real => Stored::Real(0.5),
                Kind::Text => Stored::Text("é <b>".into()),
                Kind::Bytes => Stored::Bytes(vec![0, 255, 7]),
            })
            .collect();
        let row: serde_json::Map<String, Value> =
            t.columns.iter().zip(&stored).map(|(c, v)| (c.name.to_owned(), to_json(c, v))).collect();
        assert_eq!(row["created_at"], "2024-05-01T08:00:00Z");
        assert_eq!(row["comments_closed"], true);
        assert_eq!(from_json(t, &row).unwrap(), stored);
    }

    #[test]
    fn an_article_from_a_file_without_kinds_is_an_article() {
        let t = table("articles").unwrap();
        let mut row: serde_json::Map<String, Value> = t
            .columns
            .iter()
            .map(|c| {
                let v = match c.kind {
                    _ if c.nullable => Value::Null,
                    Kind::Time => Value::from("2024-05-01T08:00:00Z"),
                    Kind::Flag => Value::from(false),
                    Kind::Int => Value::from(1),
                    Kind::Real => Value::from(0.5),
                    Kind::Bytes => Value::from(""),
                    Kind::Text => Value::from("x"),
                };
                (c.name.to_owned(), v)
            })
            .collect();
        row.remove("kind");
        let kind = t.columns.iter().position(|c| c.name == "kind").unwrap();
        assert_eq!(from_json(t, &row).unwrap()[kind], Stored::Text("article".into()));
    }

    #[test]
    fn a_bad_row_says_which_column_and_why() {
        let t = table("tags").unwrap();
        let row = |v: Value| v.as_object().unwrap().clone();
        let ok = row(serde_json::json!({"id": 1, "slug": "city", "name": "City"}));
        assert!(from_json(t, &ok).is_ok());
        let cases = [
            (serde_json::json!({"id": 1, "slug": "city"}), "`name` is missing"),
            (
                serde_json::json!({"id": 1, "slug": "city", "name": "City", "colour": "red"}),
                "no column `colour`",
            ),
            (serde_json::json!({"id": "1", "slug": "city", "name": "City"}), "`id`: must be a whole number"),
            (serde_json::json!({"id": 1.5, "slug": "city", "name": "City"}), "`id`: is not a whole number"),
            (serde_json::json!({"id": 1, "slug": null, "name": "City"}), "`slug`: cannot be null"),
        ];
        for (value, expected) in cases {
            let e = from_json(t, &row(value)).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
        }
    }
}
