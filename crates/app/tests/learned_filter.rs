//! The learned filter as a site meets it, on both databases: examples stored by one
//! writer (a moderator's decision, `tribune moderation train`) reach every node, and a new
//! comment like those rejected is held; `tribune moderation eval` reports and refuses bad
//! input with the item and field.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article, eventually};
use reqwest::StatusCode;
use tribune::cli::ModerationCommand;
use tribune::cli::{Command, execute};
use tribune_core::comment::CommentStatus;
use tribune_core::moderation::learned::{Class, features};
use tribune_core::store::{CommentStore, FilterExample, FilterStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_comment_like_those_moderators_rejected_is_held_on_every_node,
    rejecting_in_the_queue_teaches_the_filter,
    train_and_eval_from_the_command_line,
);

/// A campaign the shipped model has never seen: nothing in it is spam by itself.
const CAMPAIGN: [&str; 12] = [
    "The Harbour Street bakery has the best sourdough in town, open every Sunday morning.",
    "Everyone should try the sourdough at the Harbour Street bakery, fresh every Sunday.",
    "Harbour Street bakery: sourdough and rye loaves, Sunday mornings, ask for Marta.",
    "Best loaves in town at the Harbour Street bakery, the sourdough sells out by ten.",
    "If you like rye or sourdough, the Harbour Street bakery opens early on Sundays.",
    "Marta at the Harbour Street bakery bakes sourdough that beats anything in the city.",
    "Sunday tip: Harbour Street bakery sourdough, still warm at eight in the morning.",
    "The Harbour Street bakery now delivers sourdough and rye, order before Sunday.",
    "Skip the supermarket bread, the Harbour Street bakery sourdough is worth the walk.",
    "Harbour Street bakery loaves: sourdough, rye, and seeded, every Sunday morning.",
    "Fresh sourdough every Sunday at the Harbour Street bakery, tell them Marta sent you.",
    "The sourdough at the Harbour Street bakery is the best in town, go early on Sunday.",
];
const NEW_ONE: &str = "Go to the Harbour Street bakery this Sunday, their sourdough is the best around.";

async fn post(b: &Browser, body: &str) -> Page {
    b.post_comment("open-door", body, "Reader").await
}

async fn a_comment_like_those_moderators_rejected_is_held_on_every_node(db: TestDatabase) {
    let app = TestApp::with_config(db, common::without_rate_limits).await;
    app.publish(article("Open Door", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let before = post(&app.browser(), CAMPAIGN[0]).await;
    assert_eq!(
        app.status_of(before.comment_id()).await,
        CommentStatus::Published,
        "the shipped model knows no bakery"
    );

    // Stored by another writer, as a moderator's decision on another node would be: this
    // node learns it from the database, within its refresh interval.
    let examples: Vec<FilterExample> = CAMPAIGN
        .iter()
        .map(|body| FilterExample { class: Class::Spam, features: features(body), source: "test".into() })
        .collect();
    let writer = tribune_store::Store::connect(&app.db.url).await.unwrap();
    writer.append_filter_examples(&examples, Utc::now()).await.unwrap();
    let model = app.state.config.moderation.model.clone();
    assert!(
        eventually(10, || async { model.applied_through() > 0 }).await,
        "the node applies stored examples"
    );

    let after = post(&app.browser(), NEW_ONE).await;
    assert_eq!(app.status_of(after.comment_id()).await, CommentStatus::Pending, "a similar comment is held");
    let id: i64 = after.header("location").strip_prefix("/comments/").unwrap().parse().unwrap();
    let decision = app.state.store.comment_decision(id).await.unwrap().unwrap();
    assert!(decision.reasons_json.contains("learned filter"), "{}", decision.reasons_json);
    assert!(decision.reasons_json.contains("spam"), "{}", decision.reasons_json);

    let unrelated =
        post(&app.browser(), "The council vote on the harbour wall is next Tuesday, worth attending.").await;
    assert_eq!(
        app.status_of(unrelated.comment_id()).await,
        CommentStatus::Published,
        "other comments still go through"
    );
}

async fn train_and_eval_from_the_command_line(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let config = || tribune::config::Config { database_url: db.url.clone(), ..Default::default() };
    let set = dir.path().join("set.json");
    let items: Vec<serde_json::Value> = CAMPAIGN
        .iter()
        .map(|b| serde_json::json!({"label": "spam", "body": b}))
        .chain([serde_json::json!({"label": "benign", "body": "Thank you for this careful report on the harbour wall."})])
        .collect();
    std::fs::write(&set, serde_json::to_string(&items).unwrap()).unwrap();
    let eval = |decisions| Command::Moderation(ModerationCommand::Eval { file: set.clone(), decisions });

    let out = dir.path().join("before.jsonl");
    execute(eval(Some(out.clone())), config()).await.unwrap();
    let before = std::fs::read_to_string(&out).unwrap();
    assert_eq!(before.lines().count(), items.len());
    let first: serde_json::Value = serde_json::from_str(before.lines().next().unwrap()).unwrap();
    assert_eq!((first["index"].as_i64(), first["decision"].as_str()), (Some(0), Some("publish")));

    execute(Command::Moderation(ModerationCommand::Train { file: set.clone() }), config()).await.unwrap();
    let out = dir.path().join("after.jsonl");
    execute(eval(Some(out.clone())), config()).await.unwrap();
    let after: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let held = after[..CAMPAIGN.len()].iter().filter(|d| d["decision"] == "hold").count();
    assert!(held >= CAMPAIGN.len() - 2, "one pass over the file holds nearly all of it: {after:?}");
    assert_eq!(after[CAMPAIGN.len()]["decision"], "publish");
    let held_one = after.iter().find(|d| d["decision"] == "hold").unwrap();
    assert!(held_one["reasons"][0]["detail"].as_str().unwrap().contains("spam"), "{held_one}");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"label":"spam","body":"x"},{"label":"ham","body":"y"}]"#).unwrap();
    let err = execute(Command::Moderation(ModerationCommand::Train { file: bad.clone() }), config())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("item 1: label"), "{err}");
    assert_eq!(
        db.store.filter_examples_after(0).await.unwrap().len(),
        CAMPAIGN.len() + 1,
        "a bad file changes nothing"
    );
}

/// The whole loop as moderators meet it: comments rejected as spam from the queue's form
/// teach the filter in the decision's transaction, and the next like them is held.
async fn rejecting_in_the_queue_teaches_the_filter(db: TestDatabase) {
    let app = TestApp::with_config(db, common::without_rate_limits).await;
    app.publish(article("Open Door", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let mut ids = Vec::new();
    for body in CAMPAIGN {
        let page = post(&app.browser(), body).await;
        assert_eq!(app.status_of(page.comment_id()).await, CommentStatus::Published);
        ids.push(page.header("location").strip_prefix("/comments/").unwrap().parse::<i64>().unwrap());
    }
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    for id in ids {
        let csrf = mo.get("/admin/moderation").await.csrf();
        let fields = [("csrf", csrf.as_str()), ("verdict", "reject-spam"), ("seen", "published")];
        let res = mo.post_form(&format!("/admin/moderation/{id}/decide"), &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let after = post(&app.browser(), NEW_ONE).await;
    assert_eq!(app.status_of(after.comment_id()).await, CommentStatus::Pending, "a similar comment is held");
    let log = mo.get("/admin/moderation/log").await;
    assert!(log.body.contains("reject-spam"), "each decision is in the log");
}
