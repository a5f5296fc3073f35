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
use tribune_core::import::discussions::{Batches, ReadExport, read_export};
use tribune_core::import::disqus::DisqusReader;
use tribune_core::import::report::Report;
use tribune_core::import::urls::{UrlMap, normalized};
use tribune_core::moderation::learned::{Class, features};
use tribune_core::slug::Slug;
use tribune_core::store::{
    ArticleAddress, ArticleStore, CommentStore, FilterExample, FilterStore, ImportMode, ImportSource,
    ImportedArticle, InvalidationStore,
};
use tribune_store::Store;

use crate::cache::{FRONT, article_key};
use crate::cli::{CliError, fail};
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
}

/// Spam examples (and as many ordinary comments) an import teaches the learned filter at
/// most: enough for a site's own spam to count, too few to drown what it already knows.
const MAX_EXAMPLES: usize = 500;

pub async fn run(config: &Config, command: ImportCommand) -> Result<(), CliError> {
    match command {
        ImportCommand::Disqus { file, url_map, create_missing, dry_run } => {
            let map = UrlMap::parse(&url_map).map_err(|e| fail(format!("--url-map: {e}")))?;
            let store = server::open_store(config).await.map_err(fail)?;
            let options = DisqusOptions { map, create_missing, dry_run };
            let report = import_disqus(&store, config, &file, &options).await?;
            print!("{report}");
            if dry_run {
                println!("Dry run: nothing was changed.");
            }
            store.close().await;
            Ok(())
        }
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
        let spill = tempfile::tempfile().map_err(|e| format!("cannot make a temporary file: {e}"))?;
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: input, read: bytes_read.clone() };
        let reader = DisqusReader::new(BufReader::with_capacity(1 << 20, counted));
        read_export(reader, spill, Utc::now(), |_| reader_progress.set(bytes_read.load(Ordering::Relaxed)))
            .map_err(|e| format!("{shown}: {e}"))
    })
    .await
    .map_err(fail)?
    .map_err(fail)?;
    progress.finish();
    let (targets, mut report, slugs) = match_threads(store, config, &export, options).await?;
    let (batches, read_report) = export.discussions(&targets);
    merge_reading(&mut report, read_report);
    write_batches(store, batches, options, &slugs, &mut report).await?;
    Ok(report)
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
fn open_export(file: &Path) -> Result<File, CliError> {
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
        for &i in &missing {
            if made.insert(links[i].clone()) {
                let stub = stub_article(&export.threads[i].title, &links[i]);
                store.import_article(&stub, Utc::now()).await.map_err(fail)?;
            }
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
    let body_html = tribune_core::markdown::render_article(&article.body_markdown);
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

/// Writes the batches, drops the pages they change from every node's cache, and teaches
/// the filter a few of the site's own spam and ordinary comments.
async fn write_batches(
    store: &Store,
    batches: Batches,
    options: &DisqusOptions,
    slugs: &HashMap<i64, Slug>,
    report: &mut Report,
) -> Result<(), CliError> {
    let mode = if options.dry_run { ImportMode::DryRun } else { ImportMode::Write };
    let to_write: u64 = report.posts_in_file;
    let progress = Progress::new("Writing", to_write);
    let mut spam = Vec::new();
    let mut benign = Vec::new();
    let mut done = 0u64;
    for batch in batches {
        let mut batch = batch.map_err(|e| fail(format!("the import's temporary file: {e}")))?;
        // A dry run's planned drafts (ids below zero) are not in the database to write to.
        let planned: u64 = batch.iter().filter(|d| d.article_id < 0).map(|d| d.comments.len() as u64).sum();
        batch.retain(|d| d.article_id > 0);
        report.comments_imported += planned;
        done += planned;
        let outcome = store.import_discussions(&batch, mode).await.map_err(fail)?;
        let mut keys = vec![FRONT.to_owned(), "tag:*".to_owned(), "author:*".to_owned()];
        for (discussion, imported) in batch.iter().zip(&outcome) {
            keys.extend(slugs.get(&discussion.article_id).map(|s| article_key(s.as_str())));
            for (c, i) in discussion.comments.iter().zip(imported) {
                done += 1;
                if !i.new {
                    report.comments_already_present += 1;
                    continue;
                }
                report.comments_imported += 1;
                let examples = match c.status {
                    CommentStatus::Rejected => &mut spam,
                    CommentStatus::Published => &mut benign,
                    _ => continue,
                };
                if examples.len() < MAX_EXAMPLES {
                    examples.push(c.comment.body_markdown.clone());
                }
            }
        }
        if mode == ImportMode::Write {
            store.record_invalidation(&keys, Utc::now()).await.map_err(fail)?;
        }
        progress.set(done);
    }
    progress.finish();
    if mode == ImportMode::Write && !spam.is_empty() {
        benign.truncate(spam.len());
        let example = |class, body: &String| FilterExample {
            class,
            features: features(body),
            source: "import:disqus".into(),
        };
        let examples: Vec<FilterExample> = spam
            .iter()
            .map(|b| example(Class::Spam, b))
            .chain(benign.iter().map(|b| example(Class::Benign, b)))
            .collect();
        store.append_filter_examples(&examples, Utc::now()).await.map_err(fail)?;
    }
    Ok(())
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
