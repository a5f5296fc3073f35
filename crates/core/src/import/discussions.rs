//! A discussion export (Disqus) laid out for writing: read once as a stream, each post made
//! into a comment on the way and set aside in a spill file, so that memory holds only a
//! few numbers per post; then written discussion by discussion, parents before replies,
//! whatever order the file had them in.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, mpsc};

use chrono::{DateTime, Utc};

use super::disqus::{Item, Post, Quirk, Thread};
use super::placing::{MAX_IMPORTED_BODY_BYTES, tree_order, valid_comment};
use super::report::{Report, Skip};
use super::urls::UrlMap;
use super::{ReadError, html};
use crate::comment::{CommentStatus, ValidComment};
use crate::store::{ImportSource, ImportedComment, ImportedDiscussion};

/// Comments a writing batch holds before it is handed to the store (a discussion is never
/// split, so a bigger one makes a bigger batch).
pub const BATCH_COMMENTS: usize = 5_000;

/// Why reading an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("the spill file: {0}")]
    Spill(#[from] io::Error),
}

/// A thread of the file, as matching needs it.
#[derive(Debug, Clone)]
pub struct FileThread {
    pub id: String,
    pub link: String,
    pub title: String,
    pub created_at: Option<DateTime<Utc>>,
}

/// What the file held after one pass: threads, and per post a few numbers and where its
/// comment lies in the spill file.
pub struct ReadExport {
    pub threads: Vec<FileThread>,
    posts: Vec<PostEntry>,
    spill: File,
    pub report: Report,
}

/// What stands in memory for one post (its text is in the spill file).
#[derive(Debug, Clone, Copy)]
struct PostEntry {
    thread: u32,
    /// The parent's key (see [`Keys`]), `NONE` at the top.
    parent: u64,
    created_at: i64,
    at: u64,
    len: u32,
}

const NONE: u64 = u64::MAX;

/// Post ids as numbers: Disqus's are decimal, and a number costs a fraction of a string
/// in a map of a million. Any other id gets a number of its own from a second map.
#[derive(Default)]
struct Keys {
    others: HashMap<Box<str>, u64>,
}

impl Keys {
    const OWN: u64 = 1 << 63;

    fn of(&mut self, id: &str) -> u64 {
        match id.parse::<u64>() {
            Ok(n) if n < Self::OWN && !id.starts_with('0') => n,
            _ => {
                let next = Self::OWN + self.others.len() as u64;
                *self.others.entry(id.into()).or_insert(next)
            }
        }
    }
}

/// Posts handed to a converting thread at a time.
const CHUNK: usize = 256;

/// A post, the time it takes when it has none, and (once converted) its comment.
type Converting = (Post, DateTime<Utc>);
type Converted = (Post, Result<SpilledComment, Skip>);

/// Reads every item of `items`, making each post a comment and writing it to `spill` (an
/// empty temporary file). `progress` hears how many posts were read; `now` dates a post
/// that has no date in a thread that has none either.
///
/// Making a comment (HTML read, then rendered and sanitized) is most of the work, so it
/// runs on every core, a chunk of posts at a time; the results are taken back in file
/// order, so that which of two copies of an id is kept does not depend on timing.
pub fn read_export(
    items: impl Iterator<Item = Result<Item, ReadError>>,
    spill: File,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> Result<ReadExport, ImportError> {
    let mut reading = Reading {
        threads: Vec::new(),
        thread_index: HashMap::new(),
        posts: Vec::new(),
        post_index: HashMap::new(),
        keys: Keys::default(),
        spill: BufWriter::with_capacity(1 << 20, spill),
        written: 0,
        report: Report::default(),
        now,
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    std::thread::scope(|scope| {
        let (jobs, waiting) = mpsc::sync_channel::<(u64, Vec<Converting>)>(workers * 2);
        let waiting = Arc::new(Mutex::new(waiting));
        let (finished, results) = mpsc::channel::<(u64, Vec<Converted>)>();
        for _ in 0..workers {
            let (waiting, finished) = (waiting.clone(), finished.clone());
            scope.spawn(move || convert_chunks(&waiting, &finished));
        }
        drop(finished);
        let mut results = InOrder { results, held: BTreeMap::new(), next: 0 };
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut sent = 0u64;
        for item in items {
            match item? {
                Item::Thread(t) => reading.thread(t),
                Item::Post(p) => {
                    let fallback = reading.fallback_for(&p);
                    chunk.push((p, fallback));
                }
            }
            if chunk.len() == CHUNK {
                send(&jobs, sent, std::mem::take(&mut chunk))?;
                sent += 1;
                while let Some(done) = results.ready() {
                    reading.take(done)?;
                }
                progress(reading.report.posts_in_file);
            }
        }
        send(&jobs, sent, chunk)?;
        drop(jobs);
        while let Some(done) = results.wait(sent + 1) {
            reading.take(done)?;
        }
        Ok::<_, ImportError>(())
    })?;
    progress(reading.report.posts_in_file);
    reading.finish()
}

fn send(
    jobs: &mpsc::SyncSender<(u64, Vec<Converting>)>,
    seq: u64,
    chunk: Vec<Converting>,
) -> Result<(), ImportError> {
    jobs.send((seq, chunk)).map_err(|_| ImportError::Spill(io::Error::other("a converting thread stopped")))
}

/// A converting thread: chunks in, comments out, until no chunk is left.
fn convert_chunks(
    waiting: &Mutex<mpsc::Receiver<(u64, Vec<Converting>)>>,
    finished: &mpsc::Sender<(u64, Vec<Converted>)>,
) {
    loop {
        let next = waiting.lock().map(|w| w.recv());
        let Ok(Ok((seq, chunk))) = next else { return };
        let converted = chunk
            .into_iter()
            .map(|(post, fallback)| {
                let comment = match &post.id {
                    Some(id) => spilled_comment(&post, id, fallback),
                    None => Err(Skip::PostWithoutId),
                };
                (post, comment)
            })
            .collect();
        if finished.send((seq, converted)).is_err() {
            return;
        }
    }
}

/// Converted chunks, given back in the order they were sent.
struct InOrder {
    results: mpsc::Receiver<(u64, Vec<Converted>)>,
    held: BTreeMap<u64, Vec<Converted>>,
    next: u64,
}

impl InOrder {
    /// The next chunk if it is done, without waiting.
    fn ready(&mut self) -> Option<Vec<Converted>> {
        while let Ok((seq, chunk)) = self.results.try_recv() {
            self.held.insert(seq, chunk);
        }
        self.pop()
    }

    /// The next chunk of the `total` sent, waiting for it; none once all are given.
    fn wait(&mut self, total: u64) -> Option<Vec<Converted>> {
        while self.next < total && !self.held.contains_key(&self.next) {
            let (seq, chunk) = self.results.recv().ok()?;
            self.held.insert(seq, chunk);
        }
        self.pop()
    }

    fn pop(&mut self) -> Option<Vec<Converted>> {
        let chunk = self.held.remove(&self.next)?;
        self.next += 1;
        Some(chunk)
    }
}

struct Reading {
    threads: Vec<FileThread>,
    thread_index: HashMap<String, u32>,
    posts: Vec<PostEntry>,
    post_index: HashMap<u64, u32>,
    keys: Keys,
    spill: BufWriter<File>,
    written: u64,
    report: Report,
    now: DateTime<Utc>,
}

impl Reading {
    fn thread(&mut self, t: Thread) {
        self.report.threads_in_file += 1;
        // A thread without an id is skipped; one without an address matches nothing:
        // both are reported as such.
        for q in t.quirks.iter().filter(|q| !matches!(q, Quirk::NoId | Quirk::NoLink)) {
            self.report.quirk(q.describe(), &t.id);
        }
        if t.id.is_empty() || self.thread_index.contains_key(&t.id) {
            // Without an id no post can name it; a second thread with one id is a copy.
            let kind = if t.id.is_empty() { Skip::ThreadWithoutId } else { Skip::DuplicateThread };
            self.report.skip(kind, &t.link);
            return;
        }
        let index = u32::try_from(self.threads.len()).unwrap_or(u32::MAX);
        self.thread_index.insert(t.id.clone(), index);
        self.threads.push(FileThread { id: t.id, link: t.link, title: t.title, created_at: t.created_at });
    }

    /// The time a post of `p`'s thread takes when it has none.
    fn fallback_for(&self, p: &Post) -> DateTime<Utc> {
        let thread = self.thread_index.get(&p.thread_id).map(|&t| &self.threads[t as usize]);
        thread.and_then(|t| t.created_at).unwrap_or(self.now)
    }

    fn take(&mut self, chunk: Vec<Converted>) -> Result<(), ImportError> {
        for (post, comment) in chunk {
            self.post(post, comment)?;
        }
        Ok(())
    }

    /// Keeps a post (its `converted` comment in the spill file), or reports why not.
    fn post(&mut self, p: Post, converted: Result<SpilledComment, Skip>) -> Result<(), ImportError> {
        self.report.posts_in_file += 1;
        let label = p.id.clone().unwrap_or_else(|| format!("#{} in the file", self.report.posts_in_file));
        // A post without an id or a thread is skipped, and reported as such.
        for q in p.quirks.iter().filter(|q| !matches!(q, Quirk::NoId | Quirk::NoThread)) {
            self.report.quirk(q.describe(), &label);
        }
        let Some(id) = p.id.clone() else {
            // Without an id a second import could not know it: it would be copied each time.
            self.report.skip(Skip::PostWithoutId, &label);
            return Ok(());
        };
        let Some(&thread) = self.thread_index.get(&p.thread_id) else {
            self.report.skip(Skip::ThreadNotInFile, &id);
            return Ok(());
        };
        let key = self.keys.of(&id);
        if self.post_index.contains_key(&key) {
            self.report.skip(Skip::DuplicatePost, &id);
            return Ok(());
        }
        let comment = match converted {
            Ok(c) => c,
            Err(kind) => {
                self.report.skip(kind, &id);
                return Ok(());
            }
        };
        let bytes = comment.encode();
        self.spill.write_all(&bytes)?;
        let parent = p.parent_id.as_deref().map_or(NONE, |parent| self.keys.of(parent));
        let created_at = comment.created_at;
        self.post_index.insert(key, u32::try_from(self.posts.len()).unwrap_or(u32::MAX));
        self.posts.push(PostEntry {
            thread,
            parent,
            created_at,
            at: self.written,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        });
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn finish(self) -> Result<ReadExport, ImportError> {
        let spill = self.spill.into_inner().map_err(|e| e.into_error())?;
        let mut export = ReadExport { threads: self.threads, posts: self.posts, spill, report: self.report };
        // Parents are resolved once every post is known: a reply may come before its parent.
        for post in &mut export.posts {
            if post.parent != NONE {
                post.parent = self.post_index.get(&post.parent).map_or(ORPHAN, |&i| u64::from(i));
            }
        }
        Ok(export)
    }
}

/// A parent that is not in the file: the reply is placed at the top of its discussion.
const ORPHAN: u64 = NONE - 1;

/// A post made a comment, as the spill file keeps it.
#[derive(Debug, Clone, PartialEq)]
struct SpilledComment {
    source_id: String,
    status: CommentStatus,
    created_at: i64,
    comment: ValidComment,
}

/// The comment `post` becomes, or why it is skipped.
/// `fallback` is its time when it has none that can be read.
fn spilled_comment(post: &Post, id: &str, fallback: DateTime<Utc>) -> Result<SpilledComment, Skip> {
    if post.message_html.len() > MAX_IMPORTED_BODY_BYTES {
        return Err(Skip::TooLong);
    }
    let status = match (post.deleted, post.spam, post.pending) {
        (true, _, _) => CommentStatus::Deleted,
        (false, true, _) => CommentStatus::Rejected,
        (false, false, true) => CommentStatus::Pending,
        (false, false, false) => CommentStatus::Published,
    };
    let markdown =
        if status == CommentStatus::Deleted { String::new() } else { html::to_markdown(&post.message_html) };
    let comment = valid_comment(&markdown, &post.author_name, post.author_email.as_deref(), status)?;
    let created_at = post.created_at.unwrap_or(fallback).timestamp();
    Ok(SpilledComment { source_id: id.to_owned(), status, created_at, comment })
}

impl SpilledComment {
    fn encode(&self) -> Vec<u8> {
        let c = &self.comment;
        let texts = [
            self.source_id.as_str(),
            self.status.as_str(),
            &c.body_markdown,
            &c.body_html,
            &c.author_name,
            c.author_email.as_deref().unwrap_or(""),
        ];
        let mut out = Vec::with_capacity(8 + texts.iter().map(|t| t.len() + 4).sum::<usize>());
        out.extend_from_slice(&self.created_at.to_le_bytes());
        for t in texts {
            out.extend_from_slice(&u32::try_from(t.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(t.as_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> io::Result<SpilledComment> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a damaged record");
        let (time, mut rest) = bytes.split_first_chunk::<8>().ok_or_else(bad)?;
        let mut next = || -> io::Result<String> {
            let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
            let len = u32::from_le_bytes(*len) as usize;
            let (text, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
            rest = tail;
            String::from_utf8(text.to_vec()).map_err(|_| bad())
        };
        let source_id = next()?;
        let status = CommentStatus::parse(&next()?).ok_or_else(bad)?;
        let (body_markdown, body_html, author_name) = (next()?, next()?, next()?);
        let author_email = Some(next()?).filter(|e| !e.is_empty());
        Ok(SpilledComment {
            source_id,
            status,
            created_at: i64::from_le_bytes(*time),
            comment: ValidComment { body_markdown, body_html, author_name, author_email },
        })
    }
}

/// Where each thread of the file goes: an article's id, or nowhere.
pub type Targets = Vec<Option<i64>>;

impl ReadExport {
    /// Each thread's normalized address after `map`, in file order.
    pub fn thread_links(&self, map: &UrlMap) -> Vec<String> {
        self.threads.iter().map(|t| map.apply(&t.link)).collect()
    }

    /// The discussions to write, in batches of whole discussions, each comment after its
    /// parent and siblings in the order they were written. Posts of threads without a
    /// target, and posts in a loop of replies, are skipped and reported.
    pub fn discussions(mut self, targets: &Targets) -> (Batches, Report) {
        let mut report = std::mem::take(&mut self.report);
        let mut by_article: BTreeMap<i64, Vec<u32>> = BTreeMap::new();
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut order: Vec<u32> = (0..self.posts.len() as u32).collect();
        order.sort_by_key(|&i| (self.posts[i as usize].created_at, i));
        let mut placed = 0u64;
        for &i in &order {
            let post = self.posts[i as usize];
            let Some(article) = targets.get(post.thread as usize).copied().flatten() else {
                report.count_skip(Skip::ThreadNotMatched);
                continue;
            };
            placed += 1;
            match post.parent {
                NONE => by_article.entry(article).or_default().push(i),
                parent if parent != ORPHAN && self.article_of(parent as u32, targets) == Some(article) => {
                    children.entry(parent as u32).or_default().push(i)
                }
                _ => {
                    // Its parent is not in the file, or not in this discussion: the reply
                    // is kept, at the top.
                    report.count_orphan();
                    by_article.entry(article).or_default().push(i);
                }
            }
        }
        let plan: Vec<Planned> =
            by_article.into_iter().map(|(article, roots)| (article, tree_order(&roots, &children))).collect();
        let reached: u64 = plan.iter().map(|(_, posts)| posts.len() as u64).sum();
        for _ in reached..placed {
            report.count_skip(Skip::InALoop);
        }
        (Batches { export: self, plan: plan.into_iter() }, report)
    }
}

impl ReadExport {
    fn article_of(&self, post: u32, targets: &Targets) -> Option<i64> {
        targets.get(self.posts[post as usize].thread as usize).copied().flatten()
    }
}

/// An article's id, and its posts in writing order, each with its parent's position.
type Planned = (i64, Vec<(u32, Option<usize>)>);

/// The discussions of an export, a batch at a time, read back from the spill file.
pub struct Batches {
    export: ReadExport,
    plan: std::vec::IntoIter<Planned>,
}

impl Iterator for Batches {
    type Item = io::Result<Vec<ImportedDiscussion>>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut batch = Vec::new();
        let mut size = 0;
        while size < BATCH_COMMENTS {
            let Some((article_id, posts)) = self.plan.next() else { break };
            size += posts.len();
            batch.push(self.discussion(article_id, &posts));
        }
        if batch.is_empty() { None } else { Some(batch.into_iter().collect()) }
    }
}

impl Batches {
    fn discussion(
        &mut self,
        article_id: i64,
        posts: &[(u32, Option<usize>)],
    ) -> io::Result<ImportedDiscussion> {
        let mut comments = Vec::with_capacity(posts.len());
        let mut buf = Vec::new();
        for &(post, parent) in posts {
            let entry = self.export.posts[post as usize];
            buf.resize(entry.len as usize, 0);
            self.export.spill.seek(SeekFrom::Start(entry.at))?;
            self.export.spill.read_exact(&mut buf)?;
            let spilled = SpilledComment::decode(&buf)?;
            comments.push(ImportedComment {
                parent,
                created_at: DateTime::from_timestamp(spilled.created_at, 0).unwrap_or_default(),
                status: spilled.status,
                comment: spilled.comment,
                source: Some(ImportSource { platform: "disqus".into(), id: spilled.source_id }),
            });
        }
        Ok(ImportedDiscussion { article_id, comments })
    }
}
