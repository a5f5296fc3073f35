//! `tribune export` and `tribune import tribune`: everything the site owns written out a
//! page at a time (memory stays flat however big the site), and read back in one
//! transaction.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tribune_core::article::NamedLink;
use tribune_core::dump::{self, Stored, TABLES, Table};
use tribune_core::export::disqus::DisqusWriter;
use tribune_core::export::wxr::WxrWriter;
use tribune_core::slug::Slug;
use tribune_core::store::{DumpStore, ExportStore, ExportedArticle, ExportedComment, Restore, StoreError};
use tribune_store::Store;

use crate::cli::{CliError, fail};
use crate::config::Config;

/// Rows read from the database at a time, and written to it at a time.
const PAGE: u32 = 1_000;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// Everything, in Tribune's own format (docs/export.schema.json)
    Json,
    /// The discussions, as a Disqus import file (Disqus, Isso and Remark42 read it)
    Disqus,
    /// Articles and comments, as a WordPress export (WXR 1.2)
    Wxr,
}

/// Writes the export to `output` through a file beside it, renamed when complete: an
/// interrupted export never leaves a file that looks whole.
pub async fn export(
    store: &Store,
    config: &Config,
    format: ExportFormat,
    output: &Path,
) -> Result<(), CliError> {
    let partial = output.with_extension("partial");
    let file = File::create(&partial).map_err(|e| fail(format!("{}: {e}", partial.display())))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let written = match format {
        ExportFormat::Json => write_json(store, &mut out).await,
        ExportFormat::Disqus => write_disqus(store, &config.base_url, &mut out).await,
        ExportFormat::Wxr => write_wxr(store, config, &mut out).await,
    };
    let finished = written.and_then(|()| {
        out.into_inner().map_err(|e| fail(e.error()))?.sync_all().map_err(fail)?;
        std::fs::rename(&partial, output).map_err(fail)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished.map_err(|e| fail(format!("{}: {e}", output.display())))
}

async fn write_json(store: &Store, out: &mut impl Write) -> Result<(), CliError> {
    let io = |e: std::io::Error| fail(e);
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    write!(
        out,
        "{{\"format\":\"{}\",\"version\":{},\"exported_at\":\"{now}\",\"tables\":{{",
        dump::FORMAT,
        dump::VERSION
    )
    .map_err(io)?;
    for (i, table) in TABLES.iter().enumerate() {
        let comma = if i == 0 { "" } else { "," };
        write!(out, "{comma}\n\"{}\":[", table.name).map_err(io)?;
        let mut first = true;
        let mut after: Option<Vec<Stored>> = None;
        loop {
            let rows = store.dump_rows(table, after.as_deref(), PAGE).await.map_err(fail)?;
            for row in &rows {
                out.write_all(if first { b"\n" } else { b",\n" }).map_err(io)?;
                first = false;
                serde_json::to_writer(&mut *out, &json_row(table, row)).map_err(fail)?;
            }
            match rows.last() {
                Some(last) if rows.len() == PAGE as usize => after = Some(order_of(table, last)),
                _ => break,
            }
        }
        out.write_all(b"]").map_err(io)?;
    }
    out.write_all(b"\n}}\n").map_err(io)
}

/// Every article as a thread, then every comment as a post: the order Disqus reads.
async fn write_disqus(store: &Store, base_url: &str, out: &mut impl Write) -> Result<(), CliError> {
    let mut writer = DisqusWriter::new(out, base_url).map_err(fail)?;
    let mut articles = Pages::articles(store);
    while let Some(article) = articles.next().await? {
        writer.thread(&article).map_err(fail)?;
    }
    let mut comments = Pages::comments(store);
    while let Some(comment) = comments.next().await? {
        writer.post(&comment).map_err(fail)?;
    }
    writer.finish().map_err(fail).map(drop)
}

/// Each article with its comments inside it: both come in article order, so they are
/// read side by side.
async fn write_wxr(store: &Store, config: &Config, out: &mut impl Write) -> Result<(), CliError> {
    let bylines = all_bylines(store).await?;
    let mut writer = WxrWriter::new(out, &config.site_title, &config.base_url, &bylines).map_err(fail)?;
    let mut articles = Pages::articles(store);
    let mut comments = Pages::comments(store);
    let mut next_comment = comments.next().await?;
    while let Some(article) = articles.next().await? {
        writer.start_article(&article).map_err(fail)?;
        while let Some(c) = next_comment.take_if(|c| c.comment.article_id == article.article.id) {
            writer.comment(&c).map_err(fail)?;
            next_comment = comments.next().await?;
        }
        writer.end_article().map_err(fail)?;
    }
    writer.finish().map_err(fail).map(drop)
}

async fn all_bylines(store: &Store) -> Result<Vec<NamedLink>, CliError> {
    let table = dump::table("authors").ok_or_else(|| fail("no authors table in the format"))?;
    let rows = store.dump_rows(table, None, u32::MAX).await.map_err(fail)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match (&row[1], &row[2]) {
            (Stored::Text(slug), Stored::Text(name)) => {
                Some(NamedLink { slug: Slug::parse(slug).ok()?, name: name.clone() })
            }
            _ => None,
        })
        .collect())
}

/// Articles or comments one at a time, read a page at a time.
struct Pages<'a, T> {
    store: &'a Store,
    page: std::vec::IntoIter<T>,
    done: bool,
    after: Option<Cursor>,
    read: ReadPage<'a, T>,
    key: fn(&T) -> Cursor,
}

/// Where a page ends: an article id, and a comment's path within it.
type Cursor = (i64, String);
type ReadPage<'a, T> = fn(&'a Store, Option<Cursor>) -> PageFuture<'a, T>;
type PageFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<T>, StoreError>> + Send + 'a>>;

impl<'a> Pages<'a, ExportedArticle> {
    fn articles(store: &'a Store) -> Self {
        Pages::new(
            store,
            |s, after| Box::pin(async move { s.articles_after(after.map_or(0, |a| a.0), PAGE).await }),
            |a| (a.article.id, String::new()),
        )
    }
}

impl<'a> Pages<'a, ExportedComment> {
    fn comments(store: &'a Store) -> Self {
        Pages::new(
            store,
            |s, after| Box::pin(async move { s.comments_after(after.as_ref(), PAGE).await }),
            |c| (c.comment.article_id, c.comment.path.clone()),
        )
    }
}

impl<'a, T> Pages<'a, T> {
    fn new(store: &'a Store, read: ReadPage<'a, T>, key: fn(&T) -> Cursor) -> Self {
        Pages { store, page: Vec::new().into_iter(), done: false, after: None, read, key }
    }

    async fn next(&mut self) -> Result<Option<T>, CliError> {
        if let Some(item) = self.page.next() {
            return Ok(Some(item));
        }
        if self.done {
            return Ok(None);
        }
        let page = (self.read)(self.store, self.after.take()).await.map_err(fail)?;
        self.done = page.len() < PAGE as usize;
        self.after = page.last().map(self.key);
        self.page = page.into_iter();
        Ok(self.page.next())
    }
}

fn json_row(table: &Table, row: &[Stored]) -> Map<String, Value> {
    table.columns.iter().zip(row).map(|(c, v)| (c.name.to_owned(), dump::to_json(c, v))).collect()
}

/// The values of a row's order columns: where the next page starts.
fn order_of(table: &Table, row: &[Stored]) -> Vec<Stored> {
    table
        .order
        .iter()
        .filter_map(|o| table.columns.iter().position(|c| c.name == *o).map(|i| row[i].clone()))
        .collect()
}

/// Rows written at a time: a few for a table of images (each may be megabytes).
fn batch_rows(table: &Table) -> usize {
    if table.columns.iter().any(|c| c.kind == dump::Kind::Bytes) { 8 } else { PAGE as usize }
}

/// Reads a Tribune export into an empty site, in one transaction: a fault anywhere in the
/// file (reported with its line and column) keeps nothing.
pub async fn import_tribune(store: &Store, file: &Path) -> Result<Vec<(&'static str, u64)>, CliError> {
    let shown = file.display().to_string();
    let input = crate::cli_import::open_export(file)?;
    if store.holds_content().await.map_err(fail)? {
        return Err(fail(format!(
            "{shown}: the site already has content; a Tribune export is restored into an empty site"
        )));
    }
    let (rows, mut received) = tokio::sync::mpsc::channel::<(&'static Table, Vec<Stored>)>(4 * PAGE as usize);
    let reading = tokio::task::spawn_blocking(move || {
        let mut reader = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, input));
        let seen = Document { rows: &rows }.deserialize(&mut reader)?;
        reader.end()?;
        Ok::<_, serde_json::Error>(seen)
    });
    let mut restore = store.begin_restore().await.map_err(fail)?;
    let mut counts: Vec<(&'static str, u64)> = Vec::new();
    let mut batch: Vec<Vec<Stored>> = Vec::new();
    let mut current: Option<&'static Table> = None;
    while let Some((table, row)) = received.recv().await {
        if current.is_some_and(|t| t.name != table.name) || batch.len() >= batch_rows(table) {
            flush(&mut restore, current, &mut batch, &mut counts)
                .await
                .map_err(|e| fail(format!("{shown}: {e}")))?;
        }
        current = Some(table);
        batch.push(row);
    }
    let header = reading.await.map_err(fail)?.map_err(|e| fail(format!("{shown}: {e}")))?;
    if !header {
        return Err(fail(format!("{shown}: not a Tribune export (no \"format\": \"{}\")", dump::FORMAT)));
    }
    flush(&mut restore, current, &mut batch, &mut counts).await.map_err(|e| fail(format!("{shown}: {e}")))?;
    restore.finish().await.map_err(fail)?;
    Ok(counts)
}

async fn flush(
    restore: &mut impl Restore,
    table: Option<&'static Table>,
    batch: &mut Vec<Vec<Stored>>,
    counts: &mut Vec<(&'static str, u64)>,
) -> Result<(), String> {
    let Some(table) = table.filter(|_| !batch.is_empty()) else { return Ok(()) };
    restore.write(table, batch).await.map_err(|e| e.to_string())?;
    if table.columns.iter().any(|c| c.kind == dump::Kind::Bytes) {
        // The images' narrower copies, made again from the full size the file holds.
        let rows = std::mem::take(batch);
        let (rows, derived) = tokio::task::spawn_blocking(move || {
            let derived = dump::derived_rows(table, &rows);
            (rows, derived)
        })
        .await
        .map_err(|e| e.to_string())?;
        *batch = rows;
        let derived = derived.map_err(|e| format!("{} copies: {e}", table.name))?;
        restore.write(table, &derived).await.map_err(|e| e.to_string())?;
    }
    match counts.last_mut() {
        Some((name, n)) if *name == table.name => *n += batch.len() as u64,
        _ => counts.push((table.name, batch.len() as u64)),
    }
    batch.clear();
    Ok(())
}

/// The whole document, read as it streams: its header checked, each row of each table
/// checked against the format and handed on. True when the header was there.
struct Document<'a> {
    rows: &'a tokio::sync::mpsc::Sender<(&'static Table, Vec<Stored>)>,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Tribune export: an object with format, version, exported_at and tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut header = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let format: String = map.next_value()?;
                    if format != dump::FORMAT {
                        return Err(A::Error::custom(format!("not a Tribune export (format \"{format}\")")));
                    }
                    header = true;
                }
                "version" => {
                    let version: u64 = map.next_value()?;
                    if version != dump::VERSION {
                        return Err(A::Error::custom(format!(
                            "version {version} of the format; this Tribune reads version {}",
                            dump::VERSION
                        )));
                    }
                }
                "exported_at" => drop(map.next_value::<String>()?),
                "tables" if header => map.next_value_seed(Tables { rows: self.rows })?,
                "tables" => {
                    return Err(A::Error::custom("\"tables\" before \"format\": not a Tribune export"));
                }
                other => return Err(A::Error::custom(format!("unknown key \"{other}\""))),
            }
        }
        Ok(header)
    }
}

struct Tables<'a> {
    rows: &'a tokio::sync::mpsc::Sender<(&'static Table, Vec<Stored>)>,
}

impl<'de> DeserializeSeed<'de> for Tables<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Tables<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let table =
                dump::table(&name).ok_or_else(|| A::Error::custom(format!("unknown table \"{name}\"")))?;
            map.next_value_seed(Rows { table, rows: self.rows })?;
        }
        Ok(())
    }
}

struct Rows<'a> {
    table: &'static Table,
    rows: &'a tokio::sync::mpsc::Sender<(&'static Table, Vec<Stored>)>,
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a list of {} rows", self.table.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut number = 0u64;
        while let Some(row) = seq.next_element::<Map<String, Value>>()? {
            number += 1;
            // The parser's position is already past the row: its number says which.
            let values = dump::from_json(self.table, &row)
                .map_err(|e| A::Error::custom(format!("{} row {number}: {e}", self.table.name)))?;
            if self.rows.blocking_send((self.table, values)).is_err() {
                return Err(A::Error::custom("the import stopped"));
            }
        }
        Ok(())
    }
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
    /// Where to write it (replaced only once the export is complete)
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}
