//! What templates receive: articles with their dates and URLs worked out, and pagers.
//! Formatting lives here so templates stay declarative.

use chrono::{DateTime, SecondsFormat, Utc};
use tribune_core::article::Article;
use tribune_core::media::{Media, MediaStore, name_in_url};
use tribune_core::store::{Page, StoreError};

use crate::config::Config;
use crate::theme::{Link, PagerVars, Story, StoryDate, StoryImage};

pub struct DateView {
    /// For `<time datetime>` and machine-readable metadata.
    pub iso: String,
    /// For people: "1 March 2026".
    pub display: String,
}

pub fn date(t: DateTime<Utc>) -> DateView {
    DateView { iso: iso(t), display: t.format("%-d %B %Y").to_string() }
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub struct ArticleView<'a> {
    pub a: &'a Article,
    pub url: String,
    pub date: Option<DateView>,
    /// The article's image when it is one of ours (`/media/…`): its sizes and copies give
    /// `srcset` and `width`/`height`, so the page does not shift as it loads.
    pub media: Option<Media>,
}

impl<'a> ArticleView<'a> {
    pub fn new(a: &'a Article) -> Self {
        let url = tribune_core::article::public_path(a.kind, &a.slug);
        ArticleView { a, url, date: a.published_at.map(date), media: None }
    }

    /// The article as a theme's template `name` sees it, its image sized as the built-in
    /// template of that name has it.
    pub fn story(&self, name: &str) -> Story {
        let (width, sizes) = match name {
            "lead.html" => (960, super::pages::LEAD_SIZES),
            "story.html" => (480, STORY_SIZES),
            "card.html" => (240, THUMB_SIZES),
            _ => (960, COLUMN_SIZES),
        };
        let link = |name: &str, url: String| Link { name: name.to_owned(), url };
        let image = self.media.as_ref().zip(self.a.image.as_ref()).map(|(m, img)| StoryImage {
            src: m.path_for_width(width),
            srcset: m.srcset(),
            sizes: sizes.to_owned(),
            width: m.width,
            height: m.height,
            alt: img.alt.clone(),
        });
        Story {
            title: self.a.title.clone(),
            url: self.url.clone(),
            summary: self.a.summary.clone(),
            authors: self
                .a
                .authors
                .iter()
                .map(|au| link(&au.name, format!("/authors/{}", au.slug)))
                .collect(),
            syndicated: self.a.syndication.as_ref().map(|s| link(&s.source_name, s.source_url.clone())),
            date: self.date.as_ref().map(|d| StoryDate { iso: d.iso.clone(), display: d.display.clone() }),
            comment_count: self.a.comment_count,
            tags: self.a.tags.iter().map(|t| link(&t.name, format!("/tags/{}", t.slug))).collect(),
            image,
        }
    }
}

pub fn article_views(articles: &[Article]) -> Vec<ArticleView<'_>> {
    articles.iter().map(ArticleView::new).collect()
}

/// `sizes` for an image as wide as the text column (46rem less the side padding).
pub const COLUMN_SIZES: &str = "(max-width: 46rem) calc(100vw - 2rem), 44rem";
/// `sizes` for a story's image on the front page: a third of the wide column, a half on
/// a tablet, the whole width on a phone.
pub const STORY_SIZES: &str = "(min-width: 60rem) 22rem, (min-width: 36rem) 45vw, calc(100vw - 2rem)";
/// `sizes` for a list's thumbnail (`.card-with-image .thumb`).
pub const THUMB_SIZES: &str = "(max-width: 30rem) 6rem, 9rem";

/// Each article's stored image (`None` for none, or one not ours), all in one query.
pub async fn media_of(
    store: &impl MediaStore,
    articles: &[&Article],
) -> Result<Vec<Option<Media>>, StoreError> {
    let name_of = |a: &Article| a.image.as_ref().and_then(|i| name_in_url(&i.url)).map(str::to_owned);
    let names: Vec<String> = articles.iter().filter_map(|a| name_of(a)).collect();
    if names.is_empty() {
        return Ok(vec![None; articles.len()]);
    }
    let found = store.media_by_names(&names.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    Ok(articles
        .iter()
        .map(|a| name_of(a).and_then(|n| found.iter().find(|m| m.name == n).cloned()))
        .collect())
}

/// Fills in each view's stored image.
pub async fn with_media<'a>(
    store: &impl MediaStore,
    mut views: Vec<ArticleView<'a>>,
) -> Result<Vec<ArticleView<'a>>, StoreError> {
    let articles: Vec<&Article> = views.iter().map(|v| v.a).collect();
    for (view, media) in views.iter_mut().zip(media_of(store, &articles).await?) {
        view.media = media;
    }
    Ok(views)
}

/// Links to the neighbouring pages of a paginated list at `base` (which may carry a query).
pub struct Pager {
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// As a theme's templates see it.
    pub fn vars(&self) -> PagerVars {
        PagerVars { newer: self.prev.clone(), older: self.next.clone() }
    }

    pub fn new<T>(base: &str, page: &Page<T>) -> Self {
        let link = |n: u32| {
            let sep = if base.contains('?') { '&' } else { '?' };
            if n == 1 && !base.contains('?') { base.to_owned() } else { format!("{base}{sep}page={n}") }
        };
        Pager {
            prev: (page.number > 1).then(|| link(page.number - 1)),
            next: page.has_next.then(|| link(page.number + 1)),
        }
    }
}

/// schema.org `NewsArticle` for search engines, as JSON-LD. `<` is escaped so that no
/// title can close the script element it sits in.
pub fn news_article_json_ld(config: &Config, a: &Article) -> String {
    let url = config.url(&format!("/articles/{}", a.slug));
    let mut ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.title,
        "description": a.summary,
        "url": url,
        "mainEntityOfPage": url,
        "dateModified": iso(a.updated_at),
        "author": a.authors.iter().map(|au| serde_json::json!({
            "@type": "Person",
            "name": au.name,
            "url": config.url(&format!("/authors/{}", au.slug)),
        })).collect::<Vec<_>>(),
        "publisher": { "@type": "Organization", "name": config.site_title, "url": config.base_url },
        "keywords": a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "inLanguage": config.language,
        "commentCount": a.comment_count,
    });
    if let Some(published) = a.published_at {
        ld["datePublished"] = iso(published).into();
    }
    if let Some(image) = &a.image {
        ld["image"] = absolute(config, &image.url).into();
    }
    if let Some(s) = &a.syndication {
        ld["isBasedOn"] = s.source_url.clone().into();
        ld["sourceOrganization"] =
            serde_json::json!({ "@type": "Organization", "name": s.source_name, "url": s.source_url });
    }
    ld.to_string().replace('<', "\\u003c")
}

/// Site-relative image paths become absolute for feeds and metadata.
pub fn absolute(config: &Config, url: &str) -> String {
    if url.starts_with('/') { config.url(url) } else { url.to_owned() }
}
