//! Moving in with `tribune import disqus`: the binary run as an operator runs it, against a
//! live site on the same database, on both backends.

mod common;

use std::path::{Path, PathBuf};

use common::{TestApp, article, eventually, snapshot, tribune_cli};
use tribune_core::comment::{Comment, CommentStatus};
use tribune_core::slug::Slug;
use tribune_core::store::{ArticleStore, CommentStore, FilterStore, ImportMode};
use tribune_store::testing::TestDatabase;
use tribune_store::{Backend, on_both_backends};

on_both_backends!(
    a_disqus_export_moves_in_once_with_every_quirk_reported,
    a_dry_run_counts_exactly_and_changes_nothing,
    bad_exports_are_refused_with_their_position_and_change_nothing,
    a_wordpress_site_and_its_disqus_threads_move_in_with_two_commands,
    the_site_keeps_serving_while_an_import_runs,
    a_first_import_is_a_bulk_load_that_leaves_the_schema_as_it_was,
);

fn core_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures").join(name)
}

/// Runs `tribune import ARGS` on `app`'s database, without options of its own.
fn tribune_import(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["import"];
    all.extend(args);
    all.extend(["--base-url", &app.url]);
    tribune_cli(&all, &app.db.url)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/disqus_site.xml")
}

/// Runs `tribune import disqus` on `app`'s database, old addresses mapped to the new
/// site's; its exit code, stdout and stderr.
fn import(app: &TestApp, file: &Path, extra: &[&str]) -> (i32, String, String) {
    let file = file.to_str().unwrap();
    let map = "old-news.example/2019/05/=news.example/articles/";
    let mut args = vec!["import", "disqus", file, "--url-map", map, "--base-url", "https://news.example"];
    args.extend(extra);
    tribune_cli(&args, &app.db.url)
}

async fn site(db: TestDatabase) -> (TestApp, i64) {
    let app = TestApp::new(db).await;
    let published = chrono::Utc::now() - chrono::Duration::days(1);
    let budget = app.publish(article("Budget vote", &["Ana Editor"], &["City"], published)).await;
    (app, budget.id)
}

async fn comments_of(app: &TestApp, article_id: i64) -> Vec<Comment> {
    app.db.store.thread(article_id).await.unwrap()
}

/// The e-mail address stored with the comment imported from Disqus post `source_id`
/// (never shown, so only the database tells).
async fn email_of(app: &TestApp, source_id: &str) -> Option<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
    let email = sqlx::query_scalar("SELECT author_email FROM comments WHERE source_id = $1")
        .bind(source_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    email
}

fn by_author<'a>(comments: &'a [Comment], name: &str) -> &'a Comment {
    comments.iter().find(|c| c.author_name == name).unwrap_or_else(|| panic!("no comment by {name}"))
}

async fn a_disqus_export_moves_in_once_with_every_quirk_reported(db: TestDatabase) {
    let (app, budget) = site(db).await;
    let reader = app.browser();
    // The page is cached before the import: the import must drop it on this running node.
    assert!(reader.get("/articles/budget-vote").await.body.contains("Budget vote"));

    let (code, out, err) = import(&app, &fixture(), &["--create-missing"]);
    assert_eq!(code, 0, "{out}{err}");
    for line in [
        "Read 4 threads and 16 posts.",
        "Threads: 2 matched to articles, 1 given a new draft article, 1 matching none.",
        "Comments: 10 imported, 0 already present.",
        "1 replies to a post not in the file were put at the top.",
        "Skipped posts without an id (a second import could not know them): 1",
        "Skipped posts whose id came earlier in the file: 1 (first: 1001)",
        "Skipped posts of a thread that is not in the file: 1 (first: 1016)",
        "Skipped posts of threads matching no article (see --url-map, --create-missing): 1",
        "Skipped posts in a loop of replies (each the other's parent): 2",
        "Tolerated a date that is not a date: 1 (first: 1015)",
        "Tolerated an author without a name: 1 (first: 1015)",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }

    let stored = comments_of(&app, budget).await;
    assert_eq!(stored.len(), 9, "both threads of one address land on one article");
    let first = by_author(&stored, "Ana Reader");
    assert_eq!(
        email_of(&app, "1001").await.as_deref(),
        Some("ana@example.com"),
        "as a posted comment keeps it"
    );
    let took_back = by_author(&stored, "Cy");
    assert_eq!((took_back.status, took_back.parent_id), (CommentStatus::Deleted, Some(first.id)));
    assert!(took_back.body_markdown.is_empty() && email_of(&app, "1002").await.is_none());
    let reply = by_author(&stored, "Bo");
    assert_eq!(reply.parent_id, Some(took_back.id), "a reply before its parent in the file still finds it");
    assert_eq!(by_author(&stored, "Deals").status, CommentStatus::Rejected);
    assert_eq!(by_author(&stored, "Ed").parent_id, None, "an orphan goes to the top");
    assert_eq!(by_author(&stored, "Anonymous").created_at.to_rfc3339(), "2019-05-02T08:00:00+00:00");

    // Readers see the discussion on the page they had cached, spam and a lone deletion
    // hidden, the placeholder holding its reply, every trick inert.
    let page = || async { reader.get("/articles/budget-vote").await.body };
    assert!(eventually(20, || async { page().await.contains("First comment on the budget.") }).await);
    let body = page().await;
    for shown in [
        "<em>paragraph</em>",
        "A reply that comes before its parent.",
        "Comment deleted.",
        "Answering a comment that is not in the export.",
        "&lt;script&gt; stays text.",
        "مرحبا بالعالم",
        "هالة",
        "<a href=\"https://source.example/report\" rel=\"nofollow ugc noopener\">the report</a>",
    ] {
        assert!(body.contains(shown), "missing {shown:?}");
    }
    for hidden in
        ["Cheap watches", "Words its author took back", "Deleted with nobody answering", "Each the parent"]
    {
        assert!(!body.contains(hidden), "{hidden:?} is shown");
    }
    for trick in ["<script>alert", "javascript:", "onclick", "onerror", "Gil <script>"] {
        assert!(!body.contains(trick), "{trick:?} came through");
    }

    // The page that did not move is a draft holding its discussion and old address.
    let bridge = app.db.store.article_by_slug(&Slug::parse("the-bridge-closes-for-repairs").unwrap()).await;
    let bridge = bridge.unwrap().expect("a draft for the unmatched thread");
    assert_eq!(bridge.status, tribune_core::article::ArticleStatus::Draft);
    assert_eq!(comments_of(&app, bridge.id).await.len(), 1);
    // The site's own spam taught the filter, with as many ordinary comments beside it.
    assert_eq!(app.db.store.filter_examples_after(0).await.unwrap().len(), 2);

    // Again: nothing new, nothing doubled, not even the draft or the filter's examples.
    let (code, out, err) = import(&app, &fixture(), &["--create-missing"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Threads: 3 matched to articles, 0 given a new draft article"), "{out}");
    assert!(out.contains("Comments: 0 imported, 10 already present."), "{out}");
    assert_eq!(comments_of(&app, budget).await.len(), 9);
    assert_eq!(app.db.store.count_articles().await.unwrap(), 2);
    assert_eq!(app.db.store.filter_examples_after(0).await.unwrap().len(), 2);

    // A newer export of the same site adds only what is new.
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("newer.xml");
    let text = std::fs::read_to_string(fixture()).unwrap();
    let added = "<post dsq:id=\"1020\"><message>Written after the first export.</message>\
                 <createdAt>2019-06-01T08:00:00Z</createdAt><author><name>Lu</name></author>\
                 <thread dsq:id=\"100\"/><parent dsq:id=\"1003\"/></post></disqus>";
    std::fs::write(&newer, text.replace("</disqus>", added)).unwrap();
    let (code, out, err) = import(&app, &newer, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Comments: 1 imported, 10 already present."), "{out}");
    let stored = comments_of(&app, budget).await;
    assert_eq!(by_author(&stored, "Lu").parent_id, Some(by_author(&stored, "Bo").id));
}

async fn a_dry_run_counts_exactly_and_changes_nothing(db: TestDatabase) {
    let (app, _) = site(db).await;
    let before = snapshot(&app.db).await;
    let (code, out, err) = import(&app, &fixture(), &["--create-missing", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 given a new draft article"), "{out}");
    assert!(out.contains("Comments: 10 imported, 0 already present."), "{out}");
    assert!(out.contains("Dry run: nothing was changed."), "{out}");
    assert_eq!(snapshot(&app.db).await, before);
}

async fn bad_exports_are_refused_with_their_position_and_change_nothing(db: TestDatabase) {
    let (app, _) = site(db).await;
    let before = snapshot(&app.db).await;
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(fixture()).unwrap();
    let wxr = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/wxr_quirks.xml");
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE disqus [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\n<disqus>&b;</disqus>";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated.xml", good.as_bytes()[..good.len() * 2 / 3].to_vec(), "line "),
        ("bomb.xml", bomb.as_bytes().to_vec(), "line 2, column 1: a DTD"),
        (
            "external.xml",
            b"<?xml version=\"1.0\"?>\n<!DOCTYPE disqus SYSTEM \"http://evil.example/x.dtd\">\n<disqus/>"
                .to_vec(),
            "DTD",
        ),
        ("wordpress.xml", std::fs::read(&wxr).unwrap(), "not a Disqus export"),
        ("empty.xml", vec![], "is empty"),
        (
            "binary.xml",
            (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
            "wrong.xml",
        ),
        ("broken.xml", good.replacen("</message>", "</mesage>", 3).into_bytes(), "line "),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, out, err) = import(&app, &path, &["--create-missing"]);
        assert_ne!(code, 0, "{name} accepted: {out}");
        assert!(err.contains(name), "{name}: the error names the file: {err}");
        let expected = if expected == "wrong.xml" { name } else { expected };
        assert!(err.contains(expected), "{name}: {err}");
    }
    // A WordPress import reads the whole file before writing: a fault near its end, or
    // a Disqus file, changes nothing either.
    let wxr = std::fs::read_to_string(core_fixture("wxr_quirks.xml")).unwrap();
    let cut = dir.path().join("cut-wordpress.xml");
    std::fs::write(&cut, &wxr[..wxr.len() - 200]).unwrap();
    for (file, expected) in [(cut, "cut-wordpress.xml: line "), (fixture(), "not a WordPress export")] {
        let (code, out, err) = tribune_import(&app, &["wordpress", file.to_str().unwrap()]);
        assert_ne!(code, 0, "{out}");
        assert!(err.contains(expected), "{err}");
    }
    let (code, _, err) = import(&app, dir.path(), &[]);
    assert_ne!(code, 0);
    assert!(err.contains("is a folder"), "{err}");
    let (code, _, err) = import(&app, &fixture(), &["--url-map", "no-equals-sign"]);
    assert_ne!(code, 0);
    assert!(err.contains("--url-map") && err.contains("OLD_PREFIX=NEW_PREFIX"), "{err}");
    assert_eq!(snapshot(&app.db).await, before, "nothing was written");
}

async fn a_wordpress_site_and_its_disqus_threads_move_in_with_two_commands(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let reader = app.browser();
    assert!(!reader.get("/").await.body.contains("Did the US allow ISIS to escape?"), "cached before");
    let wxr = core_fixture("wxr_quirks.xml");
    let wxr = wxr.to_str().unwrap();
    let (code, out, err) = tribune_import(&app, &["wordpress", wxr]);
    assert_eq!(code, 0, "{out}{err}");
    for line in [
        "Read 6 articles and 7 comments.",
        "Articles: 4 imported, 0 already present.",
        "Comments: 5 imported, 0 already present.",
        "Skipped pages (import them with --pages): 1 (first: 105)",
        "Skipped attachments, revisions, menu items and other kinds of content: 1 (first: 106)",
        "Skipped pingbacks and trackbacks: 2 (first: 506, 507)",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    let slug = Slug::parse("isis-escape").unwrap();
    let post = app.db.store.article_by_slug(&slug).await.unwrap().expect("the post, by its WordPress slug");
    assert_eq!(post.status, tribune_core::article::ArticleStatus::Published);
    assert_eq!(post.published_at.unwrap().to_rfc3339(), "2017-11-20T09:00:00+00:00");
    let names =
        |links: &[tribune_core::article::NamedLink]| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&post.authors), ["Ed Itor"], "the display name, not the login");
    assert_eq!(names(&post.tags), ["World", "Syria"]);
    assert!(
        post.body_html.contains("<h2>What we know</h2>")
            && post.body_html.contains("<p>Raqqa fell in October.</p>")
    );
    assert!(
        !post.body_html.contains("<script")
            && !post.body_html.contains("onerror")
            && !post.body_html.contains("wp:paragraph")
    );
    let draft = app.db.store.article_by_slug(&Slug::parse("half-written").unwrap()).await.unwrap().unwrap();
    assert_eq!(draft.status, tribune_core::article::ArticleStatus::Draft);

    let stored = comments_of(&app, post.id).await;
    let parent = stored.iter().find(|c| c.body_markdown.contains("Grüße")).expect("the RTL comment");
    let reply = stored.iter().find(|c| c.body_markdown.starts_with("I disagree.")).expect("the reply");
    assert_eq!(reply.parent_id, Some(parent.id), "written before its parent in the file");
    assert!(reply.body_html.contains("<p>I disagree.</p>"), "{}", reply.body_html);
    let statuses: Vec<CommentStatus> = stored.iter().map(|c| c.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == CommentStatus::Pending).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == CommentStatus::Rejected).count(), 2, "spam and trash");

    // Readers see the new article on the front page they had cached.
    assert!(
        eventually(10, || async { reader.get("/").await.body.contains("Did the US allow ISIS to escape?") })
            .await
    );

    // The second command: Disqus threads find the articles by their old address.
    let disqus = core_fixture("disqus_quirks.xml");
    let (code, out, err) = tribune_import(&app, &["disqus", disqus.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Threads: 1 matched to articles, 0 given a new draft article, 1 matching none."),
        "{out}"
    );
    assert!(out.contains("Comments: 3 imported, 0 already present."), "{out}");
    assert_eq!(comments_of(&app, post.id).await.len(), 8);

    // Again, both: nothing new.
    let (_, out, _) = tribune_import(&app, &["wordpress", wxr]);
    assert!(
        out.contains("Articles: 0 imported, 4 already present.")
            && out.contains("Comments: 0 imported, 5 already present."),
        "{out}"
    );
    assert_eq!(app.db.store.count_articles().await.unwrap(), 4);
    let (_, out, _) = tribune_import(&app, &["wordpress", wxr, "--pages"]);
    assert!(out.contains("Articles: 1 imported, 4 already present."), "a page on request: {out}");
}

/// A Disqus export of `threads` threads with `per_thread` posts each (every third a reply),
/// the first thread on the budget article's old address.
fn generated_export(threads: usize, per_thread: usize) -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<disqus xmlns:dsq=\"http://disqus.com/disqus-internals\">\n");
    for t in 0..threads {
        let link = if t == 0 {
            "https://old-news.example/2019/05/budget-vote/".to_owned()
        } else {
            format!("https://old-news.example/t/{t}")
        };
        xml += &format!("<thread dsq:id=\"t{t}\"><link>{link}</link><title>Thread {t}</title></thread>\n");
    }
    for t in 0..threads {
        for p in 0..per_thread {
            let id = t * per_thread + p;
            let parent = if p % 3 == 2 { format!("<parent dsq:id=\"{}\"/>", id - 1) } else { String::new() };
            xml += &format!(
                "<post dsq:id=\"{id}\"><message><![CDATA[<p>Comment {id}, with <b>some</b> words in it.</p>]]></message>\
                 <createdAt>2019-05-02T10:00:00Z</createdAt><author><name>Reader {p}</name></author>\
                 <thread dsq:id=\"t{t}\"/>{parent}</post>\n"
            );
        }
    }
    xml + "</disqus>\n"
}

async fn the_site_keeps_serving_while_an_import_runs(db: TestDatabase) {
    let app = TestApp::with_config(db, common::without_rate_limits).await;
    let published = chrono::Utc::now() - chrono::Duration::days(1);
    let budget = app.publish(article("Budget vote", &["Ana Editor"], &["City"], published)).await.id;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.xml");
    std::fs::write(&file, generated_export(40, 150)).unwrap();
    let map = "old-news.example/2019/05/=news.example/articles/";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(["import", "disqus", file.to_str().unwrap(), "--url-map", map, "--create-missing"])
        .args(["--base-url", "https://news.example", "--database-url", &app.db.url])
        .env_remove("TRIBUNE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let reader = app.browser();
    let (mut served, mut posted) = (0, 0);
    while child.try_wait().unwrap().is_none() {
        let page = reader.get("/articles/budget-vote").await;
        assert_eq!(page.status, reqwest::StatusCode::OK, "the page is served during the import");
        served += 1;
        let sent =
            reader.post_comment("budget-vote", &format!("Posted during the import, {posted}."), "Live").await;
        assert!(sent.status.is_redirection() || sent.status.is_success(), "posting works: {}", sent.status);
        posted += 1;
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("Comments: 6000 imported"), "{summary}");
    assert!(served > 0, "the import ended before the site was asked anything");
    let stored = comments_of(&app, budget).await;
    assert_eq!(stored.len(), 150 + posted, "the import's and the live comments, none lost");
}

async fn a_first_import_is_a_bulk_load_that_leaves_the_schema_as_it_was(db: TestDatabase) {
    let (app, _) = site(db).await;
    let store = &app.db.store;
    let schema = app.db.schema().await;
    let sqlite = store.backend() == Backend::Sqlite;

    // Nothing from Disqus yet: a bulk load. On SQLite the index of sources is set aside
    // meanwhile; a second import starting then brings it back and looks up as usual.
    // Either way the index refuses whatever two imports at once would double.
    assert_eq!(store.start_import("disqus", ImportMode::Write).await.unwrap(), ImportMode::FirstLoad);
    assert_eq!(app.db.schema().await != schema, sqlite, "the index is set aside on SQLite only");
    let second = if sqlite { ImportMode::Write } else { ImportMode::FirstLoad };
    assert_eq!(store.start_import("disqus", ImportMode::Write).await.unwrap(), second);
    assert_eq!(app.db.schema().await, schema);
    assert_eq!(store.start_import("disqus", ImportMode::DryRun).await.unwrap(), ImportMode::DryRun);
    store.finish_import().await.unwrap();
    assert_eq!(app.db.schema().await, schema, "finishing twice is harmless");

    let (code, out, err) = import(&app, &fixture(), &["--create-missing"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Comments: 10 imported, 0 already present."), "{out}");
    assert_eq!(app.db.schema().await, schema, "the index is back as the migration made it");
    // Once something came from Disqus, every later import looks up what is there.
    assert_eq!(store.start_import("disqus", ImportMode::Write).await.unwrap(), ImportMode::Write);

    if sqlite {
        // A first import killed before its end leaves the index aside: whatever next opens
        // the site (here, the next import) builds it again, and nothing is doubled.
        app.db.execute("DROP INDEX comments_by_source").await;
        let (code, out, err) = import(&app, &fixture(), &["--create-missing"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("Comments: 0 imported, 10 already present."), "{out}");
        assert_eq!(app.db.schema().await, schema);
    }
}
