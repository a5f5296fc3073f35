//! The use cases of the discussion: post, edit, delete, moderate and vote. Each checks who
//! may do it and whether the discussion is open, validates, and stores. `post_comment` is
//! the one place a comment's status is decided: by the moderation pipeline.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::article::{Article, FieldError};
use crate::author_notices;
use crate::comment::{Comment, CommentInput, CommentStatus, Deletion, ValidComment, Viewer, validate};
use crate::moderation::flags::{self, FlagReason};
use crate::moderation::{self, Candidate, Decision, Outcome, Pipeline, Reason, trust};
use crate::moderators::bans::{self, BanMode};
use crate::moderators::{Actor, DuplicateLookup, ModerationError, ModerationStore, Verdict};
use crate::reply_notices::{self, CommentMail, Composer, NewSubscription, Replier};
use crate::store::{
    ArticleStore, CommentRecord, CommentStore, FlagHold, FlagStore, FlagWrite, NewFlag, RateCount,
    ReplySubscriptionStore, StoreError, ThreadPage, ThrottleStore, Tops,
};
use crate::supporters::{self, SupporterRules, SupporterStore};
use crate::thread::{CommentSort, Cursor, PageLimits, Trimmed, trim};
use crate::throttle::{self, ThrottleError, Throttled};
use crate::user::User;

/// The site's settings for discussions.
#[derive(Debug, Clone)]
pub struct DiscussionRules {
    pub allow_guests: bool,
    /// How long an author may edit (and a guest delete) their comment.
    pub edit_window: Duration,
    /// Discussions close this long after publication; `None` keeps them open.
    pub close_after: Option<Duration>,
    /// Every new comment waits for a moderator before readers see it (pre-moderation).
    pub hold_for_review: bool,
    /// The site takes no new comments anywhere; its discussions stay readable.
    pub closed: bool,
    /// What judges every new comment.
    pub moderation: Arc<Pipeline>,
    /// What becomes of a banned poster's comment.
    pub ban_mode: BanMode,
    /// Composes reply notifications when the site sends mail; `None`: mail is off, and
    /// "tell me of replies" is not offered.
    pub notices: Option<Arc<dyn crate::reply_notices::Composer>>,
    /// Who counts as a supporter, and whether they skip the new-commenter hold.
    pub supporters: crate::supporters::SupporterRules,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscussionError {
    #[error("the comment has errors: {}", join(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Closed(&'static str),
    #[error("sign in to comment: this site does not take comments from guests")]
    GuestsNotAllowed,
    /// The article's discussion takes supporters' comments only.
    #[error("this discussion is open to supporters; see /support to become one")]
    SupportersOnly,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such comment")]
    NotFound,
    /// Moderation refused the comment; the reason is for the poster.
    #[error("this comment cannot be posted: {0}")]
    Refused(String),
    #[error(transparent)]
    Throttled(#[from] Throttled),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ThrottleError> for DiscussionError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Throttled(t) => DiscussionError::Throttled(t),
            ThrottleError::Store(e) => DiscussionError::Store(e),
        }
    }
}

fn join(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Whether readers may still comment on `article`, and if not, why.
pub fn open_for_comments(
    article: &Article,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<(), DiscussionError> {
    if rules.closed {
        return Err(DiscussionError::Closed("comments are closed on this site"));
    }
    if article.comments_closed {
        return Err(DiscussionError::Closed("comments are closed on this article"));
    }
    let published = article.published_at.unwrap_or(article.created_at);
    match rules.close_after {
        Some(after) if now - published > after => {
            Err(DiscussionError::Closed("comments close a while after an article is published"))
        }
        _ => Ok(()),
    }
}

/// Where a new comment came from, for rate limits and bans: a keyed hash of the address.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip_hash: Option<String>,
    /// A keyed hash of the e-mail the poster gives (or their account's), for bans.
    pub email_hash: Option<String>,
    /// The guest's token was made for this very post: it has no past to count against.
    pub new_guest: bool,
}

/// Closes (or reopens) an article's discussion: those who may edit the article, and
/// moderators. Returns the article as it was, for the pages to drop.
/// Whether a guest browser sees anything on an article's page that a stranger does not:
/// its own comment awaiting moderation, or the edit and delete buttons of one still in
/// its edit window. Otherwise it gets the page every stranger shares.
pub async fn guest_has_own_on_page<S: CommentStore>(
    store: &S,
    slug: &str,
    guest_token_hash: &str,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    store.guest_has_comment_since(slug, guest_token_hash, now - rules.edit_window).await
}

/// A page of discussion: up to `per_page` top comments after `after`, with as much of
/// their replies as `limits` allow. Four queries whatever the discussion's size (tops,
/// the replies' outline, the text of what is shown), none of them loading text the page
/// does not show.
pub async fn thread_page<S: CommentStore>(
    store: &S,
    tops: Tops,
    order: (CommentSort, Option<Cursor>),
    per_page: u32,
    limits: PageLimits,
) -> Result<ThreadPage, StoreError> {
    let mut page = page_outline(store, tops, order, per_page, limits).await?;
    let ids: Vec<i64> = page.comments().map(|c| c.id).collect();
    let mut texts = store.comment_texts(&ids).await?;
    for s in &mut page.shown {
        if let Some((markdown, html)) = texts.remove(&s.comment.id) {
            (s.comment.body_markdown, s.comment.body_html) = (markdown, html);
        }
    }
    Ok(page)
}

/// [`thread_page`] without the comments' text: which comments the page shows.
pub async fn page_outline<S: CommentStore>(
    store: &S,
    tops: Tops,
    (sort, after): (CommentSort, Option<Cursor>),
    per_page: u32,
    limits: PageLimits,
) -> Result<ThreadPage, StoreError> {
    let mut top = store.thread_tops(tops, sort, after, per_page + 1).await?;
    let more_tops = top.len() > per_page as usize;
    top.truncate(per_page as usize);
    let cursors: Vec<Cursor> = top.iter().map(|o| Cursor::after(&o.comment)).collect();
    let ids: Vec<i64> = top.iter().map(|o| o.comment.id).collect();
    if ids.is_empty() {
        return Ok(ThreadPage { shown: vec![], next: None });
    }
    // One level more than is shown, to know which comments continue on another page.
    let below = store.reply_outline(&ids, limits.levels + 1).await?;
    let Trimmed { shown, tops_shown } = trim(top, below, sort, limits);
    let next = (more_tops || tops_shown < ids.len()).then(|| cursors[tops_shown - 1]);
    Ok(ThreadPage { shown, next })
}

pub async fn set_closed<S: CommentStore + ArticleStore>(
    store: &S,
    article_id: i64,
    closed: bool,
    by: &User,
) -> Result<Article, DiscussionError> {
    let article = store.article_by_id(article_id).await?.ok_or(DiscussionError::NotFound)?;
    if !(by.can_edit(&article) || by.can_moderate()) {
        return Err(DiscussionError::Forbidden(
            "only the article's editors and moderators may close its comments",
        ));
    }
    store.set_comments_closed(article_id, closed).await?;
    Ok(article)
}

/// Posts a comment (or a reply, when `input.parent_id` is set) on a public article.
/// `author` is the signed-in user or, for a guest, the browser's token hash. The
/// moderation pipeline decides its status: published, held (pending), or refused.
pub async fn post_comment<
    S: CommentStore + ThrottleStore + ModerationStore + ReplySubscriptionStore + SupporterStore,
>(
    store: &S,
    article: &Article,
    input: &CommentInput,
    author: &Viewer,
    origin: &Origin,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<Comment, DiscussionError> {
    open_for_comments(article, rules, now)?;
    if author.user.is_none() && (!rules.allow_guests || author.guest_token_hash.is_none()) {
        return Err(DiscussionError::GuestsNotAllowed);
    }
    // Read only when something turns on it: a supporters-only discussion, or supporters
    // skipping the new-commenter hold.
    let mut standing = None;
    if article.supporters_only {
        let status = supporter_status(store, author, &rules.supporters, now, &mut standing).await?;
        if !supporters::may_post(article, author.user.as_ref(), status) {
            return Err(DiscussionError::SupportersOnly);
        }
    }
    let valid =
        validate(input, author.user.as_ref().map(|u| u.name.as_str())).map_err(DiscussionError::Invalid)?;
    let parent = match input.parent_id {
        None => None,
        Some(id) => Some(reply_target(store, article, id, author).await?),
    };
    let user_id = author.user.as_ref().map(|u| u.id);
    let guest_token_hash = author.user.is_none().then(|| author.guest_token_hash.clone()).flatten();
    let settings = &rules.moderation.settings;
    let rate =
        if settings.rate_limit { rate_counts(user_id, guest_token_hash.as_deref(), origin) } else { vec![] };
    let body_hash = moderation::body_hash(&valid.body_markdown);
    let candidate = Candidate { body: &valid.body_markdown, author_name: &valid.author_name };
    let mut decision = rules.moderation.judge(&candidate);
    let subjects = bans::subjects_of_poster(
        user_id,
        guest_token_hash.as_deref(),
        origin.email_hash.as_deref(),
        origin.ip_hash.as_deref(),
    );
    // Bans and pre-moderation only ever add holds, so whether the text is checked for
    // duplicates is known before them, and both lookups are one query.
    let window = Duration::from_std(settings.duplicate_window).unwrap_or(Duration::zero());
    let duplicate = match (&body_hash, decision.outcome) {
        (Some(hash), Outcome::Publish | Outcome::Hold) if window > Duration::zero() => {
            Some(DuplicateLookup {
                body_hash: hash,
                since: now - window,
                user_id,
                guest_token_hash: guest_token_hash.as_deref(),
            })
        }
        _ => None,
    };
    let found = store.against_post(&subjects, now, duplicate.as_ref()).await?;
    if let Some(ban) = found.ban {
        match rules.ban_mode {
            BanMode::Refuse => return Err(DiscussionError::Refused(ban.refusal())),
            BanMode::Shadow => decision.add(bans::shadow_hold()),
        }
    }
    if rules.hold_for_review {
        decision.add(moderation::pre_moderation());
    }
    if let Some(same) = found.duplicate {
        decision.add(moderation::duplicate(same));
    }
    if decision.outcome != Outcome::Refuse {
        let needed = settings.trust_after;
        if let Some(reason) = untrusted(store, author, origin, guest_token_hash.as_deref(), needed).await? {
            let supporter = rules.supporters.skip_hold
                && supporter_status(store, author, &rules.supporters, now, &mut standing)
                    .await?
                    .is_supporter();
            if !supporter {
                decision.add(reason);
            }
        }
    }
    if let Some(refusal) = decision.refusal() {
        // A refusal counts too: a flood of refused posts is slowed like any other.
        for r in &rate {
            throttle::admit(store, &r.policy, &r.subject, now).await?;
        }
        return Err(DiscussionError::Refused(refusal.detail.clone()));
    }
    let (subscription, mail) = match &rules.notices {
        Some(composer) => {
            let poster =
                Poster { viewer: author, valid: &valid, guest_token_hash: guest_token_hash.as_deref() };
            // A held comment tells no one yet: its approval will (`moderators::decide`).
            let published = status_of(&decision) == CommentStatus::Published;
            let answered = parent.as_ref().filter(|_| published);
            let (subscription, mut mail) =
                comment_mail(store, composer.as_ref(), article, input, &poster, answered, now).await?;
            if published {
                let commenter = author.user.as_ref().map(|u| u.id);
                mail.author_notices = author_notices::notices_of_comment(
                    store,
                    composer.as_ref(),
                    article,
                    &valid,
                    commenter,
                    now,
                )
                .await?;
            }
            (subscription, mail)
        }
        None => (None, CommentMail::default()),
    };
    let record = CommentRecord {
        subscription,
        mail,
        article_id: article.id,
        parent,
        comment: valid,
        status: status_of(&decision),
        user_id,
        guest_token_hash,
        ip_hash: origin.ip_hash.clone(),
        body_hash,
        decision: Some(decision),
        rate,
        copies_since: (window > Duration::zero()).then(|| now - window),
    };
    match store.insert_comment(&record, now).await {
        Ok(comment) => Ok(comment),
        Err(StoreError::Throttled(t)) => Err(DiscussionError::Throttled(t)),
        Err(StoreError::Refused(why)) => Err(DiscussionError::Refused(why)),
        Err(e) => Err(e.into()),
    }
}

/// Who posts a comment, as reply notifications need to know them.
struct Poster<'a> {
    viewer: &'a Viewer,
    valid: &'a ValidComment,
    guest_token_hash: Option<&'a str>,
}

/// The request to hear of replies that a new comment makes (a guest's mailed a
/// confirmation), and the notice it sends the parent's subscriber: both written with it.
/// Each address receives at most `NOTICES_PER_RECIPIENT`, confirmations included.
/// `parent` is the comment answered by a reply about to be published.
async fn comment_mail<S: ReplySubscriptionStore + ThrottleStore>(
    store: &S,
    composer: &dyn Composer,
    article: &Article,
    input: &CommentInput,
    poster: &Poster<'_>,
    parent: Option<&Comment>,
    now: DateTime<Utc>,
) -> Result<(Option<NewSubscription>, CommentMail), StoreError> {
    let mut mail = CommentMail::default();
    let account = poster.viewer.user.as_ref();
    let email = account.map(|u| u.email.clone()).or_else(|| poster.valid.author_email.clone());
    let subscription = match (input.notify_replies, &email) {
        (true, Some(email)) => {
            let confirm_token_hash = match account {
                Some(_) => None,
                None => {
                    let (message, token_hash) = composer.confirmation(email, article);
                    if reply_notices::admitted(store, composer, email, now).await? {
                        mail.confirmation = Some(message);
                    }
                    Some(token_hash)
                }
            };
            Some(NewSubscription {
                email: email.clone(),
                user_id: account.map(|u| u.id),
                guest_token_hash: poster.guest_token_hash.map(str::to_owned),
                confirm_token_hash,
            })
        }
        _ => None,
    };
    if let Some(parent) = parent {
        let replier = Replier {
            user_id: account.map(|u| u.id),
            guest_token_hash: poster.guest_token_hash,
            email: email.as_deref(),
        };
        mail.reply_notice =
            reply_notices::notice_of_reply(store, composer, article, parent, poster.valid, &replier, now)
                .await?;
    }
    Ok((subscription, mail))
}

/// `author`'s supporter status, read once per post (a guest is never a supporter).
async fn supporter_status<S: SupporterStore>(
    store: &S,
    author: &Viewer,
    rules: &SupporterRules,
    now: DateTime<Utc>,
    read: &mut Option<supporters::Status>,
) -> Result<supporters::Status, StoreError> {
    if let Some(status) = read {
        return Ok(*status);
    }
    let status = match &author.user {
        Some(user) => store.supporter_status(user.id, now, rules.period).await?,
        None => supporters::Status::default(),
    };
    *read = Some(status);
    Ok(status)
}

/// The "new commenter" hold, when the site asks for `needed` approved comments first and
/// `author` (staff excepted) has fewer. A guest token made for this post has none: no query.
async fn untrusted<S: CommentStore>(
    store: &S,
    author: &Viewer,
    origin: &Origin,
    guest_token_hash: Option<&str>,
    needed: u32,
) -> Result<Option<Reason>, StoreError> {
    if needed == 0 || !trust::applies_to(author) {
        return Ok(None);
    }
    let user_id = author.user.as_ref().map(|u| u.id);
    let approved =
        if origin.new_guest { 0 } else { store.approved_comments(user_id, guest_token_hash, needed).await? };
    Ok((approved < needed).then(|| trust::new_commenter(approved, needed)))
}

/// The rate limits a new comment counts against: its author's (account, or a guest token
/// with a past) and its address's, kept in the database so every node shares them.
fn rate_counts(user_id: Option<i64>, guest_token_hash: Option<&str>, origin: &Origin) -> Vec<RateCount> {
    let who = match (user_id, guest_token_hash) {
        (Some(id), _) => Some(format!("u{id}")),
        (None, Some(hash)) if !origin.new_guest => Some(format!("g{hash}")),
        _ => None,
    };
    let author = who.map(|subject| RateCount { policy: moderation::COMMENT_PER_AUTHOR, subject });
    let address =
        origin.ip_hash.clone().map(|subject| RateCount { policy: moderation::COMMENT_PER_ADDRESS, subject });
    author.into_iter().chain(address).collect()
}

/// The status a decision gives a new comment (a refusal is never stored).
fn status_of(decision: &Decision) -> CommentStatus {
    match decision.outcome {
        Outcome::Publish => CommentStatus::Published,
        Outcome::Hold | Outcome::Refuse => CommentStatus::Pending,
    }
}

/// The comment being answered: on the same article, and one the author can see.
async fn reply_target<S: CommentStore>(
    store: &S,
    article: &Article,
    id: i64,
    author: &Viewer,
) -> Result<Comment, DiscussionError> {
    let unknown =
        || DiscussionError::Invalid(vec![FieldError::new("parent_id", "is not a comment on this article")]);
    let parent = store.comment(id).await?.filter(|p| p.article_id == article.id).ok_or_else(unknown)?;
    match parent.status {
        CommentStatus::Published => Ok(parent),
        CommentStatus::Pending | CommentStatus::Rejected if author.moderates() || author.wrote(&parent) => {
            Ok(parent)
        }
        CommentStatus::Deleted => Err(DiscussionError::Invalid(vec![FieldError::new(
            "parent_id",
            "was deleted: it can no longer be answered",
        )])),
        _ => Err(unknown()),
    }
}

/// Replaces the text of one's own comment, within the edit window.
pub async fn edit_comment<S: CommentStore>(
    store: &S,
    id: i64,
    body: &str,
    by: &Viewer,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<Comment, DiscussionError> {
    let comment = store.comment(id).await?.ok_or(DiscussionError::NotFound)?;
    if !by.wrote(&comment) {
        return Err(DiscussionError::Forbidden("only its author may edit a comment"));
    }
    if !by.may_edit(&comment, rules.edit_window, now) {
        return Err(DiscussionError::Forbidden("the time to edit this comment has passed"));
    }
    let input = CommentInput { body: body.to_owned(), ..Default::default() };
    // The name is not the author's to change here: checked as it stands.
    let valid = validate(&input, Some(&comment.author_name)).map_err(DiscussionError::Invalid)?;
    store.edit_comment(id, &valid.body_markdown, &valid.body_html, now).await?;
    store.comment(id).await?.ok_or(DiscussionError::NotFound)
}

/// Deletes a comment: its author (see [`Viewer::may_delete`]) or a moderator.
pub async fn delete_comment<S: CommentStore>(
    store: &S,
    id: i64,
    by: &Viewer,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<(Comment, Deletion), DiscussionError> {
    let comment = store.comment(id).await?.ok_or(DiscussionError::NotFound)?;
    if !by.may_delete(&comment, rules.edit_window, now) {
        return Err(DiscussionError::Forbidden(if by.wrote(&comment) {
            "the time to delete this comment has passed"
        } else {
            "only its author or a moderator may delete a comment"
        }));
    }
    let deletion = store.delete_comment(id).await?;
    Ok((comment, deletion))
}

/// What a moderator can do to a comment from the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Approve,
    Hide,
    Delete,
}

impl Moderation {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Moderation::Approve),
            "hide" => Some(Moderation::Hide),
            "delete" => Some(Moderation::Delete),
            _ => None,
        }
    }
}

/// A moderator's action from the article's page, through the same audited, compare-and-set
/// path as the queue's.
pub async fn moderate<S: crate::moderators::DecidingStore>(
    store: &S,
    id: i64,
    action: Moderation,
    by: &Viewer,
    notices: Option<&dyn Composer>,
    now: DateTime<Utc>,
) -> Result<Comment, ModerationError> {
    let Some(user) = by.user.as_ref().filter(|_| by.moderates()) else {
        return Err(ModerationError::Forbidden);
    };
    let verdict = match action {
        Moderation::Approve => Verdict::Approve,
        Moderation::Hide => Verdict::Hide,
        Moderation::Delete => Verdict::Delete,
    };
    let decided =
        crate::moderators::decide(store, id, verdict, None, &Actor::Moderator(user.clone()), notices, now)
            .await?;
    Ok(decided.before)
}

/// A reader's vote on a comment: up, down, or taking their vote back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Up,
    Down,
    Withdraw,
}

impl Vote {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "up" => Some(Vote::Up),
            "down" => Some(Vote::Down),
            "none" => Some(Vote::Withdraw),
            _ => None,
        }
    }

    pub fn value(self) -> i64 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
            Vote::Withdraw => 0,
        }
    }
}

/// Records a signed-in reader's vote; returns the comment with its new score.
pub async fn vote<S: CommentStore>(
    store: &S,
    id: i64,
    vote: Vote,
    by: &Viewer,
    now: DateTime<Utc>,
) -> Result<Comment, DiscussionError> {
    let comment = store.comment(id).await?.ok_or(DiscussionError::NotFound)?;
    let Some(user) = by.user.as_ref() else {
        return Err(DiscussionError::Forbidden("sign in to vote"));
    };
    if !by.may_vote(&comment) {
        return Err(DiscussionError::Forbidden("you cannot vote on this comment"));
    }
    let score = store.vote(id, user.id, vote.value(), now).await?;
    Ok(Comment { score, ..comment })
}

/// What became of a reader's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flagged {
    /// Counted; `held` when it was the flag that held the comment for a moderator.
    Counted { held: bool },
    /// This reader had flagged it before: a flag counts once, the first one stands.
    AlreadyFlagged,
    /// The comment already waits for a moderator: nothing to add.
    AlreadyHeld,
}

/// A reader flags someone else's published comment, once. Flags from the site's
/// `flags_to_hold` distinct readers hold it (once: a comment a moderator approved after
/// that is not held again by more flags); a moderator's flag holds it at once (their
/// judgement is what the readers' flags stand in for). Rate-limited per address.
pub async fn flag_comment<S: CommentStore + FlagStore + ThrottleStore>(
    store: &S,
    id: i64,
    reason: FlagReason,
    by: &Viewer,
    origin: &Origin,
    rules: &DiscussionRules,
    now: DateTime<Utc>,
) -> Result<(Comment, Flagged), DiscussionError> {
    let comment = store.comment(id).await?.ok_or(DiscussionError::NotFound)?;
    let flagger = may_flag(&comment, by, rules)?;
    if comment.status == CommentStatus::Pending {
        return Ok((comment, Flagged::AlreadyHeld));
    }
    let settings = &rules.moderation.settings;
    if let (true, Some(ip_hash)) = (settings.rate_limit, &origin.ip_hash) {
        throttle::admit(store, &flags::FLAG_PER_ADDRESS, ip_hash, now).await?;
    }
    let hold = match settings.flags_to_hold {
        _ if by.moderates() => FlagHold::Now,
        0 => FlagHold::Never,
        n => FlagHold::AtCount(n),
    };
    let flag = NewFlag {
        comment_id: id,
        flagger,
        user_id: by.user.as_ref().map(|u| u.id),
        reason,
        ip_hash: origin.ip_hash.clone(),
    };
    let flagged = match store.add_flag(&flag, hold, now).await? {
        FlagWrite::AlreadyFlagged => Flagged::AlreadyFlagged,
        FlagWrite::NotPublished => Flagged::AlreadyHeld,
        FlagWrite::Counted { held, .. } => Flagged::Counted { held },
    };
    Ok((comment, flagged))
}

/// Who may flag `comment`, and as whom (see [`Viewer::may_flag`]): a held comment may be
/// flagged (it is answered as already held), a hidden or deleted one is not found.
pub fn may_flag(comment: &Comment, by: &Viewer, rules: &DiscussionRules) -> Result<String, DiscussionError> {
    if !matches!(comment.status, CommentStatus::Published | CommentStatus::Pending) {
        return Err(DiscussionError::NotFound);
    }
    if by.wrote(comment) {
        return Err(DiscussionError::Forbidden("you cannot flag your own comment"));
    }
    let sign_in = DiscussionError::Forbidden("sign in to flag a comment");
    if by.user.is_none() && !rules.allow_guests {
        return Err(sign_in);
    }
    flags::flagger(by).ok_or(sign_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::test_comment;

    fn rules(allow_guests: bool) -> DiscussionRules {
        DiscussionRules {
            allow_guests,
            edit_window: Duration::minutes(15),
            close_after: None,
            hold_for_review: false,
            closed: false,
            moderation: Arc::default(),
            ban_mode: Default::default(),
            notices: None,
            supporters: Default::default(),
        }
    }

    #[test]
    fn readers_flag_others_visible_comments_as_one_account_or_browser() {
        let mut c = test_comment(1, None);
        c.guest_token_hash = Some("author".into());
        let guest = |t: &str| Viewer { user: None, guest_token_hash: Some(t.into()) };
        assert_eq!(may_flag(&c, &guest("other"), &rules(true)).unwrap(), "gother");
        let own = may_flag(&c, &guest("author"), &rules(true)).unwrap_err();
        assert!(matches!(own, DiscussionError::Forbidden(m) if m.contains("own comment")));
        let no_guests = may_flag(&c, &guest("other"), &rules(false)).unwrap_err();
        assert!(matches!(no_guests, DiscussionError::Forbidden(m) if m.contains("sign in")));
        c.status = CommentStatus::Pending;
        assert!(may_flag(&c, &guest("other"), &rules(true)).is_ok(), "answered as already held");
        for gone in [CommentStatus::Rejected, CommentStatus::Deleted] {
            c.status = gone;
            assert!(matches!(may_flag(&c, &guest("other"), &rules(true)), Err(DiscussionError::NotFound)));
        }
    }
}
