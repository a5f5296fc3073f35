//! What the use cases need from storage. `tribune-store` implements these traits once, for
//! SQLite and PostgreSQL alike; nothing here says how.

use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleStatus, NamedLink, ValidArticle};
use crate::article_list::ArticleListQuery;
use crate::search::SearchQuery;
use crate::slug::Slug;
use crate::throttle::Attempts;
use crate::user::{Role, User};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names the constraint's column.
    #[error("already taken: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("the database cannot be reached: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(String),
    /// A rate limit counted with the write refused it.
    #[error(transparent)]
    Throttled(#[from] crate::throttle::Throttled),
    /// Moderation refused the comment for a reason only the write could see (the poster's
    /// own copy of a comment written in the same burst).
    #[error("refused: {0}")]
    Refused(String),
}

/// One page of a list, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub number: u32,
    pub size: u32,
}

impl PageRequest {
    pub fn new(number: u32, size: u32) -> Self {
        PageRequest { number: number.max(1), size: size.clamp(1, 1000) }
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.size)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub number: u32,
    pub has_next: bool,
}

/// Which public articles a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleFilter {
    All,
    Tag(Slug),
    Author(Slug),
}

/// A line of the sitemap: a public article and when it last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    /// An article or a page (embedded discussions are not the site's pages).
    pub kind: crate::article::ArticleKind,
    pub slug: Slug,
    pub updated_at: DateTime<Utc>,
}

pub trait ArticleStore {
    /// Inserts a new article, or replaces the one with `id`, with its byline and tags.
    async fn save_article(
        &self,
        id: Option<i64>,
        article: &ValidArticle,
        body_html: &str,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError>;
    async fn article_by_id(&self, id: i64) -> Result<Option<Article>, StoreError>;
    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>, StoreError>;
    /// The article as posting a comment needs it, in one query: without its text (both
    /// bodies are left empty, so it must not be rendered), with its authors and tags (the
    /// pages a new comment makes stale).
    async fn article_to_comment_on(&self, slug: &Slug) -> Result<Option<Article>, StoreError>;
    /// Public articles at `now`, newest first.
    async fn public_articles(
        &self,
        filter: &ArticleFilter,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError>;
    /// Public articles matching every term, best match first.
    async fn search_articles(
        &self,
        query: &SearchQuery,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError>;
    /// Every article in any state, most recently changed first; `author` narrows it to one byline.
    async fn all_articles(
        &self,
        author: Option<&Slug>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError>;
    /// The admin's list (see `article_list`): `size` articles at most, newest first.
    async fn article_list(
        &self,
        query: &ArticleListQuery,
        now: DateTime<Utc>,
        size: u32,
    ) -> Result<Page<Article>, StoreError>;
    /// Every byline and every tag, by name: what the admin's list can be narrowed to.
    async fn bylines_and_tags(&self) -> Result<(Vec<NamedLink>, Vec<NamedLink>), StoreError>;
    async fn set_article_status(
        &self,
        id: i64,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError>;
    /// The earliest publication time after `now` of an article not yet public.
    async fn next_publication_after(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError>;
    async fn public_article_index(&self, now: DateTime<Utc>) -> Result<Vec<IndexEntry>, StoreError>;
    /// The tags on the most public articles at `now`, most used first (for the front
    /// page's sections).
    async fn popular_tags(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<NamedLink>, StoreError>;
    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<NamedLink>, StoreError>;
    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<NamedLink>, StoreError>;
    async fn count_articles(&self) -> Result<i64, StoreError>;
    /// Stores articles brought from elsewhere, in one transaction, each unless one from
    /// the same source is there already (then left as it is). A slug another article holds
    /// gets a number (`-2`...). A dry run keeps nothing, and gives new articles the id 0.
    async fn import_articles(
        &self,
        articles: &[ImportedArticle],
        mode: ImportMode,
        now: DateTime<Utc>,
    ) -> Result<Vec<Imported>, StoreError>;
    /// Every article's id, slug and old address: what an imported discussion is matched to.
    async fn article_addresses(&self) -> Result<Vec<ArticleAddress>, StoreError>;
}

/// An article from another platform, or a stand-in for a discussion whose article is not
/// here (a draft holding its title and old address).
#[derive(Debug, Clone)]
pub struct ImportedArticle {
    pub article: ValidArticle,
    pub body_html: String,
    pub source: ImportSource,
    /// Its address on the old site, normalized (`crate::import::urls::normalized`).
    pub old_link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleAddress {
    pub id: i64,
    pub slug: Slug,
    /// The normalized address it had on the site it was imported from.
    pub old_link: Option<String>,
}

/// A user to store: the password already hashed, the byline already derived.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    /// Staff write under a byline; readers have none.
    pub author: Option<NamedLink>,
}

pub trait UserStore {
    async fn create_user(&self, user: &UserRecord, now: DateTime<Utc>) -> Result<User, StoreError>;
    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError>;
    /// The user with this (normalized) email and their password hash.
    async fn user_credentials(&self, email: &str) -> Result<Option<(User, String)>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Whether any account exists (a site without one is set up in the browser).
    async fn has_users(&self) -> Result<bool, StoreError>;
    async fn set_user_role(&self, id: i64, role: Role) -> Result<(), StoreError>;
    async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<(), StoreError>;
    /// Renames the user and their byline, whose page moves to `slug` unless another byline
    /// has it, in one transaction; the slugs of the articles that carry the byline.
    async fn set_user_name(&self, id: i64, name: &str, slug: &str) -> Result<Vec<String>, StoreError>;
    /// The user's own new password: their other sessions end, `keep` (a session's token
    /// hash) stays, and no change is asked for any more. One transaction.
    async fn change_own_password(&self, id: i64, password_hash: &str, keep: &str) -> Result<(), StoreError>;
    /// An admin gives a password to be replaced at the next sign-in: every session ends.
    async fn require_password_change(&self, id: i64, password_hash: &str) -> Result<(), StoreError>;
    /// Disables (`Some(when)`) or enables (`None`) an account; disabling ends its sessions.
    async fn set_user_disabled(&self, id: i64, disabled_at: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    /// Deletes an account, keeping what others read: its bylines stay on their articles,
    /// its comments keep their author's name, flags and the moderation log keep their rows
    /// (without the account); its votes go and the scores they counted in are recounted.
    /// Returns the articles whose discussions changed (their pages are stale).
    async fn delete_user(&self, id: i64) -> Result<Vec<i64>, StoreError>;
}

/// Signed-in sessions and the login throttle. Both live in the database so that any
/// number of app nodes share them.
pub trait SessionStore {
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
}

/// The counters behind throttles (see `throttle`), shared by every node.
pub trait ThrottleStore {
    async fn attempts(&self, key: &str) -> Result<Option<Attempts>, StoreError>;
    /// Stores `next` if the key still holds `prior` (compare-and-swap); false if another
    /// attempt changed it first. Rows last touched before `stale_before` may be swept.
    async fn swap_attempts(
        &self,
        key: &str,
        prior: Option<Attempts>,
        next: Attempts,
        stale_before: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn forget_attempts(&self, key: &str) -> Result<(), StoreError>;
}

/// Small site-wide values that every node must agree on (the signing key, whether the
/// demo content exists).
pub trait SettingStore {
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` unless the key already has one, and returns the value that won, so
    /// that nodes starting together settle on one.
    async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError>;
    /// Every key starting with `prefix`, with its value, in key order.
    async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// Stores `set` (replacing what was there) and removes `remove`, in one transaction.
    async fn change_settings(&self, set: &[(String, String)], remove: &[String]) -> Result<(), StoreError>;
}

/// The log of cache invalidations that keeps every node's page cache coherent: a writer
/// appends the keys of the pages it made stale; every node reads what it has not seen.
pub trait InvalidationStore {
    /// Appends an entry (and, on PostgreSQL, wakes the listening nodes when it commits).
    async fn record_invalidation(&self, keys: &[String], now: DateTime<Utc>) -> Result<i64, StoreError>;
    /// Where the log ends now: a node starts reading from there.
    async fn invalidation_log_end(&self) -> Result<LogPosition, StoreError>;
    /// The entries committed since `position` was last moved on, by id, and moves it on.
    /// An entry whose id is lower than one already read, but whose transaction committed
    /// later, is returned too: ids are handed out before commit, not in commit order.
    async fn invalidations_since(
        &self,
        position: &mut LogPosition,
    ) -> Result<Vec<(i64, Vec<String>)>, StoreError>;
}

/// How far a node has read the invalidation log (see [`InvalidationStore`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogPosition {
    /// Every entry up to this id was read. Enough on SQLite, whose one writer at a time
    /// commits ids in order.
    pub last_id: i64,
    /// PostgreSQL: the oldest writer transaction that was still open at the last read.
    /// Entries from it or later ones are read again, as one may still commit behind
    /// entries with higher ids.
    pub horizon: i64,
    /// The entries read from transactions at or after `horizon`, not to return twice.
    pub read: std::collections::BTreeSet<i64>,
}

/// A month's net total in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTotal {
    pub month: crate::funding::month::Month,
    pub currency: String,
    pub net_minor: i64,
}

/// Goals and the donations ledger. The ledger is append-only; uniqueness (one entry per
/// Stripe event, one payment per payment key) is enforced by the database itself.
pub trait FundingStore {
    /// Sets the goal of its month, replacing any earlier one for that month.
    async fn set_goal(&self, goal: &crate::funding::goal::Goal, now: DateTime<Utc>)
    -> Result<(), StoreError>;
    /// The goal of `month` or, if it has none, of the latest month before it that has one.
    async fn goal_at_or_before(
        &self,
        month: crate::funding::month::Month,
    ) -> Result<Option<crate::funding::goal::Goal>, StoreError>;
    /// Every goal set for `to` or an earlier month, oldest first (a short list: one a month).
    async fn goals_until(
        &self,
        to: crate::funding::month::Month,
    ) -> Result<Vec<crate::funding::goal::Goal>, StoreError>;
    /// Appends an entry; `None` when the database already holds it (a redelivery).
    async fn append_entry(
        &self,
        entry: &crate::funding::ledger::NewEntry,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
    /// Gives a payment's entry the donor's address another event about it carried, unless
    /// it has one already.
    async fn add_donor_email(&self, payment_key: &str, email: &str) -> Result<(), StoreError>;
    async fn entry(&self, id: i64) -> Result<Option<crate::funding::ledger::Entry>, StoreError>;
    /// Entries that count toward `month`, oldest first.
    async fn entries_of_month(
        &self,
        month: crate::funding::month::Month,
    ) -> Result<Vec<crate::funding::ledger::Entry>, StoreError>;
    /// Net totals per month and currency for `from..=to`: payments less their refunds and
    /// lost disputes (counted in the payment's month), plus manual entries and reversals.
    async fn month_totals(
        &self,
        from: crate::funding::month::Month,
        to: crate::funding::month::Month,
    ) -> Result<Vec<MonthTotal>, StoreError>;
    /// Names of this month's supporters who chose to be named, newest first.
    async fn supporters(&self, month: crate::funding::month::Month) -> Result<Vec<String>, StoreError>;
}

/// Moderation's decision as stored: the reasons are the JSON list `Decision` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDecision {
    pub outcome: String,
    pub score: f64,
    pub reasons_json: String,
    pub decided_at: DateTime<Utc>,
}

/// A comment to store: validated and rendered, with its place in the tree and who wrote it.
#[derive(Debug, Clone)]
pub struct CommentRecord {
    pub article_id: i64,
    pub parent: Option<crate::comment::Comment>,
    pub comment: crate::comment::ValidComment,
    pub status: crate::comment::CommentStatus,
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<String>,
    pub ip_hash: Option<String>,
    /// The normalised text's hash, for the duplicate check (`moderation::body_hash`).
    pub body_hash: Option<String>,
    /// Moderation's decision, stored with the comment (none for imported comments).
    pub decision: Option<crate::moderation::Decision>,
    /// Rate limits to count in the comment's own transaction (one disk flush for a whole
    /// burst, not one per post): past one, the comment is refused and nothing is stored.
    pub rate: Vec<RateCount>,
    /// Copies of this text stored since this time, or written in the same burst, make it a
    /// duplicate (`moderation::copies_in_burst`): a new comment, on a site that checks
    /// duplicates. The lookup before the write cannot see a copy that is being written.
    pub copies_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The commenter's request to hear of replies, stored with the comment.
    pub subscription: Option<crate::reply_notices::NewSubscription>,
    /// Mail that goes with the comment, written in its transaction.
    pub mail: crate::reply_notices::CommentMail,
}

/// One rate limit to count with a write: its policy and whom it counts.
#[derive(Debug, Clone)]
pub struct RateCount {
    pub policy: crate::throttle::Policy,
    pub subject: String,
}

pub trait CommentStore {
    /// The decision moderation stored with a comment, if any.
    async fn comment_decision(&self, id: i64) -> Result<Option<StoredDecision>, StoreError>;
    async fn insert_comment(
        &self,
        record: &CommentRecord,
        now: DateTime<Utc>,
    ) -> Result<crate::comment::Comment, StoreError>;
    async fn comment(&self, id: i64) -> Result<Option<crate::comment::Comment>, StoreError>;
    /// The whole thread of an article in display order (path order), every status.
    async fn thread(&self, article_id: i64) -> Result<Vec<crate::comment::Comment>, StoreError>;
    async fn edit_comment(
        &self,
        id: i64,
        body_markdown: &str,
        body_html: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn set_comment_status(
        &self,
        id: i64,
        status: crate::comment::CommentStatus,
    ) -> Result<(), StoreError>;
    /// Removes the comment if nothing replies to it, else blanks it into a placeholder; in
    /// one statement each, so a reply posted meanwhile is never orphaned.
    async fn delete_comment(&self, id: i64) -> Result<crate::comment::Deletion, StoreError>;
    /// The top comments of a page of discussion (an article's top-level comments, or one
    /// comment's replies) in `sort` order after `after`, at most `limit`, without their text.
    async fn thread_tops(
        &self,
        tops: Tops,
        sort: crate::thread::CommentSort,
        after: Option<crate::thread::Cursor>,
        limit: u32,
    ) -> Result<Vec<crate::thread::Outlined>, StoreError>;
    /// The replies below the comments `tops`, down to `levels` levels (1: their direct
    /// replies), in any order and without their text: what a page may show of them. They
    /// are followed by parent, so chains deeper than a path goes are followed too.
    async fn reply_outline(
        &self,
        tops: &[i64],
        levels: u32,
    ) -> Result<Vec<crate::thread::Outlined>, StoreError>;
    /// The text of these comments: their Markdown and their HTML, by id.
    async fn comment_texts(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, (String, String)>, StoreError>;
    /// Whether the guest browser holding `guest_token_hash` has a comment on the article
    /// `slug` that is pending or was posted at or after `since` (one indexed query).
    async fn guest_has_comment_since(
        &self,
        slug: &str,
        guest_token_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Whether the user `user_id` or the guest browser `guest_token_hash` has a comment on
    /// the article `slug` awaiting moderation, or written at `since` or later (one probe).
    async fn has_pending_or_since_on(
        &self,
        slug: &str,
        user_id: Option<i64>,
        guest_token_hash: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// How many top-level comments come before `root_id` in the oldest-first order.
    async fn threads_before(&self, article_id: i64, root_id: i64) -> Result<i64, StoreError>;
    /// Sets `user_id`'s vote on a comment (+1, -1, or 0 to withdraw it) and returns the
    /// comment's new score; in one transaction.
    async fn vote(
        &self,
        comment_id: i64,
        user_id: i64,
        value: i64,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// The votes `user_id` gave among `comment_ids`.
    async fn votes_by(
        &self,
        user_id: i64,
        comment_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError>;
    async fn set_comments_closed(&self, article_id: i64, closed: bool) -> Result<(), StoreError>;
    /// How many published comments the user `user_id` (or, without one, the guest browser
    /// `guest_token_hash`) has, counted up to `up_to` at most: one indexed probe.
    async fn approved_comments(
        &self,
        user_id: Option<i64>,
        guest_token_hash: Option<&str>,
        up_to: u32,
    ) -> Result<u32, StoreError>;
    /// The decisions moderation stored with these comments, by comment id (one query).
    async fn comment_decisions(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, StoredDecision>, StoreError>;
    /// Readies the site for an import of comments from `platform` and says how to write
    /// it: [`ImportMode::Write`] becomes [`ImportMode::FirstLoad`] when the site holds
    /// nothing from that platform yet. Call [`CommentStore::finish_import`] after it.
    async fn start_import(&self, platform: &str, mode: ImportMode) -> Result<ImportMode, StoreError>;
    /// Ends what [`CommentStore::start_import`] began. Safe to call more than once, and
    /// after an import that failed.
    async fn finish_import(&self) -> Result<(), StoreError>;
    /// Stores whole discussions at once, in one transaction: what an import (or the demo)
    /// brings. A comment already imported from the same source is left as it is (its
    /// replies still find it). Returns every comment's id and whether it is new, in the
    /// order given; with [`ImportMode::DryRun`] nothing is kept.
    async fn import_discussions(
        &self,
        discussions: &[ImportedDiscussion],
        mode: ImportMode,
    ) -> Result<Vec<Vec<Imported>>, StoreError>;

    /// One discussion, written: its comments' ids in the order given.
    async fn import_comments(
        &self,
        article_id: i64,
        comments: &[ImportedComment],
    ) -> Result<Vec<i64>, StoreError> {
        let discussion = ImportedDiscussion { article_id, comments: comments.to_vec() };
        let mut done = self.import_discussions(&[discussion], ImportMode::Write).await?;
        Ok(done.pop().unwrap_or_default().into_iter().map(|i| i.id).collect())
    }
}

/// An article's comments, parents before their replies.
#[derive(Debug, Clone)]
pub struct ImportedDiscussion {
    pub article_id: i64,
    pub comments: Vec<ImportedComment>,
}

/// Whether an import keeps what it wrote: a dry run counts exactly what a real one would
/// add, and then rolls it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    Write,
    /// Writes the site's first import from a platform (see [`CommentStore::start_import`]):
    /// nothing from it can be there yet, so nothing is looked up.
    FirstLoad,
    DryRun,
}

impl ImportMode {
    /// False for a dry run.
    pub fn keeps(self) -> bool {
        self != ImportMode::DryRun
    }
}

/// An imported comment's id, and whether this import added it (false: already there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub id: i64,
    pub new: bool,
}

/// A comment brought in from elsewhere, with its time and status as they were there.
#[derive(Debug, Clone)]
pub struct ImportedComment {
    /// The index (in the same list, earlier) of the comment it answers.
    pub parent: Option<usize>,
    pub comment: crate::comment::ValidComment,
    pub status: crate::comment::CommentStatus,
    pub created_at: DateTime<Utc>,
    /// Where it came from and its id there: a comment already imported from the same place
    /// is not written again (its replies still find it). None: always new (the demo).
    pub source: Option<ImportSource>,
}

/// A platform (`disqus`, `wordpress`) and an id on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImportSource {
    pub platform: String,
    pub id: String,
}

/// Whose comments a page of discussion starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tops {
    /// An article's top-level comments.
    Article(i64),
    /// The replies to one comment.
    RepliesTo(i64),
}

/// One page of a discussion: some top comments with as much of their replies as a page
/// holds (see [`crate::thread::trim`]), and where the next page of top comments starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPage {
    /// In display order, with their text.
    pub shown: Vec<crate::thread::Shown>,
    pub next: Option<crate::thread::Cursor>,
}

impl ThreadPage {
    pub fn comments(&self) -> impl Iterator<Item = &crate::comment::Comment> {
        self.shown.iter().map(|s| &s.comment)
    }
}

/// A reader's flag on a comment, to store.
#[derive(Debug, Clone)]
pub struct NewFlag {
    pub comment_id: i64,
    /// Who flags (see `moderation::flags::flagger`): unique per comment.
    pub flagger: String,
    pub user_id: Option<i64>,
    pub reason: crate::moderation::flags::FlagReason,
    pub ip_hash: Option<String>,
}

/// Whether a new flag holds the comment it flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagHold {
    /// Flags are only counted.
    Never,
    /// The flag that brings the comment's count to this many holds it. Only that one: once
    /// a moderator has approved it again, later flags are listed but do not hold it anew.
    AtCount(u32),
    /// This flag holds it (a moderator's).
    Now,
}

/// What storing a flag did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagWrite {
    /// This reader had flagged the comment already: nothing changed.
    AlreadyFlagged,
    /// The comment is no longer published (held, hidden or deleted meanwhile): not stored.
    NotPublished,
    /// Stored; the comment now has `flags` flags, and was held by this one if `held`.
    Counted { flags: u32, held: bool },
}

/// Reader flags, and the hold that enough of them put on a comment.
pub trait FlagStore {
    /// Stores `flag` unless its reader already flagged the comment. When `hold` says this
    /// flag holds the still published comment, it is held in the same transaction: its
    /// status becomes pending and its decision gains the `flags` reason
    /// (`moderation::flags::hold_reason`). Flags on one comment are counted one at a time,
    /// so concurrent flags cannot all miss the threshold, nor two of them reach it.
    async fn add_flag(
        &self,
        flag: &NewFlag,
        hold: FlagHold,
        now: DateTime<Utc>,
    ) -> Result<FlagWrite, StoreError>;
    /// The reason `flagger` gave when flagging the comment, if they did.
    async fn flag_by(
        &self,
        comment_id: i64,
        flagger: &str,
    ) -> Result<Option<crate::moderation::flags::FlagReason>, StoreError>;
    /// The flags on these comments, counted by reason (one query), for the queue.
    async fn flag_summaries(
        &self,
        comment_ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, crate::moderation::flags::FlagSummary>, StoreError>;
}

/// One example for the learned filter: a class, a comment's hashed features, and who
/// taught it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterExample {
    pub class: crate::moderation::learned::Class,
    pub features: Vec<u32>,
    pub source: String,
}

/// The learned filter's examples since the shipped model, in the order every node applies
/// them.
pub trait FilterStore {
    /// Appends the examples in one transaction: all or none.
    async fn append_filter_examples(
        &self,
        examples: &[FilterExample],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Examples after `id`, oldest first, with their ids.
    async fn filter_examples_after(
        &self,
        id: i64,
    ) -> Result<Vec<(i64, crate::moderation::learned::Class, Vec<u32>)>, StoreError>;
}

/// Everything a site owns, read in pages in a stable order: what an export streams.
pub trait ExportStore {
    /// Articles with ids above `after_id`, by id, at most `limit`, with bylines and tags.
    async fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<ExportedArticle>, StoreError>;
    /// Comments after `after` (an article id and a path) in discussion order: article by
    /// article, each discussion parents before replies; at most `limit`.
    async fn comments_after(
        &self,
        after: Option<&(i64, String)>,
        limit: u32,
    ) -> Result<Vec<ExportedComment>, StoreError>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportedArticle {
    pub article: Article,
    /// Where it was imported from, and the address it had there.
    pub import: Option<(ImportSource, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportedComment {
    pub comment: crate::comment::Comment,
    /// Never shown to readers; part of what the site owns.
    pub author_email: Option<String>,
    pub source: Option<ImportSource>,
}

/// Tribune's own format (see [`crate::dump`]), table by table: read a page at a time,
/// written back in one transaction.
pub trait DumpStore {
    type Restore: Restore;
    /// Rows of `table` after the row whose order columns are `after`, in that order.
    async fn dump_rows(
        &self,
        table: &crate::dump::Table,
        after: Option<&[crate::dump::Stored]>,
        limit: u32,
    ) -> Result<Vec<Vec<crate::dump::Stored>>, StoreError>;
    /// Whether the site holds anything a restore would collide with.
    async fn holds_content(&self) -> Result<bool, StoreError>;
    /// A restore: nothing it writes is seen before it finishes, and a failure keeps nothing.
    async fn begin_restore(&self) -> Result<Self::Restore, StoreError>;
}

pub trait Restore {
    /// Writes rows, in the table's column order, keys and all.
    async fn write(
        &mut self,
        table: &crate::dump::Table,
        rows: &[Vec<crate::dump::Stored>],
    ) -> Result<(), StoreError>;
    /// Moves every generated key past the largest restored, and commits.
    async fn finish(self) -> Result<(), StoreError>;
}

/// The outbox of outgoing mail (see `mail`), shared by every node's worker.
pub trait OutboxStore {
    /// Queues a message on its own. A change that causes mail queues it in its own
    /// transaction instead, so the two commit together.
    async fn queue_mail(
        &self,
        mail: &crate::mail::OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Claims up to `limit` due messages until `now + LEASE`, skipping those another
    /// worker holds; each claim counts as a try.
    async fn claim_mail(
        &self,
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::mail::QueuedMail>, StoreError>;
    /// Records that SMTP accepted the message.
    async fn mail_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Records a failed try and what follows it.
    async fn mail_failed(
        &self,
        id: i64,
        error: &str,
        after: crate::mail::AfterFailure,
    ) -> Result<(), StoreError>;
    /// Deletes the messages sent before `before` (given-up ones stay, for the operator).
    async fn forget_sent_mail(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// How many messages are queued, sent and given up, for the admin and the tests.
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

/// Requests to hear of replies (`reply_notices`); new ones are written with their comment.
pub trait ReplySubscriptionStore {
    async fn reply_subscription(
        &self,
        comment_id: i64,
    ) -> Result<Option<crate::reply_notices::Subscription>, StoreError>;
    /// Confirms the request whose mailed token hashes to `token_hash`; false if none waits.
    async fn confirm_reply_subscription(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Ends a request (once; again is harmless); false if there is no such request.
    async fn unsubscribe_replies(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// The enabled accounts writing under a byline of article `article_id` that asked to
    /// hear of its new comments (`author_notices`).
    async fn article_watchers(
        &self,
        article_id: i64,
    ) -> Result<Vec<crate::author_notices::Watcher>, StoreError>;
    /// Whether user `user_id` asked to hear of new comments on their articles.
    async fn comment_notices(&self, user_id: i64) -> Result<bool, StoreError>;
    /// Turns those notices on or off; false if there is no such user.
    async fn set_comment_notices(&self, user_id: i64, on: bool) -> Result<bool, StoreError>;
}

/// Links mailed to accounts (`account_mail`): stored by their token's hash.
pub trait AccountLinkStore {
    /// A reset link for the enabled account whose address is `email`, and its `mail`,
    /// in one transaction. The same statements run when no such account exists; they then
    /// write nothing. Links that expired are swept here.
    async fn add_reset_link(
        &self,
        email: &str,
        token_hash: &str,
        mail: &crate::mail::OutgoingMail,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The link, if it is for `purpose`, unused, unexpired and its account enabled.
    async fn account_link(
        &self,
        token_hash: &str,
        purpose: crate::account_mail::LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::account_mail::AccountLink>, StoreError>;
    /// A link to make `new_email` user `user_id`'s address, and its `mail`, in one
    /// transaction; when another account has that address, the same statements write
    /// nothing.
    async fn add_email_change_link(
        &self,
        user_id: i64,
        new_email: &str,
        token_hash: &str,
        mail: &crate::mail::OutgoingMail,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Uses an address change's link: the account (still enabled, still at `old_email`)
    /// takes the address, confirmed now, and `notice` is queued, in one transaction. False
    /// if the link does not work (any more); `Conflict` if another account has the address.
    async fn use_email_change_link(
        &self,
        token_hash: &str,
        old_email: &str,
        notice: &crate::mail::OutgoingMail,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Uses a reset link: sets the password (no change asked for any more), confirms the
    /// address it was mailed to if the account still has it, ends every session and every
    /// other reset link of the account. `None` if the link does not work (any more).
    async fn use_reset_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
}
