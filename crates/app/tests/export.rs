//! Leaving with everything: `tribune export --format json` checked against the published
//! schema, restored into an empty site by `tribune import tribune`, and exported again the
//! same, byte for byte; bad files refused with their position. Both backends.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, Utc};
use common::{TestApp, article, snapshot, tribune_cli};
use serde_json::Value;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    an_export_restored_into_an_empty_site_exports_the_same,
    bad_tribune_exports_are_refused_and_change_nothing,
    disqus_and_wordpress_exports_bring_the_discussions_back,
    the_images_move_with_the_site_to_the_other_backend,
    an_older_export_without_kinds_restores_its_articles_as_articles,
);

/// A second, empty database on the same backend as `db`.
async fn empty_like(db: &TestDatabase) -> TestDatabase {
    if db.url.starts_with("sqlite") {
        TestDatabase::sqlite().await
    } else {
        TestDatabase::postgres().await.expect("PostgreSQL, as for the first database")
    }
}

/// An empty database on the other backend: a site moves from SQLite to PostgreSQL (and back).
async fn empty_other_than(db: &TestDatabase) -> TestDatabase {
    if db.url.starts_with("sqlite") {
        TestDatabase::postgres().await.expect("PostgreSQL, to move the site to")
    } else {
        TestDatabase::sqlite().await
    }
}

fn ok(out: (i32, String, String)) -> String {
    assert_eq!(out.0, 0, "{}{}", out.1, out.2);
    out.1
}

/// A site with something in every part: articles with bylines and tags, posted and
/// imported comments (a reply, a placeholder, spam), a moderator's decision, a vote,
/// a goal and a gift, and the filter's examples.
async fn busy_site(db: TestDatabase) -> TestApp {
    let app = TestApp::new(db).await;
    let at = Utc::now() - Duration::days(2);
    app.publish(article("Budget vote", &["Ana Editor", "Bo Writer"], &["City", "Money"], at)).await;
    app.publish(article("Bridge works", &["Ana Editor"], &["City"], at)).await;
    // A standalone page and the menu that leads to it.
    app.publish(tribune_core::article::ArticleInput {
        kind: Some(tribune_core::article::ArticleKind::Page),
        title: "About".into(),
        body_markdown: "Who we are.".into(),
        ..Default::default()
    })
    .await;
    {
        use tribune_core::menu::{MenuItem, MenuStore, MenuTarget};
        let about = tribune_core::slug::Slug::parse("about").unwrap();
        let menu = [
            MenuItem { label: "About".into(), target: MenuTarget::Page(about) },
            MenuItem { label: "Shop".into(), target: MenuTarget::Url("https://shop.example/".into()) },
        ];
        app.state.store.save_menu(&menu).await.unwrap();
    }
    let guest = app.browser();
    let first =
        guest.post_comment("budget-vote", "A first comment, «naïve» and مرحبا.", "Guest").await.comment_id();
    let csrf = guest.csrf().await;
    let parent = first.to_string();
    let fields = [("body", "A reply."), ("author_name", "Replier"), ("parent_id", &parent), ("csrf", &csrf)];
    guest.post_form("/articles/budget-vote/comments", &fields).await;
    let reader = app.signed_in("Vera Voter", Role::Moderator).await;
    let csrf = reader.csrf().await;
    let voted =
        reader.post_form(&format!("/comments/{first}/vote"), &[("value", "up"), ("csrf", &csrf)]).await;
    assert!(voted.status.is_success() || voted.status.is_redirection(), "{}", voted.status);
    let disqus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/disqus_site.xml");
    let map = "old-news.example/2019/05/=news.example/articles/";
    ok(tribune_cli(
        &[
            "import",
            "disqus",
            disqus.to_str().unwrap(),
            "--url-map",
            map,
            "--create-missing",
            "--base-url",
            "https://news.example",
        ],
        &app.db.url,
    ));
    ok(tribune_cli(
        &["campaign", "set", "--month", "2026-12", "--goal", "500", "--currency", "EUR"],
        &app.db.url,
    ));
    ok(tribune_cli(
        &["donation", "add", "--amount", "25", "--currency", "EUR", "--donor", "Zoë"],
        &app.db.url,
    ));
    app
}

async fn an_export_restored_into_an_empty_site_exports_the_same(db: TestDatabase) {
    let app = busy_site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let out =
        ok(tribune_cli(&["export", "--format", "json", "--output", first.to_str().unwrap()], &app.db.url));
    assert!(out.contains("Exported to"), "{out}");
    let text = std::fs::read_to_string(&first).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/export.schema.json"))
            .unwrap(),
    )
    .unwrap();
    conforms(&export, &schema, "$").unwrap();
    let tables = &export["tables"];
    for (table, at_least) in [
        ("articles", 3),
        ("comments", 12),
        ("users", 1),
        ("comment_votes", 1),
        ("comment_decisions", 2),
        ("funding_goals", 1),
        ("ledger_entries", 1),
        ("filter_examples", 2),
        ("article_tags", 3),
    ] {
        let n = tables[table].as_array().map_or(0, Vec::len);
        assert!(n >= at_least, "{table}: {n} rows");
    }
    assert!(
        !text.contains("password") && !text.contains("ip_hash") && !text.contains("guest_token"),
        "no secrets"
    );
    assert!(text.contains("ana@example.com"), "commenters' addresses are the site's to take");

    let empty = empty_like(&app.db).await;
    let out = ok(tribune_cli(&["import", "tribune", first.to_str().unwrap()], &empty.url));
    assert!(out.contains("Restored") && out.contains("articles") && out.contains("comments"), "{out}");
    let second = dir.path().join("second.json");
    ok(tribune_cli(&["export", "--output", second.to_str().unwrap()], &empty.url));
    let again = std::fs::read_to_string(&second).unwrap();
    let body = |t: &str| t.split_once('\n').map(|(_, rest)| rest.to_owned()).unwrap();
    assert!(body(&text) == body(&again), "the same content, byte for byte, apart from the export's time");

    // The restored site serves the discussion, and takes new comments after the old ones.
    let restored = TestApp::new(empty).await;
    let page = restored.browser().get("/articles/budget-vote").await;
    assert!(page.body.contains("A first comment, «naïve» and مرحبا.") && page.body.contains("A reply."));
    let new = restored.browser().post_comment("budget-vote", "Written on the new site.", "Newcomer").await;
    let max_old =
        export["tables"]["comments"].as_array().unwrap().iter().filter_map(|c| c["id"].as_i64()).max();
    assert!(Some(new.comment_id()) > max_old, "ids continue after the restored ones");
}

/// A value against the JSON Schema subset the published schema uses (type, const,
/// properties, required, additionalProperties, items, anyOf, date-time): an independent
/// check of the export, not the importer's own.
fn conforms(value: &Value, schema: &Value, at: &str) -> Result<(), String> {
    if let Some(options) = schema["anyOf"].as_array() {
        return options
            .iter()
            .find_map(|s| conforms(value, s, at).ok())
            .ok_or_else(|| format!("{at}: no option fits"));
    }
    if let Some(c) = schema.get("const") {
        return if value == c { Ok(()) } else { Err(format!("{at}: {value} is not {c}")) };
    }
    let fits = match schema["type"].as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("null") => value.is_null(),
        _ => true,
    };
    if !fits {
        return Err(format!("{at}: {value} is not {}", schema["type"]));
    }
    if schema["format"] == "date-time" {
        chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap_or(""))
            .map_err(|e| format!("{at}: {e}"))?;
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema["properties"].as_object()) {
        for key in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            object.get(key).ok_or_else(|| format!("{at}: {key} is missing"))?;
        }
        for (key, v) in object {
            match properties.get(key) {
                Some(s) => conforms(v, s, &format!("{at}.{key}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: {key} is not allowed"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(item)) = (value.as_array(), schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            conforms(v, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

async fn bad_tribune_exports_are_refused_and_change_nothing(db: TestDatabase) {
    let app = busy_site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    ok(tribune_cli(&["export", "--output", good.to_str().unwrap()], &app.db.url));
    let text = std::fs::read_to_string(&good).unwrap();
    let empty = empty_like(&app.db).await;
    let before = snapshot(&empty).await;
    let cases: Vec<(&str, String, &str)> = vec![
        ("truncated.json", text[..text.len() * 3 / 4].to_owned(), "EOF while parsing"),
        (
            "disqus.json",
            "{\"format\":\"disqus\",\"version\":1}".into(),
            "not a Tribune export (format \"disqus\")",
        ),
        ("future.json", text.replacen("\"version\":1", "\"version\":9", 1), "version 9 of the format"),
        ("table.json", text.replacen("\"tags\":[", "\"labels\":[", 1), "unknown table \"labels\""),
        (
            "row.json",
            text.replacen("\"status\":\"published\"", "\"status\":7", 1),
            "articles row 1: `status`: must be a string",
        ),
        (
            "comment.json",
            text.replacen("\"author_name\":", "\"author_nickname\":", 1),
            "comments row 1: no column `author_nickname` in this table",
        ),
        ("empty.json", String::new(), "is empty"),
        ("array.json", "[1, 2]".into(), "a Tribune export"),
    ];
    for (name, body, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let (code, out, err) = tribune_cli(&["import", "tribune", path.to_str().unwrap()], &empty.url);
        assert_ne!(code, 0, "{name}: {out}");
        assert!(err.contains(name) && err.contains(expected), "{name}: expected {expected:?} in {err}");
    }
    assert_eq!(snapshot(&empty).await, before, "nothing was kept");
    let (code, _, err) = tribune_cli(&["import", "tribune", good.to_str().unwrap()], &app.db.url);
    assert_ne!(code, 0);
    assert!(err.contains("already has content"), "{err}");
}

/// A site's discussions as the other formats carry them: per article (by title), each
/// comment's author, time, state and text, and its parent's author and time.
async fn discussions(db: &TestDatabase) -> BTreeMap<String, Vec<String>> {
    use tribune_core::store::{ArticleStore, CommentStore, PageRequest};
    let mut out = BTreeMap::new();
    let page = db.store.all_articles(None, PageRequest::new(1, 100)).await.unwrap();
    for article in page.items {
        let comments = db.store.thread(article.id).await.unwrap();
        let key = |id: Option<i64>| {
            comments
                .iter()
                .find(|c| Some(c.id) == id)
                .map(|c| format!("{}@{}", c.author_name, c.created_at.timestamp()))
        };
        let mut lines: Vec<String> = comments
            .iter()
            .map(|c| {
                let parent = key(c.parent_id).unwrap_or_default();
                format!(
                    "{}@{} {:?} {:?} ← {parent}",
                    c.author_name,
                    c.created_at.timestamp(),
                    c.status,
                    c.body_markdown
                )
            })
            .collect();
        lines.sort();
        out.insert(article.title, lines);
    }
    out
}

async fn disqus_and_wordpress_exports_bring_the_discussions_back(db: TestDatabase) {
    let app = busy_site(db).await;
    let before = discussions(&app.db).await;
    assert!(before.values().map(Vec::len).sum::<usize>() >= 12, "{before:#?}");
    let dir = tempfile::tempdir().unwrap();
    for (format, import) in [("disqus", vec!["disqus", "--create-missing"]), ("wxr", vec!["wordpress"])] {
        let file = dir.path().join(format!("site.{format}.xml"));
        let file = file.to_str().unwrap();
        ok(tribune_cli(
            &["export", "--format", format, "--output", file, "--base-url", "https://news.example"],
            &app.db.url,
        ));
        if format == "wxr" {
            parents_come_first(&std::fs::read_to_string(file).unwrap());
        }
        let empty = empty_like(&app.db).await;
        let mut args = vec!["import"];
        args.extend(&import);
        args.extend([file, "--base-url", "https://elsewhere.example"]);
        let out = ok(tribune_cli(&args, &empty.url));
        assert!(out.contains("0 already present"), "{format}: {out}");
        assert_eq!(discussions(&empty).await, before, "{format}: the discussions came back as they were");
    }
}

/// WordPress's importer files an article's comments in the order of their ids, and finds a
/// reply's parent only among those already filed: every parent's id must be the lower.
fn parents_come_first(wxr: &str) {
    let mut replies = 0;
    for comment in wxr.split("<wp:comment>").skip(1) {
        let field = |name: &str| -> i64 {
            let open = format!("<wp:{name}>");
            let value = comment.split(open.as_str()).nth(1).and_then(|s| s.split('<').next());
            value.unwrap_or_else(|| panic!("no {open} in {comment}")).parse().unwrap()
        };
        let (id, parent) = (field("comment_id"), field("comment_parent"));
        assert!(parent < id, "comment {id} answers {parent}, which WordPress would not have filed yet");
        replies += usize::from(parent > 0);
    }
    assert!(replies > 0, "the site has replies to check");
}

/// The export carries the library (each image at full size, with its alt text), and the
/// restore on the other backend serves every image again, its narrower copies made anew.
async fn the_images_move_with_the_site_to_the_other_backend(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("quay.png");
    std::fs::write(&file, common::png(1200, 800)).unwrap();
    let out =
        ok(tribune_cli(&["media", "add", file.to_str().unwrap(), "--alt", "The quay at noon"], &app.db.url));
    assert_eq!(out.trim(), "/media/quay.png");
    let mut story = article("Quay works", &["Ana Editor"], &[], Utc::now() - Duration::hours(1));
    story.image = Some("/media/quay.png".into());
    story.image_alt = Some("The quay at noon".into());
    story.body_markdown = "The quay, again:\n\n![](/media/quay.png)\n".into();
    app.publish(story).await;
    let (_, _, original) = app.browser().get_bytes("/media/quay.png", &[]).await;

    let export = dir.path().join("site.json");
    ok(tribune_cli(&["export", "--output", export.to_str().unwrap()], &app.db.url));
    let text = std::fs::read_to_string(&export).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let media = json["tables"]["media"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{media:?}");
    assert_eq!(
        (media[0]["name"].as_str(), media[0]["alt"].as_str()),
        (Some("quay.png"), Some("The quay at noon"))
    );
    let files = json["tables"]["media_files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "the full size only: the copies are made again");
    assert_eq!(files[0]["width"], 1200);

    let other = empty_other_than(&app.db).await;
    let out = ok(tribune_cli(&["import", "tribune", export.to_str().unwrap()], &other.url));
    assert!(out.contains("media"), "{out}");
    let moved = TestApp::new(other).await;
    let reader = moved.browser();
    let (status, headers, bytes) = reader.get_bytes("/media/quay.png", &[]).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert!(bytes == original, "the same bytes at full size");
    for (w, h) in [(480, 320), (960, 640)] {
        let (status, _, bytes) = reader.get_bytes(&format!("/media/w{w}/quay.png"), &[]).await;
        assert_eq!(status, reqwest::StatusCode::OK, "the {w} px copy");
        let copy = image::load_from_memory(&bytes).unwrap();
        assert_eq!((copy.width(), copy.height()), (w, h));
    }
    let page = reader.get("/articles/quay-works").await;
    assert!(
        page.body.contains(
            r#"srcset="/media/w480/quay.png 480w, /media/w960/quay.png 960w, /media/quay.png 1200w""#
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"alt="The quay at noon""#), "{}", page.body);
}

/// A file written before articles had kinds (and before the menu) restores: every row is
/// an article, on the front page as before.
async fn an_older_export_without_kinds_restores_its_articles_as_articles(db: TestDatabase) {
    let app = busy_site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.json");
    ok(tribune_cli(&["export", "--format", "json", "--output", file.to_str().unwrap()], &app.db.url));
    let mut text = std::fs::read_to_string(&file).unwrap();
    let export: Value = serde_json::from_str(&text).unwrap();
    assert!(export["tables"]["articles"].as_array().unwrap().iter().any(|a| a["kind"] == "page"));
    assert_eq!(export["tables"]["menu_items"].as_array().map_or(0, Vec::len), 2, "the menu is exported");
    // Edited as text: the file's order of tables is the order a restore writes them in.
    let start = text.find(",\n\"menu_items\":[").expect("the menu's table");
    let end = start + text[start..].find(']').unwrap() + 1;
    text.replace_range(start..end, "");
    let text = text.replace("\"kind\":\"article\",", "").replace("\"kind\":\"page\",", "");
    assert!(!text.contains("\"kind\":\"page\"") && !text.contains("menu_items"));
    let old = dir.path().join("old.json");
    std::fs::write(&old, text).unwrap();
    let empty = empty_like(&app.db).await;
    let out = ok(tribune_cli(&["import", "tribune", old.to_str().unwrap()], &empty.url));
    assert!(out.contains("Restored"), "{out}");
    let restored = TestApp::new(empty).await;
    let front = restored.browser().get("/").await.body;
    assert!(front.contains("Budget vote") && front.contains(">About<"), "every row an article: {front}");
    assert_eq!(restored.browser().get("/articles/about").await.status, reqwest::StatusCode::OK);
    assert_eq!(restored.browser().get("/about").await.status, reqwest::StatusCode::NOT_FOUND);
}
