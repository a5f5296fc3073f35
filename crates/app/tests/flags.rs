//! Reader flags, new commenters and a closed site, through real HTTP as readers meet them,
//! on both databases: the seed page's off-topic question flagged by three readers and held,
//! a flag counting once per reader (account or guest browser), one's own comment refused,
//! flags rate-limited per address, the flag link that keeps strangers' page shared,
//! commenters held until a moderator approves one of theirs, and a site closed to comments.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tribune_core::comment::{CommentInput, CommentStatus, validate};
use tribune_core::moderation::Settings;
use tribune_core::store::{ArticleStore, CommentStore, FlagStore, ImportedComment};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    the_seed_pages_microscope_question_is_held_after_three_off_topic_flags,
    a_reader_flags_a_comment_once,
    a_guest_flags_once_per_browser_through_the_api,
    nobody_flags_their_own_comment_and_bad_flags_change_nothing,
    flags_are_rate_limited_per_address,
    flagging_keeps_the_strangers_page_shared,
    new_commenters_are_held_until_a_moderator_approves_one,
    a_closed_site_takes_no_comments_and_keeps_its_discussion,
    a_flagged_comment_waits_in_the_queue_until_a_moderator_acts,
);

const MICROSCOPE: &str = include_str!("fixtures/seed_microscope.txt");
const DISAGREEMENT: &str = include_str!("fixtures/seed_disagreement.txt");

async fn site(db: TestDatabase, adjust: impl FnOnce(&mut tribune::config::Config)) -> TestApp {
    let app = TestApp::with_config(db, adjust).await;
    app.publish(article("Open Door", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    app
}

/// Posts through the article's form, as a browser does; the new comment's id.
async fn post(b: &Browser, body: &str, name: &str) -> i64 {
    b.post_comment("open-door", body, name).await.comment_id()
}

/// Flags through the flag page's form, as a browser without JavaScript does.
async fn flag(b: &Browser, id: i64, reason: &str) -> Page {
    let page = b.get(&format!("/comments/{id}/flag")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    b.post_form(&format!("/comments/{id}/flag"), &[("csrf", &page.csrf()), ("reason", reason)]).await
}

async fn api_flag(app: &TestApp, b: &Browser, id: i64, body: Value) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/comments/{id}/flag", app.url))
        .header("cookie", b.cookie_header())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    if let Some(guest) = res.headers().get_all("set-cookie").iter().find_map(|c| {
        c.to_str().ok()?.strip_prefix("tribune_guest=").map(|v| v.split(';').next().unwrap().to_owned())
    }) {
        b.set_cookie("tribune_guest", &guest);
    }
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn flags_on(app: &TestApp, id: i64) -> u32 {
    app.state.store.flag_summaries(&[id]).await.unwrap().get(&id).map_or(0, |s| s.counts.total())
}

async fn the_seed_pages_microscope_question_is_held_after_three_off_topic_flags(db: TestDatabase) {
    let app = site(db, |_| {}).await;
    let id = post(&app.browser(), MICROSCOPE, "Jens Holm").await;
    assert_eq!(app.status_of(id).await, CommentStatus::Published);
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    let (guest_one, guest_two) = (app.browser(), app.browser());

    for (n, reader) in [&rita, &guest_one].into_iter().enumerate() {
        let res = flag(reader, id, "off-topic").await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let said = reader.get(&format!("/comments/{id}/flag")).await.body;
        assert!(said.contains("You flagged this comment as off-topic"), "{said}");
        assert_eq!(app.status_of(id).await, CommentStatus::Published, "{} flags do not hold it", n + 1);
    }
    app.settle().await;
    assert!(app.browser().get("/articles/open-door").await.body.contains("very good microscopes"));

    let third = flag(&guest_two, id, "off-topic").await;
    assert_eq!(third.status, StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, CommentStatus::Pending, "the third reader's flag holds it");
    let said = guest_two.get(&format!("/comments/{id}/flag")).await.body;
    assert!(said.contains("It now waits for a moderator"), "{said}");
    app.settle().await;
    let stranger = app.browser().get("/articles/open-door").await.body;
    assert!(!stranger.contains("very good microscopes"), "held: strangers no longer see it");

    // Moderators see why, on the page and in the API.
    let decision = app.state.store.comment_decision(id).await.unwrap().unwrap();
    assert_eq!(decision.outcome, "publish", "the pipeline's decision at posting is kept");
    assert!(
        decision.reasons_json.contains("flagged by 3 readers: off-topic (3)"),
        "{}",
        decision.reasons_json
    );
    let moderator = app.signed_in("Mo Moderator", Role::Moderator).await;
    assert!(moderator.get("/articles/open-door").await.body.contains("very good microscopes"));
    let listed: Value = api_list(&app, &moderator).await;
    let c = &listed["comments"][0];
    assert_eq!((c["id"].as_i64(), c["status"].as_str()), (Some(id), Some("pending")));
    assert_eq!(c["flags"], json!({"off-topic": 3}));
    assert!(c["reasons"].as_array().unwrap().iter().any(|r| r["signal"] == "flags"), "{c}");
    let author = api_list(&app, &rita).await;
    assert!(author["comments"].as_array().unwrap().is_empty(), "readers no longer see it");
    // The audit log says who held it and why, beside the pipeline's decision at posting.
    let log = moderator.get(&format!("/admin/moderation/log?comment={id}")).await.body;
    assert!(log.contains("<td>flag-hold</td>") && log.contains("reader flags"), "{log}");
    assert!(
        log.contains("flagged by 3 readers: off-topic (3)") && log.contains("<td>auto-publish</td>"),
        "{log}"
    );
    assert!(
        !log.contains("<td>flags</td>"),
        "the flags are not the pipeline's reason for publishing it: {log}"
    );
}

async fn api_list(app: &TestApp, b: &Browser) -> Value {
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/articles/open-door/comments", app.url))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn a_reader_flags_a_comment_once(db: TestDatabase) {
    let app = site(db, |_| {}).await;
    let id = post(&app.browser(), DISAGREEMENT, "Daniel Castro").await;
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    assert_eq!(flag(&rita, id, "spam").await.status, StatusCode::SEE_OTHER);
    // The page now says so instead of offering the form; a form sent again changes nothing.
    let token = rita.csrf().await;
    let again =
        rita.post_form(&format!("/comments/{id}/flag"), &[("csrf", &token), ("reason", "abuse")]).await;
    assert_eq!(again.status, StatusCode::OK, "a repeat is not an error");
    assert!(again.body.contains("already flagged this comment"), "{}", again.body);
    let (status, body) = api_flag(&app, &rita, id, json!({"reason": "other"})).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("already-flagged")));
    assert_eq!(flags_on(&app, id).await, 1);

    let guest = app.browser();
    assert_eq!(flag(&guest, id, "spam").await.status, StatusCode::SEE_OTHER);
    assert!(guest.cookie("tribune_guest").is_some(), "the guest's browser is who flagged");
    let token = guest.csrf().await;
    let again =
        guest.post_form(&format!("/comments/{id}/flag"), &[("csrf", &token), ("reason", "spam")]).await;
    assert!(again.body.contains("already flagged this comment"), "{}", again.body);
    assert_eq!(flags_on(&app, id).await, 2);
    assert_eq!(app.status_of(id).await, CommentStatus::Published);
}

async fn a_guest_flags_once_per_browser_through_the_api(db: TestDatabase) {
    let app = site(db, |c| common::moderation(c, Settings { flags_to_hold: 2, ..Settings::default() })).await;
    let id = post(&app.browser(), MICROSCOPE, "Jens Holm").await;
    let guest = app.browser();
    let (status, body) = api_flag(&app, &guest, id, json!({"reason": "off-topic"})).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"outcome": "counted", "status": "published"})));
    let (status, body) = api_flag(&app, &guest, id, json!({"reason": "off-topic"})).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("already-flagged")));
    let (status, body) = api_flag(&app, &app.browser(), id, json!({"reason": "spam"})).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"outcome": "counted", "status": "pending"})));
    let (status, body) = api_flag(&app, &app.browser(), id, json!({"reason": "spam"})).await;
    assert_eq!((status, body["outcome"].as_str()), (StatusCode::OK, Some("already-held")));
    assert_eq!(flags_on(&app, id).await, 2);
    let doc: Value =
        reqwest::get(format!("{}/api/openapi.json", app.url)).await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/v1/comments/{id}/flag"]["post"].is_object(), "documented");
}

async fn nobody_flags_their_own_comment_and_bad_flags_change_nothing(db: TestDatabase) {
    let app = site(db, |_| {}).await;
    let jens = app.browser();
    let id = post(&jens, MICROSCOPE, "Jens Holm").await;
    let page = jens.get("/articles/open-door").await.body;
    assert!(!page.contains(&format!("/comments/{id}/flag")), "no Flag link on one's own comment");
    assert_eq!(jens.get(&format!("/comments/{id}/flag")).await.status, StatusCode::FORBIDDEN);
    let token = jens.csrf().await;
    let own = jens.post_form(&format!("/comments/{id}/flag"), &[("csrf", &token), ("reason", "spam")]).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.body.contains("You cannot flag your own comment"), "{}", own.body);
    let (status, body) = api_flag(&app, &jens, id, json!({"reason": "spam"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    let token = rita.csrf().await;
    for (path, reason) in
        [(format!("/comments/{}/flag", id + 100), "spam"), (format!("/comments/{id}/flag"), "")]
    {
        let res = rita.post_form(&path, &[("csrf", &token), ("reason", reason)]).await;
        let expected =
            if reason.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::NOT_FOUND };
        assert_eq!(res.status, expected, "{path} {reason:?}");
    }
    let (status, body) = api_flag(&app, &rita, id, json!({"reason": "boring"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("reason must be one of"), "{body}");
    assert_eq!(api_flag(&app, &rita, id + 100, json!({"reason": "spam"})).await.0, StatusCode::NOT_FOUND);
    // Without the form's token: refused, nothing stored.
    let forged = rita.post_form(&format!("/comments/{id}/flag"), &[("reason", "spam")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(flags_on(&app, id).await, 0);
}

/// Comments by others, straight into the store.
async fn seeded(app: &TestApp, n: usize) -> Vec<i64> {
    let a = app
        .state
        .store
        .article_by_slug(&tribune_core::slug::Slug::parse("open-door").unwrap())
        .await
        .unwrap()
        .unwrap();
    let comments: Vec<ImportedComment> = (0..n)
        .map(|i| {
            let input = CommentInput {
                body: format!("Comment {i}"),
                author_name: Some(format!("P{i}")),
                ..Default::default()
            };
            ImportedComment {
                parent: None,
                comment: validate(&input, None).unwrap(),
                status: CommentStatus::Published,
                created_at: Utc::now(),
                source: None,
            }
        })
        .collect();
    let ids = app.state.store.import_comments(a.id, &comments).await.unwrap();
    app.state.invalidate(tribune::cache::keys_of(&a)).await;
    ids
}

async fn flags_are_rate_limited_per_address(db: TestDatabase) {
    let app = site(db, |_| {}).await;
    let ids = seeded(&app, 12).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for id in ids {
        // A new guest each time, as a script burying comments would be: the address counts.
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/comments/{id}/flag", app.url))
            .json(&json!({"reason": "spam"}))
            .send()
            .await
            .unwrap();
        retry_after =
            retry_after.or(res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()));
        statuses.push(res.status());
    }
    let counted = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    assert_eq!(counted, 10, "ten flags are free: {statuses:?}");
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    // The HTML form answers the same.
    let b = app.browser();
    let token = b.csrf().await;
    let id = seeded(&app, 1).await[0];
    let res = b.post_form(&format!("/comments/{id}/flag"), &[("csrf", &token), ("reason", "spam")]).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(flags_on(&app, id).await, 0);
}

async fn flagging_keeps_the_strangers_page_shared(db: TestDatabase) {
    let app = site(db, |_| {}).await;
    let id = seeded(&app, 1).await[0];
    let version = |p: &Page| {
        let etag = p.header("etag").trim_matches('"').to_owned();
        assert!(!etag.is_empty(), "a cached page");
        etag[..etag.len() - 9].to_owned()
    };
    let stranger = app.browser().get("/articles/open-door").await;
    assert!(stranger.body.contains(&format!("href=\"/comments/{id}/flag\"")), "strangers get the Flag link");
    let guest = app.browser();
    assert_eq!(flag(&guest, id, "other").await.status, StatusCode::SEE_OTHER);
    let after = guest.get("/articles/open-door").await;
    assert_eq!(version(&after), version(&stranger), "a guest who flagged still shares the cached page");
}

async fn new_commenters_are_held_until_a_moderator_approves_one(db: TestDatabase) {
    let app = site(db, |c| common::moderation(c, Settings { trust_after: 1, ..Settings::default() })).await;
    let newcomer = app.browser();
    let first = post(&newcomer, DISAGREEMENT, "Daniel Castro").await;
    assert_eq!(app.status_of(first).await, CommentStatus::Pending);
    let reasons = app.state.store.comment_decision(first).await.unwrap().unwrap().reasons_json;
    assert!(reasons.contains("new commenter"), "{reasons}");
    let second = post(&newcomer, "And another thing about the convoy deal.", "Daniel Castro").await;
    assert_eq!(app.status_of(second).await, CommentStatus::Pending, "still no approved comment");
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    let hers = post(&rita, "A registered reader's first comment.", "").await;
    assert_eq!(app.status_of(hers).await, CommentStatus::Pending, "accounts earn trust too");

    let moderator = app.signed_in("Mo Moderator", Role::Moderator).await;
    let token = moderator.csrf().await;
    let approve = moderator
        .post_form(&format!("/comments/{first}/moderate"), &[("csrf", &token), ("action", "approve")])
        .await;
    assert_eq!(approve.status, StatusCode::SEE_OTHER);
    let trusted = post(&newcomer, "Now that I am known here: a third point.", "Daniel Castro").await;
    assert_eq!(app.status_of(trusted).await, CommentStatus::Published, "trust grows with approved comments");
    // Staff are never held as new commenters (whatever other signals say of the text).
    let staff = post(&moderator, "Staff need no approval.", "").await;
    let why = app.state.store.comment_decision(staff).await.unwrap().map(|d| d.reasons_json);
    assert!(!why.unwrap_or_default().contains("new commenter"));
    let stranger = post(&app.browser(), "Another newcomer, same address.", "Someone").await;
    assert_eq!(app.status_of(stranger).await, CommentStatus::Pending, "trust is per commenter");
}

async fn a_closed_site_takes_no_comments_and_keeps_its_discussion(db: TestDatabase) {
    let app = site(db, |c| c.comments_closed = true).await;
    let id = seeded(&app, 1).await[0];
    let b = app.browser();
    let page = b.get("/articles/open-door").await;
    assert!(page.body.contains("Comment 0"), "the discussion stays visible");
    assert!(page.body.contains("comments are closed on this site."), "the form gives way to a notice");
    assert!(!page.body.contains("id=\"comment-form\"") && !page.body.contains(">Reply<"));
    let token = b.csrf().await;
    let fields = [("csrf", token.as_str()), ("body", "Still here?"), ("author_name", "Late")];
    let res = b.post_form("/articles/open-door/comments", &fields).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("Comments are closed on this site."));
    let reply = b
        .post_form(
            "/articles/open-door/comments",
            &[fields[0], fields[1], fields[2], ("parent_id", &id.to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get(&format!("/comments/{id}/reply")).await.status, StatusCode::FORBIDDEN);
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/articles/open-door/comments", app.url))
        .json(&json!({"body": "Through the API?", "author_name": "Late"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    assert!(!rita.get("/articles/open-door").await.body.contains("id=\"comment-form\""));
    assert_eq!(
        app.state
            .store
            .thread(app.state.store.comment(id).await.unwrap().unwrap().article_id)
            .await
            .unwrap()
            .len(),
        1
    );
    // What is there can still be flagged.
    assert_eq!(flag(&b, id, "spam").await.status, StatusCode::SEE_OTHER);
}

async fn a_flagged_comment_waits_in_the_queue_until_a_moderator_acts(db: TestDatabase) {
    let app = site(db, common::without_rate_limits).await;
    let id = post(&app.browser(), MICROSCOPE, "Curious Reader").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    assert!(mo.get("/admin/moderation").await.body.contains("Nothing is waiting"));

    let reader = app.signed_in("Rita Reader", Role::Reader).await;
    assert_eq!(flag(&reader, id, "off-topic").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.status_of(id).await, CommentStatus::Published, "one flag holds nothing");
    let queue = mo.get("/admin/moderation").await;
    assert!(queue.body.contains("(1 waiting)"), "the nav and heading count it");
    assert!(queue.body.contains("Published, flagged by 1 reader:"), "{}", queue.body);
    assert!(queue.body.contains("off-topic (1)"));

    // Kept published by a moderator: its flags are settled and it leaves the queue.
    let csrf = queue.csrf();
    let fields = [("csrf", csrf.as_str()), ("verdict", "approve"), ("seen", "published")];
    let kept = mo.post_form(&format!("/admin/moderation/{id}/decide"), &fields).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.body);
    assert_eq!(app.status_of(id).await, CommentStatus::Published);
    let settled = mo.get("/admin/moderation").await;
    assert!(settled.body.contains("Nothing is waiting"), "{}", settled.body);

    // A new flag after the decision brings it back.
    let other = app.signed_in("Otto Reader", Role::Reader).await;
    flag(&other, id, "spam").await;
    let again = mo.get("/admin/moderation").await;
    assert!(again.body.contains("Published, flagged by 2 readers:"), "{}", again.body);
}
