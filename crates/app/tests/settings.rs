//! The publisher's settings from the browser, seen by every node and dropping only the
//! pages they show; the ways to give (the Give button, /support); the first-run setup.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Browser, TestApp, article, snapshot};
use reqwest::StatusCode;
use tribune_core::store::SettingStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    settings_are_validated_saved_and_taken_back_to_their_default,
    a_setting_saved_on_one_node_is_seen_on_another,
    a_change_drops_only_the_pages_that_show_it,
    readers_are_asked_to_give_only_once_there_is_a_way,
    the_first_visitor_sets_up_the_site_once_with_the_printed_code,
    wrong_setup_codes_are_refused_and_throttled,
);

/// Every field of the settings page as it stands, to post back with a few changed.
async fn settings_form(b: &Browser) -> (String, Vec<(String, String)>) {
    let page = b.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let fields = tribune_core::site::FIELDS
        .iter()
        .map(|f| {
            let value = field_value(&page.body, f.key);
            (f.key.to_owned(), value)
        })
        .collect();
    (page.csrf(), fields)
}

/// The value an input, textarea or select named `key` shows on `html`.
fn field_value(html: &str, key: &str) -> String {
    let at = html.find(&format!("name=\"{key}\"")).unwrap_or_else(|| panic!("no field {key}"));
    let rest = &html[at..];
    let tag_end = rest.find('>').unwrap();
    let opened = &html[..at];
    let element = ["<input", "<textarea", "<select"].into_iter().max_by_key(|t| opened.rfind(t)).unwrap();
    let quoted = |s: &str| decode(s.split('"').next().unwrap());
    match element {
        "<input" => quoted(&rest[rest.find("value=\"").unwrap() + 7..]),
        "<textarea" => decode(&rest[tag_end + 1..rest.find("</textarea>").unwrap()]),
        _ => {
            let selected = rest.find(" selected").unwrap();
            quoted(&rest[rest[..selected].rfind("value=\"").unwrap() + 7..])
        }
    }
}

fn decode(s: &str) -> String {
    s.replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Posts the settings form with `changes` over the current values (and `defaults` ticked).
async fn save_settings(b: &Browser, changes: &[(&str, &str)], defaults: &[&str]) -> common::Page {
    let (csrf, mut fields) = settings_form(b).await;
    for (k, v) in changes {
        fields.iter_mut().find(|(key, _)| key == k).expect("a setting").1 = (*v).to_owned();
    }
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf)];
    form.extend(fields);
    form.extend(defaults.iter().map(|k| (format!("default_{k}"), "1".to_owned())));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form("/admin/settings", &pairs).await
}

async fn settings_are_validated_saved_and_taken_back_to_their_default(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let page = admin.get("/admin/settings").await;
    assert!(page.body.contains("default from config: Test Gazette"), "the default is shown as such");
    let editor = app.signed_in("Ed Editor", Role::Editor).await;
    assert_eq!(editor.get("/admin/settings").await.status, StatusCode::FORBIDDEN, "admins only");

    // Every bad field at once, each named, the input kept, nothing stored.
    let before = snapshot(&app.db).await;
    let refused = save_settings(
        &admin,
        &[
            ("site_title", "   "),
            ("language", "english please"),
            ("timezone", "Mars/Olympus"),
            ("support_card_url", "javascript:alert(1)"),
            ("articles_per_page", "5000"),
            ("site_description", "Kept <as typed>"),
        ],
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for problem in [
        "Site title: is required",
        "Language: must be a language tag",
        "Time zone: must be an IANA time zone",
        "Card payment link: must be an https:// address",
        "Articles per page: must be a whole number from 1 to 100",
    ] {
        assert!(refused.body.contains(problem), "{problem} in {}", refused.body);
    }
    assert!(refused.body.contains("Kept ") && refused.body.contains("as typed"), "the input is kept");
    assert!(!refused.body.contains("<as typed>"), "and escaped");
    assert_eq!(snapshot(&app.db).await, before, "a refused form changes nothing");

    let saved = save_settings(&admin, &[("site_title", "The Valley Ledger"), ("language", "fr")], &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let front = app.browser().get("/").await.body;
    assert!(front.contains("The Valley Ledger") && front.contains("lang=\"fr\""), "readers see the new name");
    assert!(!front.contains("Test Gazette"));

    // Back to the configuration's value.
    let reset = save_settings(&admin, &[], &["site_title"]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let front = app.browser().get("/").await.body;
    assert!(front.contains("Test Gazette") && front.contains("lang=\"fr\""), "only the title went back");
}

async fn a_setting_saved_on_one_node_is_seen_on_another(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let other = app.another_node().await;
    let there = Browser::new(&other.url);
    assert!(there.get("/").await.body.contains("Test Gazette"), "cached there");
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let saved = save_settings(&admin, &[("site_title", "Harbour Times")], &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let start = Instant::now();
    let mut seen = false;
    while start.elapsed() < Duration::from_secs(5) && !seen {
        seen = there.get("/").await.body.contains("Harbour Times");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "the other node shows the new title (after {:?})", start.elapsed());
    assert_eq!(other.state.site().site_title, "Harbour Times");
}

async fn a_change_drops_only_the_pages_that_show_it(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    app.publish(article("Bridge Reopens", &["Ann"], &["city"], Utc::now() - chrono::Duration::hours(1)))
        .await;
    let reader = app.browser();
    let warm = || async {
        for path in ["/", "/articles/bridge-reopens", "/support", "/tags/city"] {
            assert_eq!(reader.get(path).await.status, StatusCode::OK, "{path}");
        }
    };
    warm().await;
    let cached = |path: &str| app.state.cache.get(path).is_some();

    // Articles per page: the lists, not the articles.
    save_settings(&admin, &[("articles_per_page", "7")], &[]).await;
    assert!(!cached("/") && !cached("/tags/city"), "the lists are dropped");
    assert!(cached("/articles/bridge-reopens") && cached("/support"), "the rest stays");
    warm().await;

    // The call to give: the articles, not the lists.
    save_settings(&admin, &[("support_call", "Keep the Ledger going.")], &[]).await;
    assert!(!cached("/articles/bridge-reopens") && cached("/"));
    assert!(reader.get("/articles/bridge-reopens").await.body.contains("Keep the Ledger going."));
    warm().await;

    // A way to give: /support (and the bar), not the articles or lists.
    save_settings(&admin, &[("support_other", "Cheques to the Ledger, 1 Quay St.")], &[]).await;
    assert!(!cached("/support") && cached("/") && cached("/articles/bridge-reopens"));
    warm().await;

    // The title: every page.
    save_settings(&admin, &[("site_title", "The Quay")], &[]).await;
    assert!(
        !cached("/") && !cached("/articles/bridge-reopens") && !cached("/support") && !cached("/tags/city")
    );
}

async fn readers_are_asked_to_give_only_once_there_is_a_way(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let reader = app.browser();
    let support = reader.get("/support").await.body;
    assert!(!support.to_lowercase().contains("soon"), "never 'coming soon' to readers");
    assert!(support.contains("funded by its readers") && !support.contains("Ways to give"));
    assert!(!reader.get("/").await.body.contains("class=\"button give\""), "no Give button without a way");
    let notice = "Readers cannot give yet";
    assert!(admin.get("/admin").await.body.contains(notice), "the admin is told");

    let saved = save_settings(&admin, &[("support_card_url", "https://pay.example/ledger")], &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(!admin.get("/admin").await.body.contains(notice));
    let front = reader.get("/").await.body;
    assert!(front.contains("<a class=\"button give\" href=\"/support\">Give</a>"), "a Give button: {front}");
    let support = reader.get("/support").await.body;
    assert!(support.contains("Ways to give") && support.contains("href=\"https://pay.example/ledger\""));

    // With a goal, the button sits in the bar, and every cached page has it.
    tribune_core::funding::donations::set_goal(
        &app.state.store,
        tribune_core::funding::month::Month::containing(Utc::now(), app.state.site().tz()),
        "500",
        "USD",
        &[],
        None,
        Default::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    app.state.invalidate(vec!["funding".into()]).await;
    let front = reader.get("/").await.body;
    assert!(front.contains("funding-bar") && front.contains("class=\"button give\""));
}

const CODE: &str = "ABCD-EFGH-JKLM";

/// A site as `tribune serve` leaves it on an empty folder: no account, a code printed.
async fn fresh_site(db: TestDatabase) -> TestApp {
    tribune_core::setup::issue_code(&db.store, CODE).await.unwrap();
    TestApp::new(db).await
}

fn setup_form<'a>(csrf: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("code", code),
        ("name", "Paula Publisher"),
        ("email", "paula@example.org"),
        ("password", "a long passphrase"),
        ("site_title", "Riverside Post"),
        ("goal_amount", "2500"),
        ("goal_currency", "EUR"),
    ]
}

async fn the_first_visitor_sets_up_the_site_once_with_the_printed_code(db: TestDatabase) {
    let app = fresh_site(db).await;
    let b = app.browser();
    let front = b.get("/").await;
    assert_eq!(
        (front.status, front.header("location")),
        (StatusCode::SEE_OTHER, "/setup"),
        "led to the setup"
    );
    let page = b.get("/setup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Setup code"));
    let csrf = page.csrf();

    // Bad fields: each named, nothing created, the code still good.
    let mut bad = setup_form(&csrf, "abcd efgh jklm");
    bad[3] = ("email", "not an address");
    bad[6] = ("goal_amount", "lots");
    let refused = b.post_form("/setup", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Email:") && refused.body.contains("Monthly goal:"), "{}", refused.body);
    assert!(refused.body.contains("Riverside Post"), "the input is kept");

    let done = b.post_form("/setup", &setup_form(&csrf, "abcd-efgh-jklm")).await;
    assert_eq!(
        (done.status, done.header("location")),
        (StatusCode::SEE_OTHER, "/admin/settings"),
        "{}",
        done.body
    );
    // Signed in as the new admin.
    assert_eq!(b.get("/admin/settings").await.status, StatusCode::OK);
    let front = app.browser().get("/").await;
    assert_eq!(front.status, StatusCode::OK);
    assert!(front.body.contains("Riverside Post"), "named");
    assert!(
        front.body.contains("funding-bar") && front.body.contains("2,500"),
        "with its goal: {}",
        front.body
    );

    // Gone for good, even with the code, on this node and any other.
    assert_eq!(b.get("/setup").await.status, StatusCode::NOT_FOUND);
    let again = app.browser();
    let csrf = again.csrf().await;
    assert_eq!(again.post_form("/setup", &setup_form(&csrf, CODE)).await.status, StatusCode::NOT_FOUND);
    let other = app.another_node().await;
    assert_eq!(Browser::new(&other.url).get("/setup").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.state.store.setting(tribune_core::setup::CODE_SETTING).await.unwrap(),
        None,
        "the code is gone"
    );
}

async fn wrong_setup_codes_are_refused_and_throttled(db: TestDatabase) {
    let app = fresh_site(db).await;
    let b = app.browser();
    let csrf = b.get("/setup").await.csrf();
    // The right code with another browser's token (a page on another site): refused.
    let forged = b.post_form("/setup", &setup_form("forged", CODE)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = b.post_form("/setup", &setup_form(&csrf, "WXYZ-WXYZ-WXYZ")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.contains("Setup code: is not the code"), "{}", wrong.body);
    let mut last = wrong.status;
    for _ in 0..tribune_core::setup::SETUP_PER_ADDRESS.free {
        last = b.post_form("/setup", &setup_form(&csrf, "WXYZ-WXYZ-WXYZ")).await.status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "guessing is slowed");
    // Nothing but the throttle's count was written: no account, no title.
    use tribune_core::store::UserStore;
    assert!(!app.state.store.has_users().await.unwrap());
    assert!(app.state.live.stored().is_empty());
    assert_eq!(b.get("/").await.status, StatusCode::SEE_OTHER, "still waiting for its setup");
}
