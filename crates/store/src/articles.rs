//! Articles with their bylines and tags. A list loads in three queries whatever its
//! length: the articles, then the authors and the tags of all of them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use tribune_core::article::{
    Article, ArticleKind, ArticleStatus, Image, NamedLink, Syndication, ValidArticle,
};
use tribune_core::article_list::ArticleListQuery;
use tribune_core::search::SearchQuery;
use tribune_core::slug::Slug;
use tribune_core::store::{
    ArticleAddress, ArticleFilter, ArticleStore, ImportMode, Imported, ImportedArticle, IndexEntry, Page,
    PageRequest, StoreError,
};

use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};
use crate::{Store, dialect};

pub(crate) const COLUMNS: &str = "a.id, a.kind, a.slug, a.title, a.summary, a.body_markdown, a.body_html, a.status, \
    a.published_at, a.source_name, a.source_url, a.image_url, a.image_alt, a.created_at, a.updated_at, a.comments_closed, \
    a.comment_count, a.supporters_only";

/// An article without its bodies, one row per author and tag (one row with NULL links
/// when it has none), authors first, each in its order. Each side of the union finds the
/// article by its slug itself, so neither reads other articles' links.
const TO_COMMENT_ON: &str = "SELECT a.id, a.kind, a.slug, a.title, a.summary, '' AS body_markdown, '' AS body_html, \
     a.status, a.published_at, a.source_name, a.source_url, a.image_url, a.image_alt, a.created_at, \
     a.updated_at, a.comments_closed, a.comment_count, a.supporters_only, l.kind AS link_kind, l.slug AS link_slug, \
     l.name AS link_name \
     FROM articles a LEFT JOIN ( \
       SELECT 'author' AS kind, la.position AS position, t.slug AS slug, t.name AS name \
       FROM articles x JOIN article_authors la ON la.article_id = x.id JOIN authors t ON t.id = la.author_id \
       WHERE x.slug = $1 \
       UNION ALL \
       SELECT 'tag', lt.position, t.slug, t.name \
       FROM articles x JOIN article_tags lt ON lt.article_id = x.id JOIN tags t ON t.id = lt.tag_id \
       WHERE x.slug = $1 \
     ) l ON 1 = 1 \
     WHERE a.slug = $1 ORDER BY l.kind, l.position";

/// A value bound to a statement built from optional filters.
enum Arg {
    Int(i64),
    Text(String),
}

/// The visibility rule of `tribune_core::article::is_public`, in SQL; `$1` is now.
const PUBLIC: &str = "a.status <> 'draft' AND a.published_at <= $1";

/// What the news lists hold: articles, never pages or embedded discussions.
const NEWS: &str = "a.kind = 'article'";

impl ArticleStore for Store {
    async fn save_article(
        &self,
        id: Option<i64>,
        article: &ValidArticle,
        body_html: &str,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = write_article(&mut tx, id, article, body_html, now).await?;
        replace_links(&mut tx, id, "authors", "article_authors", "author_id", &article.authors).await?;
        replace_links(&mut tx, id, "tags", "article_tags", "tag_id", &article.tags).await?;
        tx.commit().await.map_err(from_sqlx)?;
        self.article_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn article_by_id(&self, id: i64) -> Result<Option<Article>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        Ok(self.with_links(row.into_iter().collect()).await?.pop())
    }

    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM articles a WHERE a.slug = $1");
        let row =
            sqlx::query(&sql).bind(slug.as_str()).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        Ok(self.with_links(row.into_iter().collect()).await?.pop())
    }

    async fn article_to_comment_on(&self, slug: &Slug) -> Result<Option<Article>, StoreError> {
        let rows =
            sqlx::query(TO_COMMENT_ON).bind(slug.as_str()).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut article = article_from_row(first)?;
        for row in &rows {
            let kind: Option<String> = row.try_get("link_kind").map_err(from_sqlx)?;
            let links = match kind.as_deref() {
                Some("author") => &mut article.authors,
                Some(_) => &mut article.tags,
                None => continue,
            };
            let name = row.try_get("link_name").map_err(from_sqlx)?;
            links.push(NamedLink { slug: slug_column(row, "link_slug")?, name });
        }
        Ok(Some(article))
    }

    async fn public_articles(
        &self,
        filter: &ArticleFilter,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError> {
        let (join, slug) = match filter {
            ArticleFilter::All => ("", None),
            ArticleFilter::Tag(slug) => (
                " JOIN article_tags l ON l.article_id = a.id JOIN tags t ON t.id = l.tag_id AND t.slug = $4",
                Some(slug.as_str()),
            ),
            ArticleFilter::Author(slug) => (
                " JOIN article_authors l ON l.article_id = a.id JOIN authors t ON t.id = l.author_id AND t.slug = $4",
                Some(slug.as_str()),
            ),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM articles a{join} WHERE {NEWS} AND {PUBLIC} \
             ORDER BY a.published_at DESC, a.id DESC LIMIT $2 OFFSET $3"
        );
        let mut query = sqlx::query(&sql).bind(secs(now)).bind(i64::from(page.size) + 1).bind(page.offset());
        if let Some(slug) = slug {
            query = query.bind(slug);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        self.page_of(rows, page).await
    }

    async fn search_articles(
        &self,
        query: &SearchQuery,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError> {
        let sql = dialect::search_articles(self.backend, COLUMNS);
        let rows = sqlx::query(&sql)
            .bind(dialect::search_argument(self.backend, query))
            .bind(secs(now))
            .bind(i64::from(page.size) + 1)
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        self.page_of(rows, page).await
    }

    async fn all_articles(
        &self,
        author: Option<&Slug>,
        page: PageRequest,
    ) -> Result<Page<Article>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM articles a WHERE $1 = '' OR EXISTS (SELECT 1 FROM article_authors l \
             JOIN authors t ON t.id = l.author_id WHERE l.article_id = a.id AND t.slug = $1) \
             ORDER BY a.updated_at DESC, a.id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql)
            .bind(author.map_or("", Slug::as_str))
            .bind(i64::from(page.size) + 1)
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        self.page_of(rows, page).await
    }

    async fn article_list(
        &self,
        query: &ArticleListQuery,
        now: DateTime<Utc>,
        size: u32,
    ) -> Result<Page<Article>, StoreError> {
        // Only constant fragments are joined, each value bound as the next `$n`.
        let mut sql = format!("SELECT {COLUMNS} FROM articles a WHERE 1 = 1");
        let mut args: Vec<Arg> = Vec::new();
        let mut filter = |sql: &mut String, fragment: &str, values: Vec<Arg>| {
            let mut fragment = fragment.to_owned();
            for value in values {
                args.push(value);
                fragment = fragment.replacen("$?", &format!("${}", args.len()), 1);
            }
            sql.push_str(&fragment);
        };
        let now = secs(now);
        match query.status {
            None => {}
            Some(ArticleStatus::Draft) => filter(&mut sql, " AND a.status = 'draft'", vec![]),
            // `is_public` and its negation, as `Article::status_at` reads them.
            Some(ArticleStatus::Published) => {
                filter(&mut sql, " AND a.status <> 'draft' AND a.published_at <= $?", vec![Arg::Int(now)])
            }
            Some(ArticleStatus::Scheduled) => filter(
                &mut sql,
                " AND a.status <> 'draft' AND (a.published_at IS NULL OR a.published_at > $?)",
                vec![Arg::Int(now)],
            ),
        }
        if let Some(author) = &query.author {
            filter(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM article_authors l JOIN authors t ON t.id = l.author_id \
                 WHERE l.article_id = a.id AND t.slug = $?)",
                vec![Arg::Text(author.as_str().to_owned())],
            );
        }
        if let Some(tag) = &query.tag {
            filter(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM article_tags l JOIN tags t ON t.id = l.tag_id \
                 WHERE l.article_id = a.id AND t.slug = $?)",
                vec![Arg::Text(tag.as_str().to_owned())],
            );
        }
        if let Some(search) = &query.search {
            let fragment = format!(" AND {}", dialect::matches_search(self.backend));
            filter(&mut sql, &fragment, vec![Arg::Text(dialect::search_argument(self.backend, search))]);
        }
        if let Some(after) = query.after {
            let (t, id) = (secs(after.created_at), after.id);
            let fragment = " AND (a.created_at < $? OR (a.created_at = $? AND a.id < $?))";
            filter(&mut sql, fragment, vec![Arg::Int(t), Arg::Int(t), Arg::Int(id)]);
        }
        filter(
            &mut sql,
            " ORDER BY a.created_at DESC, a.id DESC LIMIT $?",
            vec![Arg::Int(i64::from(size) + 1)],
        );
        let mut q = sqlx::query(&sql);
        for arg in args {
            q = match arg {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
            };
        }
        let rows = q.fetch_all(&self.pool).await.map_err(from_sqlx)?;
        self.page_of(rows, PageRequest::new(1, size)).await
    }

    async fn bylines_and_tags(&self) -> Result<(Vec<NamedLink>, Vec<NamedLink>), StoreError> {
        let mut lists = Vec::with_capacity(2);
        for sql in [
            "SELECT slug, name FROM authors ORDER BY name, slug",
            "SELECT slug, name FROM tags ORDER BY name, slug",
        ] {
            let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(from_sqlx)?;
            lists.push(rows.iter().map(named_link).collect::<Result<Vec<_>, _>>()?);
        }
        let tags = lists.pop().unwrap_or_default();
        Ok((lists.pop().unwrap_or_default(), tags))
    }

    async fn set_article_status(
        &self,
        id: i64,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Article, StoreError> {
        let done =
            sqlx::query("UPDATE articles SET status = $1, published_at = $2, updated_at = $3 WHERE id = $4")
                .bind(status.as_str())
                .bind(published_at.map(secs))
                .bind(secs(now))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.article_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    async fn next_publication_after(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(published_at) FROM articles WHERE status <> 'draft' AND published_at > $1",
        )
        .bind(secs(now))
        .fetch_one(&self.pool)
        .await
        .map_err(from_sqlx)?;
        Ok(next.map(time))
    }

    async fn public_article_index(&self, now: DateTime<Utc>) -> Result<Vec<IndexEntry>, StoreError> {
        let sql = format!(
            "SELECT a.kind, a.slug, a.updated_at FROM articles a WHERE a.kind IN ('article', 'page') AND {PUBLIC} \
             ORDER BY a.published_at DESC"
        );
        let rows = sqlx::query(&sql).bind(secs(now)).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter()
            .map(|r| {
                Ok(IndexEntry {
                    kind: kind_column(r)?,
                    slug: slug_column(r, "slug")?,
                    updated_at: time(r.try_get("updated_at").map_err(from_sqlx)?),
                })
            })
            .collect()
    }

    async fn popular_tags(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<NamedLink>, StoreError> {
        let sql = format!(
            "SELECT t.slug, t.name FROM tags t JOIN article_tags l ON l.tag_id = t.id \
             JOIN articles a ON a.id = l.article_id WHERE {NEWS} AND {PUBLIC} \
             GROUP BY t.id, t.slug, t.name ORDER BY COUNT(*) DESC, t.name, t.slug LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(secs(now))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        rows.iter().map(named_link).collect()
    }

    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<NamedLink>, StoreError> {
        self.named_link("SELECT slug, name FROM authors WHERE slug = $1", slug).await
    }

    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<NamedLink>, StoreError> {
        self.named_link("SELECT slug, name FROM tags WHERE slug = $1", slug).await
    }

    async fn count_articles(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(&self.pool).await.map_err(from_sqlx)
    }

    async fn import_articles(
        &self,
        articles: &[ImportedArticle],
        mode: ImportMode,
        now: DateTime<Utc>,
    ) -> Result<Vec<Imported>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut done = Vec::with_capacity(articles.len());
        for imported in articles {
            done.push(import_one(&mut tx, imported, now).await?);
        }
        if mode.keeps() {
            tx.commit().await.map_err(from_sqlx)?;
        } else {
            tx.rollback().await.map_err(from_sqlx)?;
        }
        // A dry run's new articles have no id to give.
        Ok(done
            .into_iter()
            .map(|i| if i.new && mode == ImportMode::DryRun { Imported { id: 0, ..i } } else { i })
            .collect())
    }

    async fn article_addresses(&self) -> Result<Vec<ArticleAddress>, StoreError> {
        let rows: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, slug, import_link FROM articles ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(from_sqlx)?;
        rows.into_iter()
            .map(|(id, slug, old_link)| {
                let slug =
                    Slug::parse(&slug).map_err(|e| StoreError::Database(format!("article {id}: {e}")))?;
                Ok(ArticleAddress { id, slug, old_link })
            })
            .collect()
    }
}

/// One imported article in the caller's transaction, unless one from the same source is
/// there already.
async fn import_one(
    tx: &mut Transaction<'_, Any>,
    imported: &ImportedArticle,
    now: DateTime<Utc>,
) -> Result<Imported, StoreError> {
    let source = &imported.source;
    let known: Option<i64> =
        sqlx::query_scalar("SELECT id FROM articles WHERE import_source = $1 AND import_id = $2")
            .bind(&source.platform)
            .bind(&source.id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(from_sqlx)?;
    if let Some(id) = known {
        return Ok(Imported { id, new: false });
    }
    let mut article = imported.article.clone();
    article.slug = free_slug(tx, &article.slug).await?;
    let id = write_article(tx, None, &article, &imported.body_html, now).await?;
    sqlx::query("UPDATE articles SET import_source = $1, import_id = $2, import_link = $3 WHERE id = $4")
        .bind(&source.platform)
        .bind(&source.id)
        .bind(&imported.old_link)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    replace_links(tx, id, "authors", "article_authors", "author_id", &article.authors).await?;
    replace_links(tx, id, "tags", "article_tags", "tag_id", &article.tags).await?;
    Ok(Imported { id, new: true })
}

/// `slug`, or the first of its numbered alternatives that no article holds.
pub(crate) async fn free_slug(tx: &mut Transaction<'_, Any>, slug: &Slug) -> Result<Slug, StoreError> {
    let mut candidate = slug.clone();
    for n in 2..1000 {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
            .bind(candidate.as_str())
            .fetch_optional(&mut **tx)
            .await
            .map_err(from_sqlx)?;
        if found.is_none() {
            return Ok(candidate);
        }
        candidate = slug.numbered(n);
    }
    Err(StoreError::Conflict(format!("slug {slug} and its numbered alternatives")))
}

impl Store {
    async fn named_link(&self, sql: &str, slug: &Slug) -> Result<Option<NamedLink>, StoreError> {
        let row = sqlx::query(sql).bind(slug.as_str()).fetch_optional(&self.pool).await.map_err(from_sqlx)?;
        row.map(|r| named_link(&r)).transpose()
    }

    /// Turns `size + 1` fetched rows into a page that knows whether another follows.
    async fn page_of(&self, mut rows: Vec<AnyRow>, page: PageRequest) -> Result<Page<Article>, StoreError> {
        let has_next = rows.len() > page.size as usize;
        rows.truncate(page.size as usize);
        Ok(Page { items: self.with_links(rows).await?, number: page.number, has_next })
    }

    /// Decodes article rows and attaches their authors and tags (two queries for all).
    pub(crate) async fn with_links(&self, rows: Vec<AnyRow>) -> Result<Vec<Article>, StoreError> {
        let mut articles = rows.iter().map(article_from_row).collect::<Result<Vec<_>, _>>()?;
        if articles.is_empty() {
            return Ok(articles);
        }
        let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
        let mut authors = self.links_of(&ids, "authors", "article_authors", "author_id").await?;
        let mut tags = self.links_of(&ids, "tags", "article_tags", "tag_id").await?;
        for article in &mut articles {
            article.authors = authors.remove(&article.id).unwrap_or_default();
            article.tags = tags.remove(&article.id).unwrap_or_default();
        }
        Ok(articles)
    }

    async fn links_of(
        &self,
        ids: &[i64],
        table: &str,
        link_table: &str,
        link_column: &str,
    ) -> Result<HashMap<i64, Vec<NamedLink>>, StoreError> {
        let sql = format!(
            "SELECT l.article_id, t.slug, t.name FROM {link_table} l JOIN {table} t ON t.id = l.{link_column} \
             WHERE l.article_id IN ({}) ORDER BY l.article_id, l.position",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        let mut links: HashMap<i64, Vec<NamedLink>> = HashMap::new();
        for row in query.fetch_all(&self.pool).await.map_err(from_sqlx)? {
            let article_id: i64 = row.try_get("article_id").map_err(from_sqlx)?;
            links.entry(article_id).or_default().push(named_link(&row)?);
        }
        Ok(links)
    }
}

async fn write_article(
    tx: &mut Transaction<'_, Any>,
    id: Option<i64>,
    a: &ValidArticle,
    body_html: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let sql = match id {
        None => {
            "INSERT INTO articles (slug, title, summary, body_markdown, body_html, status, published_at, \
             source_name, source_url, image_url, image_alt, updated_at, created_at, kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING id"
        }
        Some(_) => {
            "UPDATE articles SET slug = $1, title = $2, summary = $3, body_markdown = $4, body_html = $5, \
             status = $6, published_at = $7, source_name = $8, source_url = $9, image_url = $10, \
             image_alt = $11, updated_at = $12, kind = $13 WHERE id = $14 RETURNING id"
        }
    };
    let syndication = a.syndication.as_ref();
    let image = a.image.as_ref();
    sqlx::query_scalar(sql)
        .bind(a.slug.as_str())
        .bind(&a.title)
        .bind(&a.summary)
        .bind(&a.body_markdown)
        .bind(body_html)
        .bind(a.status.as_str())
        .bind(a.published_at.map(secs))
        .bind(syndication.map(|s| s.source_name.clone()))
        .bind(syndication.map(|s| s.source_url.clone()))
        .bind(image.map(|i| i.url.clone()))
        .bind(image.map(|i| i.alt.clone()))
        .bind(secs(now))
        .bind(a.kind.as_str())
        .bind(id.unwrap_or(0))
        .fetch_optional(&mut **tx)
        .await
        .map_err(from_sqlx)?
        .ok_or(StoreError::NotFound)
}

/// Replaces an article's authors or tags, creating the named ones that do not exist yet.
/// An existing author keeps the name it has: a byline is renamed in one place, not by
/// whichever article was saved last.
async fn replace_links(
    tx: &mut Transaction<'_, Any>,
    article_id: i64,
    table: &str,
    link_table: &str,
    link_column: &str,
    links: &[NamedLink],
) -> Result<(), StoreError> {
    sqlx::query(&format!("DELETE FROM {link_table} WHERE article_id = $1"))
        .bind(article_id)
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    let upsert = format!(
        "INSERT INTO {table} (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO UPDATE SET name = {table}.name RETURNING id"
    );
    let link = format!("INSERT INTO {link_table} (article_id, {link_column}, position) VALUES ($1, $2, $3)");
    for (position, named) in links.iter().enumerate() {
        let target_id: i64 = sqlx::query_scalar(&upsert)
            .bind(named.slug.as_str())
            .bind(&named.name)
            .fetch_one(&mut **tx)
            .await
            .map_err(from_sqlx)?;
        sqlx::query(&link)
            .bind(article_id)
            .bind(target_id)
            .bind(position as i64)
            .execute(&mut **tx)
            .await
            .map_err(from_sqlx)?;
    }
    Ok(())
}

pub(crate) fn article_from_row(r: &AnyRow) -> Result<Article, StoreError> {
    let get_text = |c: &str| r.try_get::<String, _>(c).map_err(from_sqlx);
    let get_opt = |c: &str| r.try_get::<Option<String>, _>(c).map_err(from_sqlx);
    let status = get_text("status")?;
    let syndication = match (get_opt("source_name")?, get_opt("source_url")?) {
        (Some(source_name), Some(source_url)) => Some(Syndication { source_name, source_url }),
        _ => None,
    };
    let image = match (get_opt("image_url")?, get_opt("image_alt")?) {
        (Some(url), alt) => Some(Image { url, alt: alt.unwrap_or_default() }),
        _ => None,
    };
    Ok(Article {
        id: r.try_get("id").map_err(from_sqlx)?,
        kind: kind_column(r)?,
        slug: slug_column(r, "slug")?,
        title: get_text("title")?,
        summary: get_text("summary")?,
        body_markdown: get_text("body_markdown")?,
        body_html: get_text("body_html")?,
        status: ArticleStatus::parse(&status)
            .ok_or_else(|| StoreError::Database(format!("unknown status {status}")))?,
        published_at: r.try_get::<Option<i64>, _>("published_at").map_err(from_sqlx)?.map(time),
        created_at: time(r.try_get("created_at").map_err(from_sqlx)?),
        updated_at: time(r.try_get("updated_at").map_err(from_sqlx)?),
        syndication,
        image,
        authors: Vec::new(),
        tags: Vec::new(),
        comments_closed: r.try_get::<i64, _>("comments_closed").map_err(from_sqlx)? != 0,
        comment_count: r.try_get("comment_count").map_err(from_sqlx)?,
        supporters_only: r.try_get::<i64, _>("supporters_only").map_err(from_sqlx)? != 0,
    })
}

fn kind_column(r: &AnyRow) -> Result<ArticleKind, StoreError> {
    let kind: String = r.try_get("kind").map_err(from_sqlx)?;
    ArticleKind::parse(&kind).ok_or_else(|| StoreError::Database(format!("unknown article kind {kind}")))
}

fn named_link(r: &AnyRow) -> Result<NamedLink, StoreError> {
    Ok(NamedLink { slug: slug_column(r, "slug")?, name: r.try_get("name").map_err(from_sqlx)? })
}

fn slug_column(r: &AnyRow, column: &str) -> Result<Slug, StoreError> {
    let s: String = r.try_get(column).map_err(from_sqlx)?;
    Slug::parse(&s).map_err(|e| StoreError::Database(format!("stored slug {s:?}: {e}")))
}
