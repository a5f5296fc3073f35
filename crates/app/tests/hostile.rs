//! A hostile client against the sign-in and registration forms: bursts, guessing, and
//! forged forwarding headers. Throttles must hold under concurrency and must never lock
//! an account's owner out because a stranger guessed wrong. Both backends.

mod common;

use std::sync::Arc;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article};
use reqwest::StatusCode;
use serde_json::json;
use tribune_core::article::Article;
use tribune_core::store::CommentStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_burst_of_wrong_passwords_is_counted_before_any_is_checked,
    a_stranger_guessing_does_not_lock_the_owner_out,
    forged_forwarding_headers_are_ignored_unless_from_a_trusted_proxy,
    registration_is_throttled_per_address,
    control_characters_are_refused_in_every_kind_of_field,
    invisible_names_and_bodies_are_refused_and_text_is_composed,
    a_session_cookie_counts_only_as_the_site_signed_it,
);

async fn trusting_loopback(db: TestDatabase) -> TestApp {
    TestApp::with_config(db, |c| {
        c.trusted_proxies = "127.0.0.1, ::1".into();
        c.proxies = vec!["127.0.0.1/32".parse().unwrap(), "::1/128".parse().unwrap()];
    })
    .await
}

async fn a_burst_of_wrong_passwords_is_counted_before_any_is_checked(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, _) = app.add_user("Tess Target", Role::Admin).await;
    let b = Arc::new(app.browser());
    let csrf = b.csrf().await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let (b, email, csrf) = (Arc::clone(&b), email.clone(), csrf.clone());
        burst.spawn(async move {
            let fields = [("email", email.as_str()), ("password", "wrong password"), ("csrf", csrf.as_str())];
            b.post_form("/admin/login", &fields).await.status
        });
    }
    let statuses = burst.join_all().await;
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 6, "only the free attempts reach the password check: {statuses:?}");
    assert_eq!(checked + throttled, 40, "every attempt is answered 401 or 429: {statuses:?}");
}

async fn a_stranger_guessing_does_not_lock_the_owner_out(db: TestDatabase) {
    let app = trusting_loopback(db).await;
    let (email, password) = app.add_user("Tess Target", Role::Admin).await;
    let stranger = app.browser_at("203.0.113.9");
    for _ in 0..5 {
        assert_eq!(stranger.login(&email, "guess password").await.status, StatusCode::UNAUTHORIZED);
    }
    let refused = stranger.login(&email, "guess password").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").parse().expect("a Retry-After in seconds");
    assert!((1..=2).contains(&wait), "the first wait is short: {wait}");
    assert!(refused.body.contains("Too many attempts"), "{}", refused.body);
    // Even the right password waits from the guesser's address...
    assert_eq!(stranger.login(&email, &password).await.status, StatusCode::TOO_MANY_REQUESTS);
    // ...but the owner, elsewhere, gets in at once.
    let owner = app.browser_at("198.51.100.4");
    let res = owner.login(&email, &password).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "the owner is not locked out: {}", res.body);
}

async fn forged_forwarding_headers_are_ignored_unless_from_a_trusted_proxy(db: TestDatabase) {
    // No trusted proxy: a client that invents a new X-Forwarded-For for each guess is
    // still one address.
    let app = TestApp::new(db).await;
    let (email, _) = app.add_user("Tess Target", Role::Admin).await;
    for i in 0..5 {
        let b = app.browser_at(&format!("192.0.2.{i}"));
        assert_eq!(b.login(&email, "guess password").await.status, StatusCode::UNAUTHORIZED);
    }
    let b = app.browser_at("192.0.2.200");
    assert_eq!(b.login(&email, "guess password").await.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn registration_is_throttled_per_address(db: TestDatabase) {
    let app = trusting_loopback(db).await;
    let script = app.browser_at("203.0.113.50");
    for i in 0..5 {
        let res = register(&script, i).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        script.forget_cookies();
    }
    let refused = register(&script, 5).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").parse::<u64>().unwrap() >= 30);
    let login = app.browser().login("reader5@example.org", "a long enough password").await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "the refused account was not created");
    // Someone else, elsewhere, registers as usual.
    let neighbour = app.browser_at("198.51.100.77");
    assert_eq!(register(&neighbour, 6).await.status, StatusCode::SEE_OTHER);
}

async fn register(b: &common::Browser, i: usize) -> common::Page {
    let email = format!("reader{i}@example.org");
    let csrf = b.get("/register").await.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "A Reader"),
        ("email", email.as_str()),
        ("password", "a long enough password"),
    ];
    b.post_form("/register", &fields).await
}

async fn story(app: &TestApp) -> Article {
    app.publish(article("Careful words", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await
}

async fn comment(b: &Browser, body: &str, name: &str) -> Page {
    let page = b.get("/articles/careful-words").await;
    let csrf = page.csrf();
    let fields = [("csrf", csrf.as_str()), ("body", body), ("author_name", name)];
    b.post_form("/articles/careful-words/comments", &fields).await
}

async fn control_characters_are_refused_in_every_kind_of_field(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = story(&app).await;
    let b = app.browser();
    for (body, name) in
        [("Hello\0world", "Ann"), ("Hello", "An\0n"), ("Bell \u{7}", "Ann"), ("Esc \u{1b}[31m", "Ann")]
    {
        let res = comment(&b, body, name).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body:?} {name:?}");
        assert!(res.body.contains("control character"), "a clear reason: {}", res.body);
    }
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/articles/careful-words/comments", app.url))
        .json(&json!({"body": "Hi\u{0}", "author_name": "Ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::BAD_REQUEST);
    let error: serde_json::Value = api.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("“body”"), "{error}");
    // The sign-in and registration forms: a 400 with its reason, never a database error.
    let login = b.login("ad\0min@example.org", "whatever password").await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST, "{}", login.body);
    let csrf = b.get("/register").await.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "N\0body"),
        ("email", "n@example.org"),
        ("password", "long enough!"),
    ];
    assert_eq!(b.post_form("/register", &fields).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.get("/search?q=river%00").await.status, StatusCode::BAD_REQUEST);
    // Line breaks and tabs are text.
    assert_eq!(comment(&b, "Two\r\nlines\tand a tab", "Ann").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.state.store.thread(a.id).await.unwrap().len(), 1, "only the plain comment was stored");
}

async fn invisible_names_and_bodies_are_refused_and_text_is_composed(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = story(&app).await;
    let b = app.browser();
    let invisible_name = comment(&b, "A fine point.", "\u{202E}\u{200B}\u{2066}\u{FEFF}").await;
    assert_eq!(invisible_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invisible_name.body.contains("author_name"), "{}", invisible_name.body);
    let invisible_body = comment(&b, "\u{200B}\u{200B}\u{200D}", "Ann").await;
    assert_eq!(invisible_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invisible_body.body.contains("nothing visible"), "{}", invisible_body.body);
    assert_eq!(app.state.store.thread(a.id).await.unwrap().len(), 0);
    // "José" typed with a combining accent is stored composed; a name cannot reverse the page.
    assert_eq!(
        comment(&b, "Cafe\u{301} au lait", "Jose\u{301} \u{202E}Ruiz").await.status,
        StatusCode::SEE_OTHER
    );
    let stored = &app.state.store.thread(a.id).await.unwrap()[0];
    assert_eq!(stored.author_name, "José Ruiz");
    assert_eq!(stored.body_markdown, "Café au lait");
}

async fn a_session_cookie_counts_only_as_the_site_signed_it(db: TestDatabase) {
    let app = TestApp::new(db).await;
    story(&app).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    assert_eq!(editor.get("/admin").await.status, StatusCode::OK);
    let signed = editor.cookie("tribune_session").expect("signed in");
    let (token, _) = signed.rsplit_once('.').expect("token.signature");
    // The bare token (as a stolen database row would give, were it not hashed) or a made-up
    // value is nobody: sent to sign in, and served the page every stranger gets.
    // A page's ETag is the cached page's version, then "-" and 8 characters of the hash of
    // the reader's CSRF token (which may themselves hold a "-").
    let version = |etag: &str| {
        let etag = etag.trim_matches('"');
        etag[..etag.len().saturating_sub(9)].to_owned()
    };
    let stranger = version(app.browser().get("/articles/careful-words").await.header("etag"));
    assert!(!stranger.is_empty());
    for forged in [token.to_owned(), "made-up".to_owned(), format!("{token}.AAAA")] {
        let b = app.browser();
        b.set_cookie("tribune_session", &forged);
        assert_eq!(b.get("/admin").await.status, StatusCode::SEE_OTHER, "{forged}");
        let page = b.get("/articles/careful-words").await;
        assert_eq!(version(page.header("etag")), stranger, "the shared cached page");
    }
}
