//! Cross-site request forgery, route by route: every POST route of the router is listed
//! here with how it is protected (the list is checked against the source, so a new route
//! cannot be forgotten), and each form refuses a missing token and another session's or
//! browser's token with 403, changing nothing in the database. The JSON API takes only
//! JSON (which another site cannot send without asking first), the Stripe webhook only a
//! signature. Also: the headers every response carries, and bodies over the limit.
//! Every test runs on SQLite and on PostgreSQL.

mod common;

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article, snapshot};
use reqwest::StatusCode;
use tribune_core::account_mail::AccountComposer;
use tribune_core::funding::donations::{ManualDonation, add_manual_donation};
use tribune_core::store::{AccountLinkStore, UserStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    every_form_refuses_a_missing_token_and_another_sessions_token,
    the_json_api_and_the_webhook_take_no_form,
    scripts_may_send_the_token_in_a_header,
    signing_in_and_out_rotates_the_token,
    the_cached_article_page_gives_each_reader_their_own_token,
    every_response_carries_the_security_headers,
    admin_pages_and_exports_are_not_stored,
    an_https_site_asks_for_https_only,
    bodies_over_the_limit_are_413_as_json_or_as_a_page,
);

/// How a POST route is protected from other sites.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guard {
    /// A form with the session-bound token (`CsrfForm`).
    Token,
    /// JSON only: a cross-site form cannot send `application/json` without a preflight.
    Json,
    /// Stripe's signature, no cookies involved.
    Signature,
    /// The embedded discussion's frame, which gets no cookies: its signed identity and the
    /// form token bound to it travel in the form (refusals are tested in `embed.rs`).
    Frame,
}

/// Every POST route, in the order the walk runs them (sign-in and sign-out last: they
/// change the session).
const POST_ROUTES: &[(&str, Guard)] = &[
    ("/admin/articles", Guard::Token),
    ("/admin/articles/{id}", Guard::Token),
    ("/admin/articles/{id}/status", Guard::Token),
    ("/admin/articles/{id}/comments", Guard::Token),
    ("/admin/articles/{id}/supporters-only", Guard::Token),
    ("/admin/funding/goal", Guard::Token),
    ("/admin/funding/donations", Guard::Token),
    ("/admin/funding/entries/{id}/reverse", Guard::Token),
    ("/admin/users", Guard::Token),
    ("/admin/users/{id}/role", Guard::Token),
    ("/admin/users/{id}/disabled", Guard::Token),
    ("/admin/users/{id}/password", Guard::Token),
    ("/admin/users/{id}/delete", Guard::Token),
    ("/admin/settings", Guard::Token),
    ("/admin/menu", Guard::Token),
    // Gone on a site with accounts, as this one is: its own token is tried in settings.rs.
    ("/setup", Guard::Token),
    // A multipart form (the file upload): the token is its first field.
    ("/admin/media", Guard::Token),
    ("/admin/media/{name}/delete", Guard::Token),
    ("/articles/{slug}/comments", Guard::Token),
    ("/comments/{id}/edit", Guard::Token),
    ("/comments/{id}/delete", Guard::Token),
    ("/comments/{id}/vote", Guard::Token),
    ("/comments/{id}/flag", Guard::Token),
    ("/comments/{id}/moderate", Guard::Token),
    ("/replies/confirm/{token}", Guard::Token),
    ("/admin/moderation/{id}/decide", Guard::Token),
    ("/admin/moderation/bulk", Guard::Token),
    // Bans the guest's address, which every browser of the walk shares: after the comments.
    ("/admin/moderation/{id}/ban", Guard::Token),
    ("/account/name", Guard::Token),
    ("/account/password", Guard::Token),
    ("/account/supporter-badge", Guard::Token),
    ("/account/email", Guard::Token),
    ("/account/email/{token}", Guard::Token),
    ("/account/notices", Guard::Token),
    ("/register", Guard::Token),
    ("/password/forgot", Guard::Token),
    ("/password/reset/{token}", Guard::Token),
    ("/login", Guard::Token),
    ("/admin/login", Guard::Token),
    ("/admin/logout", Guard::Token),
    ("/api/v1/articles/{slug}/comments", Guard::Json),
    ("/api/v1/comments/{id}/flag", Guard::Json),
    ("/webhooks/stripe", Guard::Signature),
    // RFC 8058's one-click POST from a mail client: the signed link is the authority, and
    // it only ever turns messages off.
    ("/replies/unsubscribe/{token}", Guard::Signature),
    ("/notices/comments/unsubscribe/{token}", Guard::Signature),
    ("/embed/discussion", Guard::Frame),
    // Takes only a one-use token the sign-in pop-up made for a signed-in reader.
    ("/embed/signin", Guard::Frame),
];

/// The POST routes the source declares: every `.route("…", …post(…))` under `src/http`.
fn declared_post_routes() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // A route's line may wrap: take each `.route(` call up to the next one.
                for call in text.split(".route(").skip(1) {
                    let call = &call[..call.find(")\n").unwrap_or(call.len())];
                    let route = call.trim_start().trim_start_matches('"').split('"').next().unwrap();
                    if call.contains("post(") {
                        out.insert(route.to_owned());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"), &mut out);
    out
}

#[test]
fn the_walk_lists_every_post_route_of_the_router() {
    let listed: BTreeSet<String> = POST_ROUTES.iter().map(|(r, _)| r.to_string()).collect();
    let declared = declared_post_routes();
    assert!(declared.len() >= 20, "the source scan finds the routes: {declared:?}");
    assert_eq!(listed, declared, "a POST route must be listed here with how it is protected");
}

/// What the walk needs to exist: an article, comments, a user, a ledger entry.
struct World {
    slug: String,
    article_id: i64,
    other_article_id: i64,
    own_comment: i64,
    own_comment_2: i64,
    guest_comment: i64,
    user_id: i64,
    entry_id: i64,
    admin_email: String,
    admin_password: String,
    /// A confirmation link's token as the site signs it.
    confirm_token: String,
    /// A password reset link's token for the user (not the admin, whose session the walk needs).
    reset_token: String,
    /// A link's token confirming a new address for the user.
    change_token: String,
    media_name: String,
}

async fn world(app: &TestApp, admin: &Browser, admin_email: String, admin_password: String) -> World {
    let when = Utc::now() - Duration::hours(1);
    let a = app.publish(article("Walk", &["Ada Writer"], &[], when)).await;
    let other = app.publish(article("Other", &["Ada Writer"], &[], when)).await;
    let guest = app.browser();
    let guest_comment = posted(&post_comment(&guest, "walk", "A guest's words.").await);
    let own_comment = posted(&post_comment(admin, "walk", "Mine.").await);
    let own_comment_2 = posted(&post_comment(admin, "walk", "Mine too.").await);
    let (email, _) = app.add_user("Uma User", Role::Author).await;
    let (user, _) = app.state.store.user_credentials(&email).await.unwrap().unwrap();
    let gift =
        ManualDonation { amount: "10".into(), currency: "USD".into(), date: None, donor: None, note: None };
    let entry_id = add_manual_donation(
        &app.state.store,
        gift,
        tribune_core::funding::guard::Guard::default(),
        app.state.config.tz(),
        Utc::now(),
    )
    .await
    .unwrap();
    let media = tribune_core::media::add_media(
        &app.state.store,
        &tribune_core::work::Inline,
        None,
        "walk.png",
        common::png(20, 10),
        "A walk",
    )
    .await
    .unwrap();
    // Links for an account the walk leaves alone (it disables and deletes Uma).
    let (walker_email, _) = app.add_user("Walt Walker", Role::Reader).await;
    let (walker, _) = app.state.store.user_credentials(&walker_email).await.unwrap().unwrap();
    let reset_token = "w".repeat(43);
    let (mail, _) = tribune::account_mail::SiteAccountMail {
        config: app.state.config.clone(),
        keys: app.state.keys.clone(),
    }
    .password_reset(&walker_email);
    app.state
        .store
        .add_reset_link(
            &walker_email,
            &tribune::keys::token_hash(&reset_token),
            &mail,
            Utc::now(),
            Utc::now() + Duration::hours(1),
        )
        .await
        .unwrap();
    let change_token = "c".repeat(43);
    app.state
        .store
        .add_email_change_link(
            walker.id,
            "walt.new@example.org",
            &tribune::keys::token_hash(&change_token),
            &mail,
            Utc::now(),
            Utc::now() + Duration::hours(1),
        )
        .await
        .unwrap();
    World {
        change_token,
        reset_token,
        media_name: media.name,
        slug: a.slug.as_str().to_owned(),
        article_id: a.id,
        other_article_id: other.id,
        own_comment,
        own_comment_2,
        guest_comment,
        user_id: user.id,
        entry_id,
        admin_email,
        admin_password,
        confirm_token: app.state.keys.sign(
            tribune::reply_mail::CONFIRM_PURPOSE,
            &format!("walk~{}", (Utc::now() + Duration::days(1)).timestamp()),
        ),
    }
}

async fn post_comment(b: &Browser, slug: &str, body: &str) -> Page {
    let token = b.get(&format!("/articles/{slug}")).await.csrf();
    let fields = [("csrf", token.as_str()), ("body", body), ("author_name", "Gus")];
    b.post_form(&format!("/articles/{slug}/comments"), &fields).await
}

fn posted(p: &Page) -> i64 {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    p.header("location").strip_prefix("/comments/").unwrap().parse().unwrap()
}

/// The path and the fields of a form that this route accepts with the right token.
fn request(route: &str, w: &World) -> (String, Vec<(&'static str, String)>) {
    let s = |v: &str| v.to_owned();
    let month = Utc::now().format("%Y-%m").to_string();
    match route {
        "/admin/articles" => {
            (s(route), vec![("title", s("Forged")), ("body", s("x")), ("action", s("save"))])
        }
        "/admin/articles/{id}" => (
            format!("/admin/articles/{}", w.other_article_id),
            vec![
                ("title", s("Renamed")),
                ("body", s("x")),
                ("status", s("published")),
                ("action", s("save")),
            ],
        ),
        "/admin/articles/{id}/status" => {
            (format!("/admin/articles/{}/status", w.other_article_id), vec![("status", s("draft"))])
        }
        "/admin/articles/{id}/comments" => {
            (format!("/admin/articles/{}/comments", w.article_id), vec![("closed", s("0"))])
        }
        "/admin/articles/{id}/supporters-only" => {
            (format!("/admin/articles/{}/supporters-only", w.other_article_id), vec![("only", s("1"))])
        }
        "/admin/funding/goal" => {
            (s(route), vec![("month", month), ("goal", s("500")), ("currency", s("USD"))])
        }
        "/admin/funding/donations" => (s(route), vec![("amount", s("5")), ("currency", s("USD"))]),
        "/admin/funding/entries/{id}/reverse" => (
            format!("/admin/funding/entries/{}/reverse", w.entry_id),
            vec![("note", s("oops")), ("confirm", s("yes"))],
        ),
        "/admin/users" => (
            s(route),
            vec![
                ("name", s("Mallory")),
                ("email", s("mallory@example.org")),
                ("role", s("admin")),
                ("password", s("long enough pw")),
            ],
        ),
        "/admin/users/{id}/role" => (format!("/admin/users/{}/role", w.user_id), vec![("role", s("admin"))]),
        "/admin/users/{id}/disabled" => (
            format!("/admin/users/{}/disabled", w.user_id),
            vec![("disabled", s("yes")), ("confirm", s("yes"))],
        ),
        "/admin/users/{id}/password" => (
            format!("/admin/users/{}/password", w.user_id),
            vec![("password", s("given by the admin")), ("confirm", s("yes"))],
        ),
        "/admin/users/{id}/delete" => {
            (format!("/admin/users/{}/delete", w.user_id), vec![("confirm", s("yes"))])
        }
        "/account/name" => (s(route), vec![("name", s("Ada Renamed"))]),
        // The same password again: sign-in, later in the walk, still takes it.
        "/account/password" => {
            (s(route), vec![("current", w.admin_password.clone()), ("password", w.admin_password.clone())])
        }
        "/account/supporter-badge" => (s(route), vec![("shown", s("yes"))]),
        "/admin/settings" => (s(route), vec![("site_title", s("Walked")), ("support_other", s("Forged"))]),
        "/admin/menu" => (
            s(route),
            vec![("label_0", s("Forged")), ("to_0", s("url")), ("url_0", s("https://forged.example/"))],
        ),
        "/setup" => (
            s(route),
            vec![
                ("code", s("ABCD-EFGH-JKLM")),
                ("name", s("Mallory")),
                ("email", s("mallory@example.org")),
                ("password", s("long enough pw")),
                ("site_title", s("Taken")),
                ("goal_amount", s("10")),
                ("goal_currency", s("USD")),
            ],
        ),
        "/admin/media" => (s(route), vec![("alt", s("Forged"))]),
        "/admin/media/{name}/delete" => (format!("/admin/media/{}/delete", w.media_name), vec![]),
        "/articles/{slug}/comments" => {
            (format!("/articles/{}/comments", w.slug), vec![("body", s("Forged")), ("author_name", s("X"))])
        }
        "/comments/{id}/edit" => (format!("/comments/{}/edit", w.own_comment), vec![("body", s("Forged"))]),
        "/comments/{id}/delete" => (format!("/comments/{}/delete", w.own_comment_2), vec![]),
        "/comments/{id}/vote" => (format!("/comments/{}/vote", w.guest_comment), vec![("value", s("down"))]),
        "/comments/{id}/flag" => {
            (format!("/comments/{}/flag", w.guest_comment), vec![("reason", s("off-topic"))])
        }
        "/comments/{id}/moderate" => {
            (format!("/comments/{}/moderate", w.guest_comment), vec![("action", s("hide"))])
        }
        "/admin/moderation/{id}/decide" => {
            (format!("/admin/moderation/{}/decide", w.guest_comment), vec![("verdict", s("approve"))])
        }
        "/admin/moderation/bulk" => {
            let pick = format!("c{}", w.guest_comment);
            (s(route), vec![("verdict", s("reject-spam")), (pick.leak(), s("on"))])
        }
        "/admin/moderation/{id}/ban" => (
            format!("/admin/moderation/{}/ban", w.guest_comment),
            vec![("duration", s("7d")), ("reason", s("walk"))],
        ),
        "/register" => (
            s(route),
            vec![
                ("name", s("Forged")),
                ("email", s("forged@example.org")),
                ("password", s("long enough pw")),
            ],
        ),
        "/login" | "/admin/login" => {
            (s(route), vec![("email", w.admin_email.clone()), ("password", w.admin_password.clone())])
        }
        "/admin/logout" => (s(route), vec![]),
        "/replies/confirm/{token}" => (format!("/replies/confirm/{}", w.confirm_token), vec![]),
        "/password/forgot" => (s(route), vec![("email", w.admin_email.clone())]),
        "/account/email" => (s(route), vec![("email", s("ada.new@example.org"))]),
        "/account/notices" => (s(route), vec![("comments", s("on"))]),
        "/account/email/{token}" => (format!("/account/email/{}", w.change_token), vec![]),
        "/password/reset/{token}" => {
            (format!("/password/reset/{}", w.reset_token), vec![("password", s("a walk's new password"))])
        }
        other => panic!("no request for {other}"),
    }
}

async fn post_with(b: &Browser, path: &str, fields: &[(&'static str, String)], token: Option<&str>) -> Page {
    if path == "/admin/media" {
        // An upload: the token goes first, as the form's hidden field does.
        let mut all: Vec<(&str, &str)> = token.map(|t| ("csrf", t)).into_iter().collect();
        all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        return b.post_multipart(path, &all, ("file", "forged.png", "image/png", &common::png(30, 20))).await;
    }
    let mut all: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(token) = token {
        all.push(("csrf", token));
    }
    b.post_form(path, &all).await
}

async fn every_form_refuses_a_missing_token_and_another_sessions_token(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Ada Admin", Role::Admin).await;
    let admin = app.browser();
    assert_eq!(admin.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    let other_admin = app.signed_in("Otto Other", Role::Admin).await;
    let stranger = app.browser(); // never signed in: its token is bound to its browser id
    let anonymous = app.browser();
    let w = world(&app, &admin, email, password).await;

    for &(route, guard) in POST_ROUTES {
        if guard != Guard::Token {
            continue;
        }
        let (path, fields) = request(route, &w);
        app.settle().await; // the previous route's changes, written in full first
        let before = snapshot(&app.db).await;
        let stolen = [other_admin.csrf().await, stranger.csrf().await];
        let mine = admin.csrf().await;
        assert!(!stolen.contains(&mine));
        for token in [None, Some(""), Some("forged"), Some(stolen[0].as_str()), Some(stolen[1].as_str())] {
            let res = post_with(&admin, &path, &fields, token).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{route} with {token:?}: {}", res.body);
            assert!(res.body.contains("This form has expired"), "{route}: the site's page says why");
        }
        // A browser nobody signed in, with another browser's token.
        let res = post_with(&anonymous, &path, &fields, Some(&stolen[1])).await;
        let to_login = res.status == StatusCode::SEE_OTHER && res.header("location").contains("login?next=");
        assert!(res.status == StatusCode::FORBIDDEN || to_login, "{route} anonymous: {}", res.status);
        assert_eq!(snapshot(&app.db).await, before, "{route}: a refused form changes nothing");

        // The same form with this session's own token goes through: the token was the reason.
        let res = post_with(&admin, &path, &fields, Some(&mine)).await;
        if route == "/setup" {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "no setup on a site with accounts");
            continue;
        }
        assert!(res.status.is_redirection(), "{route} with its own token: {} {}", res.status, res.body);
    }
}

async fn the_json_api_and_the_webhook_take_no_form(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.stripe_webhook_secret = "whsec_walk".into()).await;
    let b = app.signed_in("Rita Reader", Role::Reader).await;
    let a = app.publish(article("Api", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let path = format!("/api/v1/articles/{}/comments", a.slug.as_str());
    let before = snapshot(&app.db).await;
    // What a form on another site can send: urlencoded, multipart or text/plain, with cookies.
    let client = reqwest::Client::new();
    let cookie = format!("tribune_session={}", session_cookie(&b).await);
    let flag = "/api/v1/comments/1/flag";
    for (content_type, path) in
        ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
            .into_iter()
            .flat_map(|t| [(t, path.as_str()), (t, flag)])
    {
        let res = client
            .post(format!("{}{path}", app.url))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .header("content-type", content_type)
            .body(r#"{"body":"Forged"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type} to {path}");
        assert!(res.headers().get("access-control-allow-origin").is_none(), "no CORS for other sites");
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    // A preflight for JSON gets no permission either.
    let preflight = client
        .request(reqwest::Method::OPTIONS, format!("{}{path}", app.url))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    // The webhook has no cookies to abuse: without Stripe's signature it is refused as such.
    let hook = client
        .post(format!("{}/webhooks/stripe", app.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=x")
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&app.db).await, before, "nothing stored");
    // JSON from the site's own pages (or any API client) is what the API is for.
    let ok = client
        .post(format!("{}{path}", app.url))
        .header("cookie", &cookie)
        .json(&serde_json::json!({ "body": "Through the API." }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
}

async fn session_cookie(b: &Browser) -> String {
    b.cookie("tribune_session").expect("signed in")
}

async fn scripts_may_send_the_token_in_a_header(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = app.publish(article("Header", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let b = app.browser();
    let token = b.get("/articles/header").await.csrf();
    let other = app.browser().get("/articles/header").await.csrf();
    let path = format!("/articles/{}/comments", a.slug.as_str());
    let fields = [("body", "By script."), ("author_name", "Sam")];
    let refused = b.post_form_with_header(&path, &fields, "X-CSRF-Token", &other).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let ok = b.post_form_with_header(&path, &fields, "X-CSRF-Token", &token).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

async fn signing_in_and_out_rotates_the_token(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Erin Editor", Role::Editor).await;
    let b = app.browser();
    let before = b.get("/admin/login").await.csrf();
    assert_eq!(b.get("/admin/login").await.csrf(), before, "stable while nothing changes");
    let res =
        b.post_form("/admin/login", &[("email", &email), ("password", &password), ("csrf", &before)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let signed_in = b.csrf().await;
    assert_ne!(signed_in, before, "a new token at sign-in");
    let create = [("title", "Stale"), ("body", "x"), ("action", "save")];
    let stale: Vec<_> = create.iter().copied().chain([("csrf", before.as_str())]).collect();
    assert_eq!(b.post_form("/admin/articles", &stale).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.post_form("/admin/logout", &[("csrf", &signed_in)]).await.status, StatusCode::SEE_OTHER);
    let after = b.csrf().await;
    assert!(after != signed_in && after != before, "a new token at sign-out");
    let res =
        b.post_form("/admin/login", &[("email", &email), ("password", &password), ("csrf", &before)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "the token from before sign-in is dead");
}

async fn the_cached_article_page_gives_each_reader_their_own_token(db: TestDatabase) {
    let app = TestApp::new(db).await;
    app.publish(article("Shared", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let (ann, bob) = (app.browser(), app.browser());
    let ann_token = ann.get("/articles/shared").await.csrf();
    let bob_page = bob.get("/articles/shared").await;
    assert_ne!(ann_token, bob_page.csrf(), "one cached page, a token for each reader");
    assert_eq!(ann.get("/articles/shared").await.csrf(), ann_token);
    let fields =
        |t: &str| vec![("body", "Hi".to_owned()), ("author_name", "Ann".to_owned()), ("csrf", t.to_owned())];
    let theirs = post_with(&ann, "/articles/shared/comments", &fields(&bob_page.csrf()), None).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let mine = post_with(&ann, "/articles/shared/comments", &fields(&ann_token), None).await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER);
}

async fn every_response_carries_the_security_headers(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    for path in ["/", "/embed/goal", "/api/v1/goal", "/static/comments.js", "/no-such-page", "/admin/login"] {
        let res = b.get(path).await;
        assert_eq!(res.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(res.header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert!(!res.header("content-security-policy").is_empty(), "{path}");
        assert_eq!(res.header("strict-transport-security"), "", "{path}: not over plain http");
    }
    let embed = b.get("/embed/goal").await;
    assert!(
        !embed.header("content-security-policy").contains("frame-ancestors 'none'"),
        "the widget may be framed"
    );
}

async fn admin_pages_and_exports_are_not_stored(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.signed_in("Ada Admin", Role::Admin).await;
    for path in ["/admin", "/admin/users", "/admin/funding", "/admin/funding/ledger.csv", "/admin/login"] {
        let res = b.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(res.header("cache-control"), "no-store", "{path}");
    }
    assert_ne!(b.get("/").await.header("cache-control"), "no-store", "public pages may be kept");
}

async fn an_https_site_asks_for_https_only(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.base_url = "https://news.example".into()).await;
    let b = app.browser();
    for path in ["/", "/embed/goal", "/no-such-page"] {
        assert_eq!(b.get(path).await.header("strict-transport-security"), "max-age=31536000", "{path}");
    }
}

async fn bodies_over_the_limit_are_413_as_json_or_as_a_page(db: TestDatabase) {
    let app = TestApp::new(db).await;
    app.publish(article("Big", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let before = snapshot(&app.db).await;
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let json = reqwest::Client::new()
        .post(format!("{}/api/v1/articles/big/comments", app.url))
        .json(&serde_json::json!({ "body": ten_mb, "author_name": "Big" }))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = json.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("too large"), "{body}");
    let b = app.browser();
    let token = b.get("/articles/big").await.csrf();
    let form = b
        .post_form("/articles/big/comments", &[("csrf", &token), ("body", &ten_mb), ("author_name", "Big")])
        .await;
    assert_eq!(form.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(form.header("content-type").starts_with("text/html") && form.body.contains("too large"));
    assert_eq!(snapshot(&app.db).await, before);
}
