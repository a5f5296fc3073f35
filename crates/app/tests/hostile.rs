//! A hostile client against the sign-in and registration forms: bursts, guessing, and
//! forged forwarding headers. Throttles must hold under concurrency and must never lock
//! an account's owner out because a stranger guessed wrong. Both backends.

mod common;

use std::sync::Arc;

use common::TestApp;
use reqwest::StatusCode;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_burst_of_wrong_passwords_is_counted_before_any_is_checked,
    a_stranger_guessing_does_not_lock_the_owner_out,
    forged_forwarding_headers_are_ignored_unless_from_a_trusted_proxy,
    registration_is_throttled_per_address,
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
