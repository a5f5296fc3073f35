//! The discussion embedded in other sites, through real HTTP on both databases: a page of a
//! listed origin gets a discussion on first use and others a 403, the frame's policy names
//! exactly the listed origins, a frame without cookies posts and replies through the same
//! machinery as the site, signs in through the pop-up's one-use token, and is bounded.

mod common;

use common::{Browser, Page, TestApp};
use reqwest::StatusCode;
use tribune_core::embed::EmbedStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_listed_origin_gets_one_discussion_per_page_and_others_none,
    a_frame_without_cookies_posts_and_replies,
    the_frame_signs_in_through_a_one_use_token,
    theme_values_are_checked_and_the_loader_is_cached,
    the_no_script_link_leads_to_the_discussion,
    new_discussions_are_rate_limited_per_client,
);

const BLOG: &str = "http://blog.test";

async fn site(db: TestDatabase) -> TestApp {
    TestApp::with_config(db, |c| {
        c.embed_origins = format!("{BLOG}, https://second.test");
        c.embed_allow = tribune_core::embed::Origins::parse(&c.embed_origins).unwrap();
    })
    .await
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn frame_path(page: &str, origin: &str, title: &str) -> String {
    format!("/embed/discussion?page={}&origin={}&title={}", encode(page), encode(origin), encode(title))
}

/// The value of the hidden field `name` on the frame's page.
fn field(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start =
        page.body.find(&marker).unwrap_or_else(|| panic!("no field {name}: {}", page.body)) + marker.len();
    let raw = page.body[start..].split('"').next().unwrap();
    raw.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn post(b: &Browser, frame: &Page, extra: &[(&str, &str)]) -> Page {
    let mut fields: Vec<(String, String)> =
        ["page", "origin", "title", "accent", "font", "scheme", "who", "form"]
            .iter()
            .map(|n| (n.to_string(), field(frame, n)))
            .collect();
    for (k, v) in extra {
        fields.retain(|(n, _)| n != k);
        fields.push((k.to_string(), v.to_string()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form("/embed/discussion", &fields).await
}

async fn a_listed_origin_gets_one_discussion_per_page_and_others_none(db: TestDatabase) {
    let app = site(db).await;
    let b = Browser::new(&app.url);
    let bell = b.get(&frame_path(&format!("{BLOG}/posts/one"), BLOG, "Post\u{7}")).await;
    assert_eq!(bell.status, StatusCode::BAD_REQUEST, "a control character in the title");
    let frame = b.get(&frame_path(&format!("{BLOG}/posts/one"), BLOG, "  Post\n\u{202e}one  ")).await;
    assert_eq!(frame.status, StatusCode::OK, "{}", frame.body);
    assert!(frame.body.contains("0 comments"), "{}", frame.body);
    let csp = frame.header("content-security-policy");
    assert!(csp.ends_with("frame-ancestors http://blog.test https://second.test"), "{csp}");
    let article = app.db.store.embedded_discussion(&format!("{BLOG}/posts/one")).await.unwrap().unwrap();
    assert_eq!(article.title, "Post one", "the title is cleaned, never fetched");

    // The same page by another spelling is the same discussion.
    let again = b.get(&frame_path(&format!("{BLOG}/posts/one/?utm=x#top"), BLOG, "Other")).await;
    assert_eq!(again.status, StatusCode::OK);
    let same = app.db.store.embedded_discussion(&format!("{BLOG}/posts/one")).await.unwrap().unwrap();
    assert_eq!((same.id, same.title.as_str()), (article.id, "Post one"));

    // An origin not on the list: 403, nothing created, whoever claims to embed it.
    let evil = b.get(&frame_path("http://evil.test/x", "http://evil.test", "X")).await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN, "{}", evil.body);
    assert!(evil.body.contains("does not host discussions for pages of http://evil.test"), "{}", evil.body);
    let posing = b.get(&frame_path("http://evil.test/x", BLOG, "X")).await;
    assert_eq!(posing.status, StatusCode::FORBIDDEN);
    let framed_by_evil = b.get(&frame_path(&format!("{BLOG}/posts/two"), "http://evil.test", "X")).await;
    assert_eq!(framed_by_evil.status, StatusCode::FORBIDDEN);
    assert!(app.db.store.embedded_discussion("http://evil.test/x").await.unwrap().is_none());
    assert!(app.db.store.embedded_discussion(&format!("{BLOG}/posts/two")).await.unwrap().is_none());
    assert!(evil.header("content-security-policy").contains("frame-ancestors http://blog.test"));

    // A bad address is a clear 400; the rest of the site still refuses to be framed.
    assert_eq!(b.get(&frame_path("javascript:alert(1)", BLOG, "X")).await.status, StatusCode::BAD_REQUEST);
    assert!(b.get("/").await.header("content-security-policy").contains("frame-ancestors 'none'"));
}

async fn a_frame_without_cookies_posts_and_replies(db: TestDatabase) {
    let app = site(db).await;
    let b = Browser::new(&app.url);
    let page = format!("{BLOG}/posts/one");
    let frame = b.get(&frame_path(&page, BLOG, "Post one")).await;
    b.forget_cookies();
    let posted = post(&b, &frame, &[("body", "First from the blog"), ("author_name", "Blog Reader")]).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    assert!(
        posted.body.contains("First from the blog") && posted.body.contains("1 comment<"),
        "{}",
        posted.body
    );
    assert!(b.cookie("tribune_guest").is_none() && b.cookie("tribune_session").is_none());
    let id: i64 = {
        let start = posted.body.find("data-reply=\"").expect("a reply button") + "data-reply=\"".len();
        posted.body[start..].split('"').next().unwrap().parse().unwrap()
    };
    let reply = post(
        &b,
        &posted,
        &[("body", "A reply in the frame"), ("author_name", "Second Reader"), ("parent_id", &id.to_string())],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.contains("2 comments<"), "{}", reply.body);
    assert!(reply.body.contains(&format!("data-parent=\"{id}\"")), "the reply hangs under its parent");

    // The discussion is an article's: the site shows it, comments and all.
    app.settle().await;
    let article = app.db.store.embedded_discussion(&page).await.unwrap().unwrap();
    let on_site = b.get(&format!("/articles/{}", article.slug)).await;
    assert!(on_site.body.contains("A reply in the frame") && on_site.body.contains("2 comments"));

    // Without the frame's token, or with one made for another frame: refused, nothing posted.
    let forged = post(&b, &frame, &[("body", "Forged"), ("author_name", "X"), ("form", "")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let other = b.get(&frame_path(&page, BLOG, "Post one")).await;
    let mixed =
        post(&b, &frame, &[("body", "Mixed"), ("author_name", "X"), ("form", &field(&other, "form"))]).await;
    assert_eq!(mixed.status, StatusCode::FORBIDDEN);
    let made_up_who = post(&b, &frame, &[("body", "Who"), ("author_name", "X"), ("who", "g:mine.abc")]).await;
    assert_eq!(made_up_who.status, StatusCode::FORBIDDEN);
    assert_eq!(app.db.store.embedded_discussion(&page).await.unwrap().unwrap().comment_count, 2);

    // A bad comment keeps its text and says why.
    let empty = post(&b, &frame, &[("body", " "), ("author_name", "X")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Your comment was not posted"), "{}", empty.body);
}

async fn the_frame_signs_in_through_a_one_use_token(db: TestDatabase) {
    let app = site(db).await;
    let reader = app.signed_in("Rita Reader", Role::Reader).await;
    let stranger = Browser::new(&app.url);
    assert_eq!(stranger.get("/embed/signin").await.status, StatusCode::SEE_OTHER, "signing in first");

    let popup = reader.get("/embed/signin").await;
    assert_eq!(popup.status, StatusCode::OK, "{}", popup.body);
    let marker = "data-token=\"";
    let start = popup.body.find(marker).unwrap() + marker.len();
    let token = popup.body[start..].split('"').next().unwrap().to_owned();

    let b = Browser::new(&app.url); // the frame: no cookies of the site
    let page = format!("{BLOG}/posts/one");
    let frame = b.get(&frame_path(&page, BLOG, "Post one")).await;
    let params: Vec<(String, String)> = ["page", "origin", "title", "accent", "font", "scheme"]
        .iter()
        .map(|n| (n.to_string(), field(&frame, n)))
        .collect();
    let mut fields: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push(("handoff", &token));
    let signed_in = b.post_form("/embed/signin", &fields).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.body.contains("Commenting as Rita Reader"), "{}", signed_in.body);
    assert!(b.cookie("tribune_session").is_none(), "the frame's session travels in its forms");
    let again = b.post_form("/embed/signin", &fields).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "the token works once");

    let posted = post(&b, &signed_in, &[("body", "Signed in, framed")]).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.body);
    assert!(posted.body.contains("Rita Reader"));
    assert!(!posted.body.contains("guest-mark"), "posted under the account, not as a guest");
}

async fn theme_values_are_checked_and_the_loader_is_cached(db: TestDatabase) {
    let app = site(db).await;
    let b = Browser::new(&app.url);
    let base = frame_path(&format!("{BLOG}/a"), BLOG, "A");
    let themed = b.get(&format!("{base}&accent=%23123abc&font=serif&scheme=dark")).await;
    assert_eq!(themed.status, StatusCode::OK, "{}", themed.body);
    assert!(themed.body.contains("--accent:#123abc;--font:Georgia"), "{}", themed.body);
    assert!(themed.body.contains("color-scheme:dark"));
    for bad in ["accent=red", "accent=%23123;}body{", "font=Comic%20Sans", "scheme=blue"] {
        let page = b.get(&format!("{base}&{bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    let loader = b.get("/embed/comments.js").await;
    assert_eq!(loader.status, StatusCode::OK);
    assert!(loader.header("content-type").starts_with("text/javascript"));
    assert!(loader.header("cache-control").contains("max-age=86400"));
    let etag = loader.header("etag").to_owned();
    let cached = b.send_with_value("/embed/comments.js", "if-none-match", &etag).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
}

async fn the_no_script_link_leads_to_the_discussion(db: TestDatabase) {
    let app = site(db).await;
    let b = Browser::new(&app.url);
    let page = format!("{BLOG}/posts/one");
    let none = b.get(&format!("/discussion?page={}", encode(&page))).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "a link creates nothing");
    b.get(&frame_path(&page, BLOG, "Post one")).await;
    let found = b.get(&format!("/discussion?page={}", encode(&format!("{page}/")))).await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    assert!(found.header("location").starts_with("/articles/discussion-blog-test-posts-one"));
    let elsewhere = b.get(&format!("/discussion?page={}", encode("http://evil.test/x"))).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
}

async fn new_discussions_are_rate_limited_per_client(db: TestDatabase) {
    let app = site(db).await;
    let b = Browser::new(&app.url);
    let free = tribune_core::embed::CREATE_PER_ADDRESS.free;
    for n in 0..free {
        let page = b.get(&frame_path(&format!("{BLOG}/p{n}"), BLOG, "P")).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
    }
    let refused = b.get(&frame_path(&format!("{BLOG}/one-more"), BLOG, "P")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    assert!(!refused.header("retry-after").is_empty());
    assert!(app.db.store.embedded_discussion(&format!("{BLOG}/one-more")).await.unwrap().is_none());
    // Existing discussions still open for that client.
    assert_eq!(b.get(&frame_path(&format!("{BLOG}/p0"), BLOG, "P")).await.status, StatusCode::OK);
}
