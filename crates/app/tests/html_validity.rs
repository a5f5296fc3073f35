//! Every kind of page passes the W3C Nu HTML checker (vnu.jar, `TRIBUNE_VNU_JAR`) with no
//! errors. The pages do not depend on the backend, so this runs on SQLite only.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, article};
use tribune_core::account_mail::AccountComposer;
use tribune_core::article::ArticleStatus;
use tribune_core::comment::{CommentInput, Viewer};
use tribune_core::discussion::post_comment;
use tribune_core::store::{AccountLinkStore, CommentStore, UserStore};
use tribune_core::user::Role;
use tribune_store::testing::{TestDatabase, skip};

/// The checker's jar, or `None` (reported as skipped; a failure in CI) without it or Java.
fn vnu_jar() -> Option<String> {
    let Ok(jar) = std::env::var("TRIBUNE_VNU_JAR") else {
        skip("TRIBUNE_VNU_JAR is not set to the Nu HTML checker's vnu.jar (scripts/test.sh does)");
        return None;
    };
    let java = std::process::Command::new("java").arg("-version").output();
    if !java.is_ok_and(|o| o.status.success()) {
        skip("java is not on the PATH (the HTML checker runs on it)");
        return None;
    }
    Some(jar)
}

#[tokio::test]
async fn every_page_type_is_valid_html() {
    let Some(jar) = vnu_jar() else { return };
    // The scene is set by one guest posting a chain of replies at once: no rate limit.
    let app = TestApp::with_config(TestDatabase::sqlite().await, common::without_rate_limits).await;
    let now = Utc::now();
    for i in 0..12 {
        app.publish(article(&format!("Story {i}"), &["Ada Lovelace"], &["Local"], now - Duration::hours(i)))
            .await;
    }
    let mut rich = article("Syndicated & illustrated", &["Ada Lovelace", "Bob"], &["Local", "Science"], now);
    rich.source_name = Some("The Original".into());
    rich.source_url = Some("https://original.example/story?a=1&b=2".into());
    let lead = app.add_picture(1000, 600, "A harbour at dawn").await;
    rich.image = Some(lead.path());
    rich.image_alt = Some("A harbour at dawn".into());
    rich.body_markdown =
        "# Heading\n\nText with a footnote[^1], a [link](https://example.org) and `code`.\n\n\
        | a | b |\n|---|---|\n| 1 | 2 |\n\n> A quote\n\n1. one\n2. two\n\n```\nfn main() {}\n```\n\n\
        <iframe src=\"x\"></iframe>\n\nAgain[^1], and another[^2].\n\n![](/media/lead.png)\n\n\
        https://youtu.be/dQw4w9WgXcQ\n\n<https://vimeo.com/76979871>\n\n[^1]: The note.\n[^2]: Another.\n"
            .into();
    rich.slug = Some("rich".into());
    let rich = app.publish(rich).await;
    // A standalone page, and a menu in every public page's header.
    app.publish(tribune_core::article::ArticleInput {
        kind: Some(tribune_core::article::ArticleKind::Page),
        title: "About us".into(),
        slug: Some("about".into()),
        body_markdown: "Who we are, *and* how to reach us.".into(),
        image: Some(lead.path()),
        image_alt: Some("A harbour at dawn".into()),
        ..Default::default()
    })
    .await;
    {
        use tribune_core::menu::{MenuItem, MenuStore, MenuTarget};
        let slug = |s: &str| tribune_core::slug::Slug::parse(s).unwrap();
        let menu = [
            MenuItem { label: "Local".into(), target: MenuTarget::Tag(slug("local")) },
            MenuItem { label: "About & contact".into(), target: MenuTarget::Page(slug("about")) },
            MenuItem {
                label: "Shop".into(),
                target: MenuTarget::Url("https://shop.example/?a=1&b=2".into()),
            },
        ];
        app.state.store.save_menu(&menu).await.unwrap();
        app.state.changed(tribune::coherence::Change::Menu).await;
    }
    let mut draft = article("Draft", &["Ada Lovelace"], &[], now);
    draft.status = Some(ArticleStatus::Draft);
    app.publish(draft).await;

    let month = tribune_core::funding::month::Month::containing(now, app.state.config.tz());
    tribune_core::funding::donations::set_goal(
        &app.state.store,
        month,
        "5000",
        "USD",
        &[],
        Some("Thanks".into()),
        tribune_core::funding::guard::Guard::default(),
        now,
    )
    .await
    .unwrap();
    let gift = tribune_core::funding::donations::ManualDonation {
        amount: "307".into(),
        currency: "USD".into(),
        date: None,
        donor: Some("Ines".into()),
        note: None,
    };
    let guard = tribune_core::funding::guard::Guard::default();
    let gift_id = tribune_core::funding::donations::add_manual_donation(
        &app.state.store,
        gift,
        guard,
        app.state.config.tz(),
        now,
    )
    .await
    .unwrap();
    app.state.invalidate(vec!["funding".into()]).await;
    // A discussion: a chain deeper than the indentation cap, a deleted comment with a
    // reply, and Markdown of every allowed kind.
    let guest = Viewer { user: None, guest_token_hash: Some("g".into()) };
    let rules = app.state.config.discussion_rules();
    let mut parent = None;
    let mut first = None;
    for i in 0..9 {
        let input = CommentInput {
            body: format!(
                "Reply {i} with *emphasis*, a [link](https://example.org), `code`\n\n1. one\n2. two\n\n> quoted"
            ),
            parent_id: parent,
            author_name: Some(format!("Reader {i}")),
            author_email: None,
            notify_replies: false,
        };
        let c = post_comment(&app.state.store, &rich, &input, &guest, &Default::default(), &rules, now)
            .await
            .unwrap();
        first.get_or_insert(c.id);
        parent = Some(c.id);
    }
    let first = first.unwrap();
    // A reply held for a moderator, with its reasons, for the moderation queue.
    let held_rules = tribune_core::discussion::DiscussionRules { hold_for_review: true, ..rules.clone() };
    let input = CommentInput {
        body: "Held: a *reply* with a [link](https://example.org).".into(),
        parent_id: parent,
        author_name: Some("Held <Reader>".into()),
        author_email: None,
        notify_replies: false,
    };
    post_comment(&app.state.store, &rich, &input, &guest, &Default::default(), &held_rules, now)
        .await
        .unwrap();
    app.state.store.delete_comment(first).await.unwrap();
    app.state.invalidate(tribune::cache::keys_of(&rich)).await;

    let reader = app.browser();
    let editor = app.signed_in("Ada Admin", Role::Admin).await;
    let mut pages = Vec::new();
    for path in [
        "/",
        "/?page=2",
        "/about",
        "/articles/rich",
        "/articles/story-1",
        "/tags/local",
        "/authors/ada-lovelace",
        "/search?q=story",
        "/search?q=",
        "/search?q=nothing+matches",
        "/nope",
        "/?page=x",
        "/admin/login",
        "/login",
        "/register",
        "/articles/rich?sort=best",
        &format!("/comments/{}/reply", first + 1),
        &format!("/comments/{first}/replies"),
        &format!("/comments/{}/replies", first + 4),
        &format!("/comments/{}/flag", first + 1),
        "/support",
        "/embed/goal",
    ] {
        pages.push((path.to_owned(), reader.get(path).await.body));
    }
    for path in [
        "/admin",
        "/admin?status=published&tag=local&q=story",
        "/admin?q=nothing+matches",
        "/account",
        "/admin/articles/new",
        &format!("/admin/articles/{}", rich.id),
        "/admin/users",
        "/admin/media",
        "/admin/media?added=lead.png",
        &format!("/admin/articles/{}?uploaded=lead.png", rich.id),
        "/admin/funding",
        "/admin/moderation",
        "/admin/moderation/log",
        "/admin/moderation/log?action=ban&from=2020-01-01",
        "/admin/settings",
        "/admin/menu",
        "/articles/rich",
        &format!("/admin/funding/entries/{gift_id}/reverse"),
    ] {
        pages.push((path.to_owned(), editor.get(path).await.body));
    }
    // A signed-in reader's page: the shared discussion filled with their own buttons.
    let member = app.signed_in("Rita Reader", Role::Reader).await;
    pages.push(("a reader's article page".into(), member.get("/articles/rich").await.body));
    pages.push(("a reader's account page".into(), member.get("/account").await.body));
    // The reader becomes a supporter who shows the badge, beside a comment of theirs; a
    // discussion for supporters only, as others see it.
    supporter_scene(&app, &rich, "rita.reader@example.org").await;
    pages.push(("a supporter's account page".into(), member.get("/account").await.body));
    pages.push(("a supporter's badge, filled".into(), member.get("/articles/rich").await.body));
    pages.push(("a supporter's badge".into(), app.browser().get("/articles/rich").await.body));
    pages.push(("supporters only".into(), app.browser().get("/articles/story-2").await.body));
    pages.push((
        "supporters only, filled".into(),
        app.signed_in("Nora", Role::Reader).await.get("/articles/story-2").await.body,
    ));
    pages.push(("/admin/supporters".into(), editor.get("/admin/supporters").await.body));
    let csrf = editor.csrf().await;
    let preview = editor
        .post_form(
            "/admin/articles",
            &[("csrf", &csrf), ("title", "Preview me"), ("body", "*x*"), ("action", "preview")],
        )
        .await;
    pages.push(("preview".into(), preview.body));
    let refused = editor
        .post_form("/admin/articles", &[("csrf", &csrf), ("title", ""), ("body", "x"), ("action", "save")])
        .await;
    pages.push(("refused form".into(), refused.body));
    // The funding forms' refusals: a new currency that asks for the box, an unticked reversal.
    let month = month.to_string();
    let goal =
        [("csrf", csrf.as_str()), ("month", &month), ("goal", "10"), ("currency", "EUR"), ("text", "")];
    let currency = editor.post_form("/admin/funding/goal", &goal).await;
    assert!(currency.body.contains("confirm_currency_change"), "{}", currency.body);
    pages.push(("goal currency confirmation".into(), currency.body));
    let unticked =
        editor.post_form(&format!("/admin/funding/entries/{gift_id}/reverse"), &[("csrf", &csrf)]).await;
    pages.push(("unticked reversal".into(), unticked.body));
    let empty_comment = reader
        .post_form(
            "/articles/rich/comments",
            &[("csrf", &reader.csrf().await), ("body", ""), ("author_name", "")],
        )
        .await;
    pages.push(("refused comment".into(), empty_comment.body));
    let bad_settings = editor
        .post_form(
            "/admin/settings",
            &[("csrf", &csrf), ("site_title", ""), ("articles_per_page", "0"), ("support_other", "<b>")],
        )
        .await;
    assert_eq!(bad_settings.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    pages.push(("refused settings".into(), bad_settings.body));
    let bad_menu = editor
        .post_form("/admin/menu", &[("csrf", &csrf), ("label_0", "x"), ("to_0", "url"), ("url_0", "ftp://x")])
        .await;
    assert_eq!(bad_menu.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    pages.push(("refused menu".into(), bad_menu.body));
    let page_preview = editor
        .post_form(
            "/admin/articles",
            &[
                ("csrf", &csrf),
                ("kind", "page"),
                ("title", "Imprint"),
                ("body", "*x*"),
                ("action", "preview"),
            ],
        )
        .await;
    pages.push(("page preview".into(), page_preview.body));
    // A fresh site's setup, and its refusal of a wrong code.
    let fresh_db = TestDatabase::sqlite().await;
    tribune_core::setup::issue_code(&fresh_db.store, "ABCD-EFGH-JKLM").await.unwrap();
    let fresh = TestApp::new(fresh_db).await;
    let visitor = fresh.browser();
    let setup = visitor.get("/setup").await;
    let token = setup.csrf();
    pages.push(("/setup".into(), setup.body));
    let wrong_code =
        visitor.post_form("/setup", &[("csrf", &token), ("code", "nope"), ("site_title", "X")]).await;
    assert_eq!(wrong_code.status, reqwest::StatusCode::FORBIDDEN);
    pages.push(("refused setup".into(), wrong_code.body));
    let wrong = app.browser().login("nobody@example.org", "wrong password").await;
    pages.push(("failed login".into(), wrong.body));

    // The discussion framed by another site: empty, with a comment, a refused comment, the
    // sign-in pop-up's page, and the settings page with the snippet to copy.
    let embedding = TestApp::with_config(TestDatabase::sqlite().await, |c| {
        c.embed_origins = "https://blog.example".into();
        c.embed_allow = tribune_core::embed::Origins::parse(&c.embed_origins).unwrap();
    })
    .await;
    let eb = embedding.browser();
    let frame = eb
        .get("/embed/discussion?page=https%3A%2F%2Fblog.example%2Fpost&origin=https%3A%2F%2Fblog.example&title=A+post&scheme=dark")
        .await;
    pages.push(("an empty embedded discussion".into(), frame.body.clone()));
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = frame.body.find(&marker).unwrap() + marker.len();
        frame.body[start..].split('"').next().unwrap().replace("&#x2f;", "/").replace("&amp;", "&")
    };
    let mut fields: Vec<(String, String)> = ["page", "origin", "title", "scheme", "who", "form"]
        .iter()
        .map(|n| (n.to_string(), hidden(n)))
        .collect();
    fields.push(("author_name".into(), "Framed Reader".into()));
    let with = |body: &str| {
        let mut f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        f.push(("body", body));
        f.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>()
    };
    let post = |f: Vec<(String, String)>| {
        let eb = &eb;
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            eb.post_form("/embed/discussion", &f).await
        }
    };
    let posted = post(with("A *framed* comment.")).await;
    assert_eq!(posted.status, reqwest::StatusCode::OK, "{}", posted.body);
    pages.push(("an embedded discussion with a comment".into(), posted.body));
    let refused = post(with(" ")).await;
    assert_eq!(refused.status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    pages.push(("a refused comment in the frame".into(), refused.body));
    let embed_admin = embedding.signed_in("Ed Admin", tribune_core::user::Role::Admin).await;
    pages.push(("the embed's sign-in pop-up".into(), embed_admin.get("/embed/signin").await.body));
    pages.push(("settings with the embed snippet".into(), embed_admin.get("/admin/settings").await.body));

    // Mail on: the form's "tell me of replies" box, the pages its messages link to, and
    // the HTML part of a reply's notice.
    let sink = common::smtp_sink::SmtpSink::start().await;
    let mailing =
        TestApp::with_config(TestDatabase::sqlite().await, |c| common::mail_through(c, &sink)).await;
    let mailed = mailing.publish(article("Mailed", &["Ada Lovelace"], &[], now)).await;
    let b = mailing.browser();
    pages.push(("the reply box".into(), b.get(&format!("/articles/{}", mailed.slug)).await.body));
    let keys = &mailing.state.keys;
    let expires = (now + Duration::days(1)).timestamp();
    let confirm = keys.sign(tribune::reply_mail::CONFIRM_PURPOSE, &format!("t~{expires}"));
    let unsubscribe = keys.sign(tribune::reply_mail::UNSUBSCRIBE_PURPOSE, "1");
    for path in [
        format!("/replies/confirm/{confirm}"),
        "/replies/confirm/forged".to_owned(),
        "/replies/confirmed".to_owned(),
        format!("/replies/unsubscribe/{unsubscribe}"),
    ] {
        pages.push((path.clone(), b.get(&path).await.body));
    }
    // The password reset: asking, the answer, a link's form, a used link, and the mail.
    let account_mail =
        tribune::account_mail::SiteAccountMail { config: mailing.state.config.clone(), keys: keys.clone() };
    let (reset_mail, _) = account_mail.password_reset("ann@example.test");
    let (reset_email, _) = mailing.add_user("Rae Reset", tribune_core::user::Role::Reader).await;
    let reset_token = "r".repeat(43);
    let reset_hash = tribune::keys::token_hash(&reset_token);
    mailing
        .state
        .store
        .add_reset_link(&reset_email, &reset_hash, &reset_mail, now, now + Duration::hours(1))
        .await
        .unwrap();
    for path in [
        "/password/forgot".to_owned(),
        "/password/sent".to_owned(),
        format!("/password/reset/{reset_token}"),
        format!("/password/reset/{}", "x".repeat(43)),
        "/password/changed".to_owned(),
        "/login".to_owned(),
    ] {
        pages.push((path.clone(), b.get(&path).await.body));
    }
    let short = b
        .post_form(
            &format!("/password/reset/{reset_token}"),
            &[("csrf", &b.csrf().await), ("password", "short")],
        )
        .await;
    pages.push(("a refused new password".into(), short.body));
    pages.push(("a reset message's HTML part".into(), reset_mail.html.unwrap()));
    pages.push(("/password/forgot without mail".into(), app.browser().get("/password/forgot").await.body));
    // An author's account page with mail on: the address form and the notices' checkbox.
    let author = mailing.signed_in("Ada Lovelace", tribune_core::user::Role::Author).await;
    pages.push(("an author's account page with mail on".into(), author.get("/account").await.body));
    let stop = composer_for_authors(&mailing).author_unsubscribe_url(1);
    pages.push((
        "stop notices of comments".into(),
        b.get(stop.strip_prefix(&mailing.url).unwrap()).await.body,
    ));
    let change_token = "c".repeat(43);
    let (change_mail, _) = account_mail.password_reset("x@example.test");
    let (rae, _) = mailing.state.store.user_credentials(&reset_email).await.unwrap().unwrap();
    let change_hash = tribune::keys::token_hash(&change_token);
    let until = now + Duration::hours(1);
    mailing
        .state
        .store
        .add_email_change_link(rae.id, "rae.new@example.test", &change_hash, &change_mail, now, until)
        .await
        .unwrap();
    pages.push(("confirm a new address".into(), b.get(&format!("/account/email/{change_token}")).await.body));
    pages.push(("address changed".into(), b.get("/account/email-changed").await.body));
    pages.push((
        "an address change's HTML part".into(),
        account_mail.email_change(&rae, "rae.new@example.test").0.html.unwrap(),
    ));
    pages.push((
        "the old address's notice".into(),
        account_mail.email_changed(&rae, "rae.new@example.test").html.unwrap(),
    ));
    let left = b.post_form(&format!("/replies/unsubscribe/{unsubscribe}"), &[]).await;
    pages.push(("unsubscribed".into(), left.body));
    let composer = tribune::reply_mail::SiteComposer {
        config: mailing.state.config.clone(),
        keys: mailing.state.keys.clone(),
    };
    let parent = app.state.store.comment(first + 1).await.unwrap().unwrap();
    let reply = tribune_core::comment::validate(
        &CommentInput {
            body: "A *reply* & <b>more</b>".into(),
            author_name: Some("Bob".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let sub = tribune_core::reply_notices::Subscription {
        id: 1,
        comment_id: parent.id,
        email: "ann@example.test".into(),
        user_id: None,
        guest_token_hash: None,
        confirmed: true,
        unsubscribed: false,
    };
    use tribune_core::reply_notices::Composer;
    let notice = composer.reply_notice(&sub, &mailed, &parent, &reply);
    pages.push(("a reply notice's HTML part".into(), notice.html.unwrap()));
    let watcher = tribune_core::author_notices::Watcher {
        user_id: 1,
        email: "ada@example.test".into(),
        name: "Ada".into(),
    };
    let notice = composer.comment_notice(&watcher, &mailed, &reply);
    pages.push(("an author's notice's HTML part".into(), notice.html.unwrap()));

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (path, body)) in pages.iter().enumerate() {
        assert!(body.starts_with("<!DOCTYPE html>"), "{path} is not an HTML page");
        let file = dir.path().join(format!("page-{i}.html"));
        std::fs::write(&file, body).unwrap();
        files.push(file);
    }
    let output = std::process::Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "json"])
        .args(&files)
        .output()
        .expect("run java -jar vnu.jar");
    let report: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| {
        panic!(
            "vnu said: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let errors: Vec<String> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error" || m["subType"] == "fatal")
        .map(|m| {
            let file = m["url"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("").to_owned();
            let index: usize =
                file.trim_start_matches("page-").trim_end_matches(".html").parse().unwrap_or(0);
            format!("{} (line {}): {}", pages[index].0, m["lastLine"], m["message"])
        })
        .collect();
    assert!(errors.is_empty(), "HTML errors:\n{}", errors.join("\n"));
    assert!(output.status.success(), "vnu failed: {report}");
}

/// Makes the reader at `email` a supporter who shows the badge, with a comment under
/// `article`; and story-2 a supporters-only discussion.
async fn supporter_scene(app: &TestApp, article: &tribune_core::article::Article, email: &str) {
    use tribune_core::store::{ArticleStore, UserStore};
    use tribune_core::supporters::SupporterStore;
    let store = &app.state.store;
    common::make_supporter(app, email).await;
    let (user, _) = store.user_credentials(email).await.unwrap().unwrap();
    let input = CommentInput { body: "Proud to chip in.".into(), ..Default::default() };
    let viewer = Viewer { user: Some(user), guest_token_hash: None };
    let rules = app.state.config.discussion_rules();
    post_comment(store, article, &input, &viewer, &Default::default(), &rules, Utc::now()).await.unwrap();
    let slug = tribune_core::slug::Slug::parse("story-2").unwrap();
    let only = store.article_by_slug(&slug).await.unwrap().unwrap();
    store.set_supporters_only(only.id, true).await.unwrap();
    store.flush_comments().await;
    app.state.invalidate(vec!["article:*".into()]).await;
}

fn composer_for_authors(app: &TestApp) -> tribune::reply_mail::SiteComposer {
    tribune::reply_mail::SiteComposer { config: app.state.config.clone(), keys: app.state.keys.clone() }
}
