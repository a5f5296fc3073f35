//! Listing, writing, previewing and (un)publishing articles in the browser.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde::Deserialize;
use tribune_core::article::{Article, ArticleInput, ArticleKind, ArticleStatus, FieldError, NamedLink};
use tribune_core::article_list::{ArticleListQuery, ListCursor};
use tribune_core::front_matter::parse_date;
use tribune_core::media::MediaStore;
use tribune_core::publishing::{PublishError, SaveTarget, Saved, change_status, save_article};
use tribune_core::store::ArticleStore;
use tribune_core::user::User;

use crate::coherence::Change;
use crate::config::Config;
use crate::http::auth::CurrentUser;
use crate::http::csrf::{CsrfForm, CsrfToken};
use crate::http::error::{capitalized, encode_component};
use crate::http::pages::ArticlePage;
use crate::http::views::{DateView, date};
use crate::http::{AppError, AppState, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(list))
        .route("/admin/articles/new", get(new_form))
        .route("/admin/articles", post(create))
        .route("/admin/articles/{id}", get(edit_form).post(update))
        .route("/admin/articles/{id}/status", post(set_status))
        .route("/admin/articles/{id}/comments", post(set_comments))
        .route("/admin/articles/{id}/supporters-only", post(set_supporters_only))
}

struct Row<'a> {
    a: &'a Article,
    status: &'static str,
    date: Option<DateView>,
}

/// The list's filters as typed, kept in the form and in the next page's link.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    status: String,
    author: String,
    tag: String,
    q: String,
    after: String,
}

impl ListParams {
    /// This list's address with `after` as its cursor.
    fn link(&self, after: Option<&str>) -> String {
        let pairs = [
            ("status", self.status.as_str()),
            ("author", &self.author),
            ("tag", &self.tag),
            ("q", &self.q),
            ("after", after.unwrap_or("")),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if query.is_empty() { "/admin".into() } else { format!("/admin?{}", query.join("&")) }
    }
}

#[derive(Template)]
#[template(path = "admin/articles.html")]
struct ListPage<'a> {
    site: &'a Config,
    me: &'a User,
    csrf: &'a str,
    rows: Vec<Row<'a>>,
    params: &'a ListParams,
    statuses: [&'static str; 3],
    authors: Vec<NamedLink>,
    tags: Vec<NamedLink>,
    filtered: bool,
    first: Option<String>,
    next: Option<String>,
}

/// A page of the admin's list holds this many articles.
const LIST_PAGE: u32 = 50;

async fn list(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Query(params): Query<ListParams>,
) -> Result<Response, AppError> {
    if !me.can_write_articles() {
        // A moderator's admin is the queue.
        if me.can_moderate() {
            return Ok(Redirect::to("/admin/moderation").into_response());
        }
        return Err(AppError::Forbidden("Your role does not include articles.".into()));
    }
    let mut query =
        ArticleListQuery::parse(&params.status, &params.author, &params.tag, &params.q, &params.after)
            .map_err(|e| AppError::BadRequest(format!("{}.", capitalized(&e.to_string()))))?;
    // Authors see their own articles; editors and admins see all.
    if !me.can_edit_any() {
        // An author without a byline (a reader given the role) has no articles of their own.
        let mine = me
            .author
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("Your account has no byline to write under.".into()))?;
        query.author = Some(mine.slug.clone());
    }
    let now = Utc::now();
    let page = state.store.article_list(&query, now, LIST_PAGE).await?;
    let (authors, tags) = state.store.bylines_and_tags().await?;
    let rows = page
        .items
        .iter()
        .map(|a| Row { a, status: a.status_at(now).as_str(), date: a.published_at.map(date) })
        .collect();
    let next = page.has_next.then(|| page.items.last().map(|a| ListCursor::of(a).to_string())).flatten();
    let view = ListPage {
        site: &state.site(),
        me: &me,
        csrf: &csrf.token,
        rows,
        params: &params,
        statuses: ["draft", "scheduled", "published"],
        authors: if me.can_edit_any() { authors } else { Vec::new() },
        tags,
        filtered: query.status.is_some()
            || query.tag.is_some()
            || query.search.is_some()
            || (me.can_edit_any() && query.author.is_some()),
        first: query.after.is_some().then(|| params.link(None)),
        next: next.map(|n| params.link(Some(&n))),
    };
    let html = render(&view)?;
    Ok((csrf, html).into_response())
}

/// The form's fields as typed, so a refused form comes back exactly as it was sent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ArticleForm {
    /// `article` or `page` (empty: an article).
    kind: String,
    title: String,
    slug: String,
    authors: String,
    tags: String,
    summary: String,
    body: String,
    status: String,
    published_at: String,
    source_name: String,
    source_url: String,
    image: String,
    image_alt: String,
    action: String,
}

impl ArticleForm {
    fn from_article(a: &Article) -> Self {
        let names = |links: &[NamedLink]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>().join(", ");
        ArticleForm {
            kind: a.kind.as_str().into(),
            title: a.title.clone(),
            slug: a.slug.to_string(),
            authors: names(&a.authors),
            tags: names(&a.tags),
            summary: a.summary.clone(),
            body: a.body_markdown.clone(),
            status: a.status.as_str().into(),
            published_at: a.published_at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default(),
            source_name: a.syndication.as_ref().map(|s| s.source_name.clone()).unwrap_or_default(),
            source_url: a.syndication.as_ref().map(|s| s.source_url.clone()).unwrap_or_default(),
            image: a.image.as_ref().map(|i| i.url.clone()).unwrap_or_default(),
            image_alt: a.image.as_ref().map(|i| i.alt.clone()).unwrap_or_default(),
            ..Default::default()
        }
    }

    fn to_input(&self) -> Result<ArticleInput, Vec<FieldError>> {
        let list =
            |s: &str| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|x| !x.is_empty());
        let mut errors = Vec::new();
        let kind = match self.kind.as_str() {
            "" => None,
            k => ArticleKind::parse(k).or_else(|| {
                errors.push(FieldError::new("kind", "is not one of article, page"));
                None
            }),
        };
        let status = match self.status.as_str() {
            "" => None,
            s => ArticleStatus::parse(s).or_else(|| {
                errors.push(FieldError::new("status", "is not one of draft, scheduled, published"));
                None
            }),
        };
        let published_at = match opt(&self.published_at) {
            None => None,
            Some(s) => parse_date(&s).or_else(|| {
                errors.push(FieldError::new("published_at", format!("\"{s}\" is not a date and time")));
                None
            }),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ArticleInput {
            kind,
            slug: opt(&self.slug),
            title: self.title.clone(),
            summary: opt(&self.summary),
            body_markdown: self.body.replace("\r\n", "\n"),
            status,
            published_at,
            authors: list(&self.authors),
            tags: list(&self.tags),
            source_name: opt(&self.source_name),
            source_url: opt(&self.source_url),
            image: opt(&self.image),
            image_alt: opt(&self.image_alt),
        })
    }
}

#[derive(Template)]
#[template(path = "admin/edit.html")]
struct EditPage<'a> {
    site: std::sync::Arc<Config>,
    me: &'a User,
    csrf: &'a str,
    id: Option<i64>,
    action: String,
    form: &'a ArticleForm,
    errors: Vec<String>,
    notice: Option<&'a str>,
    public_url: Option<String>,
    statuses: [(&'static str, &'static str); 3],
    /// For a saved article: whether its discussion is closed.
    comments_closed: Option<bool>,
    /// For a saved article: whether only supporters may post under it.
    supporters_only: bool,
    /// The image just uploaded from this page, with its path and Markdown to copy.
    uploaded: Option<tribune_core::media::Media>,
    /// Where the upload form comes back to.
    back: String,
    max_mib: String,
}

const STATUSES: [(&str, &str); 3] =
    [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")];

impl<'a> EditPage<'a> {
    fn new(
        state: &'a AppState,
        me: &'a User,
        csrf: &'a CsrfToken,
        id: Option<i64>,
        form: &'a ArticleForm,
    ) -> Self {
        EditPage {
            site: state.site(),
            me,
            csrf: &csrf.token,
            id,
            action: id.map_or_else(|| "/admin/articles".to_owned(), |id| format!("/admin/articles/{id}")),
            form,
            errors: vec![],
            notice: None,
            public_url: None,
            statuses: STATUSES,
            comments_closed: None,
            supporters_only: false,
            uploaded: None,
            back: id.map(|id| format!("/admin/articles/{id}")).unwrap_or_default(),
            max_mib: super::media::mib(state.config.media_max_bytes),
        }
    }
}

async fn new_form(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
) -> Result<Response, AppError> {
    if !me.can_write_articles() {
        return Err(AppError::Forbidden("Your role does not include articles.".into()));
    }
    let form = ArticleForm {
        authors: me.author.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        status: "draft".into(),
        ..Default::default()
    };
    let page = render(&EditPage::new(&state, &me, &csrf, None, &form))?;
    Ok((csrf, page).into_response())
}

#[derive(Deserialize)]
struct SavedNotice {
    saved: Option<String>,
    uploaded: Option<String>,
}

async fn edit_form(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    Query(q): Query<SavedNotice>,
) -> Result<Response, AppError> {
    let article = state.store.article_by_id(id).await?.ok_or(AppError::NotFound)?;
    if !me.can_edit(&article) {
        return Err(AppError::Forbidden("Authors can only edit articles that credit them.".into()));
    }
    let notice = q.saved.as_ref().map(|_| "Saved.");
    let public_url = article
        .is_public_at(Utc::now())
        .then(|| tribune_core::article::public_path(article.kind, &article.slug));
    let form = ArticleForm::from_article(&article);
    let uploaded = match q.uploaded.as_deref() {
        Some(name) => state.store.media_by_names(&[name]).await?.into_iter().next(),
        None => None,
    };
    let page = EditPage {
        notice,
        public_url,
        comments_closed: Some(article.comments_closed),
        supporters_only: article.supporters_only,
        uploaded,
        ..EditPage::new(&state, &me, &csrf, Some(id), &form)
    };
    let html = render(&page)?;
    Ok((csrf, html).into_response())
}

async fn create(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AppError> {
    submit(&state, &me, &csrf, None, form).await
}

async fn update(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<ArticleForm>,
) -> Result<Response, AppError> {
    submit(&state, &me, &csrf, Some(id), form).await
}

/// Saves the form, or previews it without saving; a refused form comes back with its
/// text and the reasons, with status 422.
async fn submit(
    state: &AppState,
    me: &User,
    csrf: &CsrfToken,
    id: Option<i64>,
    form: ArticleForm,
) -> Result<Response, AppError> {
    let refused = |errors: Vec<String>| -> Result<Response, AppError> {
        let page = EditPage { errors, ..EditPage::new(state, me, csrf, id, &form) };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    let input = match form.to_input() {
        Ok(input) => input,
        Err(errors) => return refused(errors.iter().map(ToString::to_string).collect()),
    };
    let now = Utc::now();
    if form.action == "preview" {
        return preview(state, me, input, now).await;
    }
    let target = id.map_or(SaveTarget::New, SaveTarget::Existing);
    match save_article(&state.store, target, input, Some(me), now).await {
        Ok(saved) => {
            state.changed(Change::Article(&saved)).await;
            Ok(Redirect::to(&format!("/admin/articles/{}?saved=1", saved.article.id)).into_response())
        }
        Err(PublishError::Invalid(errors)) => refused(errors.iter().map(ToString::to_string).collect()),
        Err(e @ PublishError::SlugTaken) => refused(vec![e.to_string()]),
        Err(e) => Err(e.into()),
    }
}

/// Renders the article page from the form, as readers would see it, without saving.
async fn preview(
    state: &AppState,
    me: &User,
    input: ArticleInput,
    now: chrono::DateTime<Utc>,
) -> Result<Response, AppError> {
    let mut input = input;
    if input.authors.is_empty() {
        input.authors = me.author.iter().map(|a| a.name.clone()).collect();
    }
    let valid = input.validate(now).map_err(|errors| {
        AppError::BadRequest(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    })?;
    let article = Article {
        id: 0,
        kind: valid.kind,
        body_html: tribune_core::markdown::render_article(&valid.body_markdown, valid.slug.as_str()),
        slug: valid.slug,
        title: valid.title,
        summary: valid.summary,
        body_markdown: valid.body_markdown,
        status: valid.status,
        published_at: valid.published_at,
        created_at: now,
        updated_at: now,
        syndication: valid.syndication,
        image: valid.image,
        authors: valid.authors,
        tags: valid.tags,
        comments_closed: false,
        comment_count: 0,
        supporters_only: false,
    };
    let site = state.site();
    if article.kind == ArticleKind::Page {
        let page = crate::http::pages::StandalonePage::new(state, &site, &article, true).await?;
        return Ok(render(&page)?.into_response());
    }
    let mut page = ArticlePage::new(&site, &article, true);
    page.find_media(&state.store).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
    #[serde(default)]
    published_at: String,
}

async fn set_status(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> Result<Response, AppError> {
    let status = ArticleStatus::parse(&form.status)
        .ok_or_else(|| AppError::BadRequest(format!("\"{}\" is not a status.", form.status)))?;
    let at = match form.published_at.trim() {
        "" => None,
        s => Some(
            parse_date(s).ok_or_else(|| AppError::BadRequest(format!("\"{s}\" is not a date and time.")))?,
        ),
    };
    let saved: Saved = change_status(&state.store, id, status, at, &me, Utc::now()).await?;
    state.changed(Change::Article(&saved)).await;
    Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1")).into_response())
}

#[derive(Deserialize)]
struct CommentsForm {
    #[serde(default)]
    closed: String,
}

/// Opens an article's discussion to supporters alone, or to everyone again.
async fn set_supporters_only(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<SupportersOnlyForm>,
) -> Result<Response, AppError> {
    let only = match form.only.as_str() {
        "1" => true,
        "0" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "\"{other}\" is neither 1 (supporters) nor 0 (everyone)."
            )));
        }
    };
    let article = tribune_core::supporters::set_supporters_only(&state.store, id, only, &me).await?;
    state.changed(Change::ArticleChanged(&article)).await;
    Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1")).into_response())
}

#[derive(Deserialize)]
struct SupportersOnlyForm {
    #[serde(default)]
    only: String,
}

/// Closes or reopens an article's discussion.
async fn set_comments(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<CommentsForm>,
) -> Result<Response, AppError> {
    let closed = match form.closed.as_str() {
        "1" => true,
        "0" => false,
        other => return Err(AppError::BadRequest(format!("\"{other}\" is neither 1 (close) nor 0 (open)."))),
    };
    let article = tribune_core::discussion::set_closed(&state.store, id, closed, &me).await?;
    state.changed(Change::ArticleChanged(&article)).await;
    Ok(Redirect::to(&format!("/admin/articles/{id}?saved=1")).into_response())
}
