//! What an operator runs against a live site: `tribune backup` and `tribune check`, as the
//! binary, on both backends.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{TestApp, article, tribune_cli, without_rate_limits};
use tribune_core::slug::Slug;
use tribune_core::store::{ArticleStore, CommentStore};
use tribune_store::testing::TestDatabase;
use tribune_store::{Backend, on_both_backends};

on_both_backends!(
    a_backup_taken_while_readers_comment_is_a_whole_site,
    check_finds_counts_out_of_step_and_repair_puts_them_right,
    metrics_count_what_readers_did_for_the_holder_of_the_token,
);

async fn site(db: TestDatabase) -> TestApp {
    let app = TestApp::with_config(db, without_rate_limits).await;
    let published = chrono::Utc::now() - chrono::Duration::days(1);
    app.publish(article("Budget vote", &["Ana Editor"], &["City"], published)).await;
    app
}

/// `tribune ARGS` off the async runtime, so the site keeps answering meanwhile.
async fn cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let url = app.db.url.clone();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tribune_cli(&args, &url)
    })
    .await
    .unwrap()
}

async fn a_backup_taken_while_readers_comment_is_a_whole_site(db: TestDatabase) {
    let app = site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("site-backup.db");
    let target_str = target.to_str().unwrap().to_owned();

    if app.db.store.backend() == Backend::Postgres {
        let (code, out, err) = cli(&app, &["backup", &target_str]).await;
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("pg_dump"), "the operator is told what to use instead: {err}");
        assert!(!target.exists(), "nothing is written");
        return;
    }

    // Readers keep commenting while the copy is taken.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let posting = {
        let (browser, acknowledged, stop) = (app.browser(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let page =
                    browser.post_comment("budget-vote", &format!("Comment number {n}."), "Reader").await;
                assert!(page.status.is_success() || page.status.is_redirection(), "{}", page.status);
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = acknowledged.load(Ordering::SeqCst);
    let (code, out, err) = cli(&app, &["backup", &target_str]).await;
    let after = acknowledged.load(Ordering::SeqCst);
    stop.store(true, Ordering::Relaxed);
    posting.await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Backed up the site to"), "{out}");

    // The copy is a site of its own, sound, holding every comment acknowledged before the
    // backup began (and none that was never written).
    let copy = format!("sqlite://{target_str}");
    let (code, out, err) = tribune_cli(&["check"], &copy);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No problems found."), "{out}");
    let copied = tribune_store::Store::connect(&copy).await.unwrap();
    let slug = Slug::parse("budget-vote").unwrap();
    let article = copied.article_by_slug(&slug).await.unwrap().unwrap();
    let comments = copied.thread(article.id).await.unwrap().len();
    assert!((before..=after + 1).contains(&comments), "{before} <= {comments} <= {after} + 1");
    assert_eq!(article.comment_count as usize, comments);
    copied.close().await;

    // A backup never overwrites a file.
    let size = std::fs::metadata(&target).unwrap().len();
    let (code, _, err) = cli(&app, &["backup", &target_str]).await;
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::metadata(&target).unwrap().len(), size);
}

async fn check_finds_counts_out_of_step_and_repair_puts_them_right(db: TestDatabase) {
    let app = site(db).await;
    let reader = app.browser();
    for n in 1..=3 {
        reader.post_comment("budget-vote", &format!("Comment {n}."), "Reader").await;
    }
    app.db.store.flush_comments().await;
    let (code, out, err) = cli(&app, &["check"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No problems found."), "{out}");
    assert!(out.contains("3 comments"), "{out}");

    // Counts that drifted (a bug, a hand-made UPDATE): each named, exit 1.
    let slug = Slug::parse("budget-vote").unwrap();
    let article = app.db.store.article_by_slug(&slug).await.unwrap().unwrap();
    let first = app.db.store.thread(article.id).await.unwrap()[0].id;
    app.db.execute(&format!("UPDATE articles SET comment_count = 40 WHERE id = {}", article.id)).await;
    app.db.execute(&format!("UPDATE comments SET score = 5 WHERE id = {first}")).await;
    let (code, out, err) = cli(&app, &["check"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("PROBLEM: article budget-vote shows 40 comments; 3 are published."), "{out}");
    assert!(
        out.contains(&format!("PROBLEM: comment {first} has a score of 5; its votes add up to 0.")),
        "{out}"
    );
    assert!(err.contains("tribune check --repair"), "{err}");

    let (code, out, err) = cli(&app, &["check", "--repair"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Recounted: 1 articles' comment counts, 1 comments' scores."), "{out}");
    assert!(out.contains("No problems found."), "{out}");
    let article = app.db.store.article_by_slug(&slug).await.unwrap().unwrap();
    assert_eq!(article.comment_count, 3);
}

const METRICS_TOKEN: &str = "scrape-me-0123456789abcdef";

/// The value of the sample `name` (with its labels, as Prometheus writes them) in `text`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn metrics_count_what_readers_did_for_the_holder_of_the_token(db: TestDatabase) {
    // Without a token the address does not exist on the site's port.
    let plain = site(db).await;
    assert_eq!(plain.browser().get("/metrics").await.status, 404);
    let db = TestDatabase::new(plain.db.store.backend()).await.expect("a second database");

    // A port only the scraper would reach, served without a token.
    let private = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = TestApp::with_config(db, |c| {
        without_rate_limits(c);
        c.metrics_token = METRICS_TOKEN.into();
        c.metrics_bind = private.to_string();
    })
    .await;
    let published = chrono::Utc::now() - chrono::Duration::days(1);
    app.publish(article("Budget vote", &["Ana Editor"], &["City"], published)).await;
    let reader = app.browser();
    for _ in 0..3 {
        assert_eq!(reader.get("/articles/budget-vote").await.status, 200);
    }
    assert_eq!(reader.get("/no-such/page").await.status, 404);
    let posted = reader.post_comment("budget-vote", "The vote was close.", "Rosa").await;
    assert_eq!(posted.status, 303, "{}", posted.body);

    // A wrong or missing token is refused, and says how to authenticate.
    let scraper = app.browser();
    let refused = scraper.get("/metrics").await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), "Bearer");
    let wrong =
        scraper.send_with_value("/metrics", "authorization", "Bearer scrape-me-0123456789abcdeX").await;
    assert_eq!(wrong.status, 401);

    let scraped =
        scraper.send_with_value("/metrics", "authorization", &format!("Bearer {METRICS_TOKEN}")).await;
    assert_eq!(scraped.status, 200);
    assert!(scraped.header("content-type").starts_with("application/openmetrics-text"));
    let text = scraped.body;
    let article_views =
        sample(&text, r#"tribune_http_requests_total{route="/articles/{slug}",method="GET",status="200"}"#);
    // Three views, and the one the comment form's token was read from.
    assert_eq!(article_views, Some(4.0), "{text}");
    assert_eq!(
        sample(&text, r#"tribune_http_requests_total{route="unmatched",method="GET",status="404"}"#),
        Some(1.0),
        "a typo is counted under one route for all: {text}"
    );
    assert!(sample(&text, r#"tribune_page_cache_lookups_total{result="hit"}"#).unwrap() >= 2.0, "{text}");
    assert_eq!(sample(&text, r#"tribune_comments_posted_total{status="published"}"#), Some(1.0), "{text}");
    assert!(sample(&text, "tribune_comment_commits_total").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, r#"tribune_invalidations_total{direction="sent"}"#).unwrap() >= 1.0, "{text}");
    assert!(
        text.contains(
            r#"tribune_http_request_duration_seconds_bucket{le="0.0005",route="/articles/{slug}"}"#
        ) || text.contains(
            r#"tribune_http_request_duration_seconds_bucket{route="/articles/{slug}",le="0.0005"}"#
        ),
        "{text}"
    );
    assert!(sample(&text, r#"tribune_db_connections{state="idle"}"#).is_some(), "{text}");

    // The private address answers without a token, and with nothing else.
    let private_scraper = common::Browser::new(&format!("http://{private}"));
    let private_scrape = private_scraper.get("/metrics").await;
    assert_eq!(private_scrape.status, 200);
    assert!(private_scrape.body.contains("tribune_comments_posted_total"));
    assert_eq!(private_scraper.get("/articles/budget-vote").await.status, 404);
}
