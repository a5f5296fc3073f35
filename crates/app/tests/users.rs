//! People's accounts: a user changes their own name and password; admins disable, enable,
//! delete and give a password to replace, and what each leaves behind. Both backends.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, TestApp, article};
use reqwest::StatusCode;
use tribune_core::store::UserStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    users_change_their_own_name_and_password,
    a_wrong_current_password_is_refused_then_throttled,
    a_disabled_user_is_signed_out_at_once_and_refused_sign_in,
    a_deleted_users_articles_and_comments_keep_their_name,
    a_forced_password_change_comes_before_anything_else,
    signing_in_is_asked_on_the_door_of_the_page,
    a_writers_new_name_is_their_byline_at_once,
);

async fn id_of(app: &TestApp, email: &str) -> i64 {
    app.state.store.user_credentials(email).await.unwrap().expect("the user exists").0.id
}

/// Posts a form on `path`, with the CSRF token the browser's `from` page carries.
async fn submit(b: &Browser, from: &str, path: &str, fields: &[(&str, &str)]) -> common::Page {
    let csrf = b.get(from).await.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post_form(path, &all).await
}

async fn users_change_their_own_name_and_password(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Rae Reader", Role::Reader).await;
    let (here, elsewhere) = (app.browser(), app.browser());
    for b in [&here, &elsewhere] {
        assert_eq!(b.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    }
    let page = here.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"Rae Reader\""), "{}", page.body);
    assert!(page.body.contains("class=\"site-search\""), "on the site's own layout, not the admin's");

    let blank = submit(&here, "/account", "/account/name", &[("name", "  \u{200b} ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("Name: is required."), "{}", blank.body);
    let renamed = submit(&here, "/account", "/account/name", &[("name", "Rae <b>Writer</b>")]).await;
    assert_eq!((renamed.status, renamed.header("location")), (StatusCode::SEE_OTHER, "/account?done=name"));
    let page = here.get("/account?done=name").await;
    assert!(page.body.contains("Your name is changed."));
    assert!(page.body.contains("value=\"Rae &#60;b&#62;Writer&#60;/b&#62;\""), "escaped: {}", page.body);

    let short =
        submit(&here, "/account", "/account/password", &[("current", &password), ("password", "short")])
            .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body.contains("at least 8 characters"), "{}", short.body);
    let changed = submit(
        &here,
        "/account",
        "/account/password",
        &[("current", &password), ("password", "a brand new secret")],
    )
    .await;
    assert_eq!(changed.header("location"), "/account?done=password", "{}", changed.body);
    assert_eq!(here.get("/account").await.status, StatusCode::OK, "this session stays");
    let gone = elsewhere.get("/account").await;
    assert_eq!((gone.status, gone.header("location")), (StatusCode::SEE_OTHER, "/login?next=/account"));

    let again = app.browser();
    assert_eq!(again.login(&email, &password).await.status, StatusCode::UNAUTHORIZED, "the old one is gone");
    assert_eq!(again.login(&email, "a brand new secret").await.status, StatusCode::SEE_OTHER);
}

async fn a_wrong_current_password_is_refused_then_throttled(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Sid Staff", Role::Editor).await;
    let (b, other) = (app.browser(), app.browser());
    b.login(&email, &password).await;
    other.login(&email, &password).await;
    let wrong = submit(
        &b,
        "/account",
        "/account/password",
        &[("current", "not it at all"), ("password", "x y z w v u")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Current password: wrong password."), "{}", wrong.body);
    assert_eq!(other.get("/admin").await.status, StatusCode::OK, "a refused change ends no session");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let p =
            submit(&b, "/account", "/account/password", &[("current", "guess"), ("password", "x y z w v u")])
                .await;
        statuses.push(p.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let (_, hash) = app.state.store.user_credentials(&email).await.unwrap().unwrap();
    assert!(tribune_core::password::verify_password(&password, &hash), "the password is unchanged");
}

async fn a_disabled_user_is_signed_out_at_once_and_refused_sign_in(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let (email, password) = app.add_user("Eve Editor", Role::Editor).await;
    let editor = app.browser();
    editor.login(&email, &password).await;
    let eve = id_of(&app, &email).await;
    let path = format!("/admin/users/{eve}/disabled");

    let unconfirmed = submit(&admin, "/admin/users", &path, &[("disabled", "yes")]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    assert!(unconfirmed.body.contains("tick the box"), "{}", unconfirmed.body);
    assert_eq!(editor.get("/admin").await.status, StatusCode::OK, "nothing changed");

    let done = submit(&admin, "/admin/users", &path, &[("disabled", "yes"), ("confirm", "yes")]).await;
    assert_eq!(done.header("location"), "/admin/users?done=disabled");
    let out = editor.get("/admin").await;
    assert_eq!((out.status, out.header("location")), (StatusCode::SEE_OTHER, "/admin/login?next=/admin"));
    let refused = editor.login(&email, &password).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("This account is disabled."), "{}", refused.body);
    let wrong = editor.login(&email, "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "a guesser learns nothing more");
    assert!(admin.get("/admin/users").await.body.contains("disabled</span>"));

    let me = id_of(&app, "ada.admin@example.org").await;
    let own = format!("/admin/users/{me}/disabled");
    let myself = submit(&admin, "/admin/users", &own, &[("disabled", "yes"), ("confirm", "yes")]).await;
    assert_eq!(myself.status, StatusCode::FORBIDDEN);
    assert!(myself.body.contains("You cannot disable your own account"), "{}", myself.body);

    let enabled = submit(&admin, "/admin/users", &path, &[("disabled", "no")]).await;
    assert_eq!(enabled.header("location"), "/admin/users?done=enabled");
    assert_eq!(editor.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    let editor_id = id_of(&app, &email).await;
    let from_editor = submit(
        &editor,
        "/account",
        &format!("/admin/users/{me}/disabled"),
        &[("disabled", "yes"), ("confirm", "yes")],
    )
    .await;
    assert_eq!(from_editor.status, StatusCode::FORBIDDEN, "only admins: {editor_id}");
}

async fn a_deleted_users_articles_and_comments_keep_their_name(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let (email, password) = app.add_user("Wes Writer", Role::Author).await;
    app.publish(article("Kept byline", &["Wes Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let writer = app.browser();
    writer.login(&email, &password).await;
    let posted = writer.post_comment("kept-byline", "Thanks for reading.", "").await;
    let comment = posted.comment_id();
    let reader = app.signed_in("Val Voter", Role::Reader).await;
    let csrf = reader.get("/articles/kept-byline").await.csrf();
    reader.post_form(&format!("/comments/{comment}/vote"), &[("csrf", &csrf), ("value", "up")]).await;
    let (email2, _) = ("val.voter@example.org", ());
    let voter = id_of(&app, email2).await;
    use tribune_core::store::CommentStore;
    assert_eq!(app.state.store.comment(comment).await.unwrap().unwrap().score, 1);

    let wes = id_of(&app, &email).await;
    let unconfirmed = submit(&admin, "/admin/users", &format!("/admin/users/{wes}/delete"), &[]).await;
    assert_eq!(unconfirmed.status, StatusCode::BAD_REQUEST);
    let done =
        submit(&admin, "/admin/users", &format!("/admin/users/{wes}/delete"), &[("confirm", "yes")]).await;
    assert_eq!(done.header("location"), "/admin/users?done=deleted", "{}", done.body);
    assert!(app.state.store.user_by_id(wes).await.unwrap().is_none());
    assert_eq!(writer.get("/admin").await.status, StatusCode::SEE_OTHER, "their sessions ended");
    app.settle().await;
    let page = app.browser().get("/articles/kept-byline").await;
    assert!(page.body.contains(">Wes Writer</a>"), "the byline stays: {}", page.body);
    assert!(page.body.contains("Thanks for reading.") && page.body.contains("Wes Writer"));
    assert!(!admin.get("/admin/users").await.body.contains("wes.writer@example.org"));

    // A voter's account goes with its votes: the score no longer counts them.
    let gone =
        submit(&admin, "/admin/users", &format!("/admin/users/{voter}/delete"), &[("confirm", "yes")]).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(app.state.store.comment(comment).await.unwrap().unwrap().score, 0);

    let me = id_of(&app, "ada.admin@example.org").await;
    let myself =
        submit(&admin, "/admin/users", &format!("/admin/users/{me}/delete"), &[("confirm", "yes")]).await;
    assert_eq!(myself.status, StatusCode::FORBIDDEN);
    let missing = submit(&admin, "/admin/users", "/admin/users/999999/delete", &[("confirm", "yes")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn a_forced_password_change_comes_before_anything_else(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let (email, password) = app.add_user("Eve Editor", Role::Editor).await;
    let editor = app.browser();
    editor.login(&email, &password).await;
    let eve = id_of(&app, &email).await;
    let path = format!("/admin/users/{eve}/password");

    let short = submit(&admin, "/admin/users", &path, &[("password", "short"), ("confirm", "yes")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(editor.get("/admin").await.status, StatusCode::OK, "nothing changed");
    let set =
        submit(&admin, "/admin/users", &path, &[("password", "given by the admin"), ("confirm", "yes")])
            .await;
    assert_eq!(set.header("location"), "/admin/users?done=password");
    assert_eq!(editor.get("/admin").await.status, StatusCode::SEE_OTHER, "signed out at once");
    assert_eq!(editor.login(&email, &password).await.status, StatusCode::UNAUTHORIZED);

    let signed_in = editor.login(&email, "given by the admin").await;
    assert_eq!(signed_in.header("location"), "/account", "straight to choosing a password");
    let blocked = editor.get("/admin").await;
    assert_eq!((blocked.status, blocked.header("location")), (StatusCode::SEE_OTHER, "/account"));
    let page = editor.get("/account").await;
    assert!(page.body.contains("Choose your own to continue"), "{}", page.body);
    assert!(!page.body.contains("name=\"current\""), "the given password was just typed");
    let chosen =
        submit(&editor, "/account", "/account/password", &[("password", "my very own secret")]).await;
    assert_eq!(chosen.header("location"), "/account?done=password", "{}", chosen.body);
    assert_eq!(editor.get("/admin").await.status, StatusCode::OK);
    assert!(editor.get("/account").await.body.contains("name=\"current\""));

    // A restored account has no password ("!"): this is how it gets one.
    app.state.store.set_password_hash(eve, "!").await.unwrap();
    assert_eq!(app.browser().login(&email, "!").await.status, StatusCode::UNAUTHORIZED);
    submit(&admin, "/admin/users", &path, &[("password", "restored account pw"), ("confirm", "yes")]).await;
    assert_eq!(app.browser().login(&email, "restored account pw").await.header("location"), "/account");
}

async fn signing_in_is_asked_on_the_door_of_the_page(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    let account = b.get("/account").await;
    assert_eq!((account.status, account.header("location")), (StatusCode::SEE_OTHER, "/login?next=/account"));
    let admin = b.get("/admin/users").await;
    assert_eq!(admin.header("location"), "/admin/login?next=/admin/users");
    assert!(b.get("/login").await.body.contains("Register"), "the readers' page");
}

/// An author renames themselves on /account: their articles' bylines say the new name at
/// once (the cached pages dropped), the byline's page follows the name, and saving one of
/// their articles again keeps crediting them, not a new byline.
async fn a_writers_new_name_is_their_byline_at_once(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Wren Writer", Role::Author).await;
    app.publish(article("Tide tables", &["Wren Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let reader = app.browser();
    assert!(reader.get("/articles/tide-tables").await.body.contains("Wren Writer"));
    assert!(reader.get("/").await.body.contains("Wren Writer"), "cached with the old name");

    let wren = app.browser();
    assert_eq!(wren.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    let renamed = submit(&wren, "/account", "/account/name", &[("name", "Wren Marsh")]).await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);

    for path in ["/articles/tide-tables", "/", "/authors/wren-marsh"] {
        let page = reader.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("Wren Marsh") && !page.body.contains("Wren Writer"),
            "{path}: {}",
            page.body
        );
    }
    // The byline is the same record: saved again under the new name, no second author.
    let mut again = article("Tide tables", &["Wren Marsh"], &[], Utc::now() - Duration::hours(1));
    again.slug = Some("tide-tables".into());
    let saved = app.publish(again).await;
    assert_eq!(saved.authors.len(), 1);
    assert_eq!(saved.authors[0].slug.as_str(), "wren-marsh");
    let me = app.state.store.user_credentials(&email).await.unwrap().unwrap().0;
    assert_eq!(
        me.author.map(|a| (a.slug.as_str().to_owned(), a.name)),
        Some(("wren-marsh".into(), "Wren Marsh".into()))
    );
}
