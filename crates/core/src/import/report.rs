//! What an import did and did not do, counted, with the first few ids of each kind of
//! thing it left out, so that an operator can look them up and act.

use std::collections::BTreeMap;
use std::fmt;

/// Ids kept per kind: enough to look a few up, few enough to read.
const EXAMPLES: usize = 5;

/// A count and its first few examples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub first: Vec<String>,
}

impl Tally {
    pub fn add(&mut self, example: Option<&str>) {
        self.count += 1;
        if let Some(e) = example.filter(|_| self.first.len() < EXAMPLES) {
            self.first.push(e.to_owned());
        }
    }
}

/// Why something in the file was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    ThreadWithoutId,
    DuplicateThread,
    PostWithoutId,
    DuplicatePost,
    ThreadNotInFile,
    ThreadNotMatched,
    EmptyBody,
    TooLong,
    InALoop,
    ArticleInTrash,
    NotAnArticle,
    Page,
    Pingback,
    CommentWithoutId,
    CommentOfLeftOutArticle,
    InvalidArticle,
}

impl Skip {
    pub fn describe(self) -> &'static str {
        match self {
            Skip::ThreadWithoutId => "threads without an id (no post can name them)",
            Skip::DuplicateThread => "threads whose id came earlier in the file",
            Skip::PostWithoutId => "posts without an id (a second import could not know them)",
            Skip::DuplicatePost => "posts whose id came earlier in the file",
            Skip::ThreadNotInFile => "posts of a thread that is not in the file",
            Skip::ThreadNotMatched => {
                "posts of threads matching no article (see --url-map, --create-missing)"
            }
            Skip::EmptyBody => "posts with nothing visible left in them",
            Skip::TooLong => "posts over 256 kB",
            Skip::InALoop => "posts in a loop of replies (each the other's parent)",
            Skip::ArticleInTrash => "articles in the trash",
            Skip::NotAnArticle => "attachments, revisions, menu items and other kinds of content",
            Skip::Page => "pages (import them with --pages)",
            Skip::Pingback => "pingbacks and trackbacks",
            Skip::CommentWithoutId => "comments without an id (a second import could not know them)",
            Skip::CommentOfLeftOutArticle => "comments of articles left out",
            Skip::InvalidArticle => "articles that are not valid here (see the first ids)",
        }
    }
}

/// The whole account of one import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub threads_in_file: u64,
    pub posts_in_file: u64,
    /// A WordPress export's articles (its comments are counted as posts).
    pub articles_in_file: u64,
    pub articles_imported: u64,
    pub articles_already_present: u64,
    /// Threads whose article was found, by address.
    pub threads_matched: Tally,
    /// Threads given a draft article of their own (`--create-missing`).
    pub threads_created: Tally,
    /// Threads with no article, their addresses as examples.
    pub threads_unmatched: Tally,
    pub comments_imported: u64,
    pub comments_already_present: u64,
    /// Replies whose parent is not in the file (or not in the same discussion), kept at
    /// the top of their discussion.
    pub orphans_at_top: u64,
    pub skipped: BTreeMap<Skip, Tally>,
    /// Faults tolerated (a bad date, an author without a name), by kind.
    pub quirks: BTreeMap<&'static str, Tally>,
}

impl Report {
    pub fn skip(&mut self, kind: Skip, id: &str) {
        self.skipped.entry(kind).or_default().add(Some(id));
    }

    pub fn count_skip(&mut self, kind: Skip) {
        self.skipped.entry(kind).or_default().add(None);
    }

    pub fn count_orphan(&mut self) {
        self.orphans_at_top += 1;
    }

    pub fn quirk(&mut self, kind: &'static str, id: &str) {
        self.quirks.entry(kind).or_default().add(Some(id));
    }

    pub fn skipped(&self, kind: Skip) -> u64 {
        self.skipped.get(&kind).map_or(0, |t| t.count)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.articles_in_file > 0 {
            writeln!(f, "Read {} articles and {} comments.", self.articles_in_file, self.posts_in_file)?;
            writeln!(
                f,
                "Articles: {} imported, {} already present.",
                self.articles_imported, self.articles_already_present
            )?;
        } else {
            writeln!(f, "Read {} threads and {} posts.", self.threads_in_file, self.posts_in_file)?;
            writeln!(
                f,
                "Threads: {} matched to articles, {} given a new draft article, {} matching none.",
                self.threads_matched.count, self.threads_created.count, self.threads_unmatched.count
            )?;
            line(f, "  unmatched", &self.threads_unmatched)?;
        }
        writeln!(
            f,
            "Comments: {} imported, {} already present.",
            self.comments_imported, self.comments_already_present
        )?;
        if self.orphans_at_top > 0 {
            writeln!(f, "  {} replies to a post not in the file were put at the top.", self.orphans_at_top)?;
        }
        for (kind, tally) in &self.skipped {
            line(f, &format!("Skipped {}", kind.describe()), tally)?;
        }
        for (kind, tally) in &self.quirks {
            line(f, &format!("Tolerated {kind}"), tally)?;
        }
        Ok(())
    }
}

fn line(f: &mut fmt::Formatter<'_>, what: &str, tally: &Tally) -> fmt::Result {
    if tally.count == 0 {
        return Ok(());
    }
    write!(f, "{what}: {}", tally.count)?;
    if !tally.first.is_empty() {
        let more = if tally.count > tally.first.len() as u64 { ", ..." } else { "" };
        write!(f, " (first: {}{more})", tally.first.join(", "))?;
    }
    writeln!(f)
}
