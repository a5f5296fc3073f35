//! The public pages readers browse: front page, articles, tags, authors and search.
//! Everything but search is served from the page cache.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Deserialize;
use tribune_core::article::{Article, ArticleKind, NamedLink};
use tribune_core::comment::Viewer;
use tribune_core::discussion::guest_has_own_on_page;
use tribune_core::search::SearchQuery;
use tribune_core::slug::Slug;
use tribune_core::store::{ArticleFilter, ArticleStore, PageRequest};
use tribune_core::thread::{CommentSort, Cursor};

use super::auth::Reader;
use super::csrf::CsrfToken;
use super::reader_page;
use super::thread_view::{self, ThreadView};
use super::views::{ArticleView, Pager, article_views, news_article_json_ld, with_media};
use super::{AppError, AppState, Asked, cached, cached_with_form, render_public, with_bar};
use crate::cache::{FORM_TOKEN, FRONT, article_key, author_key, tag_key};
use crate::config::Config;
use crate::theme::{self, FrontVars, ListVars};

const HTML: &str = "text/html; charset=utf-8";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(front_page))
        .route("/articles/{slug}", get(article_page))
        .route("/tags/{slug}", get(tag_page))
        .route("/authors/{slug}", get(author_page))
        .route("/search", get(search_page))
        // Matched last: every fixed route above wins, and a page may not take one of
        // their names (`RESERVED_PAGE_SLUGS`).
        .route("/{slug}", get(standalone_page))
}

#[derive(Deserialize)]
pub struct PageParam {
    pub page: Option<String>,
}

impl PageParam {
    /// Page 1 when absent; a page that is not a positive number is a bad request.
    pub fn number(&self) -> Result<u32, AppError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| AppError::BadRequest(format!("\"{p}\" is not a page number."))),
        }
    }
}

/// The cache key of page `n` of a list: one key per page, whatever else the query holds.
fn list_path(base: &str, n: u32) -> String {
    if n == 1 { base.to_owned() } else { format!("{base}?page={n}") }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage<'a> {
    site: &'a Config,
    heading: &'a str,
    is_front: bool,
    feed_base: String,
    articles: Vec<ArticleView<'a>>,
    pager: Pager,
    canonical: String,
    /// The theme's `list.html` in place of the built-in main content, if it has one.
    themed_main: Option<String>,
}

impl ListPage<'_> {
    fn themed(&self) -> Option<String> {
        if !self.site.theme.replaces("list.html") {
            return None;
        }
        let list = ListVars {
            heading: self.heading.to_owned(),
            stories: self.articles.iter().map(|v| v.story("card.html")).collect(),
            pager: self.pager.vars(),
            feed: (!self.feed_base.is_empty()).then(|| self.feed_base.clone()),
        };
        self.site.theme.render_list(self.site, &list)
    }
}

/// What a list page shows and where: the front page, a tag's or an author's page.
struct ListSpec {
    filter: ArticleFilter,
    heading: String,
    base: String,
    /// Where the list's own feeds are, if it has any beside the site's.
    feed_base: String,
    cache_key: String,
}

async fn serve_list(state: &AppState, asked: &Asked, spec: ListSpec, n: u32) -> Result<Response, AppError> {
    let path = list_path(&spec.base, n);
    let render = async {
        let request = PageRequest::new(n, state.site().articles_per_page);
        let page = state.store.public_articles(&spec.filter, Utc::now(), request).await?;
        if page.items.is_empty() && n > 1 {
            return Err(AppError::NotFound);
        }
        let mut list = ListPage {
            site: &state.site(),
            heading: &spec.heading,
            is_front: spec.filter == ArticleFilter::All,
            feed_base: spec.feed_base.clone(),
            articles: with_media(&state.store, article_views(&page.items)).await?,
            pager: Pager::new(&spec.base, &page),
            canonical: state.config.url(&path),
            themed_main: None,
        };
        list.themed_main = list.themed();
        Ok(list.render()?)
    };
    cached(state, asked, path.clone(), HTML, vec![spec.cache_key.clone()], render).await
}

/// Sections by tag on the front page, and stories in each.
const FRONT_SECTIONS: u32 = 3;
const SECTION_STORIES: usize = 3;

/// The front page's first page: a news site's, not a list.
#[derive(Template)]
#[template(path = "front.html")]
struct FrontPage<'a> {
    site: &'a Config,
    canonical: String,
    /// The newest story with an image, shown large.
    lead: Option<ArticleView<'a>>,
    latest: Vec<ArticleView<'a>>,
    sections: Vec<Section<'a>>,
    pager: Pager,
    /// The theme's `front.html` in place of the built-in main content, if it has one.
    themed_main: Option<String>,
}

struct Section<'a> {
    tag: NamedLink,
    stories: Vec<ArticleView<'a>>,
}

impl FrontPage<'_> {
    fn themed(&self) -> Option<String> {
        if !self.site.theme.replaces("front.html") {
            return None;
        }
        let stories = |views: &[ArticleView]| views.iter().map(|v| v.story("story.html")).collect();
        let front = FrontVars {
            lead: self.lead.as_ref().map(|v| v.story("lead.html")),
            latest: stories(&self.latest),
            sections: self
                .sections
                .iter()
                .map(|s| theme::Section {
                    name: s.tag.name.clone(),
                    url: format!("/tags/{}", s.tag.slug),
                    stories: stories(&s.stories),
                })
                .collect(),
            pager: self.pager.vars(),
        };
        self.site.theme.render_front(self.site, &front)
    }
}

/// `sizes` for the lead story's image: most of the wide column on a desktop.
pub const LEAD_SIZES: &str = "(min-width: 60rem) 42rem, calc(100vw - 2rem)";

/// Page 1 of the front page: the lead story, the rest of the newest, then a few stories
/// from each of the most used tags (none shown above twice).
async fn render_front(state: &AppState) -> Result<String, AppError> {
    let now = Utc::now();
    let site = state.site();
    let page = state
        .store
        .public_articles(&ArticleFilter::All, now, PageRequest::new(1, site.articles_per_page))
        .await?;
    let tags = state.store.popular_tags(now, FRONT_SECTIONS).await?;
    let mut tagged = Vec::with_capacity(tags.len());
    for tag in &tags {
        // Enough to fill the section after leaving out the stories already above.
        let size = site.articles_per_page + SECTION_STORIES as u32;
        let list = state
            .store
            .public_articles(&ArticleFilter::Tag(tag.slug.clone()), now, PageRequest::new(1, size))
            .await?;
        tagged.push(list.items);
    }
    let mut latest = with_media(&state.store, article_views(&page.items)).await?;
    let lead = latest.iter().position(|v| v.media.is_some()).map(|i| latest.remove(i));
    let mut shown: Vec<i64> = page.items.iter().map(|a| a.id).collect();
    let mut sections = Vec::new();
    for (tag, items) in tags.into_iter().zip(&tagged) {
        let picked: Vec<&Article> =
            items.iter().filter(|a| !shown.contains(&a.id)).take(SECTION_STORIES).collect();
        if picked.is_empty() {
            continue;
        }
        shown.extend(picked.iter().map(|a| a.id));
        let views = with_media(&state.store, picked.into_iter().map(ArticleView::new).collect()).await?;
        sections.push(Section { tag, stories: views });
    }
    let mut front = FrontPage {
        site: &site,
        canonical: state.config.url("/"),
        lead,
        latest,
        sections,
        pager: Pager::new("/", &page),
        themed_main: None,
    };
    front.themed_main = front.themed();
    Ok(front.render()?)
}

async fn front_page(
    State(state): State<AppState>,
    asked: Asked,
    Query(q): Query<PageParam>,
) -> Result<Response, AppError> {
    let n = q.number()?;
    if n == 1 {
        let render = render_front(&state);
        return cached(&state, &asked, "/".into(), HTML, vec![FRONT.into()], render).await;
    }
    let spec = ListSpec {
        filter: ArticleFilter::All,
        heading: state.site().site_title.clone(),
        base: "/".into(),
        feed_base: String::new(),
        cache_key: FRONT.into(),
    };
    serve_list(&state, &asked, spec, n).await
}

async fn tag_page(
    State(state): State<AppState>,
    asked: Asked,
    Path(slug): Path<String>,
    Query(q): Query<PageParam>,
) -> Result<Response, AppError> {
    let n = q.number()?;
    let tag = named(state.store.tag_by_slug(&parse_slug(&slug)?).await?)?;
    let base = format!("/tags/{}", tag.slug);
    let spec = ListSpec {
        heading: format!("Tagged “{}”", tag.name),
        feed_base: base.clone(),
        base,
        cache_key: tag_key(tag.slug.as_str()),
        filter: ArticleFilter::Tag(tag.slug),
    };
    serve_list(&state, &asked, spec, n).await
}

async fn author_page(
    State(state): State<AppState>,
    asked: Asked,
    Path(slug): Path<String>,
    Query(q): Query<PageParam>,
) -> Result<Response, AppError> {
    let n = q.number()?;
    let author = named(state.store.author_by_slug(&parse_slug(&slug)?).await?)?;
    let spec = ListSpec {
        heading: format!("Articles by {}", author.name),
        base: format!("/authors/{}", author.slug),
        feed_base: String::new(),
        cache_key: author_key(author.slug.as_str()),
        filter: ArticleFilter::Author(author.slug),
    };
    serve_list(&state, &asked, spec, n).await
}

pub fn parse_slug(s: &str) -> Result<Slug, AppError> {
    Slug::parse(s).map_err(|_| AppError::NotFound)
}

fn named(link: Option<NamedLink>) -> Result<NamedLink, AppError> {
    link.ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage<'a> {
    pub site: &'a Config,
    pub view: ArticleView<'a>,
    pub slug: &'a str,
    pub canonical: String,
    pub own_url: String,
    pub json_ld: String,
    pub image_url: Option<String>,
    /// Shown in the admin's preview: a banner, and no indexing.
    pub preview: bool,
    /// The discussion; none in a preview.
    pub thread: Option<ThreadView>,
    /// The token for the page's forms: the cache's placeholder on a cached page.
    pub csrf: String,
    pub form: CommentForm,
    pub signed_in_as: Option<String>,
    /// The body as readers get it: the stored HTML with its library images' sizes.
    pub body: String,
    /// Whether the body shows a video, which the page's script loads on a click.
    pub has_video: bool,
}

/// What the comment form holds: empty, or what a reader sent back with its errors.
#[derive(Debug, Clone, Default)]
pub struct CommentForm {
    pub body: String,
    pub author_name: String,
    pub author_email: String,
    pub notify_replies: bool,
    pub parent_id: Option<i64>,
    pub errors: Vec<String>,
}

impl<'a> ArticlePage<'a> {
    pub fn new(site: &'a Config, article: &'a Article, preview: bool) -> Self {
        let own_url = site.url(&format!("/articles/{}", article.slug));
        let canonical =
            article.syndication.as_ref().map_or_else(|| own_url.clone(), |s| s.source_url.clone());
        ArticlePage {
            site,
            view: ArticleView::new(article),
            slug: article.slug.as_str(),
            canonical,
            own_url,
            json_ld: news_article_json_ld(site, article),
            image_url: article.image.as_ref().map(|i| super::views::absolute(site, &i.url)),
            preview,
            thread: None,
            csrf: String::new(),
            form: CommentForm::default(),
            signed_in_as: None,
            body: article.body_html.clone(),
            has_video: article.body_html.contains("<figure class=\"video\""),
        }
    }
}

impl ArticlePage<'_> {
    /// Finds the article's image and its body's images among the uploaded ones (one query),
    /// for their `srcset` and sizes.
    pub async fn find_media(&mut self, store: &tribune_store::Store) -> Result<(), AppError> {
        use tribune_core::markdown::images;
        use tribune_core::media::{MediaStore, name_in_url};
        let article = self.view.a;
        let lead = article.image.as_ref().and_then(|i| name_in_url(&i.url));
        let mut names = images::media_names(&article.body_html);
        names.extend(lead);
        if names.is_empty() {
            return Ok(());
        }
        let found = store.media_by_names(&names).await?;
        self.view.media = lead.and_then(|n| found.iter().find(|m| m.name == n).cloned());
        self.body = images::with_media(&article.body_html, &found, super::views::COLUMN_SIZES);
        Ok(())
    }
}

#[derive(Deserialize)]
pub struct ThreadQuery {
    pub sort: Option<String>,
    pub after: Option<String>,
}

impl ThreadQuery {
    pub fn parse(&self) -> Result<(CommentSort, Option<Cursor>), AppError> {
        let bad = |e: tribune_core::thread::CursorError| {
            AppError::BadRequest(format!("Cannot show these comments: {e}."))
        };
        let sort = CommentSort::parse(self.sort.as_deref()).map_err(bad)?;
        let after = match self.after.as_deref() {
            None | Some("") => None,
            Some(a) => Some(Cursor::parse(sort, a).map_err(bad)?),
        };
        Ok((sort, after))
    }

    fn is_default(&self) -> bool {
        self.after.as_deref().unwrap_or("").is_empty() && self.sort.as_deref().is_none_or(|s| s.is_empty())
    }
}

/// A public article by slug, or 404. A standalone page is not one: it has no discussion.
pub async fn public_article(state: &AppState, slug: &str) -> Result<Article, AppError> {
    let article = state.store.article_by_slug(&parse_slug(slug)?).await?;
    article.filter(|a| a.kind != ArticleKind::Page && a.is_public_at(Utc::now())).ok_or(AppError::NotFound)
}

/// A standalone page (About, Imprint): no byline, date, discussion or call to give.
#[derive(Template)]
#[template(path = "page.html")]
pub struct StandalonePage<'a> {
    pub site: &'a Config,
    pub view: ArticleView<'a>,
    pub canonical: String,
    pub image_url: Option<String>,
    pub preview: bool,
}

impl<'a> StandalonePage<'a> {
    pub async fn new(
        state: &AppState,
        site: &'a Config,
        page: &'a Article,
        preview: bool,
    ) -> Result<Self, AppError> {
        let mut view = ArticleView::new(page);
        view.media = super::views::media_of(&state.store, &[page]).await?.pop().flatten();
        Ok(StandalonePage {
            site,
            canonical: site.url(&view.url),
            image_url: page.image.as_ref().map(|i| super::views::absolute(site, &i.url)),
            view,
            preview,
        })
    }
}

/// `/{slug}`: a published page, from the cache (it changes with its own saves only).
async fn standalone_page(
    State(state): State<AppState>,
    asked: Asked,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let slug = parse_slug(&slug)?;
    let path = format!("/{slug}");
    let render = async {
        let page = state.store.article_by_slug(&slug).await?;
        let page = page
            .filter(|a| a.kind == ArticleKind::Page && a.is_public_at(Utc::now()))
            .ok_or(AppError::NotFound)?;
        let site = state.site();
        Ok(StandalonePage::new(&state, &site, &page, false).await?.render()?)
    };
    cached(&state, &asked, path, HTML, vec![article_key(slug.as_str())], render).await
}

/// The public article at `slug` as posting a comment needs it: without its text, which
/// is the bulk of it, so not for rendering (see `ArticleStore::article_to_comment_on`).
/// Kept a moment between posts (see `commented`).
pub async fn article_to_comment_on(state: &AppState, slug: &str) -> Result<Article, AppError> {
    let article = match state.commented.get(slug) {
        (Some(article), _) => article,
        (None, generation) => {
            let article =
                state.store.article_to_comment_on(&parse_slug(slug)?).await?.ok_or(AppError::NotFound)?;
            state.commented.keep(&article, generation);
            article
        }
    };
    Some(article).filter(|a| a.is_public_at(Utc::now())).ok_or(AppError::NotFound)
}

/// The article page with a page of its discussion, as `reader` sees it. `csrf` is the
/// token for its forms (the cache's placeholder when the page is cached for everyone).
pub async fn render_article(
    state: &AppState,
    article: &Article,
    viewer: &Viewer,
    (sort, after): (CommentSort, Option<Cursor>),
    csrf: &str,
    form: CommentForm,
) -> Result<String, AppError> {
    let scope = thread_view::Scope::article(article);
    let thread =
        thread_view::load(&state.store, &state.site(), article, viewer, scope, (sort, after)).await?;
    let site = state.site();
    let mut page = ArticlePage::new(&site, article, false);
    page.find_media(&state.store).await?;
    page.thread = Some(thread);
    page.csrf = csrf.to_owned();
    page.form = form;
    page.signed_in_as = viewer.user.as_ref().map(|u| u.name.clone());
    Ok(page.render()?)
}

/// Readers we do not know, on the first page of the default order, share one cached page;
/// so does a guest with nothing of its own on it. The others (signed in, or a guest with a
/// comment pending or still editable here) see their own actions and pending comments, so
/// their page is rendered for them.
async fn article_page(
    State(state): State<AppState>,
    asked: Asked,
    Path(slug): Path<String>,
    Query(q): Query<ThreadQuery>,
    reader: Reader,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    let order = q.parse()?;
    if !(q.is_default() && sees_shared_page(&state, &reader, &slug).await?) {
        if q.is_default()
            && let Some(html) = reader_page::serve(&state, &slug, &reader.viewer, &csrf.token).await?
        {
            let private = [(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"))];
            return Ok((csrf, private, Html(html)).into_response());
        }
        let article = public_article(&state, &slug).await?;
        let html =
            render_article(&state, &article, &reader.viewer, order, &csrf.token, CommentForm::default())
                .await?;
        return Ok((csrf, Html(with_bar(&state, html))).into_response());
    }
    let slug = parse_slug(&slug)?;
    let path = format!("/articles/{slug}");
    let key = article_key(slug.as_str());
    let render = async {
        let article = public_article(&state, slug.as_str()).await?;
        render_article(&state, &article, &Viewer::anonymous(), order, FORM_TOKEN, CommentForm::default())
            .await
    };
    let page = cached_with_form(&state, &asked, path, HTML, vec![key], Some(&csrf.token), render).await?;
    Ok((csrf, page).into_response())
}

/// Whether `reader` sees the article `slug` as a stranger does (see `article_page`).
async fn sees_shared_page(state: &AppState, reader: &Reader, slug: &str) -> Result<bool, AppError> {
    let viewer = &reader.viewer;
    Ok(match (&viewer.user, &viewer.guest_token_hash) {
        (Some(_), _) => false,
        (None, None) => true,
        (None, Some(guest)) => {
            let rules = state.site().discussion_rules();
            !guest_has_own_on_page(&state.store, slug, guest, &rules, Utc::now()).await?
        }
    })
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    site: &'a Config,
    q: &'a str,
    searched: bool,
    articles: Vec<ArticleView<'a>>,
    pager: Pager,
}

/// Search is not cached: the space of queries is unbounded, and each is cheap.
async fn search_page(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let number = PageParam { page: params.page }.number()?;
    let q = params.q.unwrap_or_default();
    let query = SearchQuery::parse(&q).map_err(|e| AppError::BadRequest(format!("Cannot search: {e}.")))?;
    let page = match &query {
        Some(query) => {
            let request = PageRequest::new(number, state.site().articles_per_page);
            state.store.search_articles(query, Utc::now(), request).await?
        }
        None => tribune_core::store::Page { items: vec![], number, has_next: false },
    };
    let base = format!("/search?q={}", super::error::encode_component(&q));
    let page_view = SearchPage {
        site: &state.site(),
        q: &q,
        searched: query.is_some(),
        articles: with_media(&state.store, article_views(&page.items)).await?,
        pager: Pager::new(&base, &page),
    };
    Ok(render_public(&state, &page_view)?.into_response())
}
