//! Feeds, sitemap and robots.txt, read back with the formats' own parsers.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, article};
use reqwest::StatusCode;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(site_feeds_are_valid_and_absolute, tag_feeds_hold_only_their_tag, sitemap_and_robots);

async fn publish_two(app: &TestApp) {
    let now = Utc::now();
    let mut tricky =
        article("Fish & Chips <at> \"Joe's\"", &["Ada Lovelace"], &["Food"], now - Duration::hours(1));
    tricky.slug = Some("fish-and-chips".into());
    tricky.source_name = Some("The Coast Paper".into());
    tricky.source_url = Some("https://coast.example/fish?a=1&b=2".into());
    app.publish(tricky).await;
    app.publish(article("Second Story", &["Bob"], &["Other"], now - Duration::hours(2))).await;
}

async fn site_feeds_are_valid_and_absolute(db: TestDatabase) {
    let app = TestApp::new(db).await;
    publish_two(&app).await;
    let b = app.browser();
    let url = format!("{}/articles/fish-and-chips", app.url);

    let atom_page = b.get("/feed.atom").await;
    assert!(atom_page.header("content-type").starts_with("application/atom+xml"));
    let atom: atom_syndication::Feed = atom_page.body.parse().expect("valid Atom");
    assert_eq!(atom.entries.len(), 2);
    let e = &atom.entries[0];
    assert_eq!(e.title.value, "Fish & Chips <at> \"Joe's\"");
    assert_eq!(e.id, url);
    assert_eq!(e.links[0].href, url);
    assert_eq!(e.authors[0].name, "Ada Lovelace");
    assert!(e.content.as_ref().unwrap().value.as_ref().unwrap().contains("<em>"));
    assert!(atom.links.iter().any(|l| l.rel == "self" && l.href == format!("{}/feed.atom", app.url)));

    let rss_page = b.get("/feed.rss").await;
    let rss = rss::Channel::read_from(rss_page.body.as_bytes()).expect("valid RSS");
    assert_eq!(rss.items.len(), 2);
    let item = &rss.items[0];
    assert_eq!(item.title.as_deref(), Some("Fish & Chips <at> \"Joe's\""));
    assert_eq!(item.link.as_deref(), Some(url.as_str()));
    let date =
        chrono::DateTime::parse_from_rfc2822(item.pub_date.as_deref().unwrap()).expect("RFC 2822 date");
    assert!(date <= Utc::now());
    assert_eq!(item.source.as_ref().unwrap().url, "https://coast.example/fish?a=1&b=2");

    let json_page = b.get("/feed.json").await;
    assert!(json_page.header("content-type").starts_with("application/feed+json"));
    let json: serde_json::Value = serde_json::from_str(&json_page.body).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], format!("{}/feed.json", app.url));
    assert_eq!(json["items"][0]["url"], url);
    assert_eq!(json["items"][0]["external_url"], "https://coast.example/fish?a=1&b=2");
    assert_eq!(json["items"][1]["title"], "Second Story");
}

async fn tag_feeds_hold_only_their_tag(db: TestDatabase) {
    let app = TestApp::new(db).await;
    publish_two(&app).await;
    let b = app.browser();
    let atom: atom_syndication::Feed = b.get("/tags/food/feed.atom").await.body.parse().unwrap();
    assert_eq!(atom.entries.len(), 1);
    assert_eq!(atom.title.value, "Test Gazette: Food");
    let rss = rss::Channel::read_from(b.get("/tags/other/feed.rss").await.body.as_bytes()).unwrap();
    assert_eq!(rss.items[0].title.as_deref(), Some("Second Story"));
    let json: serde_json::Value = serde_json::from_str(&b.get("/tags/food/feed.json").await.body).unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 1);
}

async fn sitemap_and_robots(db: TestDatabase) {
    let app = TestApp::new(db).await;
    publish_two(&app).await;
    let b = app.browser();
    let sitemap = b.get("/sitemap.xml").await;
    assert_eq!(sitemap.status, StatusCode::OK);
    assert!(sitemap.body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert!(sitemap.body.contains(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#));
    assert!(sitemap.body.contains(&format!("<loc>{}/articles/fish-and-chips</loc><lastmod>", app.url)));
    assert_eq!(sitemap.body.matches("<url>").count(), 3, "the front page and two articles");
    let mut reader = quick_xml::Reader::from_str(&sitemap.body);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            _ => continue,
        }
    }
    let robots = b.get("/robots.txt").await.body;
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", app.url)));
    assert!(robots.contains("Disallow: /admin"));
}
