//! Nothing acknowledged is lost: the real binary takes a storm of comments, is killed with
//! SIGKILL in the middle of it (no shutdown, no flush), and every comment it answered 201
//! for is in the database when it starts again. And SIGTERM mid-storm: the process stops by
//! itself, every request it took is answered, and what it stored is exactly what it
//! acknowledged. Both backends.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tribune_core::publishing::{SaveTarget, save_article};
use tribune_core::store::CommentStore;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(acknowledged_comments_survive_kill_9, sigterm_answers_what_it_took_and_stores_only_that);

/// Starts `tribune serve` on the test's database and waits until it says it serves.
fn serve(database_url: &str) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let data = tempfile::tempdir().unwrap().keep();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["serve", "--database-url", database_url, "--bind", &bind, "--data-dir"])
        .arg(&data)
        .env_remove("TRIBUNE_CONFIG")
        .env("RUST_LOG", "error")
        // The storm comes from one address: it is about durability, not rate limits.
        .env("TRIBUNE_MODERATION_RATE_LIMIT", "false")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("Tribune is serving") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "tribune exited before serving");
    }
    (child, format!("http://{bind}"))
}

async fn acknowledged_comments_survive_kill_9(db: TestDatabase) {
    let input = common::article("Storm", &["Ada Writer"], &[], Utc::now() - chrono::Duration::hours(1));
    let article = save_article(&db.store, SaveTarget::BySlug, input, None, Utc::now()).await.unwrap().article;
    let (mut server, url) = serve(&db.url);
    let (storm, acknowledged) = storm_until(&url, 300).await;
    server.kill().unwrap(); // SIGKILL: no graceful anything.
    server.wait().unwrap();
    storm.join_all().await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300, "the storm was acknowledged before the kill: {}", acknowledged.len());

    // A new process on the same database finds every acknowledged comment.
    let (mut again, url) = serve(&db.url);
    let stored: std::collections::HashSet<i64> =
        db.store.thread(article.id).await.unwrap().iter().map(|c| c.id).collect();
    let lost: Vec<_> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged comments lost: {lost:?}", lost.len(), acknowledged.len());
    let page = reqwest::get(format!("{url}/articles/storm")).await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK, "the site serves again after the crash");
    again.kill().unwrap();
    again.wait().unwrap();
}

/// Sixteen writers posting comments to `/articles/storm` as fast as they are answered, until
/// the server stops answering; returns once `at_least` are acknowledged (201, with the id).
async fn storm_until(
    url: &str,
    at_least: usize,
) -> (tokio::task::JoinSet<()>, Arc<std::sync::Mutex<Vec<i64>>>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<i64>::new()));
    let mut storm = tokio::task::JoinSet::new();
    for writer in 0..16 {
        let (client, url, acknowledged) = (client.clone(), url.to_owned(), Arc::clone(&acknowledged));
        storm.spawn(async move {
            for n in 0.. {
                let body =
                    serde_json::json!({"body": format!("Comment {writer}-{n}"), "author_name": "Storm"});
                let Ok(res) =
                    client.post(format!("{url}/api/v1/articles/storm/comments")).json(&body).send().await
                else {
                    return; // The server is gone.
                };
                if res.status() != reqwest::StatusCode::CREATED {
                    return;
                }
                let Ok(created) = res.json::<serde_json::Value>().await else { return };
                acknowledged.lock().unwrap().push(created["id"].as_i64().unwrap());
            }
        });
    }
    // Let the storm run until some hundreds are acknowledged, then pull the plug.
    for _ in 0..200 {
        if acknowledged.lock().unwrap().len() >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (storm, acknowledged)
}

async fn sigterm_answers_what_it_took_and_stores_only_that(db: TestDatabase) {
    let input = common::article("Storm", &["Ada Writer"], &[], Utc::now() - chrono::Duration::hours(1));
    let article = save_article(&db.store, SaveTarget::BySlug, input, None, Utc::now()).await.unwrap().article;
    let (mut server, url) = serve(&db.url);
    let (storm, acknowledged) = storm_until(&url, 300).await;
    let term = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(term.success());
    // It stops by itself, well within the grace period (10 s) plus the test's patience.
    let mut stopped = None;
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        stopped = server.try_wait().unwrap();
        if stopped.is_some() {
            break;
        }
    }
    let Some(status) = stopped else {
        server.kill().unwrap();
        panic!("tribune was still running 15 s after SIGTERM");
    };
    assert!(status.success(), "a graceful stop exits 0: {status}");
    storm.join_all().await;
    let acknowledged: std::collections::HashSet<i64> = acknowledged.lock().unwrap().iter().copied().collect();
    let stored: std::collections::HashSet<i64> =
        db.store.thread(article.id).await.unwrap().iter().map(|c| c.id).collect();
    assert!(acknowledged.len() >= 300);
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged, then lost: {lost:?}");
    // A request the server took was answered, so nothing was stored behind a poster's back.
    let unanswered: Vec<_> = stored.difference(&acknowledged).collect();
    assert!(unanswered.is_empty(), "stored but never acknowledged: {unanswered:?}");
}
