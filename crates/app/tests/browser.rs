//! The discussion in a real headless Chromium (`tests/browser/comments.mjs`, driven by npm's
//! playwright-core): posting and replying with JavaScript off, by plain forms and redirects,
//! and with it on, in place without a reload; and "More comments", as a link and in place.
//! Then axe-core (`tests/browser/a11y.mjs`) on every kind of page, public and admin, at 390
//! and 1280 px: no accessibility violation may ship.
//! The browser sees the same pages whatever the backend, so this runs on SQLite only.
//!
//! Needs `node`, playwright-core (`TRIBUNE_PLAYWRIGHT_DIR`, default
//! `.tools/node_modules/playwright-core`) and Chromium (`TRIBUNE_CHROMIUM`, default
//! `/usr/bin/chromium`) and axe-core (`TRIBUNE_AXE`); `scripts/test.sh` installs them. Reported as skipped without them, a failure in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{TestApp, article};
use tribune_core::comment::{CommentInput, CommentStatus, validate};
use tribune_core::store::{CommentRecord, CommentStore, ImportedComment, UserStore};
use tribune_core::supporters::SupporterStore;
use tribune_store::testing::TestDatabase;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/comments.mjs");
const A11Y_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/a11y.mjs");
const VIDEO_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/video.mjs");

struct Tools {
    playwright: PathBuf,
    chromium: PathBuf,
    /// axe-core's `axe.min.js` (`TRIBUNE_AXE`), for the accessibility check.
    axe: PathBuf,
}

/// The tools the browser run needs, or `None` (reported as skipped; a failure in CI).
fn tools() -> Option<Tools> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from_env = |var: &str, default: PathBuf| std::env::var_os(var).map(PathBuf::from).unwrap_or(default);
    let playwright =
        from_env("TRIBUNE_PLAYWRIGHT_DIR", workspace.join(".tools/node_modules/playwright-core"));
    let chromium = from_env("TRIBUNE_CHROMIUM", PathBuf::from("/usr/bin/chromium"));
    let axe = from_env("TRIBUNE_AXE", workspace.join(".tools/node_modules/axe-core/axe.min.js"));
    let node = std::process::Command::new("node").arg("--version").output();
    let missing = if !node.is_ok_and(|o| o.status.success()) {
        Some("node is not on the PATH".to_owned())
    } else if !playwright.join("package.json").is_file() {
        Some(format!("no playwright-core at {} (TRIBUNE_PLAYWRIGHT_DIR)", playwright.display()))
    } else if !chromium.is_file() {
        Some(format!("no Chromium at {} (TRIBUNE_CHROMIUM)", chromium.display()))
    } else if !axe.is_file() {
        Some(format!("no axe-core at {} (TRIBUNE_AXE)", axe.display()))
    } else {
        None
    };
    match missing {
        None => Some(Tools { playwright, chromium, axe }),
        Some(why) => {
            tribune_store::testing::skip(&format!("{why}; scripts/test.sh installs what it needs"));
            None
        }
    }
}

#[tokio::test]
async fn readers_post_and_reply_in_a_real_browser_with_and_without_javascript() {
    let Some(tools) = tools() else { return };
    let app = TestApp::new(TestDatabase::sqlite().await).await;
    let published = Utc::now() - chrono::Duration::hours(1);
    let (story, _) = publish_with_image(&app, published).await;
    // More top-level threads than a page shows (20), for "More comments".
    let busy = app.publish(article("Busy Harbour", &["Ada Writer"], &["Local"], published)).await;
    let threads: Vec<ImportedComment> = (0..25)
        .map(|i| {
            let input = CommentInput {
                body: format!("Thread {i}"),
                author_name: Some("Seed".into()),
                ..Default::default()
            };
            ImportedComment {
                parent: None,
                comment: validate(&input, None).unwrap(),
                status: CommentStatus::Published,
                created_at: Utc::now(),
                source: None,
            }
        })
        .collect();
    let ids = app.state.store.import_comments(busy.id, &threads).await.unwrap();
    // More replies under the first thread than a page shows (10), for "More replies".
    let first = app.state.store.comment(ids[0]).await.unwrap();
    for i in 0..15 {
        let input = CommentInput {
            body: format!("Reply {i}"),
            author_name: Some("Seed".into()),
            ..Default::default()
        };
        let record = CommentRecord {
            article_id: busy.id,
            parent: first.clone(),
            comment: validate(&input, None).unwrap(),
            status: CommentStatus::Published,
            user_id: None,
            guest_token_hash: None,
            ip_hash: None,
            body_hash: None,
            decision: None,
            rate: vec![],
            copies_since: None,
            subscription: None,
            mail: Default::default(),
        };
        app.state.store.insert_comment(&record, Utc::now()).await.unwrap();
    }

    let started = Instant::now();
    let child = tokio::process::Command::new("node")
        .arg(SCRIPT)
        .arg(&app.url)
        .arg(story.slug.as_str())
        .arg(busy.slug.as_str())
        .env("TRIBUNE_PLAYWRIGHT_DIR", &tools.playwright)
        .env("TRIBUNE_CHROMIUM", &tools.chromium)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A test that times out or panics must not leave a browser behind.
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    // The script bounds itself at 120 s; this only catches a node that hangs anyway.
    let output = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("the browser script finished within 180 s")
        .expect("the browser script ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "the browser script failed ({}):\n{stdout}\n{stderr}", output.status);
    println!("browser run: {:.1} s", started.elapsed().as_secs_f64());

    // What the browser saw is what was stored: five comments, each reply under its parent.
    let stored = app.state.store.thread(story.id).await.unwrap();
    let by_body = |text: &str| {
        stored
            .iter()
            .find(|c| c.body_markdown == text)
            .unwrap_or_else(|| panic!("{text:?} stored: {stored:?}"))
    };
    assert_eq!(stored.len(), 5, "exactly the five comments the browser posted: {stored:?}");
    for (parent, reply, author) in [
        ("Posted by a plain form.", "A reply by a plain form.", "Otto Offline"),
        ("Posted by fetch.", "A reply by fetch.", "Rita Reply"),
        ("Posted by fetch.", "Another reply by fetch.", "Sam Second"),
    ] {
        let (parent, reply) = (by_body(parent), by_body(reply));
        assert_eq!(parent.parent_id, None, "{parent:?}");
        assert_eq!(reply.parent_id, Some(parent.id), "{reply:?}");
        assert_eq!((reply.depth, reply.author_name.as_str()), (1, author), "{reply:?}");
    }
}

/// Every kind of page, public and admin, at 390 and 1280 px: axe-core finds nothing, and
/// at 390 px no page scrolls sideways.
#[tokio::test]
async fn every_kind_of_page_passes_axe_core() {
    let Some(tools) = tools() else { return };
    // Mail on: the comment form offers "tell me of replies", and its pages exist.
    let sink = common::smtp_sink::SmtpSink::start().await;
    let app = TestApp::with_config(TestDatabase::sqlite().await, |c| common::mail_through(c, &sink)).await;
    let published = Utc::now() - chrono::Duration::hours(1);
    let (story, image) = publish_with_image(&app, published).await;
    let notes = publish_notes(&app, &image, published).await;
    let seed = |body: String| ImportedComment {
        parent: None,
        comment: validate(
            &CommentInput { body, author_name: Some("Seed".into()), ..Default::default() },
            None,
        )
        .unwrap(),
        status: CommentStatus::Published,
        created_at: Utc::now(),
        source: None,
    };
    let top = app.state.store.import_comments(story.id, &[seed("A first thought.".into())]).await.unwrap()[0];
    // More replies than a page shows, so the article links to a page of replies.
    let replies: Vec<ImportedComment> =
        (0..12).map(|i| ImportedComment { parent: Some(0), ..seed(format!("Reply {i}")) }).collect();
    let mut thread = vec![seed("A second thought.".into())];
    thread.extend(replies);
    let ids = app.state.store.import_comments(story.id, &thread).await.unwrap();
    // A held comment, so that the moderation queue has an entry to check.
    let held = ImportedComment { status: CommentStatus::Pending, ..seed("Held for a moderator.".into()) };
    app.state.store.import_comments(story.id, &[held]).await.unwrap();
    // A goal and a gift, so that the bar, the widget, the chart and a reversal's
    // confirmation page have something to show.
    let now = Utc::now();
    let month = tribune_core::funding::month::Month::containing(now, app.state.config.tz());
    let guard = tribune_core::funding::guard::Guard::default();
    let store = &app.state.store;
    tribune_core::funding::donations::set_goal(store, month, "5000", "USD", &[], None, guard, now)
        .await
        .unwrap();
    let gift = app.give("307", Some("Ines"), guard).await;
    // A way to give, so that the Give button beside the bar is on every page.
    let give = tribune_core::site::SettingsChange {
        set: vec![("support_card_url", "https://pay.example/give".into())],
        reset: Vec::new(),
    };
    tribune::site::save(&app.state.store, &give).await.unwrap();
    app.state.changed(tribune::coherence::Change::Settings(&["support_card_url"])).await;
    // A supporter's badge beside their comment, and a discussion for supporters only.
    let (sue, _) = app.add_user("Sue Supporter", tribune_core::user::Role::Reader).await;
    common::make_supporter(&app, &sue).await;
    let (sue_user, _) = app.state.store.user_credentials(&sue).await.unwrap().unwrap();
    let sue_viewer = tribune_core::comment::Viewer { user: Some(sue_user), guest_token_hash: None };
    let proud = CommentInput { body: "Proud to chip in.".into(), ..Default::default() };
    let rules = app.state.config.discussion_rules();
    let origin = tribune_core::discussion::Origin::default();
    tribune_core::discussion::post_comment(store, &story, &proud, &sue_viewer, &origin, &rules, now)
        .await
        .unwrap();
    let members = app.publish(article("Members Night", &["Ada Writer"], &[], published)).await;
    store.set_supporters_only(members.id, true).await.unwrap();
    store.flush_comments().await;
    app.state.invalidate(vec!["article:*".into()]).await;
    // A standalone page, and a menu long enough to scroll sideways inside itself at 390 px.
    app.publish(tribune_core::article::ArticleInput {
        kind: Some(tribune_core::article::ArticleKind::Page),
        title: "About us".into(),
        slug: Some("about".into()),
        body_markdown: "Who we are, and how to reach us.".into(),
        ..Default::default()
    })
    .await;
    {
        use tribune_core::menu::{MenuItem, MenuStore, MenuTarget};
        let slug = |s: &str| tribune_core::slug::Slug::parse(s).unwrap();
        let mut menu: Vec<MenuItem> =
            ["Local", "Environment", "Culture", "Economy", "Transport", "Education"]
                .iter()
                .map(|t| MenuItem { label: (*t).into(), target: MenuTarget::Tag(slug("local")) })
                .collect();
        menu.push(MenuItem { label: "About".into(), target: MenuTarget::Page(slug("about")) });
        app.state.store.save_menu(&menu).await.unwrap();
        app.state.changed(tribune::coherence::Change::Menu).await;
    }
    let slug = story.slug.as_str();
    let expires = (now + chrono::Duration::days(1)).timestamp();
    let confirm = app.state.keys.sign(tribune::reply_mail::CONFIRM_PURPOSE, &format!("axe~{expires}"));
    let unsubscribe = app.state.keys.sign(tribune::reply_mail::UNSUBSCRIBE_PURPOSE, "1");
    // A password reset link that works, for its form.
    let (reset_email, _) = app.add_user("Rae Reset", tribune_core::user::Role::Reader).await;
    let reset_token = "r".repeat(43);
    let reset_mail = tribune_core::mail::OutgoingMail {
        to: reset_email.clone(),
        subject: "Reset".into(),
        text: "Reset".into(),
        html: None,
        unsubscribe_url: None,
    };
    let reset_hash = tribune::keys::token_hash(&reset_token);
    let reset_until = now + chrono::Duration::hours(1);
    tribune_core::store::AccountLinkStore::add_reset_link(
        store,
        &reset_email,
        &reset_hash,
        &reset_mail,
        now,
        reset_until,
    )
    .await
    .unwrap();
    let stop_comment_notices =
        tribune::reply_mail::SiteComposer { config: app.state.config.clone(), keys: app.state.keys.clone() }
            .author_unsubscribe_url(1)
            .strip_prefix(&app.url)
            .unwrap()
            .to_owned();
    let public = [
        "/".to_owned(),
        format!("/articles/{slug}"),
        format!("/articles/{}", notes.slug),
        "/tags/local".into(),
        "/authors/ada-writer".into(),
        "/search?q=harbour".into(),
        "/support".into(),
        "/articles/members-night".into(),
        "/about".into(),
        "/embed/goal".into(),
        "/register".into(),
        "/login".into(),
        "/admin/login".into(),
        format!("/comments/{top}/reply"),
        format!("/comments/{top}/flag"),
        format!("/comments/{}/replies", ids[0]),
        "/no-such-page".into(),
        format!("/replies/confirm/{confirm}"),
        "/replies/confirmed".into(),
        format!("/replies/unsubscribe/{unsubscribe}"),
        "/password/forgot".into(),
        "/password/sent".into(),
        format!("/password/reset/{reset_token}"),
        "/password/changed".into(),
        stop_comment_notices,
    ];
    let admin = app.signed_in("Ada Admin", tribune_core::user::Role::Admin).await;
    let signed_in = [
        format!("/articles/{slug}"),
        "/admin".into(),
        "/admin?status=published&tag=local&q=harbour".into(),
        "/account".into(),
        "/admin/articles/new".into(),
        format!("/admin/articles/{}", story.id),
        format!("/admin/articles/{}?uploaded={}", story.id, image.name),
        "/admin/media".into(),
        format!("/admin/media?added={}", image.name),
        "/admin/users".into(),
        "/admin/funding".into(),
        "/admin/supporters".into(),
        format!("/admin/funding/entries/{gift}/reverse"),
        "/admin/moderation".into(),
        "/admin/moderation/log".into(),
        "/admin/settings".into(),
        "/admin/menu".into(),
    ];
    // A fresh site, as `tribune serve` leaves it: the first-run setup.
    let fresh_db = TestDatabase::sqlite().await;
    tribune_core::setup::issue_code(&fresh_db.store, "ABCD-EFGH-JKLM").await.unwrap();
    let fresh = TestApp::new(fresh_db).await;
    let setup = ["/setup".to_owned()];
    // The sample theme, whose header, footer, stories and colours are its own.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../themes/sample");
    let themed = TestApp::with_config(TestDatabase::sqlite().await, |c| c.theme_dir = sample).await;
    let (themed_story, themed_image) = publish_with_image(&themed, published).await;
    publish_notes(&themed, &themed_image, published).await;
    let themed_pages =
        ["/".to_owned(), format!("/articles/{}", themed_story.slug), "/tags/local".into(), "/support".into()];
    for (url, cookie, paths) in [
        (&app.url, String::new(), &public[..]),
        (&app.url, admin.cookie_header(), &signed_in[..]),
        (&fresh.url, String::new(), &setup[..]),
        (&themed.url, String::new(), &themed_pages[..]),
    ] {
        let output = tokio::process::Command::new("node")
            .arg(A11Y_SCRIPT)
            .arg(url)
            .arg(&cookie)
            .args(paths)
            .env("TRIBUNE_PLAYWRIGHT_DIR", &tools.playwright)
            .env("TRIBUNE_CHROMIUM", &tools.chromium)
            .env("TRIBUNE_AXE", &tools.axe)
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(180), output)
            .await
            .expect("axe-core finished within 180 s")
            .expect("node ran");
        let stdout = String::from_utf8_lossy(&output.stdout);
        println!("{stdout}");
        assert!(
            output.status.success(),
            "axe-core found problems:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// "Harbour Lights", with an uploaded image as the story's, so its page and the lists show it.
async fn publish_with_image(
    app: &TestApp,
    published: chrono::DateTime<Utc>,
) -> (tribune_core::article::Article, tribune_core::media::Media) {
    let input = article("Harbour Lights", &["Ada Writer"], &["Local"], published);
    app.publish_with_picture(input, "Lights on the harbour wall").await
}

/// "Harbour Notes": a body with an uploaded image, notes cited twice and a video.
async fn publish_notes(
    app: &TestApp,
    image: &tribune_core::media::Media,
    published: chrono::DateTime<Utc>,
) -> tribune_core::article::Article {
    let mut input = article("Harbour Notes", &["Ada Writer"], &["Local"], published);
    input.body_markdown = format!(
        "The harbour wall was lit for the first time in forty years.[^lamps] Fishermen say \
         the light helps them home.[^safety]\n\n{}\n\nThe council films its meetings:\n\n\
         https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nIt decides on the cost next month.[^lamps]\n\n\
         [^lamps]: Twelve lamps, restored by volunteers over two winters.\n\
         [^safety]: The coastguard agrees.\n",
        image.markdown()
    );
    app.publish(input).await
}

/// A video in an article's body asks nothing of its host until the reader presses Play;
/// then the cookieless player is framed. Footnotes link both ways.
#[tokio::test]
async fn a_video_loads_only_when_the_reader_asks() {
    let Some(tools) = tools() else { return };
    let app = TestApp::new(TestDatabase::sqlite().await).await;
    let published = Utc::now() - chrono::Duration::hours(1);
    let (_, image) = publish_with_image(&app, published).await;
    let notes = publish_notes(&app, &image, published).await;
    let output = tokio::process::Command::new("node")
        .arg(VIDEO_SCRIPT)
        .arg(&app.url)
        .arg(notes.slug.as_str())
        .env("TRIBUNE_PLAYWRIGHT_DIR", &tools.playwright)
        .env("TRIBUNE_CHROMIUM", &tools.chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(180), output)
        .await
        .expect("the video script finished within 180 s")
        .expect("node ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the video script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
