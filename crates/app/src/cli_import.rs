//! `tribune import`: another platform's export brought into the site in one command, with
//! a progress bar, and a summary at the end of everything matched, added and left out.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Subcommand;
use tribune_core::article::{ArticleStatus, ValidArticle};
use tribune_core::comment::CommentStatus;
use tribune_core::import::ReadError;
use tribune_core::import::discussions::{BATCH_COMMENTS, Batches, ImportError, ReadExport, read_export};
use tribune_core::import::disqus::DisqusReader;
use tribune_core::import::report::{Report, Skip};
use tribune_core::import::urls::{UrlMap, normalized};
use tribune_core::import::wordpress;
use tribune_core::import::wxr::{self, WxrReader};
use tribune_core::moderation::learned::{Class, features};
use tribune_core::slug::Slug;
use tribune_core::store::{
    ArticleAddress, ArticleStore, CommentStore, FilterExample, FilterStore, ImportMode, ImportSource,
    ImportedArticle, ImportedComment, ImportedDiscussion,
};
use tribune_store::Store;

use crate::cli::{CliError, fail};
use crate::coherence::{self, Change};
use crate::config::Config;
use crate::server;

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// A Disqus export (XML): threads matched to articles by address, posts become comments
    Disqus {
        #[arg(value_name = "FILE.xml")]
        file: PathBuf,
        /// Rewrite an old domain or path prefix before matching (repeatable)
        #[arg(long = "url-map", value_name = "OLD_PREFIX=NEW_PREFIX")]
        url_map: Vec<String>,
        /// Give a thread that matches no article a draft article of its own
        #[arg(long)]
        create_missing: bool,
        /// Count what would be imported, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// A Tribune export (`tribune export --format json`), into an empty site
    Tribune {
        #[arg(value_name = "FILE.json")]
        file: PathBuf,
    },
    /// A WordPress export (WXR): posts become articles, with their comments
    Wordpress {
        #[arg(value_name = "FILE.xml")]
        file: PathBuf,
        /// Import pages as articles too (they are skipped otherwise)
        #[arg(long)]
        pages: bool,
        /// Count what would be imported, and change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

const STUBS_PER_TRANSACTION: usize = 1_000;

/// Spam examples (and as many ordinary comments) an import teaches the learned filter at
/// most: enough for a site's own spam to count, too few to drown what it already knows.
const MAX_EXAMPLES: usize = 500;

pub async fn run(config: &Config, command: ImportCommand) -> Result<(), CliError> {
    match command {
        ImportCommand::Disqus { file, url_map, create_missing, dry_run } => {
            let map = UrlMap::parse(&url_map).map_err(|e| fail(format!("--url-map: {e}")))?;
            let store = server::open_store(config).await.map_err(fail)?;
            let options = DisqusOptions { map, create_missing, dry_run };
            let report = ending_import(&store, import_disqus(&store, config, &file, &options)).await?;
            print!("{report}");
            if dry_run {
                println!("Dry run: nothing was changed.");
            }
            store.close().await;
            Ok(())
        }
        ImportCommand::Tribune { file } => {
            let store = server::open_store(config).await.map_err(fail)?;
            let counts = crate::cli_export::import_tribune(&store, &file).await?;
            let counts: Vec<String> = counts.iter().map(|(table, n)| format!("{n} {table}")).collect();
            println!(
                "Restored {}.",
                if counts.is_empty() { "nothing".to_owned() } else { counts.join(", ") }
            );
            coherence::announce(&store, Change::Everything).await.map_err(fail)?;
            store.close().await;
            Ok(())
        }
        ImportCommand::Wordpress { file, pages, dry_run } => {
            let store = server::open_store(config).await.map_err(fail)?;
            let report = ending_import(&store, import_wordpress(&store, &file, pages, dry_run)).await?;
            print!("{report}");
            if dry_run {
                println!("Dry run: nothing was changed.");
            }
            store.close().await;
            Ok(())
        }
    }
}

/// Runs an import of comments, then ends what it began whatever its outcome (see
/// `CommentStore::finish_import`).
async fn ending_import<T>(
    store: &Store,
    import: impl Future<Output = Result<T, CliError>>,
) -> Result<T, CliError> {
    let outcome = import.await;
    let ended = store.finish_import().await.map_err(fail);
    let value = outcome?;
    ended?;
    Ok(value)
}

/// Reads the file through once to find any fault before writing anything (a broken file
/// changes nothing), then again, writing each article and, in batches of whole
/// discussions, its comments.
pub async fn import_wordpress(
    store: &Store,
    file: &Path,
    pages: bool,
    dry_run: bool,
) -> Result<Report, CliError> {
    let shown = file.display().to_string();
    let input = open_export(file)?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let checking = Progress::new("Checking", size);
    let counts = {
        let progress = checking.clone();
        tokio::task::spawn_blocking(move || count_wxr(input, &progress))
            .await
            .map_err(fail)?
            .map_err(|e| fail(located(file, &e)))?
    };
    checking.finish();
    let (items, mut received) = tokio::sync::mpsc::channel(256);
    let reading = {
        let input = open_export(file)?;
        tokio::task::spawn_blocking(move || {
            for item in WxrReader::new(BufReader::with_capacity(1 << 20, input)) {
                if items.blocking_send(item).is_err() {
                    return;
                }
            }
        })
    };
    let mut report = Report { articles_in_file: counts.0, posts_in_file: counts.1, ..Report::default() };
    let mut import = WordpressImport::start(store, pages, dry_run, counts.1).await?;
    while let Some(item) = received.recv().await {
        let item = item.map_err(|e| fail(format!("{shown}: {e} (the file changed while it was read?)")))?;
        import.take(item, &mut report).await?;
    }
    reading.await.map_err(fail)?;
    import.finish(&mut report).await?;
    Ok(report)
}

/// The articles and comments of an export, or where it is broken.
fn count_wxr(input: File, progress: &Progress) -> Result<(u64, u64), tribune_core::import::ReadError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counted = Counted { inner: input, read: bytes_read.clone() };
    let (mut articles, mut comments) = (0, 0);
    for item in WxrReader::new(BufReader::with_capacity(1 << 20, counted)) {
        match item? {
            wxr::Item::Article(_) => articles += 1,
            wxr::Item::Comment(_) => comments += 1,
            wxr::Item::Author(_) => {}
        }
        progress.set(bytes_read.load(Ordering::Relaxed));
    }
    Ok((articles, comments))
}

/// A WordPress import under way: the article being read, its comments, and the batch of
/// discussions waiting to be written.
struct WordpressImport<'a> {
    store: &'a Store,
    pages: bool,
    mode: ImportMode,
    authors: HashMap<String, String>,
    /// The article being read: its WordPress id, and its id here (none if left out).
    current: Option<(String, Option<i64>)>,
    comments: Vec<wxr::Comment>,
    batch: Vec<ImportedDiscussion>,
    writer: Writer<'a>,
}

impl<'a> WordpressImport<'a> {
    async fn start(store: &'a Store, pages: bool, dry_run: bool, comments: u64) -> Result<Self, CliError> {
        Ok(WordpressImport {
            store,
            pages,
            mode: if dry_run { ImportMode::DryRun } else { ImportMode::Write },
            authors: HashMap::new(),
            current: None,
            comments: Vec::new(),
            batch: Vec::new(),
            writer: Writer::start(store, dry_run, wordpress::PLATFORM, false, comments).await?,
        })
    }

    async fn take(&mut self, item: wxr::Item, report: &mut Report) -> Result<(), CliError> {
        match item {
            wxr::Item::Author(a) => {
                self.authors.insert(a.login, a.display_name);
            }
            wxr::Item::Article(a) => {
                self.end_article(report).await?;
                let id = self.article(&a, report).await?;
                self.current = Some((a.source_id, id));
            }
            wxr::Item::Comment(c) => match &self.current {
                Some((article, Some(_))) if *article == c.article_source_id => self.comments.push(c),
                _ => report.skip(Skip::CommentOfLeftOutArticle, c.source_id.as_deref().unwrap_or("(no id)")),
            },
        }
        Ok(())
    }

    /// Stores an article; its id here, or none if it is left out.
    async fn article(&mut self, a: &wxr::Article, report: &mut Report) -> Result<Option<i64>, CliError> {
        for q in &a.quirks {
            report.quirk(q.describe(), &a.source_id);
        }
        let imported = match wordpress::article(a, &self.authors, self.pages, Utc::now()) {
            Ok(imported) => imported,
            Err(kind) => {
                report.skip(kind, &a.source_id);
                return Ok(None);
            }
        };
        let done = self.store.import_articles(std::slice::from_ref(&imported), self.mode, Utc::now()).await;
        let done = done.map_err(fail)?.pop().ok_or_else(|| fail("the article was not stored"))?;
        if done.new {
            report.articles_imported += 1;
        } else {
            report.articles_already_present += 1;
        }
        Ok(Some(done.id))
    }

    /// The article read so far is complete: its discussion joins the batch.
    async fn end_article(&mut self, report: &mut Report) -> Result<(), CliError> {
        if let Some((_, Some(id))) = self.current.take() {
            let comments = std::mem::take(&mut self.comments);
            self.batch.push(wordpress::discussion(id, comments, Utc::now(), report));
        }
        if self.batch.iter().map(|d| d.comments.len()).sum::<usize>() >= BATCH_COMMENTS {
            self.write(report).await?;
        }
        Ok(())
    }

    async fn write(&mut self, report: &mut Report) -> Result<(), CliError> {
        let batch = std::mem::take(&mut self.batch);
        // Imported articles' slugs are not known here: all article pages are dropped.
        self.writer.write(batch, None, report).await
    }

    async fn finish(mut self, report: &mut Report) -> Result<(), CliError> {
        self.end_article(report).await?;
        self.write(report).await?;
        self.writer.finish().await
    }
}

pub struct DisqusOptions {
    pub map: UrlMap,
    pub create_missing: bool,
    pub dry_run: bool,
}

/// Reads the whole file first (a broken file changes nothing), then writes discussion by
/// discussion: each batch of whole discussions is one transaction, so readers never see
/// half of one, and an interrupted import is finished by running it again.
pub async fn import_disqus(
    store: &Store,
    config: &Config,
    file: &Path,
    options: &DisqusOptions,
) -> Result<Report, CliError> {
    let input = open_export(file)?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = Progress::new("Reading", size);
    let shown = file.display().to_string();
    let reader_progress = progress.clone();
    let export = tokio::task::spawn_blocking(move || {
        let spill = tempfile::tempfile()?;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: input, read: bytes_read.clone() };
        let reader = DisqusReader::new(BufReader::with_capacity(1 << 20, counted));
        read_export(reader, spill, Utc::now(), |_| reader_progress.set(bytes_read.load(Ordering::Relaxed)))
    })
    .await
    .map_err(fail)?
    .map_err(|e| match e {
        ImportError::Read(e) => fail(located(file, &e)),
        ImportError::Spill(e) => fail(format!("{shown}: the import's temporary file: {e}")),
    })?;
    progress.finish();
    let (targets, mut report, slugs) = match_threads(store, config, &export, options).await?;
    let (batches, read_report) = export.discussions(&targets);
    merge_reading(&mut report, read_report);
    write_batches(store, batches, options, &slugs, &mut report).await?;
    Ok(report)
}

/// Where a read error is, as an editor shows it (line and column, counted from the start
/// of the file up to the byte the reader stopped at), and what it is.
fn located(file: &Path, e: &ReadError) -> String {
    let shown = file.display();
    let Ok(input) = File::open(file) else { return format!("{shown}: {e}") };
    let (mut line, mut column) = (1u64, 1u64);
    for byte in BufReader::new(input).bytes().take(usize::try_from(e.byte).unwrap_or(usize::MAX)) {
        match byte {
            Ok(b'\n') => (line, column) = (line + 1, 1),
            // A character is counted once, at its first byte.
            Ok(b) if b & 0xC0 != 0x80 => column += 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    format!("{shown}: line {line}, column {column}: {}", e.message)
}

/// A reader that counts what has gone through it: how far into the file the import is.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The export, opened: refused at once if it is a folder or empty.
pub(crate) fn open_export(file: &Path) -> Result<File, CliError> {
    let shown = file.display();
    let input = File::open(file).map_err(|e| fail(format!("{shown}: cannot open: {e}")))?;
    let meta = input.metadata().map_err(|e| fail(format!("{shown}: {e}")))?;
    if meta.is_dir() {
        return Err(fail(format!("{shown}: is a folder, not an export file")));
    }
    if meta.len() == 0 {
        return Err(fail(format!("{shown}: is empty")));
    }
    Ok(input)
}

/// Each thread's article (found by address, or made with `--create-missing`), the report
/// so far, and the slug of every article an import may touch.
async fn match_threads(
    store: &Store,
    config: &Config,
    export: &ReadExport,
    options: &DisqusOptions,
) -> Result<(Vec<Option<i64>>, Report, HashMap<i64, Slug>), CliError> {
    let mut report = Report::default();
    let mut addresses = store.article_addresses().await.map_err(fail)?;
    let links = export.thread_links(&options.map);
    let mut by_link = link_index(&addresses, &config.base_url);
    let missing: Vec<usize> =
        (0..links.len()).filter(|&i| !links[i].is_empty() && !by_link.contains_key(&links[i])).collect();
    if options.create_missing && !options.dry_run && !missing.is_empty() {
        let mut made = HashSet::new();
        let stubs: Vec<ImportedArticle> = missing
            .iter()
            .filter(|&&i| made.insert(links[i].clone()))
            .map(|&i| stub_article(&export.threads[i].title, &links[i]))
            .collect();
        // Many to a transaction: one each spent most of a big import waiting on the disk.
        for chunk in stubs.chunks(STUBS_PER_TRANSACTION) {
            store.import_articles(chunk, ImportMode::Write, Utc::now()).await.map_err(fail)?;
        }
        addresses = store.article_addresses().await.map_err(fail)?;
        by_link = link_index(&addresses, &config.base_url);
    }
    if options.create_missing && options.dry_run {
        // Nothing is made in a dry run: each draft it would make stands as a number below
        // zero, and its comments are counted as new (a new article has none).
        for &i in &missing {
            let next = -1 - by_link.len() as i64;
            by_link.entry(links[i].clone()).or_insert(next);
        }
    }
    let missing: HashSet<usize> = missing.into_iter().collect();
    let mut targets = Vec::with_capacity(links.len());
    for (i, link) in links.iter().enumerate() {
        let target = by_link.get(link).copied();
        let thread = &export.threads[i];
        let tally = match target {
            Some(_) if missing.contains(&i) => &mut report.threads_created,
            Some(_) => &mut report.threads_matched,
            None => &mut report.threads_unmatched,
        };
        let shown = if thread.link.is_empty() {
            format!("thread {} (no address)", thread.id)
        } else {
            thread.link.clone()
        };
        tally.add(Some(&shown));
        targets.push(target);
    }
    let slugs = addresses.into_iter().map(|a| (a.id, a.slug)).collect();
    Ok((targets, report, slugs))
}

/// Every address an article answers to: its page here, and the one it had before.
fn link_index(addresses: &[ArticleAddress], base_url: &str) -> HashMap<String, i64> {
    let mut index = HashMap::with_capacity(addresses.len() * 2);
    for a in addresses {
        index.insert(normalized(&format!("{base_url}/articles/{}", a.slug)), a.id);
        if let Some(old) = a.old_link.as_ref().filter(|l| !l.is_empty()) {
            index.entry(old.clone()).or_insert(a.id);
        }
    }
    index
}

/// A draft holding a discussion whose article is not here: its title and old address.
fn stub_article(title: &str, link: &str) -> ImportedArticle {
    let title: String = title.chars().filter(|c| !c.is_control()).take(300).collect();
    let title = if title.trim().is_empty() { link.to_owned() } else { title.trim().to_owned() };
    let last_segment = link.rsplit('/').next().unwrap_or("");
    let slug = Slug::from_text(&title)
        .or_else(|_| Slug::from_text(last_segment))
        .unwrap_or_else(|_| Slug::parse("imported-discussion").expect("a valid slug"));
    let article = ValidArticle {
        kind: tribune_core::article::ArticleKind::Article,
        slug,
        title,
        summary: String::new(),
        body_markdown: format!("Imported discussion of <https://{link}>."),
        status: ArticleStatus::Draft,
        published_at: None,
        authors: vec![],
        tags: vec![],
        syndication: None,
        image: None,
    };
    let body_html = tribune_core::markdown::render_article(&article.body_markdown, article.slug.as_str());
    ImportedArticle {
        article,
        body_html,
        source: ImportSource { platform: "disqus-thread".into(), id: link.to_owned() },
        old_link: link.to_owned(),
    }
}

fn merge_reading(report: &mut Report, read: Report) {
    report.threads_in_file = read.threads_in_file;
    report.posts_in_file = read.posts_in_file;
    report.orphans_at_top = read.orphans_at_top;
    report.skipped = read.skipped;
    report.quirks = read.quirks;
}

/// Writes the batches, dropping the pages they change from every node's cache.
async fn write_batches(
    store: &Store,
    batches: Batches,
    options: &DisqusOptions,
    slugs: &HashMap<i64, Slug>,
    report: &mut Report,
) -> Result<(), CliError> {
    let mut writer = Writer::start(store, options.dry_run, "disqus", true, report.posts_in_file).await?;
    for batch in batches {
        let batch = batch.map_err(|e| fail(format!("the import's temporary file: {e}")))?;
        let articles = batch.iter().filter_map(|d| slugs.get(&d.article_id)).cloned().collect();
        writer.write(batch, Some(articles), report).await?;
    }
    writer.finish().await
}

/// What every import does with a batch of discussions: writes it (or counts it, in a dry
/// run), drops the pages it changes from every node's cache, and keeps a few of the site's
/// own spam and ordinary comments to teach the learned filter at the end.
struct Writer<'a> {
    store: &'a Store,
    mode: ImportMode,
    platform: &'static str,
    spam: Vec<String>,
    benign: Vec<String>,
    done: u64,
    /// Batches written: the planner's statistics are refreshed at each power of two.
    batches: u64,
    progress: Progress,
}

impl<'a> Writer<'a> {
    /// `unique_ids`: the reader has refused every repeated id (Disqus's does), so a first
    /// import may be a bulk load (see `CommentStore::start_import`; [`ending_import`]
    /// ends it).
    async fn start(
        store: &'a Store,
        dry_run: bool,
        platform: &'static str,
        unique_ids: bool,
        total: u64,
    ) -> Result<Writer<'a>, CliError> {
        let mode = if dry_run { ImportMode::DryRun } else { ImportMode::Write };
        let mode = if unique_ids { store.start_import(platform, mode).await.map_err(fail)? } else { mode };
        let progress = Progress::new("Writing", total);
        Ok(Writer { store, mode, platform, spam: vec![], benign: vec![], done: 0, batches: 0, progress })
    }

    /// `articles`: the batch's articles (`None`: not known, so every article page), whose
    /// pages are dropped, with every list, after each batch.
    async fn write(
        &mut self,
        mut batch: Vec<ImportedDiscussion>,
        articles: Option<Vec<Slug>>,
        report: &mut Report,
    ) -> Result<(), CliError> {
        // A dry run's planned articles (ids of zero and below) are not in the database to
        // write to: their comments are all new.
        let planned: u64 = batch.iter().filter(|d| d.article_id <= 0).map(|d| d.comments.len() as u64).sum();
        batch.retain(|d| d.article_id > 0);
        report.comments_imported += planned;
        self.done += planned;
        let outcome = self.store.import_discussions(&batch, self.mode).await.map_err(fail)?;
        self.batches += 1;
        if self.batches.is_power_of_two() {
            self.store.refresh_planner_statistics().await.map_err(fail)?;
        }
        for (discussion, imported) in batch.iter().zip(&outcome) {
            for (c, i) in discussion.comments.iter().zip(imported) {
                self.done += 1;
                if i.new {
                    report.comments_imported += 1;
                    self.keep_example(c);
                } else {
                    report.comments_already_present += 1;
                }
            }
        }
        if self.mode.keeps() {
            coherence::announce(self.store, Change::Imported(articles.as_deref())).await.map_err(fail)?;
        }
        self.progress.set(self.done);
        Ok(())
    }

    fn keep_example(&mut self, c: &ImportedComment) {
        let examples = match c.status {
            CommentStatus::Rejected => &mut self.spam,
            CommentStatus::Published => &mut self.benign,
            _ => return,
        };
        if examples.len() < MAX_EXAMPLES {
            examples.push(c.comment.body_markdown.clone());
        }
    }

    /// Teaches the filter the spam kept, with as many ordinary comments beside it.
    async fn finish(mut self) -> Result<(), CliError> {
        self.progress.finish();
        if !self.mode.keeps() || self.spam.is_empty() {
            return Ok(());
        }
        self.benign.truncate(self.spam.len());
        let source = format!("import:{}", self.platform);
        let example =
            |class, body: &String| FilterExample { class, features: features(body), source: source.clone() };
        let examples: Vec<FilterExample> = self
            .spam
            .iter()
            .map(|b| example(Class::Spam, b))
            .chain(self.benign.iter().map(|b| example(Class::Benign, b)))
            .collect();
        self.store.append_filter_examples(&examples, Utc::now()).await.map_err(fail)
    }
}

/// A progress bar on a terminal; a plain line every few seconds anywhere else (a log
/// file has no use for a bar redrawn in place).
#[derive(Clone)]
struct Progress {
    bar: indicatif::ProgressBar,
    what: &'static str,
    total: u64,
    /// When the last plain line was written; none on a terminal.
    last_line: Option<Arc<Mutex<Instant>>>,
}

const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn new(what: &'static str, total: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            let last_line = Some(Arc::new(Mutex::new(Instant::now())));
            return Progress { bar: indicatif::ProgressBar::hidden(), what, total, last_line };
        }
        let bar = indicatif::ProgressBar::new(total);
        let style =
            indicatif::ProgressStyle::with_template("{msg:8} [{bar:40}] {percent:>3}% {elapsed} (eta {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what);
        Progress { bar, what, total, last_line: None }
    }

    fn set(&self, at: u64) {
        self.bar.set_position(at);
        if let Some(last_line) = &self.last_line
            && let Ok(mut last) = last_line.lock()
            && last.elapsed() >= PLAIN_EVERY
        {
            *last = Instant::now();
            let percent = at.saturating_mul(100).checked_div(self.total).unwrap_or(100);
            eprintln!("{}: {percent}%", self.what);
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
