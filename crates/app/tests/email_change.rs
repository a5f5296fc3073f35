//! A new address is the account's only once the link mailed to it is followed (a page
//! whose button does it; opening the link changes nothing), and the old address is told.
//! An address another account has gets the same answer and no mail. Both backends.

mod common;

use std::time::Duration;

use common::smtp_sink::{Received, SmtpSink};
use common::{Browser, TestApp, eventually, mail_through};
use reqwest::StatusCode;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_new_address_is_confirmed_by_its_link_and_the_old_one_told,
    an_address_in_use_gets_the_same_answer_and_no_mail,
    the_address_forms_refuse_posts_without_their_token,
);

async fn site(db: TestDatabase, sink: &SmtpSink) -> TestApp {
    TestApp::with_config(db, |c| mail_through(c, sink)).await
}

async fn ask(b: &Browser, email: &str) -> common::Page {
    let csrf = b.get("/account").await.csrf();
    b.post_form("/account/email", &[("csrf", &csrf), ("email", email)]).await
}

fn link(app: &TestApp, mail: &Received) -> String {
    let text = mail.decoded();
    let prefix = format!("{}/account/email/", app.url);
    let start = text.find(&prefix).unwrap_or_else(|| panic!("no link in {text}"));
    let url = text[start..].split_whitespace().next().unwrap().trim_end_matches(['>', '"']);
    url.strip_prefix(&app.url).unwrap().to_owned()
}

async fn sign_in(app: &TestApp, name: &str) -> (Browser, String, String) {
    let (email, password) = app.add_user(name, Role::Reader).await;
    let b = app.browser();
    assert_eq!(b.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    (b, email, password)
}

async fn a_new_address_is_confirmed_by_its_link_and_the_old_one_told(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (b, old, password) = sign_in(&app, "Nell Reader").await;
    let csrf = b.get("/account").await.csrf();
    let renamed = b.post_form("/account/name", &[("csrf", &csrf), ("name", "Nell <b>Reader</b>")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    assert!(b.get("/account").await.body.contains("action=\"/account/email\""), "the form is offered");

    let refused = ask(&b, "not an address").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("is not an email address"), "{}", refused.body);
    assert_eq!(ask(&b, &old).await.status, StatusCode::UNPROCESSABLE_ENTITY, "the same address");

    let res = ask(&b, " Nell.New@Example.org ").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(b.get(res.header("location")).await.body.contains("A link is on its way"));
    assert!(eventually(5, || async { sink.received().len() == 1 }).await);
    let mail = sink.received()[0].clone();
    assert_eq!(mail.to, vec!["nell.new@example.org".to_owned()]);
    assert!(mail.decoded().contains("&#60;b&#62;Reader"), "the name is escaped in HTML: {}", mail.decoded());
    let path = link(&app, &mail);

    // Not yet: the account keeps its address until the link's button is pressed.
    let page = app.browser().get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Make nell.new@example.org the address of your account?"), "{}", page.body);
    assert_eq!(app.browser().login(&old, &password).await.status, StatusCode::SEE_OTHER);

    // Followed in another browser (the mail app's), signed in nowhere.
    let other = app.browser();
    let csrf = other.get(&path).await.csrf();
    let done = other.post_form(&path, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(other.get(done.header("location")).await.body.contains("new address"));
    assert_eq!(app.browser().login(&old, &password).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().login("nell.new@example.org", &password).await.status, StatusCode::SEE_OTHER);
    assert!(b.get("/account").await.body.contains("nell.new@example.org"), "the session goes on");

    assert!(eventually(5, || async { sink.received().len() == 2 }).await, "the old address is told");
    let notice = &sink.received()[1];
    assert_eq!(notice.to, vec![old.clone()]);
    assert!(notice.decoded().contains("nell.new@example.org"));

    // Once only.
    assert_eq!(other.get(&path).await.status, StatusCode::BAD_REQUEST);
    let again = other.post_form(&path, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

async fn an_address_in_use_gets_the_same_answer_and_no_mail(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (b, _, _) = sign_in(&app, "Ola Reader").await;
    let (taken, _) = app.add_user("Pia Other", Role::Reader).await;

    let free = ask(&b, "ola.free@example.org").await;
    let in_use = ask(&b, &taken).await;
    assert_eq!((free.status, free.header("location")), (in_use.status, in_use.header("location")));
    assert!(eventually(5, || async { !sink.received().is_empty() }).await);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let to: Vec<Vec<String>> = sink.received().iter().map(|m| m.to.clone()).collect();
    assert_eq!(to, vec![vec!["ola.free@example.org".to_owned()]], "nothing to the other account");

    // The address taken by another account before the link is followed: refused, no change.
    let path = link(&app, &sink.received()[0]);
    app.add_user("Ola Free", Role::Reader).await;
    let csrf = b.get(&path).await.csrf();
    assert_eq!(b.post_form(&path, &[("csrf", &csrf)]).await.status, StatusCode::BAD_REQUEST);
    assert!(b.get("/account").await.body.contains("ola.reader@example.org"));
}

async fn the_address_forms_refuse_posts_without_their_token(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (b, old, _) = sign_in(&app, "Rex Reader").await;
    let res = b.post_form("/account/email", &[("email", "rex.new@example.org")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(ask(&b, "rex.new@example.org").await.status, StatusCode::SEE_OTHER);
    assert!(eventually(5, || async { sink.received().len() == 1 }).await);
    let path = link(&app, &sink.received()[0]);
    assert_eq!(b.post_form(&path, &[]).await.status, StatusCode::FORBIDDEN);
    let stolen = app.browser().csrf().await;
    assert_eq!(b.post_form(&path, &[("csrf", &stolen)]).await.status, StatusCode::FORBIDDEN);
    assert!(b.get("/account").await.body.contains(&old), "unchanged");
    assert_eq!(b.get(&path).await.status, StatusCode::OK, "the link still works");
}
