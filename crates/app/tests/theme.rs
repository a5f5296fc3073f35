//! Themes (`theme_dir`): a theme's partial replaces the built-in one on every public page
//! with the site's values escaped, its teasers show the lists' stories, its stylesheets are
//! served under the hashed addresses pages link to, and a broken or misnamed theme file
//! stops the start with its name and line.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Utc};
use common::{TestApp, article};
use reqwest::StatusCode;
use tribune_core::store::SettingStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_theme_footer_replaces_the_built_in_one_on_every_public_page,
    a_theme_stylesheet_is_served_under_the_address_pages_link,
    a_theme_stylesheet_adds_to_the_built_in_one_on_every_page,
    a_theme_teasers_show_the_front_page_and_the_lists,
    a_theme_shows_the_article_itself_and_the_discussion_stays,
    a_theme_lays_out_the_front_page_and_the_lists,
    a_theme_error_page_keeps_its_status_and_message,
    a_broken_theme_template_stops_the_start_with_its_file_and_line,
    an_unknown_theme_file_is_refused_at_start,
);

/// A footer showing every variable, and failing (an undefined value) on a site called "Boom".
const FOOTER: &str = r#"<footer class="theme-footer">
  {% if site.title == "Boom" %}{{ site.nope }}{% endif %}
  <p class="theme-name">{{ site.title }} ({{ site.language }})</p>
  <p class="theme-about">{{ site.description }}</p>
  <ul>{% for item in menu %}<li><a href="{{ item.href }}">{{ item.label }}</a></li>{% endfor %}</ul>
</footer>
"#;

/// A theme folder holding `files` (paths relative to it).
fn theme(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

async fn a_theme_footer_replaces_the_built_in_one_on_every_public_page(db: TestDatabase) {
    let dir = theme(&[("templates/footer.html", FOOTER)]);
    let app = TestApp::with_config(db, |c| {
        c.theme_dir = dir.path().to_owned();
        c.site_title = "Tom & Jerry's <Gazette>".into();
        c.site_description = "News from <b>the</b> valley".into();
    })
    .await;
    let yesterday = Utc::now() - Duration::days(1);
    app.publish(article("Flood Warning", &["Ada"], &["Weather"], yesterday)).await;
    let b = app.browser();
    for path in ["/", "/articles/flood-warning", "/tags/weather", "/search?q=flood"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains("Flood Warning"), "{path} shows its content: {}", page.body);
        assert!(
            page.body.contains(r#"<p class="theme-name">Tom &amp; Jerry&#x27;s &lt;Gazette&gt; (en)</p>"#),
            "{path} shows the theme's footer, escaped: {}",
            page.body
        );
        assert!(
            page.body.contains(r#"<p class="theme-about">News from &lt;b&gt;the&lt;&#x2f;b&gt; valley</p>"#),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<Gazette>") && !page.body.contains("<b>the</b>"), "{path}: nothing raw");
        assert!(!page.body.contains(r#"<footer class="site-footer">"#), "{path}: no built-in footer");
        assert_eq!(page.body.matches("class=\"theme-footer\"").count(), 1, "{path}: once");
        assert!(page.body.contains(r#"<header class="site-header">"#), "{path}: the header stays built-in");
        assert!(page.body.contains(r#"<form class="site-search" action="/search""#), "{path}");
    }

    // A setting changed from the admin pages shows in the theme's footer as in the rest.
    app.state
        .store
        .change_settings(&[("site.site_title".into(), "The Valley Post".into())], &[])
        .await
        .unwrap();
    app.state.invalidate(tribune::site::keys_of_change(["site_title"])).await;
    let page = b.get("/").await;
    assert!(page.body.contains(r#"<p class="theme-name">The Valley Post (en)</p>"#), "{}", page.body);

    // A title the theme fails on: the built-in footer, never a broken page.
    app.state.store.change_settings(&[("site.site_title".into(), "Boom".into())], &[]).await.unwrap();
    app.state.invalidate(tribune::site::keys_of_change(["site_title"])).await;
    let page = b.get("/articles/flood-warning").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"<footer class="site-footer">"#), "{}", page.body);
    assert!(!page.body.contains("theme-footer") && page.body.contains("Flood Warning"), "{}", page.body);
}

async fn a_theme_stylesheet_is_served_under_the_address_pages_link(db: TestDatabase) {
    let css = "/* the sample theme */\nbody { color: #222; }\n";
    let dir = theme(&[("site.css", css)]);
    let app = TestApp::with_config(db, |c| c.theme_dir = dir.path().to_owned()).await;
    let b = app.browser();
    let front = b.get("/").await;
    let marker = r#"<link rel="stylesheet" href=""#;
    let start = front.body.find(marker).expect("a stylesheet link") + marker.len();
    let href = front.body[start..].split('"').next().unwrap().to_owned();
    assert!(href.starts_with("/assets/site.") && href.ends_with(".css"), "{href}");
    assert_ne!(href, tribune::http::assets::url("site.css"), "not the built-in stylesheet's address");

    let (status, headers, bytes) = b.get_bytes(&href, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(bytes).unwrap(), css, "the theme's own bytes");
    assert!(headers.get("cache-control").unwrap().to_str().unwrap().contains("immutable"));
    let by_name = b.get("/static/site.css").await;
    assert_eq!(by_name.body, css);

    // The admin pages and a theme-less site keep to one stylesheet each.
    let built_in = TestApp::new(TestDatabase::sqlite().await).await;
    let page = built_in.browser().get("/").await;
    assert!(page.body.contains(tribune::http::assets::url("site.css")), "{}", page.body);
}

/// The stylesheets `html` links to, in order.
fn stylesheets(html: &str) -> Vec<String> {
    let marker = r#"<link rel="stylesheet" href=""#;
    html.match_indices(marker)
        .map(|(at, _)| html[at + marker.len()..].split('"').next().unwrap().to_owned())
        .collect()
}

async fn a_theme_stylesheet_adds_to_the_built_in_one_on_every_page(db: TestDatabase) {
    let css = ":root { --accent: #8a1c2b; }\n.kicker { text-transform: uppercase; }\n";
    let dir = theme(&[("theme.css", css)]);
    let app = TestApp::with_config(db, |c| c.theme_dir = dir.path().to_owned()).await;
    let built_in = tribune::http::assets::url("site.css");
    let front = app.browser().get("/").await.body;
    let links = stylesheets(&front);
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(links[0], built_in, "the built-in rules first");
    assert!(links[1].starts_with("/assets/theme.") && links[1].ends_with(".css"), "{links:?}");
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    assert_eq!(stylesheets(&admin.get("/admin").await.body), links, "the admin pages take it too");

    let (status, headers, bytes) = admin.get_bytes(&links[1], &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(bytes).unwrap(), css, "the theme's own bytes");
    assert!(headers.get("cache-control").unwrap().to_str().unwrap().contains("immutable"));
    assert_eq!(admin.get("/static/theme.css").await.body, css);
    let (status, _, bytes) = admin.get_bytes(built_in, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(bytes).unwrap().contains(".lead-story"), "the built-in one is still served");
}

const LEAD: &str = r#"<article class="t-lead"><h2><a href="{{ story.url }}">{{ story.title }}</a></h2>{% if story.image %}<img src="{{ story.image.src }}" width="{{ story.image.width }}" alt="{{ story.image.alt }}">{% endif %}</article>"#;
const STORY: &str = r#"<article class="t-story"><h3>{{ story.title }}</h3>
<p class="t-about">{% for a in story.authors %}<a href="{{ a.url }}">{{ a.name }}</a>{% endfor %} in {% for t in story.tags %}{{ t.name }}{% endfor %}, {{ story.comment_count }} comments{% if story.image %}, a picture{% endif %}</p></article>"#;
const CARD: &str = r#"<article class="t-card"><h2>{{ story.title }}</h2>{% if story.date %}<time datetime="{{ story.date.iso }}">{{ story.date.display }}</time>{% endif %}<p>{{ story.summary }}</p></article>"#;

async fn a_theme_teasers_show_the_front_page_and_the_lists(db: TestDatabase) {
    let dir = theme(&[
        ("templates/lead.html", LEAD),
        ("templates/story.html", STORY),
        ("templates/card.html", CARD),
    ]);
    let app = TestApp::with_config(db, |c| c.theme_dir = dir.path().to_owned()).await;
    let now = Utc::now();
    app.publish(article("Flood Warning", &["Ada Reporter"], &["Weather"], now - Duration::days(2))).await;
    app.publish(article("Rain & <Hail>", &["Ben"], &["Weather"], now - Duration::days(1))).await;
    let bridge = article("Bridge Reopens", &["Cy"], &["City"], now - Duration::hours(1));
    app.publish_with_picture(bridge, "The bridge at dawn").await;
    let b = app.browser();

    let front = b.get("/").await.body;
    assert!(
        front.contains(r#"<article class="t-lead"><h2><a href="&#x2f;articles&#x2f;bridge-reopens">Bridge Reopens</a></h2><img src="&#x2f;media&#x2f;"#),
        "the newest story with a picture is the theme's lead: {front}"
    );
    assert!(front.contains(r#" width="1200" alt="The bridge at dawn"></article>"#), "{front}");
    assert!(
        front.contains("<h3>Rain &amp; &lt;Hail&gt;</h3>"),
        "the others are its stories, escaped: {front}"
    );
    assert!(
        front.contains(
            r#"<a href="&#x2f;authors&#x2f;ada-reporter">Ada Reporter</a> in Weather, 0 comments</p>"#
        ),
        "{front}"
    );
    assert!(
        !front.contains(r#"class="lead-story""#) && !front.contains(r#"<article class="story""#),
        "{front}"
    );
    assert!(front.contains(r#"class="story-grid""#), "the page around the teasers stays built-in");

    let weather = b.get("/tags/weather").await.body;
    assert_eq!(weather.matches(r#"<article class="t-card">"#).count(), 2, "{weather}");
    assert!(!weather.contains(r#"<article class="card"#), "{weather}");
    assert!(weather.contains("<h2>Rain &amp; &lt;Hail&gt;</h2><time datetime="), "{weather}");
    let found = b.get("/search?q=bridge").await.body;
    assert!(
        found.contains(r#"<article class="t-card"><h2>Bridge Reopens</h2>"#),
        "search lists cards: {found}"
    );
}

const CONTENT: &str = r#"<article class="t-article"><h1>{{ story.title }}</h1>
{% if story.summary %}<p class="t-standfirst">{{ story.summary }}</p>{% endif %}
<div class="t-body">{{ body }}</div></article>"#;

async fn a_theme_shows_the_article_itself_and_the_discussion_stays(db: TestDatabase) {
    let page_content = r#"<article class="t-page"><h1>{{ story.title }}</h1>{{ body }}</article>"#;
    let dir =
        theme(&[("templates/article_content.html", CONTENT), ("templates/page_content.html", page_content)]);
    let app = TestApp::with_config(db, |c| c.theme_dir = dir.path().to_owned()).await;
    let mut input = article("Bridge <Reopens>", &["Cy"], &["City"], Utc::now() - Duration::hours(1));
    input.summary = Some("After two years & a fight.".into());
    input.body_markdown = "The bridge is *open*.\n\n<script>alert(1)</script>".into();
    let story = app.publish(input).await;
    let b = app.browser();
    let posted = b.post_comment(story.slug.as_str(), "Good news at last.", "Dee").await;
    assert!(posted.status.is_success() || posted.status.is_redirection(), "{}", posted.body);
    app.settle().await;
    let page = b.get(&format!("/articles/{}", story.slug)).await.body;
    assert!(page.contains(r#"<article class="t-article"><h1>Bridge &lt;Reopens&gt;</h1>"#), "{page}");
    assert!(page.contains(r#"<p class="t-standfirst">After two years &amp; a fight.</p>"#), "{page}");
    assert!(
        page.contains("<div class=\"t-body\"><p>The bridge is <em>open</em>.</p>"),
        "the body as HTML: {page}"
    );
    assert!(!page.contains("<script>alert(1)"), "sanitized when saved: {page}");
    assert!(!page.contains(r#"<article class="article">"#), "{page}");
    assert!(
        page.contains("Good news at last.") && page.contains(r#"id="comments""#),
        "the discussion stays: {page}"
    );
    assert!(
        page.contains(r#"<meta property="og:title" content="Bridge &#60;Reopens&#62;">"#),
        "the head stays built-in: {page}"
    );

    app.publish(tribune_core::article::ArticleInput {
        kind: Some(tribune_core::article::ArticleKind::Page),
        title: "About us".into(),
        slug: Some("about".into()),
        body_markdown: "Who we are.".into(),
        ..Default::default()
    })
    .await;
    let about = b.get("/about").await.body;
    assert!(about.contains(r#"<article class="t-page"><h1>About us</h1><p>Who we are.</p>"#), "{about}");
}

const FRONT: &str = r#"<h1 class="t-front">{{ site.title }}</h1>
{% if lead %}<p class="t-lead">{{ lead.title }}{% if lead.image %} with {{ lead.image.alt }}{% endif %}</p>{% endif %}
<ul class="t-latest">{% for s in latest %}<li>{{ s.title }}</li>{% endfor %}</ul>
{% for section in sections %}<h2 class="t-section"><a href="{{ section.url }}">{{ section.name }}</a>: {% for s in section.stories %}{{ s.title }};{% endfor %}</h2>{% endfor %}
{% if pager.older %}<a class="t-older" href="{{ pager.older }}">Older</a>{% endif %}"#;
const LIST: &str = r#"<h1 class="t-heading">{{ heading }}</h1>
{% for s in stories %}<p class="t-entry">{{ s.title }}</p>{% endfor %}
{% if feed %}<a class="t-feed" href="{{ feed }}/feed.atom">Atom</a>{% endif %}
{% if pager.newer %}<a class="t-newer" href="{{ pager.newer }}">Newer</a>{% endif %}"#;

async fn a_theme_lays_out_the_front_page_and_the_lists(db: TestDatabase) {
    let dir = theme(&[("templates/front.html", FRONT), ("templates/list.html", LIST)]);
    let app = TestApp::with_config(db, |c| {
        c.theme_dir = dir.path().to_owned();
        c.articles_per_page = 2;
    })
    .await;
    let now = Utc::now();
    app.publish(article("Flood Warning", &["Ada"], &["Weather"], now - Duration::days(3))).await;
    app.publish(article("Rain & <Hail>", &["Ben"], &["Weather"], now - Duration::days(2))).await;
    let bridge = article("Bridge Reopens", &["Cy"], &["City"], now - Duration::hours(1));
    app.publish_with_picture(bridge, "The bridge at dawn").await;
    let b = app.browser();

    let front = b.get("/").await.body;
    assert!(front.contains(r#"<h1 class="t-front">Test Gazette</h1>"#), "{front}");
    assert!(front.contains(r#"<p class="t-lead">Bridge Reopens with The bridge at dawn</p>"#), "{front}");
    assert!(front.contains(r#"<ul class="t-latest"><li>Rain &amp; &lt;Hail&gt;</li></ul>"#), "{front}");
    assert!(
        front.contains(
            r#"<h2 class="t-section"><a href="&#x2f;tags&#x2f;weather">Weather</a>: Flood Warning;</h2>"#
        ),
        "a section holds what the top did not show: {front}"
    );
    assert!(front.contains(r#"<a class="t-older" href="&#x2f;?page=2">Older</a>"#), "{front}");
    assert!(!front.contains("class=\"front-section\""), "no built-in section: {front}");
    assert!(front.contains("<main id=\"main\""), "the layout around it stays: {front}");

    let older = b.get("/?page=2").await.body;
    assert!(older.contains(r#"<h1 class="t-heading">Test Gazette</h1>"#), "{older}");
    assert!(older.contains(r#"<p class="t-entry">Flood Warning</p>"#), "{older}");
    assert!(
        older.contains(r#"<a class="t-newer" href="&#x2f;">Newer</a>"#) && !older.contains("t-feed"),
        "{older}"
    );

    let weather = b.get("/tags/weather").await.body;
    assert!(weather.contains(r#"<h1 class="t-heading">Tagged “Weather”</h1>"#), "{weather}");
    assert_eq!(weather.matches(r#"<p class="t-entry">"#).count(), 2, "{weather}");
    assert!(weather.contains(r#"<a class="t-feed" href="&#x2f;tags&#x2f;weather/feed.atom">"#), "{weather}");
    assert!(!weather.contains("<article class=\"card"), "{weather}");
}

async fn a_theme_error_page_keeps_its_status_and_message(db: TestDatabase) {
    let error =
        r#"<h1 class="t-error">{{ error.reason }}</h1><p>{{ error.message }} ({{ error.status }})</p>"#;
    let dir = theme(&[("templates/error.html", error)]);
    let app = TestApp::with_config(db, |c| c.theme_dir = dir.path().to_owned()).await;
    let missing = app.browser().get("/articles/no-such-story").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains(r#"<h1 class="t-error">Not Found</h1><p>"#), "{}", missing.body);
    assert!(
        missing.body.contains(" (404)</p>") && !missing.body.contains("error-message"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("<footer class=\"site-footer\">"), "the layout stays: {}", missing.body);
}

/// `tribune serve` with `TRIBUNE_THEME_DIR=dir`: its exit code and what it printed.
fn serve_with_theme(dir: &Path, database_url: &str) -> (i32, String) {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["serve", "--database-url", database_url, "--bind", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data.path())
        .env_remove("TRIBUNE_CONFIG")
        .env("TRIBUNE_THEME_DIR", dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

async fn a_broken_theme_template_stops_the_start_with_its_file_and_line(db: TestDatabase) {
    let dir =
        theme(&[("templates/footer.html", "<footer>\n  <p>{{ site.title }}</p>\n  {% if %}\n</footer>\n")]);
    let (code, out) = serve_with_theme(dir.path(), &db.url);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("footer.html, line 3: syntax error"), "{out}");
    assert!(!out.contains("Tribune is serving"), "{out}");

    // An error that only shows when rendering (an unknown variable) stops it too.
    let dir = theme(&[("templates/header.html", "<header>\n{{ site.tagline }}\n</header>\n")]);
    let error = tribune::server::build_state(
        tribune::config::Config { theme_dir: dir.path().to_owned(), ..Default::default() },
        db.store.clone(),
    )
    .await
    .err()
    .expect("the start fails")
    .to_string();
    assert!(error.contains("header.html, line 2: undefined value"), "{error}");
}

async fn an_unknown_theme_file_is_refused_at_start(db: TestDatabase) {
    let dir = theme(&[("templates/footer.html", FOOTER), ("templates/fotter.html", "<footer></footer>")]);
    let (code, out) = serve_with_theme(dir.path(), &db.url);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("fotter.html") && out.contains("head.html, header.html, footer.html"), "{out}");
    assert!(!out.contains("Tribune is serving"), "{out}");
}
