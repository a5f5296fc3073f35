//! Reply notifications end to end, through the outbox to a real SMTP server on loopback:
//! a reader who asks hears of replies (and not before asking, nor of their own); a guest
//! confirms their address first, by the signed link; one click (RFC 8058's POST, no
//! cookie) stops them; a held reply tells only once a moderator approves it. Both backends.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::smtp_sink::{Received, SmtpSink};
use common::{Browser, Page, TestApp, article, eventually, mail_through, without_rate_limits};
use reqwest::StatusCode;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_reader_hears_of_replies_after_asking_and_not_of_their_own,
    a_guest_confirms_their_address_first,
    one_click_stops_the_notices,
    a_held_reply_tells_once_approved,
    a_reply_approved_from_the_command_line_tells_too,
    the_api_subscribes_as_the_form_does,
);

async fn site(db: TestDatabase, sink: &SmtpSink, hold: bool) -> (TestApp, String) {
    let app = TestApp::with_config(db, |c| {
        mail_through(c, sink);
        without_rate_limits(c);
        c.comments_hold_for_review = hold;
    })
    .await;
    let a = app.publish(article("Talk of the Town", &["Ann"], &[], Utc::now())).await;
    (app, a.slug.to_string())
}

/// Posts a comment through the article's form with these extra fields.
async fn post(b: &Browser, slug: &str, body: &str, fields: &[(&str, &str)]) -> Page {
    let csrf = b.get(&format!("/articles/{slug}")).await.csrf();
    let mut all = vec![("csrf", csrf.as_str()), ("body", body)];
    all.extend_from_slice(fields);
    b.post_form(&format!("/articles/{slug}/comments"), &all).await
}

async fn reader(app: &TestApp, name: &str) -> (Browser, String) {
    let (email, password) = app.add_user(name, Role::Reader).await;
    let b = app.browser();
    assert_eq!(b.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    (b, email)
}

/// Nothing more arrives for a moment (the worker polls every second).
async fn quiet(sink: &SmtpSink, count: usize) {
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(sink.received().len(), count, "{:#?}", sink.received());
}

/// The first address in the text that starts with `prefix`.
fn link(mail: &Received, prefix: &str) -> String {
    let text = mail.decoded();
    let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..].split_whitespace().next().unwrap().trim_end_matches(['>', '"']).to_owned()
}

async fn a_reader_hears_of_replies_after_asking_and_not_of_their_own(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, false).await;
    let (ann, ann_email) = reader(&app, "Ann").await;
    let bob = app.browser();

    let quiet_one = post(&ann, &slug, "No mail for this one.", &[]).await.comment_id();
    let asked = post(&ann, &slug, "Tell me what you think.", &[("notify_replies", "on")]).await.comment_id();
    let id = quiet_one.to_string();
    post(&bob, &slug, "A reply nobody asked to hear of.", &[("author_name", "Bob"), ("parent_id", &id)])
        .await;
    quiet(&sink, 0).await;

    let id = asked.to_string();
    let reply = "I **disagree**. <script>alert(1)</script>";
    post(&bob, &slug, reply, &[("author_name", "Bob"), ("parent_id", &id)]).await.comment_id();
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the notice went out");
    let got = &sink.received()[0];
    assert_eq!(got.to, vec![ann_email.clone()]);
    assert_eq!(got.header("Subject").as_deref(), Some("Bob replied to your comment on Talk of the Town"));
    let text = got.decoded();
    let (plain, html) = text.split_once("Content-Type: text/html").expect("an HTML part");
    assert!(plain.contains("I **disagree**."), "the text part has the reply as written: {plain}");
    assert!(html.contains("<strong>disagree</strong>"), "the HTML part has it rendered: {html}");
    assert!(!html.contains("<script>"), "and sanitized: {html}");
    assert!(html.contains(&format!("{}/comments/{asked}/replies", app.url)), "a link to the replies");
    let unsubscribe = got.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with(&format!("<{}/replies/unsubscribe/", app.url)), "{unsubscribe}");
    assert_eq!(got.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));

    post(&ann, &slug, "Answering myself.", &[("parent_id", &id)]).await.comment_id();
    quiet(&sink, 1).await;
}

async fn a_guest_confirms_their_address_first(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, false).await;
    let gus = app.browser();
    let bob = app.browser();

    let no_address = post(&gus, &slug, "Tell me!", &[("author_name", "Gus"), ("notify_replies", "on")]).await;
    assert_eq!(no_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_address.body.contains("Email is needed to tell you of replies"), "{}", no_address.body);

    let fields = [("author_name", "Gus"), ("author_email", "gus@example.test"), ("notify_replies", "on")];
    let asked = post(&gus, &slug, "Tell me of replies, please.", &fields).await.comment_id();
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the confirmation went out");
    let confirmation = sink.received()[0].clone();
    assert_eq!(confirmation.to, vec!["gus@example.test".to_owned()]);
    assert!(confirmation.header("Subject").unwrap().starts_with("Confirm"));

    let id = asked.to_string();
    post(&bob, &slug, "Before you confirmed.", &[("author_name", "Bob"), ("parent_id", &id)]).await;
    quiet(&sink, 1).await;

    let confirm = link(&confirmation, &format!("{}/replies/confirm/", app.url));
    let path = confirm.strip_prefix(&app.url).unwrap();
    // Its last character changed (to one it is not: it was `x` once in 64 runs).
    let (signed, last) = path.split_at(path.len() - 1);
    let other = if last == "x" { "y" } else { "x" };
    let forged = app.browser().get(&format!("{signed}{other}")).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "a link the site did not sign");
    // Following the link (as a mail scanner would) confirms nothing: the page's button does.
    let reader = app.browser();
    let page = reader.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm</button>"));
    let done = reader.post_form(path, &[("csrf", &page.csrf())]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let done = reader.get(done.header("location")).await;
    assert!(done.body.contains("Confirmed"), "{}", done.body);

    post(&bob, &slug, "After you confirmed.", &[("author_name", "Bob"), ("parent_id", &id)]).await;
    assert!(eventually(5, || async { sink.received().len() == 2 }).await, "now the notice goes out");
    assert!(sink.received()[1].decoded().contains("After you confirmed."));
}

async fn one_click_stops_the_notices(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, false).await;
    let (ann, _) = reader(&app, "Ann").await;
    let bob = app.browser();
    let asked = post(&ann, &slug, "Tell me what you think.", &[("notify_replies", "on")]).await.comment_id();
    let id = asked.to_string();
    post(&bob, &slug, "First reply.", &[("author_name", "Bob"), ("parent_id", &id)]).await;
    assert!(eventually(5, || async { sink.received().len() == 1 }).await);
    let header = sink.received()[0].header("List-Unsubscribe").unwrap();
    let url = header.trim_start_matches('<').trim_end_matches('>').to_owned();

    let page = app.browser().get(url.strip_prefix(&app.url).unwrap()).await;
    assert!(page.body.contains("Stop them</button>"), "the link opens a page with one button");
    // What a mail client does: one POST, no cookie, no form token.
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("no more e-mails"));
    let forged = reqwest::Client::new().post(format!("{url}x")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);

    post(&bob, &slug, "Second reply.", &[("author_name", "Bob"), ("parent_id", &id)]).await;
    quiet(&sink, 1).await;
}

async fn a_held_reply_tells_once_approved(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, true).await;
    let moderator = app.signed_in("Mo", Role::Moderator).await;
    let (ann, ann_email) = reader(&app, "Ann").await;
    let bob = app.browser();
    let asked = post(&ann, &slug, "Tell me what you think.", &[("notify_replies", "on")]).await.comment_id();
    let approve = |id: i64| {
        let moderator = &moderator;
        async move {
            let csrf = moderator.csrf().await;
            let path = format!("/comments/{id}/moderate");
            moderator.post_form(&path, &[("csrf", &csrf), ("action", "approve")]).await
        }
    };
    approve(asked).await;
    let id = asked.to_string();
    let reply =
        post(&bob, &slug, "Held at first.", &[("author_name", "Bob"), ("parent_id", &id)]).await.comment_id();
    quiet(&sink, 0).await;
    assert!(approve(reply).await.status.is_redirection());
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "approval tells");
    assert_eq!(sink.received()[0].to, vec![ann_email]);
    assert!(sink.received()[0].decoded().contains("Held at first."));
}

async fn a_reply_approved_from_the_command_line_tells_too(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, true).await;
    let moderator = app.signed_in("Mo", Role::Moderator).await;
    let (ann, ann_email) = reader(&app, "Ann").await;
    let asked = post(&ann, &slug, "Tell me what you think.", &[("notify_replies", "on")]).await.comment_id();
    let csrf = moderator.csrf().await;
    let path = format!("/comments/{asked}/moderate");
    moderator.post_form(&path, &[("csrf", &csrf), ("action", "approve")]).await;
    let id = asked.to_string();
    let reply = post(
        &app.browser(),
        &slug,
        "Approved by the terminal.",
        &[("author_name", "Bob"), ("parent_id", &id)],
    )
    .await
    .comment_id();
    quiet(&sink, 0).await;

    // The operator's terminal, with the site's mail settings: the notice is written to the
    // outbox with the decision, and the running server's worker sends it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["moderation", "approve", &reply.to_string(), "--database-url", &app.db.url])
        .env_remove("TRIBUNE_CONFIG")
        .env("TRIBUNE_SMTP_URL", &app.state.config.smtp_url)
        .env("TRIBUNE_MAIL_FROM", &app.state.config.mail_from)
        .env("TRIBUNE_BASE_URL", &app.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    app.state.mail_queued();
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "approval from the CLI tells");
    let notice = &sink.received()[0];
    assert_eq!(notice.to, vec![ann_email]);
    assert!(notice.decoded().contains("Approved by the terminal."));
    assert!(link(notice, &format!("{}/replies/unsubscribe/", app.url)).len() > 40, "the site's own links");
}

/// Posts a comment through the JSON API, with this browser's cookies.
async fn post_json(
    app: &TestApp,
    b: &Browser,
    slug: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/articles/{slug}/comments", app.url))
        .header("cookie", b.cookie_header())
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn the_api_subscribes_as_the_form_does(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, false).await;
    let (ann, ann_email) = reader(&app, "Ann").await;
    let guest = app.browser();

    // A guest must give an address to ask; with one, the confirmation link is mailed.
    let (status, _) = post_json(
        &app,
        &guest,
        &slug,
        serde_json::json!({
        "body": "No address.", "author_name": "Gil", "notify_replies": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, gil) = post_json(&app, &guest, &slug, serde_json::json!({
        "body": "Tell me.", "author_name": "Gil", "author_email": "gil@example.test", "notify_replies": true}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{gil}");
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the confirmation");
    assert_eq!(sink.received()[0].to, vec!["gil@example.test".to_owned()]);
    assert!(sink.received()[0].decoded().contains("/replies/confirm/"));

    // A signed-in reader is subscribed at once: a reply tells them.
    let (status, mine) =
        post_json(&app, &ann, &slug, serde_json::json!({"body": "Mine.", "notify_replies": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let id = mine["id"].as_i64().unwrap().to_string();
    post(&app.browser(), &slug, "An answer.", &[("author_name", "Bob"), ("parent_id", &id)])
        .await
        .comment_id();
    assert!(eventually(5, || async { sink.received().len() == 2 }).await, "the reply's notice");
    assert_eq!(sink.received()[1].to, vec![ann_email]);
    // The unconfirmed guest hears nothing of a reply.
    let gil_id = gil["id"].as_i64().unwrap().to_string();
    post(&app.browser(), &slug, "To Gil.", &[("author_name", "Bob"), ("parent_id", &gil_id)]).await;
    quiet(&sink, 2).await;
}
