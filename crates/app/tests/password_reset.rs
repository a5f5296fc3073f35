//! "Forgot your password?" end to end, through the outbox to a real SMTP server on
//! loopback: the link arrives, opening it changes nothing, its form sets the password and
//! signs every session out; the link works once and for an hour; an unknown or disabled
//! address gets the same answer and no mail; without mail the sign-in pages offer no link.
//! Both backends.

mod common;

use std::time::Duration;

use common::smtp_sink::{Received, SmtpSink};
use common::{Browser, TestApp, eventually, mail_through};
use reqwest::StatusCode;
use tribune_core::store::{OutboxStore, UserStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_forgotten_password_is_reset_by_mail,
    unknown_and_disabled_addresses_get_the_same_answer_and_no_mail,
    an_expired_link_is_refused,
    reset_forms_refuse_posts_without_their_token,
    without_mail_the_site_says_to_ask_an_admin,
);

const NEW_PASSWORD: &str = "a brand new secret";

async fn site(db: TestDatabase, sink: &SmtpSink) -> TestApp {
    TestApp::with_config(db, |c| mail_through(c, sink)).await
}

/// Asks for a link for `email` through the form, as a browser does.
async fn ask(b: &Browser, email: &str) -> common::Page {
    let form = b.get("/password/forgot").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let res = b.post_form("/password/forgot", &[("csrf", &csrf), ("email", email)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    b.get(res.header("location")).await
}

/// The reset link in a message (its path on the site).
fn link(app: &TestApp, mail: &Received) -> String {
    let text = mail.decoded();
    let prefix = format!("{}/password/reset/", app.url);
    let start = text.find(&prefix).unwrap_or_else(|| panic!("no link in {text}"));
    let url = text[start..].split_whitespace().next().unwrap().trim_end_matches(['>', '"']);
    url.strip_prefix(&app.url).unwrap().to_owned()
}

async fn set_password(b: &Browser, path: &str, password: &str) -> common::Page {
    let csrf = b.csrf().await;
    b.post_form(path, &[("csrf", &csrf), ("password", password)]).await
}

async fn a_forgotten_password_is_reset_by_mail(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (email, old_password) = app.add_user("Ann Reader", Role::Reader).await;
    let elsewhere = app.browser();
    assert_eq!(elsewhere.login(&email, &old_password).await.status, StatusCode::SEE_OTHER);

    let b = app.browser();
    for door in ["/login", "/admin/login"] {
        let page = b.get(door).await;
        assert!(page.body.contains("href=\"/password/forgot\""), "{door} offers a reset: {}", page.body);
    }
    let answer = ask(&b, "  Ann.Reader@Example.org ").await;
    assert!(answer.body.contains("If an account uses this address"), "{}", answer.body);
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the link went out");
    let mail = &sink.received()[0];
    assert_eq!(mail.to, vec![email.clone()]);
    assert!(mail.header("Subject").unwrap().contains("Reset your password"));
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"), "text and HTML");
    let path = link(&app, mail);

    // A mail scanner (or the reader, twice) opening the link uses nothing up.
    for _ in 0..2 {
        let page = app.browser().get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("autocomplete=\"new-password\""));
    }
    let short = set_password(&b, &path, "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "a too short password is refused");
    assert!(short.body.contains("at least 8 characters"), "{}", short.body);

    let done = set_password(&b, &path, NEW_PASSWORD).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.header("location"), "/password/changed");
    assert!(b.get("/password/changed").await.body.contains("Your new password is set"));

    let account = elsewhere.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER, "the other session is signed out");
    assert!(account.header("location").starts_with("/login"));
    assert_eq!(app.browser().login(&email, &old_password).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().login(&email, NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);

    // The link worked once.
    assert_eq!(app.browser().get(&path).await.status, StatusCode::BAD_REQUEST);
    let again = set_password(&b, &path, "yet another secret").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert!(again.body.contains("not valid any more"));
    assert_eq!(app.browser().login(&email, NEW_PASSWORD).await.status, StatusCode::SEE_OTHER);

    // Following a link mailed to the address showed it is theirs.
    let confirmed: Vec<String> = confirmed_addresses(&app).await;
    assert_eq!(confirmed, vec![email]);
}

/// The accounts whose address is marked confirmed.
async fn confirmed_addresses(app: &TestApp) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
    let rows =
        sqlx::query_scalar("SELECT email FROM users WHERE email_confirmed_at IS NOT NULL ORDER BY email")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

async fn unknown_and_disabled_addresses_get_the_same_answer_and_no_mail(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (email, _) = app.add_user("Sam Staff", Role::Editor).await;
    let (gone, _) = app.add_user("Dan Disabled", Role::Reader).await;
    let (dan, _) = app.state.store.user_credentials(&gone).await.unwrap().unwrap();
    app.state.store.set_user_disabled(dan.id, Some(chrono::Utc::now())).await.unwrap();

    let b = app.browser();
    let known = ask(&b, &email).await;
    let unknown = ask(&b, "nobody@example.org").await;
    let disabled = ask(&b, &gone).await;
    let not_an_address = ask(&b, "not an address").await;
    for other in [&unknown, &disabled, &not_an_address] {
        assert_eq!(other.status, known.status);
        assert_eq!(other.body, known.body, "the same page whatever the address");
    }
    assert!(eventually(5, || async { !sink.received().is_empty() }).await);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let to: Vec<Vec<String>> = sink.received().iter().map(|m| m.to.clone()).collect();
    assert_eq!(to, vec![vec![email.clone()]], "only the enabled account's address gets mail");

    // A disabled account's earlier link stops working too.
    let staff_link = link(&app, &sink.received()[0]);
    let (sam, _) = app.state.store.user_credentials(&email).await.unwrap().unwrap();
    app.state.store.set_user_disabled(sam.id, Some(chrono::Utc::now())).await.unwrap();
    assert_eq!(b.get(&staff_link).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(set_password(&b, &staff_link, NEW_PASSWORD).await.status, StatusCode::BAD_REQUEST);

    // Asking again and again for one address is slowed, whoever asks.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let client = app.browser();
        let csrf = client.get("/password/forgot").await.csrf();
        let res = client.post_form("/password/forgot", &[("csrf", &csrf), ("email", &email)]).await;
        statuses.push(res.status);
    }
    assert_eq!(statuses[..2], [StatusCode::SEE_OTHER; 2], "three free requests per address");
    assert_eq!(statuses[2..], [StatusCode::TOO_MANY_REQUESTS; 2]);
}

async fn an_expired_link_is_refused(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (email, password) = app.add_user("Ed Editor", Role::Editor).await;
    let b = app.browser();
    ask(&b, &email).await;
    assert!(eventually(5, || async { sink.received().len() == 1 }).await);
    let path = link(&app, &sink.received()[0]);
    assert_eq!(b.get(&path).await.status, StatusCode::OK);

    // An hour later.
    app.db.execute("UPDATE account_links SET expires_at = expires_at - 3601").await;
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("for an hour"), "{}", page.body);
    assert_eq!(set_password(&b, &path, NEW_PASSWORD).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.browser().login(&email, &password).await.status, StatusCode::SEE_OTHER, "unchanged");
    let forged = format!("/password/reset/{}", "A".repeat(43));
    assert_eq!(b.get(&forged).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/password/reset/short").await.status, StatusCode::BAD_REQUEST);
}

async fn reset_forms_refuse_posts_without_their_token(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = site(db, &sink).await;
    let (email, password) = app.add_user("Cy Reader", Role::Reader).await;
    let b = app.browser();
    for token in [None, Some("forged")] {
        let mut fields = vec![("email", email.as_str())];
        fields.extend(token.map(|t| ("csrf", t)));
        let res = b.post_form("/password/forgot", &fields).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "no mail for a forged form");

    ask(&b, &email).await;
    assert!(eventually(5, || async { sink.received().len() == 1 }).await);
    let path = link(&app, &sink.received()[0]);
    let other = app.browser().csrf().await;
    for token in [None, Some(other.as_str())] {
        let mut fields = vec![("password", NEW_PASSWORD)];
        fields.extend(token.map(|t| ("csrf", t)));
        assert_eq!(b.post_form(&path, &fields).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.browser().login(&email, &password).await.status, StatusCode::SEE_OTHER, "unchanged");
    assert_eq!(b.get(&path).await.status, StatusCode::OK, "the link still works");
}

async fn without_mail_the_site_says_to_ask_an_admin(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, _) = app.add_user("Al Admin", Role::Admin).await;
    let b = app.browser();
    for door in ["/login", "/admin/login"] {
        assert!(!b.get(door).await.body.contains("/password/forgot"), "{door}: no link without mail");
    }
    let page = b.get("/password/forgot").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("to give you a new password"), "{}", page.body);
    assert!(!page.body.contains("name=\"email\""), "no form");
    let res = b.post_form("/password/forgot", &[("csrf", &b.csrf().await), ("email", &email)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/password/forgot", "back to the page that says why");
    assert_eq!(app.state.store.outbox_counts().await.unwrap().queued, 0, "nothing queued");
}
