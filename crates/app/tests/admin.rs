//! The editors' side: signing in, writing, previewing, publishing, users; and the
//! protections around it (sessions, CSRF, throttling, roles). Both backends.

mod common;

use chrono::Utc;
use common::{Browser, TestApp, article};
use reqwest::StatusCode;
use tribune_core::store::{ArticleStore, UserStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    admin_pages_require_sign_in,
    sign_in_sets_a_safe_cookie_and_sign_out_ends_it,
    wrong_passwords_are_refused_then_throttled,
    forms_without_the_csrf_token_change_nothing,
    an_editor_writes_previews_and_publishes,
    refused_forms_come_back_with_the_text_kept,
    unpublishing_removes_the_article_from_the_site,
    authors_edit_only_their_own_articles,
    admins_manage_users_and_others_cannot,
    oversized_forms_are_refused_with_a_page,
    scheduling_from_the_form_keeps_the_article_private_until_its_time,
    cookies_are_secure_on_an_https_site,
    the_article_list_filters_searches_and_pages_newest_first,
);

async fn count(app: &TestApp) -> i64 {
    app.state.store.count_articles().await.unwrap()
}

async fn admin_pages_require_sign_in(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.browser();
    for path in ["/admin", "/admin/articles/new", "/admin/users", "/admin/articles/1"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.header("location"), format!("/admin/login?next={path}"));
    }
    let csrf = b.csrf().await;
    let post = b.post_form("/admin/articles", &[("csrf", &csrf), ("title", "Sneaky")]).await;
    assert_eq!(post.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app).await, 0);
}

async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_it(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Erin Editor", Role::Editor).await;
    let b = app.browser();
    let csrf = b.get("/admin/login?next=/admin/users").await.csrf();
    let res = b
        .post_form(
            "/admin/login",
            &[
                ("email", &email.to_uppercase()),
                ("password", &password),
                ("csrf", &csrf),
                ("next", "/admin/articles/new"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/admin/articles/new");
    let cookie = res.header("set-cookie");
    assert!(
        cookie.starts_with("tribune_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http base URL");
    assert_eq!(b.get("/admin").await.status, StatusCode::OK);
    let csrf = b.csrf().await;
    assert_eq!(b.post_form("/admin/logout", &[("csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/admin").await.status, StatusCode::SEE_OTHER, "signed out");
    // An open redirect is not possible through `next`.
    let b2 = app.browser();
    let csrf = b2.csrf().await;
    let res = b2
        .post_form(
            "/admin/login",
            &[("email", &email), ("password", &password), ("csrf", &csrf), ("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(res.header("location"), "/admin");
}

async fn wrong_passwords_are_refused_then_throttled(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Tess Target", Role::Admin).await;
    let b = app.browser();
    for _ in 0..5 {
        let res = b.login(&email, "wrong password").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(
            res.body.contains("Wrong email or password.") && res.body.contains(&email),
            "the email is kept"
        );
    }
    let blocked = b.login(&email, &password).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(blocked.body.contains("Too many attempts"));
    let unknown = app.browser().login("nobody@example.org", "whatever1").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "unknown emails get the same answer");
}

async fn forms_without_the_csrf_token_change_nothing(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    for token in ["", "forged-token"] {
        let res = b
            .post_form(
                "/admin/articles",
                &[("csrf", token), ("title", "Forged"), ("body", "x"), ("action", "save")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(res.body.contains("This form has expired"));
    }
    // The session alone is not enough: a cross-site form has no cookie-matching token.
    let missing = b.post_form("/admin/articles", &[("title", "Forged"), ("body", "x")]).await;
    assert!(missing.status.is_client_error());
    assert_eq!(count(&app).await, 0);
    let logout = b.post_form("/admin/logout", &[("csrf", "nope")]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/admin").await.status, StatusCode::OK, "still signed in");
}

async fn an_editor_writes_previews_and_publishes(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    let csrf = b.get("/admin/articles/new").await.csrf();
    let fields = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", "Council Votes Tonight".to_owned()),
            ("slug", String::new()),
            ("authors", "Erin Editor, Guest Writer".to_owned()),
            ("tags", "Local, Politics".to_owned()),
            ("body", "The council **votes** tonight.".to_owned()),
            ("status", "published".to_owned()),
            ("source_name", "The Partner Paper".to_owned()),
            ("source_url", "https://partner.example/council".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let preview_fields = fields("preview");
    let preview = b.post_form("/admin/articles", &as_refs(&preview_fields)).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("Preview: this is how the article will look")
            && preview.body.contains("<strong>votes</strong>")
    );
    assert!(preview.body.contains("Originally appeared at"));
    assert_eq!(count(&app).await, 0, "a preview saves nothing");

    let save_fields = fields("save");
    let saved = b.post_form("/admin/articles", &as_refs(&save_fields)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let edit_url = saved.header("location").to_owned();
    assert!(edit_url.starts_with("/admin/articles/") && edit_url.ends_with("?saved=1"));
    let edit = b.get(&edit_url).await;
    assert!(edit.body.contains("Saved.") && edit.body.contains("/articles/council-votes-tonight"));
    let public = app.browser().get("/articles/council-votes-tonight").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Guest Writer") && public.body.contains("https://partner.example/council"));
    assert!(app.browser().get("/").await.body.contains("Council Votes Tonight"));
    assert!(b.get("/admin").await.body.contains("Council Votes Tonight"));
}

async fn refused_forms_come_back_with_the_text_kept(db: TestDatabase) {
    let app = TestApp::new(db).await;
    app.publish(article("Taken", &["Ada"], &[], Utc::now())).await;
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    let csrf = b.csrf().await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("title", ""), ("body", "my long text")], "title: is required"),
        (&[("title", "New"), ("slug", "Bad Slug!"), ("body", "my long text")], "is not a valid slug"),
        (&[("title", "Taken"), ("body", "my long text")], "another article already uses this slug"),
        (
            &[
                ("title", "New"),
                ("status", "scheduled"),
                ("published_at", "tomorrow"),
                ("body", "my long text"),
            ],
            "is not a date",
        ),
    ];
    for (fields, message) in cases {
        let mut form = vec![("csrf", csrf.as_str()), ("action", "save")];
        form.extend_from_slice(fields);
        let res = b.post_form("/admin/articles", &form).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.body.contains(message), "{message}: {}", res.body);
        assert!(res.body.contains("my long text"), "the text is kept");
    }
    assert_eq!(count(&app).await, 1);
}

async fn unpublishing_removes_the_article_from_the_site(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = app.publish(article("Short Lived", &["Ada"], &["Gone"], Utc::now())).await;
    let reader = app.browser();
    assert_eq!(reader.get("/articles/short-lived").await.status, StatusCode::OK);
    assert!(reader.get("/tags/gone").await.body.contains("Short Lived"));
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    let csrf = b.csrf().await;
    let res = b
        .post_form(&format!("/admin/articles/{}/status", a.id), &[("csrf", &csrf), ("status", "draft")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(reader.get("/articles/short-lived").await.status, StatusCode::NOT_FOUND);
    assert!(!reader.get("/tags/gone").await.body.contains("Short Lived"));
    assert!(!reader.get("/feed.atom").await.body.contains("Short Lived"));
    let res = b
        .post_form(&format!("/admin/articles/{}/status", a.id), &[("csrf", &csrf), ("status", "published")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(reader.get("/articles/short-lived").await.status, StatusCode::OK);
    let bad = b
        .post_form(&format!("/admin/articles/{}/status", a.id), &[("csrf", &csrf), ("status", "live")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn authors_edit_only_their_own_articles(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let theirs = app.publish(article("Someone Else's", &["Other Person"], &[], Utc::now())).await;
    let b: Browser = app.signed_in("Ann Author", Role::Author).await;
    let mine = app.publish(article("Mine", &["Ann Author"], &[], Utc::now())).await;
    let list = b.get("/admin").await.body;
    assert!(list.contains("Mine") && !list.contains("Someone Else"), "authors see their own");
    assert_eq!(b.get(&format!("/admin/articles/{}", theirs.id)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get(&format!("/admin/articles/{}", mine.id)).await.status, StatusCode::OK);
    let csrf = b.csrf().await;
    let hijack = b
        .post_form(
            &format!("/admin/articles/{}", theirs.id),
            &[
                ("csrf", &csrf),
                ("title", "Hijacked"),
                ("authors", "Ann Author"),
                ("body", "x"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(hijack.status, StatusCode::FORBIDDEN);
    let unpublish = b
        .post_form(&format!("/admin/articles/{}/status", theirs.id), &[("csrf", &csrf), ("status", "draft")])
        .await;
    assert_eq!(unpublish.status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.store.article_by_id(theirs.id).await.unwrap().unwrap().title, "Someone Else's");
    // An article crediting only someone else cannot be created either; with no byline it is theirs.
    let res = b
        .post_form(
            "/admin/articles",
            &[
                ("csrf", &csrf),
                ("title", "Ghost"),
                ("authors", "Other Person"),
                ("body", "x"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = b
        .post_form(
            "/admin/articles",
            &[("csrf", &csrf), ("title", "My Second"), ("authors", ""), ("body", "x"), ("action", "save")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(app.browser().get("/articles/my-second").await.body.contains("Ann Author"));
    assert_eq!(b.get("/admin/users").await.status, StatusCode::FORBIDDEN);
}

async fn admins_manage_users_and_others_cannot(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let csrf = admin.get("/admin/users").await.csrf();
    let add = |email: &'static str, password: &'static str| {
        let csrf = csrf.clone();
        let admin = &admin;
        async move {
            admin
                .post_form(
                    "/admin/users",
                    &[
                        ("csrf", &csrf),
                        ("name", "Mo Moderator"),
                        ("email", email),
                        ("role", "moderator"),
                        ("password", password),
                    ],
                )
                .await
        }
    };
    assert_eq!(add("mo@example.org", "a good password").await.status, StatusCode::SEE_OTHER);
    let dup = add("MO@example.org", "a good password").await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("already exists"));
    let short = add("other@example.org", "short").await;
    assert!(short.body.contains("at least 8 characters"));
    let bad_email = add("not-an-email", "a good password").await;
    assert!(bad_email.body.contains("is not an email address"));
    let users = admin.get("/admin/users").await.body;
    assert!(users.contains("mo@example.org") && !users.contains("other@example.org"));

    let mo = app.browser();
    assert_eq!(mo.login("mo@example.org", "a good password").await.status, StatusCode::SEE_OTHER);
    assert_eq!(mo.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    // Moderators have no articles: their admin is the moderation queue.
    assert_eq!(mo.get("/admin").await.header("location"), "/admin/moderation");
    assert_eq!(
        mo.get("/admin/articles/new").await.status,
        StatusCode::FORBIDDEN,
        "moderators have no articles"
    );
    let me = app.state.store.user_credentials("ada.admin@example.org").await.unwrap().unwrap().0;
    let demote = admin
        .post_form(&format!("/admin/users/{}/role", me.id), &[("csrf", &csrf), ("role", "author")])
        .await;
    assert_eq!(demote.status, StatusCode::BAD_REQUEST, "an admin cannot lock themselves out");
}

async fn oversized_forms_are_refused_with_a_page(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    let csrf = b.csrf().await;
    let big = "x".repeat(1024 * 1024 + 10);
    let res = b
        .post_form(
            "/admin/articles",
            &[("csrf", &csrf), ("title", "Big"), ("body", &big), ("action", "save")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("the limit is 1048576 bytes"));
    let huge = "x".repeat(3 * 1024 * 1024);
    let res = b.post_form("/admin/articles", &[("csrf", &csrf), ("title", "Huge"), ("body", &huge)]).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.body.contains("too large") && res.header("content-type").starts_with("text/html"));
    assert_eq!(count(&app).await, 0);
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn scheduling_from_the_form_keeps_the_article_private_until_its_time(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let b = app.signed_in("Erin Editor", Role::Editor).await;
    let csrf = b.csrf().await;
    let at = (Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M").to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Embargoed Budget"),
        ("body", "Numbers."),
        ("status", "scheduled"),
        ("published_at", &at),
        ("action", "save"),
    ];
    assert_eq!(b.post_form("/admin/articles", &fields).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.browser().get("/articles/embargoed-budget").await.status, StatusCode::NOT_FOUND);
    assert!(!app.browser().get("/").await.body.contains("Embargoed Budget"));
    let list = b.get("/admin").await.body;
    assert!(list.contains("Embargoed Budget") && list.contains("status-scheduled"));
    // Its time comes (here, moved to an hour ago): the list says what readers see.
    let past = (Utc::now() - chrono::Duration::hours(1)).timestamp();
    app.db
        .execute(&format!("UPDATE articles SET published_at = {past} WHERE slug = 'embargoed-budget'"))
        .await;
    let list = b.get("/admin").await.body;
    assert!(list.contains("status-published") && !list.contains("status-scheduled"), "{list}");
    let no_date = [
        ("csrf", csrf.as_str()),
        ("title", "No Date"),
        ("body", "x"),
        ("status", "scheduled"),
        ("action", "save"),
    ];
    let refused = b.post_form("/admin/articles", &no_date).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("published_at: is required for a scheduled article"));
}

async fn cookies_are_secure_on_an_https_site(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.base_url = "https://news.example".into()).await;
    let (email, password) = app.add_user("Sam Secure", Role::Editor).await;
    let b = app.browser();
    let form = b.get("/admin/login").await;
    assert!(form.header("set-cookie").contains("; Secure"), "the CSRF cookie too");
    let csrf = form.csrf();
    let res =
        b.post_form("/admin/login", &[("email", &email), ("password", &password), ("csrf", &csrf)]).await;
    assert!(res.header("set-cookie").contains("; Secure"), "{}", res.header("set-cookie"));
}

async fn the_article_list_filters_searches_and_pages_newest_first(db: TestDatabase) {
    use tribune_core::article::{ArticleInput, ArticleStatus};
    let app = TestApp::new(db).await;
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let with = |status, input: ArticleInput| ArticleInput { status: Some(status), ..input };
    app.publish(article("Harbour lights return", &["Ada Writer"], &["Local"], hour_ago)).await;
    let live = article("Budget vote tonight", &["Bo Writer"], &["Politics"], hour_ago);
    app.publish(with(ArticleStatus::Scheduled, live)).await;
    let later =
        article("Ferry timetable", &["Ada Writer"], &["Local"], Utc::now() + chrono::Duration::days(1));
    app.publish(with(ArticleStatus::Scheduled, later)).await;
    let draft = article("Draft on harbour fees", &["Bo Writer"], &["Local"], hour_ago);
    app.publish(with(ArticleStatus::Draft, draft)).await;
    let commenter = app.browser();
    assert_eq!(
        commenter.post_comment("harbour-lights-return", "Lovely.", "Gus").await.status,
        StatusCode::SEE_OTHER
    );
    app.settle().await;

    let titles = |body: &str| -> Vec<String> {
        ["Harbour lights return", "Budget vote tonight", "Ferry timetable", "Draft on harbour fees"]
            .into_iter()
            .filter(|t| body.contains(&format!(">{t}</a>")))
            .map(str::to_owned)
            .collect()
    };
    let all = editor.get("/admin").await;
    let at = |t: &str| all.body.find(&format!(">{t}</a>")).unwrap();
    assert!(at("Draft on harbour fees") < at("Harbour lights return"), "newest first");
    assert!(all.body.contains("<td class=\"number\">1</td>"), "the comment is counted");
    let published = editor.get("/admin?status=published").await.body;
    assert_eq!(titles(&published), ["Harbour lights return", "Budget vote tonight"]);
    assert!(!published.contains("status-scheduled"), "a scheduled article whose time came says published");
    assert_eq!(titles(&editor.get("/admin?status=scheduled").await.body), ["Ferry timetable"]);
    assert_eq!(titles(&editor.get("/admin?status=draft").await.body), ["Draft on harbour fees"]);
    assert_eq!(
        titles(&editor.get("/admin?author=bo-writer").await.body),
        ["Budget vote tonight", "Draft on harbour fees"]
    );
    let searched = editor.get("/admin?tag=local&q=harbour").await.body;
    assert_eq!(
        titles(&searched),
        ["Harbour lights return", "Draft on harbour fees"],
        "drafts are searched too"
    );
    assert!(searched.contains("value=\"harbour\""), "the words stay in the box");
    assert!(editor.get("/admin?q=nowhere+to+be+found").await.body.contains("No article matches."));
    let bad = editor.get("/admin?status=live").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("is not draft, scheduled or published."), "{}", bad.body);
    assert_eq!(editor.get("/admin?after=yesterday").await.status, StatusCode::BAD_REQUEST);

    // 50 a page; the next page starts after the last one shown, by a cursor.
    for i in 0..50 {
        app.publish(with(
            ArticleStatus::Draft,
            article(&format!("Filler {i}"), &["Bo Writer"], &[], hour_ago),
        ))
        .await;
    }
    let first = editor.get("/admin").await;
    assert!(first.body.contains(">Filler 49</a>") && !first.body.contains(">Harbour lights return</a>"));
    let marker = "rel=\"next\" href=\"";
    let start = first.body.find(marker).expect("a link to older articles") + marker.len();
    let next = first.body[start..].split('"').next().unwrap().replace("&#38;", "&");
    let second = editor.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{next}");
    assert!(second.body.contains(">Harbour lights return</a>") && !second.body.contains(">Filler 49</a>"));
    assert!(!second.body.contains("rel=\"next\""), "the last page");
}
