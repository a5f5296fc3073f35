//! What readers see: the front page, articles, tags, authors, search, and how pages stay
//! fresh while served from memory. Every test runs on SQLite and on PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, article, eventually};
use reqwest::StatusCode;
use tribune_core::article::ArticleStatus;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    front_page_lists_public_articles_newest_first_in_pages,
    article_page_has_byline_date_metadata_and_canonical,
    syndicated_article_credits_and_points_canonical_at_the_original,
    tag_and_author_pages_list_their_articles,
    unknown_pages_are_html_404s,
    user_text_is_escaped_everywhere,
    scheduled_article_appears_at_its_time_without_a_restart,
    published_pages_come_from_memory_and_changes_show_at_once,
    a_write_from_another_process_reaches_the_cache,
    search_ranks_and_never_fails,
    health_and_readiness,
);

async fn front_page_lists_public_articles_newest_first_in_pages(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let now = Utc::now();
    for i in 0..12 {
        app.publish(article(&format!("Story number {i}"), &["Ada"], &[], now - Duration::hours(i))).await;
    }
    let mut draft = article("Unfinished draft", &["Ada"], &[], now);
    draft.status = Some(ArticleStatus::Draft);
    app.publish(draft).await;

    let b = app.browser();
    let first = b.get("/").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.find("Story number 0").unwrap() < first.body.find("Story number 1<").unwrap(),
        "newest first"
    );
    assert!(first.body.contains("Story number 9") && !first.body.contains("Story number 10"), "ten per page");
    assert!(!first.body.contains("Unfinished draft"), "drafts are not public");
    assert!(first.body.contains(r#"<a rel="next" href="/?page=2">"#));
    let second = b.get("/?page=2").await;
    assert!(second.body.contains("Story number 11") && !second.body.contains(r#"rel="next""#));
    assert!(second.body.contains(r#"<a rel="prev" href="/">"#));
    assert_eq!(b.get("/?page=3").await.status, StatusCode::NOT_FOUND);
    let bad = b.get("/?page=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not a page number") && bad.header("content-type").starts_with("text/html"));
}

async fn article_page_has_byline_date_metadata_and_canonical(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let at = Utc::now() - Duration::days(1);
    let a =
        app.publish(article("The Harbour Report", &["Ada Lovelace", "Bob Jones"], &["Local News"], at)).await;
    let page = app.browser().get("/articles/the-harbour-report").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("<h1>The Harbour Report</h1>"));
    assert!(body.contains(r#"Written by <a href="/authors/ada-lovelace">Ada Lovelace</a> and <a href="/authors/bob-jones">Bob Jones</a>"#), "{body}");
    let iso = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(body.contains(&format!(r#"<time datetime="{iso}">"#)), "{body}");
    assert!(body.contains("<p>The body of <em>The Harbour Report</em>.</p>"));
    assert!(
        body.contains(&format!(r#"<link rel="canonical" href="{}/articles/the-harbour-report">"#, app.url))
    );
    assert!(body.contains(r#"<meta property="og:title" content="The Harbour Report">"#));
    assert!(body.contains(r#"<meta property="og:type" content="article">"#));
    assert!(body.contains(r#"<a href="/tags/local-news" rel="tag">Local News</a>"#));
    let ld = json_ld(body);
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], "The Harbour Report");
    assert_eq!(ld["datePublished"], iso);
    assert_eq!(ld["author"][1]["name"], "Bob Jones");
    assert!(ld.get("isBasedOn").is_none());
    assert_eq!(a.slug.as_str(), "the-harbour-report");
    let scripts: Vec<&str> =
        body.split("<script src=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(scripts.len(), 1, "no script but the site's own small one: {scripts:?}");
    assert!(scripts[0].starts_with("/assets/comments.") && scripts[0].ends_with(".js"), "{scripts:?}");
}

async fn syndicated_article_credits_and_points_canonical_at_the_original(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let mut input = article("Did the River Rise?", &["Philip Writer"], &[], Utc::now());
    input.source_name = Some("The Unz Review".into());
    input.source_url = Some("https://review.example/2020/river?x=1&y=2".into());
    app.publish(input).await;
    let body = app.browser().get("/articles/did-the-river-rise").await.body;
    assert!(
        body.contains(r#"Written by <a href="/authors/philip-writer">Philip Writer</a>; Originally appeared at <a href="https://review.example/2020/river?x=1&#38;y=2">The Unz Review</a>"#)
            || body.contains(r#"Originally appeared at <a href="https://review.example/2020/river?x=1&amp;y=2">The Unz Review</a>"#),
        "{body}"
    );
    assert!(body.contains(r#"<link rel="canonical" href="https://review.example/2020/river?x=1&"#), "{body}");
    assert_eq!(json_ld(&body)["isBasedOn"], "https://review.example/2020/river?x=1&y=2");
}

async fn tag_and_author_pages_list_their_articles(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let now = Utc::now();
    app.publish(article("Rivers and Lakes", &["Ada"], &["Environment"], now)).await;
    app.publish(article("Budget Night", &["Bob"], &["Economy"], now)).await;
    let b = app.browser();
    let tag = b.get("/tags/environment").await;
    assert!(tag.body.contains("Tagged “Environment”") && tag.body.contains("Rivers and Lakes"));
    assert!(!tag.body.contains("Budget Night"));
    assert!(tag.body.contains(r#"href="/tags/environment/feed.atom""#));
    let author = b.get("/authors/bob").await;
    assert!(author.body.contains("Articles by Bob") && author.body.contains("Budget Night"));
    assert!(!author.body.contains("Rivers and Lakes"));
}

async fn unknown_pages_are_html_404s(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    for path in [
        "/articles/nope",
        "/articles/Not_A_Slug",
        "/tags/nope",
        "/authors/nope",
        "/no/such/page",
        "/tags/nope/feed.atom",
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.header("content-type").starts_with("text/html"), "{path}");
        assert!(
            page.body.contains("This page does not exist.") && page.body.contains("Test Gazette"),
            "{path}"
        );
    }
}

async fn user_text_is_escaped_everywhere(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let mut input = article(
        "</script><script>alert(1)</script> & \"quotes\"",
        &["<b>Eve</b>"],
        &["<i>x</i>"],
        Utc::now(),
    );
    input.slug = Some("xss".into());
    input.body_markdown = "<script>alert(2)</script>\n\n<img src=x onerror=alert(3)>\n\n[link](javascript:alert(4)) <a href=\"data:text/html,x\">d</a>".into();
    app.publish(input).await;
    let b = app.browser();
    let body = b.get("/articles/xss").await.body;
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(
        !body.contains("onerror") && !body.contains("href=\"javascript:") && !body.contains("data:text"),
        "{body}"
    );
    assert!(body.contains("&#60;/script&#62;&#60;script&#62;alert(1)"), "{body}");
    assert_eq!(json_ld(&body)["headline"], "</script><script>alert(1)</script> & \"quotes\"");
    let front = b.get("/").await.body;
    assert!(front.contains("&#60;b&#62;Eve&#60;/b&#62;") && !front.contains("<b>Eve"), "{front}");
}

async fn scheduled_article_appears_at_its_time_without_a_restart(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    app.publish(article("Already out", &["Ada"], &[], Utc::now() - Duration::hours(1))).await;
    let mut later = article("Embargoed until soon", &["Ada"], &["Later"], Utc::now() + Duration::seconds(2));
    later.status = Some(ArticleStatus::Scheduled);
    app.publish(later).await;
    assert!(!b.get("/").await.body.contains("Embargoed"), "not before its time");
    assert_eq!(b.get("/articles/embargoed-until-soon").await.status, StatusCode::NOT_FOUND);
    assert!(b.get("/feed.atom").await.body.contains("Already out"));
    let appeared = eventually(10, || async { b.get("/").await.body.contains("Embargoed until soon") }).await;
    assert!(appeared, "the scheduled article appears on the cached front page by itself");
    assert_eq!(b.get("/articles/embargoed-until-soon").await.status, StatusCode::OK);
    assert!(b.get("/tags/later").await.body.contains("Embargoed"));
    assert!(b.get("/feed.atom").await.body.contains("Embargoed"));
}

async fn published_pages_come_from_memory_and_changes_show_at_once(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    let mut input = article("Cache Me", &["Ada"], &["One"], Utc::now());
    app.publish(input.clone()).await;
    let first = b.get("/articles/cache-me").await;
    let etag = first.header("etag").to_owned();
    assert!(!etag.is_empty());
    assert!(app.state.cache.get("/articles/cache-me").is_some(), "the rendered page is kept in memory");
    b.get("/tags/two").await; // unknown yet: not cached
    b.get("/tags/one").await;
    b.get("/authors/ada").await;

    // Served from memory: the database row can change under it without the page changing…
    let again = b.get("/articles/cache-me").await;
    assert_eq!(again.header("etag"), etag);

    // …and a save through the app drops exactly the pages that show the article.
    b.get("/").await;
    app.publish(article("Unrelated", &["Zed"], &["Other"], Utc::now() - Duration::days(3))).await;
    b.get("/tags/other").await;
    input.body_markdown = "Rewritten body.".into();
    input.tags = vec!["Two".into()];
    app.publish(input).await;
    let cache = &app.state.cache;
    assert!(
        cache.get("/articles/cache-me").is_none()
            && cache.get("/tags/one").is_none()
            && cache.get("/").is_none()
    );
    assert!(cache.get("/tags/other").is_some(), "a page that does not show the article stays cached");
    let updated = b.get("/articles/cache-me").await;
    assert!(updated.body.contains("Rewritten body.") && updated.header("etag") != etag);
    assert!(b.get("/tags/two").await.body.contains("Cache Me"));
    assert!(!b.get("/tags/one").await.body.contains("Cache Me"));
}

async fn a_write_from_another_process_reaches_the_cache(db: TestDatabase) {
    use tribune_core::publishing::{SaveTarget, save_article};
    use tribune_core::store::InvalidationStore;
    let app = TestApp::new(db).await;
    let b = app.browser();
    let mut input = article("Shared Story", &["Ada"], &[], Utc::now());
    app.publish(input.clone()).await;
    assert!(b.get("/articles/shared-story").await.body.contains("The body of"));
    // Another node (or the command line) writes through its own connection pool.
    let other = tribune_store::Store::connect(&app.db.url).await.unwrap();
    input.body_markdown = "Written elsewhere.".into();
    let saved = save_article(&other, SaveTarget::BySlug, input, None, Utc::now()).await.unwrap();
    other.record_invalidation(&tribune::cache::keys_of_change(&saved), Utc::now()).await.unwrap();
    let seen = eventually(10, || async {
        b.get("/articles/shared-story").await.body.contains("Written elsewhere.")
    })
    .await;
    assert!(seen, "the running server drops its copy within seconds");
}

async fn search_ranks_and_never_fails(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let now = Utc::now();
    app.publish(article("Microscopes for schools", &["Ada"], &[], now)).await;
    let mut other = article("Garden diary", &["Ada"], &[], now);
    other.body_markdown = "We talked about microscopes once.".into();
    app.publish(other).await;
    let b = app.browser();
    let page = b.get("/search?q=microscopes").await;
    assert_eq!(page.status, StatusCode::OK);
    let (first, second) =
        (page.body.find("Microscopes for schools").unwrap(), page.body.find("Garden diary").unwrap());
    assert!(first < second, "a title match ranks above a body match");
    assert!(b.get("/search?q=").await.body.contains("Words to look for"));
    assert!(b.get("/search?q=zebra").await.body.contains("No article matches"));
    let long = "a".repeat(10_000);
    let nasty = [
        "\"",
        "\"unbalanced",
        "(((",
        "a OR",
        "NEAR(",
        "*",
        "-",
        "col:x",
        "'; DROP TABLE articles; --",
        "日本語のニュース",
        "Ελληνικά",
        "مرحبا",
        "%00",
        "\\",
        "a AND NOT b",
        "<script>",
        &long,
    ];
    for q in nasty {
        let url = format!("/search?q={}", urlencode(q));
        let page = b.get(&url).await;
        assert!(matches!(page.status, StatusCode::OK | StatusCode::BAD_REQUEST), "{q:.40}: {}", page.status);
        assert!(!page.body.contains("<script>"), "the query is escaped when shown back");
    }
    assert_eq!(b.get(&format!("/search?q={long}")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/search?q=microscopes&page=x").await.status, StatusCode::BAD_REQUEST);
}

async fn health_and_readiness(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    assert_eq!(b.get("/healthz").await.body, "ok");
    assert_eq!(b.get("/readyz").await.status, StatusCode::OK);
    app.state.store.close().await;
    assert_eq!(b.get("/readyz").await.status, StatusCode::SERVICE_UNAVAILABLE);
}

fn json_ld(body: &str) -> serde_json::Value {
    let start = body.find(r#"<script type="application/ld+json">"#).unwrap() + 35;
    let end = start + body[start..].find("</script>").unwrap();
    serde_json::from_str(&body[start..end]).unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
