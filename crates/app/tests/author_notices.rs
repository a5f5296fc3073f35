//! Authors who ask (on /account) hear of new comments on their articles, through the
//! outbox to a real SMTP server on loopback: when a comment is published, or when a
//! moderator approves a held one; never of their own; one click (RFC 8058) stops them.
//! Both backends.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::smtp_sink::{Received, SmtpSink};
use common::{Browser, TestApp, article, eventually, mail_through, without_rate_limits};
use reqwest::StatusCode;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    an_author_who_asks_hears_of_comments_until_one_click,
    a_held_comment_tells_its_author_once_approved,
);

async fn site(db: TestDatabase, sink: &SmtpSink, hold: bool) -> (TestApp, String) {
    let app = TestApp::with_config(db, |c| {
        mail_through(c, sink);
        without_rate_limits(c);
        c.comments_hold_for_review = hold;
    })
    .await;
    let a = app.publish(article("Harbour <News>", &["Ann Author", "Cy Coauthor"], &[], Utc::now())).await;
    (app, a.slug.to_string())
}

/// An author signed in, who ticked "Tell me of new comments on my articles".
async fn author_who_asks(app: &TestApp, name: &str) -> (Browser, String) {
    let (email, password) = app.add_user(name, Role::Author).await;
    let b = app.browser();
    assert_eq!(b.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    let page = b.get("/account").await;
    assert!(page.body.contains("Tell me of new comments on my articles"), "{}", page.body);
    let res = b.post_form("/account/notices", &[("csrf", &page.csrf()), ("comments", "on")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(b.get("/account").await.body.contains("name=\"comments\" value=\"on\" checked"));
    (b, email)
}

async fn quiet(sink: &SmtpSink, count: usize) {
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(sink.received().len(), count, "{:#?}", sink.received());
}

fn unsubscribe(mail: &Received) -> String {
    let header = mail.header("List-Unsubscribe").expect("a one-click header");
    header.trim_start_matches('<').trim_end_matches('>').to_owned()
}

async fn an_author_who_asks_hears_of_comments_until_one_click(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, false).await;
    let (ann, ann_email) = author_who_asks(&app, "Ann Author").await;
    app.add_user("Cy Coauthor", Role::Author).await; // did not ask
    app.add_user("Ed Elsewhere", Role::Editor).await;

    ann.post_comment(&slug, "My own words.", "Ann").await;
    quiet(&sink, 0).await;

    let guest = app.browser();
    let res = guest.post_comment(&slug, "Well **said**. <script>alert(1)</script>", "Bob <b>").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the author heard");
    quiet(&sink, 1).await;
    let mail = &sink.received()[0];
    assert_eq!(mail.to, vec![ann_email]);
    assert!(mail.header("Subject").unwrap().contains("commented on Harbour <News>"));
    let text = mail.decoded();
    assert!(text.contains("<strong>said</strong>"), "the sanitized HTML: {text}");
    assert_eq!(text.matches("<script>").count(), 1, "as typed in the plain text only: {text}");
    assert!(text.contains("<strong>Bob &#60;b&#62;</strong>"), "the name escaped in HTML: {text}");
    assert!(text.contains(&format!("{}/articles/{slug}#comments", app.url)));
    assert_eq!(mail.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));

    // What a mail client does: one POST, no cookie, no form token.
    let url = unsubscribe(mail);
    let page = app.browser().get(url.strip_prefix(&app.url).unwrap()).await;
    assert!(page.body.contains("Stop them</button>"), "{}", page.body);
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let forged = reqwest::Client::new().post(format!("{url}x")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(!ann.get("/account").await.body.contains("checked"), "the account page shows it off");
    guest.post_comment(&slug, "Another thought.", "Bob").await;
    quiet(&sink, 1).await;
}

async fn a_held_comment_tells_its_author_once_approved(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug) = site(db, &sink, true).await;
    let (_ann, ann_email) = author_who_asks(&app, "Ann Author").await;
    let moderator = app.signed_in("Mo", Role::Moderator).await;
    let held = app.browser().post_comment(&slug, "Held at first.", "Bob").await.comment_id();
    quiet(&sink, 0).await;
    let csrf = moderator.csrf().await;
    let res = moderator
        .post_form(&format!("/comments/{held}/moderate"), &[("csrf", &csrf), ("action", "approve")])
        .await;
    assert!(res.status.is_redirection());
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "approval tells");
    assert_eq!(sink.received()[0].to, vec![ann_email]);
    assert!(sink.received()[0].decoded().contains("Held at first."));
}
