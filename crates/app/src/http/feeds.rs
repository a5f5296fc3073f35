//! Feeds (Atom, RSS 2.0, JSON Feed 1.1) for the site and for each tag, the sitemap and
//! robots.txt. Built with the formats' own crates, absolute URLs from `base_url`, and
//! served from the page cache like any page.

use atom_syndication as atom;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesText, Event};
use tribune_core::article::Article;
use tribune_core::media::Media;
use tribune_core::store::{ArticleFilter, ArticleStore, PageRequest};

use super::pages::parse_slug;
use super::views::{absolute, iso};
use super::{AppError, AppState, Asked, cached};
use crate::cache::{FRONT, tag_key};
use crate::config::Config;

const FEED_ITEMS: u32 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feed.atom", get(|s, h| site_feed(s, h, Kind::Atom)))
        .route("/feed.rss", get(|s, h| site_feed(s, h, Kind::Rss)))
        .route("/feed.json", get(|s, h| site_feed(s, h, Kind::Json)))
        .route("/tags/{slug}/feed.atom", get(|s, h, p| tag_feed(s, h, p, Kind::Atom)))
        .route("/tags/{slug}/feed.rss", get(|s, h, p| tag_feed(s, h, p, Kind::Rss)))
        .route("/tags/{slug}/feed.json", get(|s, h, p| tag_feed(s, h, p, Kind::Json)))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

#[derive(Clone, Copy)]
enum Kind {
    Atom,
    Rss,
    Json,
}

impl Kind {
    fn extension(self) -> &'static str {
        match self {
            Kind::Atom => "atom",
            Kind::Rss => "rss",
            Kind::Json => "json",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::Atom => "application/atom+xml; charset=utf-8",
            Kind::Rss => "application/rss+xml; charset=utf-8",
            Kind::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What a feed is about: its title, the page it mirrors, and its own address.
struct FeedInfo {
    title: String,
    page_url: String,
    feed_url: String,
}

async fn site_feed(State(state): State<AppState>, asked: Asked, kind: Kind) -> Result<Response, AppError> {
    let path = format!("/feed.{}", kind.extension());
    let info = FeedInfo {
        title: state.site().site_title.clone(),
        page_url: state.config.url("/"),
        feed_url: state.config.url(&path),
    };
    let render = render_feed(&state, ArticleFilter::All, info, kind);
    cached(&state, &asked, path, kind.content_type(), vec![FRONT.into()], render).await
}

async fn tag_feed(
    State(state): State<AppState>,
    asked: Asked,
    Path(slug): Path<String>,
    kind: Kind,
) -> Result<Response, AppError> {
    let tag = state.store.tag_by_slug(&parse_slug(&slug)?).await?.ok_or(AppError::NotFound)?;
    let path = format!("/tags/{}/feed.{}", tag.slug, kind.extension());
    let info = FeedInfo {
        title: format!("{}: {}", state.site().site_title, tag.name),
        page_url: state.config.url(&format!("/tags/{}", tag.slug)),
        feed_url: state.config.url(&path),
    };
    let render = render_feed(&state, ArticleFilter::Tag(tag.slug.clone()), info, kind);
    cached(&state, &asked, path, kind.content_type(), vec![tag_key(tag.slug.as_str())], render).await
}

async fn render_feed(
    state: &AppState,
    filter: ArticleFilter,
    info: FeedInfo,
    kind: Kind,
) -> Result<String, AppError> {
    let now = Utc::now();
    let page = state.store.public_articles(&filter, now, PageRequest::new(1, FEED_ITEMS)).await?;
    let config = &state.site();
    let media = super::views::media_of(&state.store, &page.items.iter().collect::<Vec<_>>()).await?;
    Ok(match kind {
        Kind::Atom => atom_feed(config, &info, &page.items, &media, now),
        Kind::Rss => rss_feed(config, &info, &page.items, &media, now),
        Kind::Json => json_feed(config, &info, &page.items),
    })
}

fn article_url(config: &Config, a: &Article) -> String {
    config.url(&format!("/articles/{}", a.slug))
}

/// The feed's last change: the newest change among its articles.
fn last_updated(articles: &[Article], now: DateTime<Utc>) -> DateTime<Utc> {
    articles.iter().map(|a| a.updated_at).max().unwrap_or(now)
}

/// An uploaded image as a feed enclosure: its absolute URL, type and length.
fn enclosure(config: &Config, m: &Media) -> (String, String, String) {
    (config.url(&m.path()), m.content_type.clone(), m.byte_size.to_string())
}

fn atom_feed(
    config: &Config,
    info: &FeedInfo,
    articles: &[Article],
    media: &[Option<Media>],
    now: DateTime<Utc>,
) -> String {
    let link = |href: &str, rel: &str, mime: Option<&str>| atom::Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Default::default()
    };
    let entries = articles
        .iter()
        .zip(media)
        .map(|(a, m)| {
            let url = article_url(config, a);
            let mut links = vec![link(&url, "alternate", Some("text/html"))];
            if let Some(s) = &a.syndication {
                links.push(link(&s.source_url, "via", None));
            }
            if let Some((href, mime, length)) = m.as_ref().map(|m| enclosure(config, m)) {
                links.push(atom::Link { length: Some(length), ..link(&href, "enclosure", Some(&mime)) });
            }
            atom::Entry {
                title: atom::Text::plain(a.title.clone()),
                id: url,
                updated: a.updated_at.fixed_offset(),
                published: a.published_at.map(|p| p.fixed_offset()),
                authors: a
                    .authors
                    .iter()
                    .map(|au| atom::Person {
                        name: au.name.clone(),
                        uri: Some(config.url(&format!("/authors/{}", au.slug))),
                        ..Default::default()
                    })
                    .collect(),
                categories: a
                    .tags
                    .iter()
                    .map(|t| atom::Category { term: t.name.clone(), ..Default::default() })
                    .collect(),
                links,
                summary: Some(atom::Text::plain(a.summary.clone())),
                content: Some(atom::Content {
                    value: Some(a.body_html.clone()),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = atom::Feed {
        title: atom::Text::plain(info.title.clone()),
        id: info.page_url.clone(),
        updated: last_updated(articles, now).fixed_offset(),
        links: vec![
            link(&info.page_url, "alternate", Some("text/html")),
            link(&info.feed_url, "self", Some("application/atom+xml")),
        ],
        subtitle: Some(atom::Text::plain(config.site_description.clone())),
        generator: Some(atom::Generator { value: "Tribune".into(), ..Default::default() }),
        lang: Some(config.language.clone()),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

fn rss_feed(
    config: &Config,
    info: &FeedInfo,
    articles: &[Article],
    media: &[Option<Media>],
    now: DateTime<Utc>,
) -> String {
    let items = articles
        .iter()
        .zip(media)
        .map(|(a, m)| {
            let url = article_url(config, a);
            let dc = rss::extension::dublincore::DublinCoreExtension {
                creators: a.authors.iter().map(|au| au.name.clone()).collect(),
                ..Default::default()
            };
            rss::Item {
                title: Some(a.title.clone()),
                link: Some(url.clone()),
                description: Some(a.summary.clone()),
                guid: Some(rss::Guid { value: url, permalink: true }),
                pub_date: a.published_at.map(|p| p.to_rfc2822()),
                categories: a
                    .tags
                    .iter()
                    .map(|t| rss::Category { name: t.name.clone(), domain: None })
                    .collect(),
                content: Some(a.body_html.clone()),
                source: a
                    .syndication
                    .as_ref()
                    .map(|s| rss::Source { url: s.source_url.clone(), title: Some(s.source_name.clone()) }),
                dublin_core_ext: Some(dc),
                enclosure: m.as_ref().map(|m| {
                    let (url, mime_type, length) = enclosure(config, m);
                    rss::Enclosure { url, length, mime_type }
                }),
                ..Default::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: info.title.clone(),
        link: info.page_url.clone(),
        description: config.site_description.clone(),
        language: Some(config.language.clone()),
        last_build_date: Some(last_updated(articles, now).to_rfc2822()),
        generator: Some("Tribune".into()),
        items,
        namespaces: [
            ("content".to_owned(), "http://purl.org/rss/1.0/modules/content/".to_owned()),
            ("dc".to_owned(), rss::extension::dublincore::NAMESPACE.to_owned()),
        ]
        .into(),
        ..Default::default()
    };
    channel.to_string()
}

fn json_feed(config: &Config, info: &FeedInfo, articles: &[Article]) -> String {
    let items: Vec<_> = articles
        .iter()
        .map(|a| {
            let url = article_url(config, a);
            let mut item = serde_json::json!({
                "id": url,
                "url": url,
                "title": a.title,
                "summary": a.summary,
                "content_html": a.body_html,
                "date_modified": iso(a.updated_at),
                "authors": a.authors.iter().map(|au| serde_json::json!({
                    "name": au.name,
                    "url": config.url(&format!("/authors/{}", au.slug)),
                })).collect::<Vec<_>>(),
                "tags": a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            });
            if let Some(p) = a.published_at {
                item["date_published"] = iso(p).into();
            }
            if let Some(s) = &a.syndication {
                item["external_url"] = s.source_url.clone().into();
            }
            if let Some(image) = &a.image {
                item["image"] = absolute(config, &image.url).into();
            }
            item
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.page_url,
        "feed_url": info.feed_url,
        "description": config.site_description,
        "language": config.language,
        "items": items,
    })
    .to_string()
}

async fn sitemap(State(state): State<AppState>, asked: Asked) -> Result<Response, AppError> {
    let render = async {
        let entries = state.store.public_article_index(Utc::now()).await?;
        let mut w = quick_xml::Writer::new(Vec::new());
        let xml_error = |e: std::io::Error| AppError::Internal(format!("sitemap: {e}"));
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(xml_error)?;
        w.create_element("urlset")
            .with_attribute(("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"))
            .write_inner_content(|w| {
                w.create_element("url").write_inner_content(|w| {
                    w.create_element("loc").write_text_content(BytesText::new(&state.config.url("/")))?;
                    Ok(())
                })?;
                for e in &entries {
                    w.create_element("url").write_inner_content(|w| {
                        let loc = state.config.url(&tribune_core::article::public_path(e.kind, &e.slug));
                        w.create_element("loc").write_text_content(BytesText::new(&loc))?;
                        w.create_element("lastmod").write_text_content(BytesText::new(&iso(e.updated_at)))?;
                        Ok(())
                    })?;
                }
                Ok(())
            })
            .map_err(xml_error)?;
        String::from_utf8(w.into_inner()).map_err(|e| AppError::Internal(e.to_string()))
    };
    cached(
        &state,
        &asked,
        "/sitemap.xml".into(),
        "application/xml; charset=utf-8",
        vec![FRONT.into()],
        render,
    )
    .await
}

async fn robots(State(state): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /search\n\nSitemap: {}\n",
        state.config.url("/sitemap.xml")
    );
    ([(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")], body)
}
