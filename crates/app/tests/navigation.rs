//! Standalone pages, the navigation menu and the news front page: pages stay out of the
//! news (lists, feeds, search) but live at their own address and in the sitemap; the menu
//! is saved from the admin, shown on every public page and seen on a second node.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, TestApp, article, eventually};
use reqwest::StatusCode;
use tribune_core::article::{ArticleInput, ArticleKind, ArticleStatus};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_page_is_at_its_own_address_and_in_the_sitemap_but_not_in_the_news,
    a_page_may_not_take_a_path_the_site_uses,
    the_editor_makes_a_page_and_back,
    the_menu_is_saved_shown_on_every_page_and_seen_on_another_node,
    the_menu_is_edited_without_javascript_and_refuses_bad_links,
    the_front_page_leads_with_the_newest_story_with_an_image,
);

fn about() -> ArticleInput {
    ArticleInput {
        kind: Some(ArticleKind::Page),
        slug: Some("about".into()),
        title: "About the Gazette".into(),
        body_markdown: "We are a *small* newsroom. Write to zebracorn@example.org.".into(),
        status: Some(ArticleStatus::Published),
        ..Default::default()
    }
}

async fn a_page_is_at_its_own_address_and_in_the_sitemap_but_not_in_the_news(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let hour_ago = Utc::now() - Duration::hours(1);
    app.publish(article("Harbour reopens", &["Ada"], &["Local"], hour_ago)).await;
    app.publish(about()).await;
    let b = app.browser();

    let page = b.get("/about").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("About the Gazette") && page.body.contains("<em>small</em>"));
    assert!(page.body.contains("rel=\"canonical\" href=\"http://"), "a canonical link");
    assert!(page.body.contains(&format!("{}/about\"", app.url)), "canonical at /about");
    assert!(
        !page.body.contains("Written by") && !page.body.contains("id=\"comments\""),
        "no byline, no discussion"
    );
    assert!(!page.body.contains("class=\"give\""), "no call to give under a page");
    assert_eq!(b.get("/articles/about").await.status, StatusCode::NOT_FOUND, "not an article");
    assert_eq!(b.get("/harbour-reopens").await.status, StatusCode::NOT_FOUND, "an article is not a page");

    let front = b.get("/").await.body;
    assert!(
        front.contains("Harbour reopens") && !front.contains("About the Gazette"),
        "not on the front page"
    );
    for feed in ["/feed.atom", "/feed.rss", "/feed.json"] {
        let body = b.get(feed).await.body;
        assert!(body.contains("Harbour reopens") && !body.contains("About the Gazette"), "{feed}");
    }
    let search = b.get("/search?q=zebracorn").await.body;
    assert!(!search.contains("About the Gazette"), "not found by search");
    let sitemap = b.get("/sitemap.xml").await.body;
    assert!(sitemap.contains(&format!("<loc>{}/about</loc>", app.url)), "{sitemap}");
    assert!(sitemap.contains("/articles/harbour-reopens</loc>"));

    // A draft page is not public.
    app.publish(ArticleInput { status: Some(ArticleStatus::Draft), ..about() }).await;
    assert_eq!(b.get("/about").await.status, StatusCode::NOT_FOUND);
    assert!(!b.get("/sitemap.xml").await.body.contains("/about</loc>"));
}

async fn a_page_may_not_take_a_path_the_site_uses(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let csrf = admin.get("/admin/articles/new").await.csrf();
    let form = |slug: &'static str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("kind", "page".to_owned()),
            ("title", "Search us".to_owned()),
            ("slug", slug.to_owned()),
            ("body", "Text.".to_owned()),
            ("status", "published".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post_form("/admin/articles", &pairs).await
        }
    };
    let refused = post(form("search", &csrf)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("is a path the site itself uses (/search)"), "{}", refused.body);
    assert!(app.browser().get("/search").await.body.contains("role=\"search\""), "search still answers");
    // Without the form's token, nothing is saved.
    let forged = post(form("contact", "").into_iter().filter(|(k, _)| *k != "csrf").collect()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.browser().get("/contact").await.status, StatusCode::NOT_FOUND);
    let saved = post(form("contact", &csrf)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(app.browser().get("/contact").await.status, StatusCode::OK);
}

async fn the_editor_makes_a_page_and_back(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let new = admin.get("/admin/articles/new").await;
    assert!(new.body.contains("name=\"kind\" value=\"page\""), "the editor offers a page");
    let csrf = new.csrf();
    let fields = |kind: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("kind", kind.to_owned()),
            ("title", "Imprint".to_owned()),
            ("body", "Publisher: the Gazette.".to_owned()),
            ("status", "published".to_owned()),
        ]
    };
    let send = |path: String, fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post_form(&path, &pairs).await
        }
    };
    let saved = send("/admin/articles".into(), fields("page")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let edit = saved.header("location").split('?').next().unwrap().to_owned();
    let b = app.browser();
    assert_eq!(b.get("/imprint").await.status, StatusCode::OK);
    assert!(admin.get(&edit).await.body.contains("href=\"/imprint\""), "the editor links to /imprint");
    // Made an article: it moves to /articles/imprint and onto the front page.
    assert_eq!(send(edit, fields("article")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/imprint").await.status, StatusCode::NOT_FOUND);
    assert_eq!(b.get("/articles/imprint").await.status, StatusCode::OK);
    assert!(b.get("/").await.body.contains("Imprint"));
}

/// The menu editor's form as it stands, with `rows` (label, target, address) in its place.
async fn save_menu(b: &Browser, rows: &[(&str, &str, &str)], action: &str) -> common::Page {
    let csrf = b.get("/admin/menu").await.csrf();
    let mut fields: Vec<(String, String)> = vec![("csrf".into(), csrf)];
    for (i, (label, to, url)) in rows.iter().enumerate() {
        fields.push((format!("label_{i}"), (*label).into()));
        fields.push((format!("to_{i}"), (*to).into()));
        fields.push((format!("url_{i}"), (*url).into()));
    }
    fields.push(("action".into(), action.into()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form("/admin/menu", &pairs).await
}

fn menu_of(html: &str) -> Vec<String> {
    let Some(start) = html.find("<nav class=\"site-nav\" aria-label=\"Site\">") else { return vec![] };
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    nav.split("<a href=\"").skip(1).map(|s| s.split('"').next().unwrap().to_owned()).collect()
}

async fn the_menu_is_saved_shown_on_every_page_and_seen_on_another_node(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let hour_ago = Utc::now() - Duration::hours(1);
    app.publish(article("Harbour reopens", &["Ada"], &["Local"], hour_ago)).await;
    app.publish(about()).await;
    let other = app.another_node().await;
    let there = Browser::new(&other.url);
    let b = app.browser();
    // Cached on both nodes before the change.
    let pages = ["/", "/articles/harbour-reopens", "/tags/local", "/authors/ada", "/about", "/support"];
    for path in pages {
        assert_eq!(b.get(path).await.status, StatusCode::OK, "{path}");
        assert!(menu_of(&there.get(path).await.body).is_empty(), "no menu yet on {path}");
    }
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    assert!(admin.get("/admin").await.body.contains("href=\"/admin/menu\""), "in the admin's navigation");
    let rows = [
        ("Local news", "tag:local", ""),
        ("About", "page:about", ""),
        ("Shop", "url", "https://shop.example/gazette"),
    ];
    let saved = save_menu(&admin, &rows, "save").await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let expected = ["/tags/local", "/about", "https://shop.example/gazette"];
    for path in pages.iter().chain(&["/search?q=harbour", "/login"]) {
        assert_eq!(menu_of(&b.get(path).await.body), expected, "the menu on {path}");
    }
    for path in pages {
        let seen = eventually(5, || async { menu_of(&there.get(path).await.body) == expected }).await;
        assert!(seen, "the other node shows the menu on {path}");
    }
    let html = b.get("/").await.body;
    assert!(html.contains(">Local news</a>") && html.contains(">Shop</a>"));
    // A CSRF-less post changes nothing.
    let forged = admin
        .post_form("/admin/menu", &[("label_0", "Evil"), ("to_0", "url"), ("url_0", "https://evil.example/")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(menu_of(&b.get("/").await.body), expected);
    // Only admins edit it.
    let editor = app.signed_in("Eddie Editor", Role::Editor).await;
    assert_eq!(editor.get("/admin/menu").await.status, StatusCode::FORBIDDEN);
}

async fn the_menu_is_edited_without_javascript_and_refuses_bad_links(db: TestDatabase) {
    let app = TestApp::new(db).await;
    app.publish(article("Harbour reopens", &["Ada"], &["Local"], Utc::now() - Duration::hours(1))).await;
    app.publish(about()).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let rows = [("Local", "tag:local", ""), ("About", "page:about", ""), ("", "url", "")];
    assert_eq!(save_menu(&admin, &rows, "save").await.status, StatusCode::SEE_OTHER);
    let b = app.browser();
    assert_eq!(menu_of(&b.get("/").await.body), ["/tags/local", "/about"]);
    // The buttons move and remove rows, and what they leave is saved.
    assert_eq!(save_menu(&admin, &rows, "up:1").await.status, StatusCode::SEE_OTHER);
    assert_eq!(menu_of(&b.get("/").await.body), ["/about", "/tags/local"]);
    let rows = [("About", "page:about", ""), ("Local", "tag:local", "")];
    assert_eq!(save_menu(&admin, &rows, "remove:0").await.status, StatusCode::SEE_OTHER);
    assert_eq!(menu_of(&b.get("/").await.body), ["/tags/local"]);
    let editor = admin.get("/admin/menu").await.body;
    assert!(
        editor.contains("value=\"Local\"") && editor.contains("New link"),
        "the saved row and an empty one"
    );

    for (bad, message) in [
        (("Evil", "url", "javascript:alert(1)"), "must start with http:// or https://"),
        (("Files", "url", "file:///etc/passwd"), "must start with http:// or https://"),
        (("Gone", "page:nowhere", ""), "there is no page"),
        (("", "tag:local", ""), "the label is required"),
    ] {
        let refused = save_menu(&admin, &[("Local", "tag:local", ""), bad], "save").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(refused.body.contains(message), "{bad:?}: {}", refused.body);
        assert!(refused.body.contains(&format!("value=\"{}\"", bad.0)) || bad.0.is_empty(), "kept as typed");
    }
    assert_eq!(menu_of(&b.get("/").await.body), ["/tags/local"], "nothing saved");
    let label = "<b>Local</b> & co";
    assert_eq!(save_menu(&admin, &[(label, "tag:local", "")], "save").await.status, StatusCode::SEE_OTHER);
    let html = b.get("/").await.body;
    assert!(
        html.contains("&#60;b&#62;Local&#60;/b&#62; &#38; co") && !html.contains("<b>Local</b>"),
        "escaped: {:?}",
        menu_html(&html)
    );
}

async fn the_front_page_leads_with_the_newest_story_with_an_image(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.articles_per_page = 3).await;
    let media = app.add_picture(1200, 800, "The river at dawn").await;
    let now = Utc::now();
    for i in 0..8 {
        let tag = if i % 2 == 0 { "Local" } else { "Culture" };
        let mut input = article(&format!("Story number {i}"), &["Ada"], &[tag], now - Duration::hours(i + 1));
        if i == 2 {
            input.image = Some(format!("/media/{}", media.name));
            input.image_alt = Some("The river at dawn".into());
        }
        app.publish(input).await;
    }
    let b = app.browser();
    let front = b.get("/").await.body;
    let lead_at = front.find("class=\"lead-story\"").expect("a lead story");
    let lead = &front[lead_at..lead_at + front[lead_at..].find("</article>").unwrap()];
    assert!(lead.contains("Story number 2"), "the newest story with an image leads: {lead}");
    assert!(lead.contains("srcset=\"") && lead.contains("width=\"1200\" height=\"800\""), "{lead}");
    assert!(lead.contains("alt=\"The river at dawn\"") && lead.contains("Written by"));
    assert_eq!(front.matches("Story number 2<").count(), 1, "shown once");
    let latest_at = front.find("id=\"latest-heading\"").expect("the latest stories");
    assert!(front[latest_at..].contains("Story number 0"), "the rest follow");
    assert!(front.contains("More in Local") && front.contains("More in Culture"), "sections by tag");
    let local_at = front.find("More in Local").unwrap();
    let section = &front[front[..local_at].rfind("<section").unwrap()..local_at];
    assert!(section.contains("Story number 4") && !section.contains("Story number 0"), "none twice");
    // Later pages stay a plain list.
    let second = b.get("/?page=2").await.body;
    assert!(second.contains("<article class=\"card") && !second.contains("lead-story"));
    assert!(second.contains("Story number 3"));
}

fn menu_html(html: &str) -> &str {
    let start = html.find("<nav class=\"site-nav\"").unwrap_or(0);
    &html[start..start + html[start..].find("</nav>").unwrap_or(0)]
}
