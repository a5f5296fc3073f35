//! The use cases of writing: save an article (new or existing), change its status, add a
//! user. Each checks who may do it, validates, renders, and stores.

use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleInput, ArticleStatus, FieldError, NamedLink};
use crate::markdown::render_article;
use crate::password::hash_password;
use crate::slug::Slug;
use crate::store::{ArticleStore, StoreError, UserRecord, UserStore};
use crate::user::{NewUser, Role, User, UserError, normalize_email, valid_name};
use crate::work::{Busy, Worker};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the article has errors: {}", join(.0))]
    Invalid(Vec<FieldError>),
    #[error("slug: another article already uses this slug")]
    SlugTaken,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such article")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

fn join(errors: &[FieldError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl From<StoreError> for PublishError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => PublishError::SlugTaken,
            StoreError::NotFound => PublishError::NotFound,
            e => PublishError::Store(e),
        }
    }
}

/// Which article a save writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTarget {
    /// A new article; its slug must be free.
    New,
    /// The article with this id (its slug may change).
    Existing(i64),
    /// Whatever article has the input's slug, or a new one: what publishing a file does.
    BySlug,
}

/// The outcome of a save: the article as stored and, for an update, as it was before,
/// so callers can tell exactly which pages changed.
#[derive(Debug, Clone)]
pub struct Saved {
    pub article: Article,
    pub previous: Option<Article>,
}

/// Saves an article. `by` is the signed-in user, or `None` for the operator's command line,
/// which may do anything.
pub async fn save_article<S: ArticleStore>(
    store: &S,
    target: SaveTarget,
    mut input: ArticleInput,
    by: Option<&User>,
    now: DateTime<Utc>,
) -> Result<Saved, PublishError> {
    if let Some(user) = by {
        if !user.can_write_articles() {
            return Err(PublishError::Forbidden("your role cannot write articles"));
        }
        // An author who names nobody writes under their own byline.
        if input.authors.iter().all(|a| a.trim().is_empty()) {
            input.authors = user.author.iter().map(|a| a.name.clone()).collect();
        }
    }
    let valid = input.validate(now).map_err(PublishError::Invalid)?;
    let previous = match target {
        SaveTarget::New => None,
        SaveTarget::Existing(id) => Some(store.article_by_id(id).await?.ok_or(PublishError::NotFound)?),
        SaveTarget::BySlug => store.article_by_slug(&valid.slug).await?,
    };
    if let Some(user) = by {
        let owns_previous = previous.as_ref().is_none_or(|p| user.can_edit(p));
        if !owns_previous || !(user.can_edit_any() || user.is_credited_on(&valid.authors)) {
            return Err(PublishError::Forbidden("authors can only edit articles that credit them"));
        }
    }
    let html = render_article(&valid.body_markdown, valid.slug.as_str());
    let article = store.save_article(previous.as_ref().map(|p| p.id), &valid, &html, now).await?;
    Ok(Saved { article, previous })
}

/// Publishes, schedules or unpublishes (back to draft) an existing article.
pub async fn change_status<S: ArticleStore>(
    store: &S,
    id: i64,
    status: ArticleStatus,
    at: Option<DateTime<Utc>>,
    by: &User,
    now: DateTime<Utc>,
) -> Result<Saved, PublishError> {
    let previous = store.article_by_id(id).await?.ok_or(PublishError::NotFound)?;
    if !by.can_edit(&previous) {
        return Err(PublishError::Forbidden("authors can only edit articles that credit them"));
    }
    let published_at = match status {
        ArticleStatus::Scheduled => Some(at.ok_or_else(|| {
            PublishError::Invalid(vec![FieldError::new("published_at", "is required to schedule an article")])
        })?),
        ArticleStatus::Published => Some(at.or(previous.published_at.filter(|p| *p <= now)).unwrap_or(now)),
        ArticleStatus::Draft => previous.published_at,
    };
    let article = store.set_article_status(id, status, published_at, now).await?;
    Ok(Saved { article, previous: Some(previous) })
}

#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    #[error(transparent)]
    Invalid(#[from] UserError),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Store(StoreError),
}

/// Creates a user with a hashed password and a byline derived from their name. The hash is
/// computed by `work` (on the server, a bounded pool).
pub async fn add_user<S: UserStore, W: Worker>(
    store: &S,
    work: &W,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<User, AddUserError> {
    let email = normalize_email(&new.email)?;
    let name = valid_name(&new.name)?;
    let author_slug = Slug::from_text(&name).map_err(|_| UserError::MissingName)?;
    let password = new.password;
    let password_hash =
        work.run(move || hash_password(&password)).await?.map_err(|e| UserError::Password(e.to_string()))?;
    let record = UserRecord {
        email,
        name: name.clone(),
        role: new.role,
        password_hash,
        // A reader who shares a journalist's name must not take over their byline.
        author: (new.role != Role::Reader).then_some(NamedLink { slug: author_slug, name }),
    };
    store.create_user(&record, now).await.map_err(|e| match e {
        StoreError::Conflict(_) => AddUserError::Invalid(UserError::EmailTaken),
        e => AddUserError::Store(e),
    })
}
