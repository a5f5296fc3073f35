//! The discussion's JSON API and its OpenAPI document, over real HTTP, on both databases.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, article};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tribune_core::store::{ArticleStore, CommentStore};
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    comments_are_posted_and_listed_in_tree_order,
    bad_requests_get_json_errors_and_store_nothing,
    lists_come_in_pages_by_cursor,
    the_openapi_document_describes_the_api,
    replies_a_page_leaves_off_are_listed_on_their_own,
);

async fn setup(db: TestDatabase, threads_per_page: u32) -> (TestApp, reqwest::Client) {
    // Bursts of posts set the scene here: the rate limits are tested in `moderation.rs`.
    let app = TestApp::with_config(db, |c| {
        c.comment_threads_per_page = threads_per_page;
        common::without_rate_limits(c);
    })
    .await;
    app.publish(article("Api Story", &["Ada"], &[], Utc::now() - Duration::hours(1))).await;
    (app, reqwest::Client::new())
}

async fn post(app: &TestApp, client: &reqwest::Client, body: Value) -> (StatusCode, Value) {
    let res = client
        .post(format!("{}/api/v1/articles/api-story/comments", app.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    (status, res.json().await.unwrap())
}

async fn list(app: &TestApp, query: &str) -> (StatusCode, Value) {
    let res = reqwest::get(format!("{}/api/v1/articles/api-story/comments{query}", app.url)).await.unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn comments_are_posted_and_listed_in_tree_order(db: TestDatabase) {
    let (app, client) = setup(db, 20).await;
    let (status, empty) = list(&app, "").await;
    assert_eq!((status, empty), (StatusCode::OK, json!({"comments": [], "next_cursor": null})));

    let (status, first) = post(
        &app,
        &client,
        json!({"body": "Hello *there*", "author_name": "Ann", "author_email": "ann@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (first["status"].as_str(), first["body_html"].as_str()),
        (Some("published"), Some("<p>Hello <em>there</em></p>\n"))
    );
    assert_eq!((first["author_name"].as_str(), &first["parent_id"]), (Some("Ann"), &Value::Null));
    assert!(first["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(!first.to_string().contains("ann@example.org"), "emails are never shown");
    let first_id = first["id"].as_i64().unwrap();
    post(&app, &client, json!({"body": "Second", "author_name": "Bob"})).await;
    let (status, reply) =
        post(&app, &client, json!({"body": "A reply", "author_name": "Cy", "parent_id": first_id})).await;
    assert_eq!((status, reply["parent_id"].as_i64()), (StatusCode::CREATED, Some(first_id)));

    let (_, listed) = list(&app, "").await;
    let bodies: Vec<&str> =
        listed["comments"].as_array().unwrap().iter().map(|c| c["body_html"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["<p>Hello <em>there</em></p>\n", "<p>A reply</p>\n", "<p>Second</p>\n"]);
    assert_eq!(listed["comments"][1]["depth"], 1);
    let (_, newest) = list(&app, "?sort=newest").await;
    assert_eq!(newest["comments"][0]["body_html"], "<p>Second</p>\n");
    // The page shows what the API stored.
    app.settle().await;
    assert!(app.browser().get("/articles/api-story").await.body.contains("A reply"));
}

async fn bad_requests_get_json_errors_and_store_nothing(db: TestDatabase) {
    let (app, client) = setup(db, 20).await;
    let url = format!("{}/api/v1/articles/api-story/comments", app.url);
    let cases = [
        (json!({"body": "", "author_name": "Ann"}), StatusCode::UNPROCESSABLE_ENTITY, "body: is empty"),
        (
            json!({"body": "x".repeat(10_001), "author_name": "Ann"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the limit is 10000",
        ),
        (json!({"body": "Hi"}), StatusCode::UNPROCESSABLE_ENTITY, "author_name: is required"),
        (
            json!({"body": "Hi", "author_name": "Ann", "parent_id": 424242}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a comment on this article",
        ),
        (json!({"body": "Hi", "author_name": "Ann", "extra": 1}), StatusCode::BAD_REQUEST, "unknown field"),
        (json!({"body": 5, "author_name": "Ann"}), StatusCode::BAD_REQUEST, "not a comment"),
    ];
    for (body, status, says) in cases {
        let (got, error) = post(&app, &client, body.clone()).await;
        assert_eq!(got, status, "{body}: {error}");
        assert!(error["error"].as_str().unwrap().contains(says), "{body}: {error}");
    }
    let malformed = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"body\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(malformed.json::<Value>().await.unwrap()["error"].is_string());
    let as_form = client.post(&url).form(&[("body", "Hi"), ("author_name", "Ann")]).send().await.unwrap();
    assert_eq!(as_form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "a cross-site form cannot post here");
    assert!(as_form.json::<Value>().await.unwrap()["error"].is_string());
    let unknown = client
        .post(format!("{}/api/v1/articles/nope/comments", app.url))
        .json(&json!({"body": "x", "author_name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let slug = tribune_core::slug::Slug::parse("api-story").unwrap();
    let a = app.state.store.article_by_slug(&slug).await.unwrap().unwrap();
    assert!(app.state.store.thread(a.id).await.unwrap().is_empty(), "nothing refused was stored");
    app.state.store.set_comments_closed(a.id, true).await.unwrap();
    // As the admin page does after closing: this node forgets the articles it keeps for
    // posting at once (another node would within a second, from the shared log).
    app.state.invalidate(tribune::cache::keys_of(&a)).await;
    let (status, error) = post(&app, &client, json!({"body": "Late", "author_name": "Ann"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(error["error"].as_str().unwrap().contains("closed"));
    assert!(app.state.store.thread(a.id).await.unwrap().is_empty());
}

async fn lists_come_in_pages_by_cursor(db: TestDatabase) {
    let (app, client) = setup(db, 2).await;
    for i in 0..5 {
        post(&app, &client, json!({"body": format!("Top {i}"), "author_name": "Ann"})).await;
    }
    let mut seen = Vec::new();
    let mut query = String::new();
    loop {
        let (status, page) = list(&app, &query).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["comments"].as_array().unwrap().iter().map(|c| c["body_html"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..5).map(|i| format!("<p>Top {i}</p>\n")).collect();
    assert_eq!(seen, expected, "every thread once, in order");
    assert_eq!(list(&app, "?cursor=abc").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(list(&app, "?sort=loud").await.0, StatusCode::BAD_REQUEST);
}

async fn the_openapi_document_describes_the_api(db: TestDatabase) {
    let (app, _) = setup(db, 20).await;
    let doc: Value =
        reqwest::get(format!("{}/api/openapi.json", app.url)).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let path = &doc["paths"]["/api/v1/articles/{slug}/comments"];
    assert!(path["get"].is_object() && path["post"].is_object(), "{doc}");
    let schema = &doc["components"]["schemas"]["ApiComment"]["properties"];
    for field in ["id", "parent_id", "status", "body_html", "author_name", "created_at"] {
        assert!(schema[field].is_object(), "ApiComment.{field} in {doc}");
    }
    assert!(path["post"]["responses"]["422"].is_object());
}

async fn replies_a_page_leaves_off_are_listed_on_their_own(db: TestDatabase) {
    let (app, client) = setup(db, 20).await;
    let (_, top) = post(&app, &client, json!({"body": "Top", "author_name": "Ann"})).await;
    let top_id = top["id"].as_i64().unwrap();
    let mut replies = Vec::new();
    for i in 0..25 {
        let reply = json!({"body": format!("R{i}"), "author_name": "Bo", "parent_id": top_id});
        replies.push(post(&app, &client, reply).await.1["id"].as_i64().unwrap());
    }
    let ids = |page: &Value| -> Vec<i64> {
        page["comments"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    let (_, page) = list(&app, "").await;
    assert_eq!(ids(&page).len(), 11, "the top comment and its first ten replies");
    let mut seen = ids(&page)[1..].to_vec();
    let left = &page["left_off"][0];
    assert_eq!(left["replies_to"].as_i64(), Some(top_id));
    let mut query = format!("?replies_to={top_id}&cursor={}", left["cursor"].as_str().unwrap());
    loop {
        let (status, more) = list(&app, &query).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(ids(&more));
        let Some(next) = more["next_cursor"].as_str() else { break };
        query = format!("?replies_to={top_id}&cursor={next}");
    }
    assert_eq!(seen, replies, "every reply, once, in order");
    assert_eq!(list(&app, "?replies_to=999999").await.0, StatusCode::NOT_FOUND);
}
