//! Articles: what an editor writes, what a reader sees, and when a reader may see it.

use chrono::{DateTime, Utc};

use crate::slug::{Slug, SlugError};

/// Bodies longer than this are refused: a news article is rarely over 50 kB of Markdown,
/// and a megabyte is almost certainly a mistake (a pasted binary, a runaway export).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 1000;

/// Where an article is in its life. A scheduled article becomes public by itself once its
/// publication time has passed; nothing has to run at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ArticleStatus::Draft),
            "scheduled" => Some(ArticleStatus::Scheduled),
            "published" => Some(ArticleStatus::Published),
            _ => None,
        }
    }
}

/// What an article row is: the news (`article`: lists, feeds, search), a standalone page
/// (`page`), or the discussion of a page on another site (`embedded`, see `embed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ArticleKind {
    #[default]
    Article,
    Page,
    Embedded,
}

impl ArticleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleKind::Article => "article",
            ArticleKind::Page => "page",
            ArticleKind::Embedded => "embedded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "article" => Some(ArticleKind::Article),
            "page" => Some(ArticleKind::Page),
            "embedded" => Some(ArticleKind::Embedded),
            _ => None,
        }
    }
}

/// The publication an article first appeared in, credited and linked on the page and
/// named as the canonical URL so search engines send readers to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syndication {
    pub source_name: String,
    pub source_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    pub alt: String,
}

/// A name with its slug: enough to link to an author's or a tag's page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamedLink {
    pub slug: Slug,
    pub name: String,
}

/// An article as stored, with its byline and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub id: i64,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub syndication: Option<Syndication>,
    pub image: Option<Image>,
    pub authors: Vec<NamedLink>,
    pub tags: Vec<NamedLink>,
    /// An editor closed the discussion.
    pub comments_closed: bool,
    /// Published comments, for lists and metadata.
    pub comment_count: i64,
}

impl Article {
    /// Whether a reader may see the article at `now`.
    pub fn is_public_at(&self, now: DateTime<Utc>) -> bool {
        is_public(self.status, self.published_at, now)
    }

    /// The state an editor should read at `now`: the stored status says what was asked for,
    /// but a scheduled article whose time has come is published.
    pub fn status_at(&self, now: DateTime<Utc>) -> ArticleStatus {
        match self.status {
            ArticleStatus::Draft => ArticleStatus::Draft,
            _ if self.is_public_at(now) => ArticleStatus::Published,
            _ => ArticleStatus::Scheduled,
        }
    }
}

/// The one rule for visibility; the store's queries implement the same rule in SQL
/// (`status <> 'draft' AND published_at <= now`).
pub fn is_public(status: ArticleStatus, published_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    status != ArticleStatus::Draft && published_at.is_some_and(|at| at <= now)
}

/// What an editor submits, from a Markdown file or the admin form, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleInput {
    pub slug: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub body_markdown: String,
    pub status: Option<ArticleStatus>,
    pub published_at: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub source_name: Option<String>,
    pub source_url: Option<String>,
    pub image: Option<String>,
    pub image_alt: Option<String>,
}

/// A problem with one field of an [`ArticleInput`]; `field` is the front matter key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        FieldError { field, problem: problem.into() }
    }
}

/// An article that passed validation: every field is known to be well formed.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidArticle {
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub authors: Vec<NamedLink>,
    pub tags: Vec<NamedLink>,
    pub syndication: Option<Syndication>,
    pub image: Option<Image>,
}

impl ArticleInput {
    /// Checks every field and returns all problems at once, so an editor fixes a file in
    /// one pass. `now` fills in the publication time of an article published without one.
    pub fn validate(self, now: DateTime<Utc>) -> Result<ValidArticle, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = crate::text::normalized(self.title.trim());
        if !crate::text::has_visible(&title) {
            errors.push(FieldError::new("title", "is required"));
        } else if let Some(c) = crate::text::control_character(&title) {
            errors.push(FieldError::new("title", crate::text::control_message(c)));
        } else if title.chars().count() > MAX_TITLE_CHARS {
            errors.push(FieldError::new("title", format!("is longer than {MAX_TITLE_CHARS} characters")));
        }
        let slug = match self.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Slug::parse(s),
            None => Slug::from_text(&title),
        };
        let slug = slug.map_err(|e| errors.push(FieldError::new("slug", e.to_string()))).ok();
        if let Some(c) = crate::text::control_character(&self.body_markdown) {
            errors.push(FieldError::new("body", crate::text::control_message(c)));
        } else if self.body_markdown.len() > MAX_BODY_BYTES {
            errors.push(FieldError::new(
                "body",
                format!("is {} bytes; the limit is {MAX_BODY_BYTES} bytes", self.body_markdown.len()),
            ));
        }
        let summary = match self.summary.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() > MAX_SUMMARY_CHARS => {
                errors.push(FieldError::new(
                    "summary",
                    format!("is longer than {MAX_SUMMARY_CHARS} characters"),
                ));
                s
            }
            Some(s) => s,
            None => crate::markdown::summarize(&self.body_markdown, 240),
        };
        let status = self.status.unwrap_or(ArticleStatus::Published);
        let published_at = match (status, self.published_at) {
            (ArticleStatus::Scheduled, None) => {
                errors.push(FieldError::new("published_at", "is required for a scheduled article"));
                None
            }
            (ArticleStatus::Published, None) => Some(now),
            (_, at) => at,
        };
        let authors = named_links("authors", &self.authors, &mut errors);
        let tags = named_links("tags", &self.tags, &mut errors);
        let syndication = syndication(self.source_name, self.source_url, &mut errors);
        let image = image(self.image, self.image_alt, &mut errors);
        match (errors.is_empty(), slug) {
            (true, Some(slug)) => Ok(ValidArticle {
                slug,
                title,
                summary,
                body_markdown: self.body_markdown,
                status,
                published_at,
                authors,
                tags,
                syndication,
                image,
            }),
            _ => Err(errors),
        }
    }
}

fn named_links(field: &'static str, names: &[String], errors: &mut Vec<FieldError>) -> Vec<NamedLink> {
    let mut links: Vec<NamedLink> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match Slug::from_text(name) {
            Ok(slug) if links.iter().any(|l| l.slug == slug) => {}
            Ok(slug) => links.push(NamedLink { slug, name: name.to_owned() }),
            Err(SlugError::Empty) | Err(SlugError::Invalid(_)) | Err(SlugError::TooLong) => errors.push(
                FieldError::new(field, format!("\"{name}\" has no letters or digits to make a link from")),
            ),
        }
    }
    links
}

fn syndication(
    name: Option<String>,
    url: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<Syndication> {
    let name = name.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let url = url.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match (name, url) {
        (None, None) => None,
        (Some(_), None) => {
            errors.push(FieldError::new("source_url", "is required when source_name is given"));
            None
        }
        (None, Some(_)) => {
            errors.push(FieldError::new("source_name", "is required when source_url is given"));
            None
        }
        (Some(source_name), Some(source_url)) => {
            if !is_absolute_http_url(&source_url) {
                errors.push(FieldError::new("source_url", "must be an absolute http:// or https:// URL"));
                return None;
            }
            Some(Syndication { source_name, source_url })
        }
    }
}

fn image(url: Option<String>, alt: Option<String>, errors: &mut Vec<FieldError>) -> Option<Image> {
    let url = url.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    // A site-relative path or an absolute http(s) URL: nothing that runs script.
    if !(url.starts_with('/') && !url.starts_with("//") || is_absolute_http_url(&url)) {
        errors.push(FieldError::new("image", "must be a path starting with / or an http(s) URL"));
        return None;
    }
    let alt = alt.map(|s| s.trim().to_owned()).unwrap_or_default();
    if alt.is_empty() {
        errors.push(FieldError::new(
            "image_alt",
            "is required when image is given (describe the image for readers who cannot see it)",
        ));
        return None;
    }
    Some(Image { url, alt })
}

/// `http://host…` or `https://host…` with a non-empty host and no whitespace.
pub fn is_absolute_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty()
            && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
    }

    fn input() -> ArticleInput {
        ArticleInput {
            title: "Hello, World".into(),
            body_markdown: "First paragraph.\n\nSecond.".into(),
            authors: vec!["Ada Lovelace".into(), "ada lovelace".into()],
            tags: vec!["Science".into()],
            ..Default::default()
        }
    }

    #[test]
    fn fills_in_slug_summary_status_and_date() {
        let a = input().validate(now()).unwrap();
        assert_eq!(a.slug.as_str(), "hello-world");
        assert_eq!(a.summary, "First paragraph. Second.");
        assert_eq!(a.status, ArticleStatus::Published);
        assert_eq!(a.published_at, Some(now()));
        assert_eq!(a.authors.len(), 1, "the same author twice is credited once");
        assert_eq!(a.tags[0].slug.as_str(), "science");
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let bad = ArticleInput {
            title: " ".into(),
            slug: Some("Not A Slug".into()),
            body_markdown: "x".repeat(MAX_BODY_BYTES + 1),
            status: Some(ArticleStatus::Scheduled),
            source_name: Some("Elsewhere".into()),
            source_url: Some("javascript:alert(1)".into()),
            image: Some("data:image/png;base64,AAAA".into()),
            ..Default::default()
        };
        let fields: Vec<_> = bad.validate(now()).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "slug", "body", "published_at", "source_url", "image"]);
    }

    #[test]
    fn scheduled_articles_become_public_at_their_time() {
        let later = now() + chrono::Duration::hours(1);
        assert!(!is_public(ArticleStatus::Scheduled, Some(later), now()));
        assert!(is_public(ArticleStatus::Scheduled, Some(later), later));
        assert!(!is_public(ArticleStatus::Draft, Some(now()), later));
    }

    #[test]
    fn syndication_needs_both_name_and_http_url() {
        let mut a = input();
        a.source_name = Some("The Review".into());
        assert_eq!(a.clone().validate(now()).unwrap_err()[0].field, "source_url");
        a.source_url = Some("https://review.example/story".into());
        let s = a.validate(now()).unwrap().syndication.unwrap();
        assert_eq!(s.source_url, "https://review.example/story");
    }
}
