//! Supporters recognised, over HTTP on both backends: a signed Stripe gift whose donor
//! address is a reader's confirmed one makes them a supporter (and a refund undoes it), the
//! badge they opt into shows on the cached pages of their comments, supporters-only
//! discussions, supporters skipping the new-commenter hold, and the admin's list and CSV.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Browser, TestApp, article};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;
use tribune_core::comment::CommentStatus;
use tribune_core::moderation::Settings;
use tribune_core::store::FundingStore;
use tribune_core::supporters::SupporterStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    the_badge_follows_a_signed_gift_and_its_refund,
    an_unconfirmed_address_gives_no_status_until_it_is_confirmed,
    a_refund_ends_only_what_its_own_gift_gave,
    a_status_that_runs_out_is_found_for_its_pages,
    a_supporters_only_discussion_refuses_others_and_takes_supporters,
    supporters_skip_the_new_commenter_hold_when_the_setting_says_so,
    the_admin_lists_and_exports_supporters_without_amounts,
);

const SECRET: &str = "whsec_supporters_0123";
const BADGE: &str = "class=\"supporter-badge\"";
const SUPPORTERS_ONLY: &str = "This discussion is open to supporters.";

async fn app(db: TestDatabase) -> TestApp {
    TestApp::with_config(db, |c| {
        c.stripe_webhook_secret = SECRET.into();
        c.support_card_url = "https://buy.stripe.com/test_abc".into();
    })
    .await
}

fn sign(body: &str) -> String {
    let t = Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Delivers a signed event as Stripe does; Stripe's outcome.
async fn deliver(app: &TestApp, body: String) -> String {
    let res = reqwest::Client::new()
        .post(format!("{}/webhooks/stripe", app.url))
        .header("content-type", "application/json")
        .header("Stripe-Signature", sign(&body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let json: serde_json::Value = res.json().await.unwrap();
    // The pages the event changed are dropped in the next burst: now, for the test.
    app.settle().await;
    json["outcome"].as_str().unwrap_or_default().to_owned()
}

/// A paid checkout session: the donor's address is in its customer details, as typed.
fn checkout(event: &str, pi: &str, cents: i64, email: &str, at: DateTime<Utc>) -> String {
    serde_json::json!({
        "id": event, "object": "event", "type": "checkout.session.completed", "created": at.timestamp(),
        "data": { "object": { "id": format!("cs_{pi}"), "object": "checkout.session", "mode": "payment",
            "payment_status": "paid", "payment_intent": pi, "amount_total": cents, "currency": "usd",
            "customer_details": { "email": email, "name": "Card Holder" } } }
    })
    .to_string()
}

fn refunded(event: &str, pi: &str, cents: i64) -> String {
    serde_json::json!({
        "id": event, "object": "event", "type": "charge.refunded", "created": Utc::now().timestamp(),
        "data": { "object": { "id": format!("ch_{pi}"), "object": "charge", "payment_intent": pi,
            "amount": cents, "amount_refunded": cents, "refunded": true, "currency": "usd" } }
    })
    .to_string()
}

fn dispute_lost(event: &str, pi: &str, cents: i64) -> String {
    serde_json::json!({
        "id": event, "object": "event", "type": "charge.dispute.closed", "created": Utc::now().timestamp(),
        "data": { "object": { "id": format!("dp_{pi}"), "object": "dispute", "payment_intent": pi,
            "charge": format!("ch_{pi}"), "amount": cents, "currency": "usd", "status": "lost" } }
    })
    .to_string()
}

/// Marks `email`'s account address as confirmed, as following a mailed link does.
async fn confirm(app: &TestApp, email: &str) {
    let at = Utc::now().timestamp();
    app.db.execute(&format!("UPDATE users SET email_confirmed_at = {at} WHERE email = '{email}'")).await;
}

/// A reader signed in, with their address.
async fn reader(app: &TestApp, name: &str) -> (Browser, String) {
    let (email, password) = app.add_user(name, Role::Reader).await;
    let b = app.browser();
    assert_eq!(b.login(&email, &password).await.status, StatusCode::SEE_OTHER);
    (b, email)
}

async fn choose_badge(b: &Browser, shown: &str) {
    let token = b.get("/account").await.csrf();
    let res = b.post_form("/account/supporter-badge", &[("csrf", &token), ("shown", shown)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    use tribune_core::store::UserStore;
    app.state.store.user_credentials(email).await.unwrap().unwrap().0.id
}

async fn the_badge_follows_a_signed_gift_and_its_refund(db: TestDatabase) {
    let app = app(db).await;
    app.publish(article("Harbour Fees", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let (sue, email) = reader(&app, "Sue Supporter").await;
    confirm(&app, &email).await;
    sue.post_comment("harbour-fees", "The fees fund the lighthouse.", "").await.comment_id();
    app.settle().await;
    let stranger = app.browser();
    assert!(!stranger.get("/articles/harbour-fees").await.body.contains(BADGE));
    // A badge chosen before any gift shows nothing, and changes no page.
    choose_badge(&sue, "yes").await;
    choose_badge(&sue, "no").await;
    assert!(!stranger.get("/articles/harbour-fees").await.body.contains(BADGE), "cached, and right");

    // Stripe writes the address as the donor typed it: it is matched trimmed, in lower case.
    let gift = checkout("evt_gift", "pi_sue", 1500, "  Sue.Supporter@Example.ORG ", Utc::now());
    assert_eq!(deliver(&app, gift).await, "recorded");
    let account = sue.get("/account").await.body;
    assert!(account.contains("makes you a supporter until"), "{account}");
    assert!(!account.contains("15.00"), "no amount on the reader's own page either");
    assert!(!stranger.get("/articles/harbour-fees").await.body.contains(BADGE), "not without the opt-in");

    choose_badge(&sue, "yes").await;
    app.settle().await;
    let page = stranger.get("/articles/harbour-fees").await.body;
    assert!(page.contains(BADGE), "the cached page was dropped and shows the badge");
    assert!(!page.contains("sue.supporter@example.org"), "the donor's address is never shown");
    assert!(sue.get("/articles/harbour-fees").await.body.contains(BADGE), "and on the reader's own page");

    // Redelivered: counted once, still a supporter.
    let gift = checkout("evt_gift", "pi_sue", 1500, "sue.supporter@example.org", Utc::now());
    assert_eq!(deliver(&app, gift).await, "already recorded");
    assert!(stranger.get("/articles/harbour-fees").await.body.contains(BADGE));

    // The refund ends what the gift gave, on the cached page too.
    assert_eq!(deliver(&app, refunded("evt_refund", "pi_sue", 1500)).await, "recorded");
    assert!(!stranger.get("/articles/harbour-fees").await.body.contains(BADGE), "the refund drops the badge");
    assert!(!sue.get("/account").await.body.contains("makes you a supporter until"));
    let id = user_id(&app, &email).await;
    let status = app.state.store.supporter_status(id, Utc::now(), Duration::days(35)).await.unwrap();
    assert!(!status.is_supporter() && status.badge_chosen, "the choice is kept for a next gift");

    // A next gift brings the badge back at once, since it was chosen.
    assert_eq!(deliver(&app, checkout("evt_again", "pi_sue_2", 700, &email, Utc::now())).await, "recorded");
    assert!(stranger.get("/articles/harbour-fees").await.body.contains(BADGE));
    // Hiding it drops the pages again.
    choose_badge(&sue, "no").await;
    app.settle().await;
    assert!(!stranger.get("/articles/harbour-fees").await.body.contains(BADGE), "hidden again");
}

async fn an_unconfirmed_address_gives_no_status_until_it_is_confirmed(db: TestDatabase) {
    let app = app(db).await;
    app.publish(article("Quay Works", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    // A gift made before the account exists still counts once the address is confirmed.
    let early = checkout("evt_early", "pi_early", 2000, "una.unconfirmed@example.org", Utc::now());
    assert_eq!(deliver(&app, early).await, "recorded");
    let (una, email) = reader(&app, "Una Unconfirmed").await;
    una.post_comment("quay-works", "Anyone may type any address at a checkout.", "").await.comment_id();
    choose_badge(&una, "yes").await;
    app.settle().await;
    let stranger = app.browser();
    assert!(
        !stranger.get("/articles/quay-works").await.body.contains(BADGE),
        "an unconfirmed address is no one's"
    );
    assert!(!una.get("/account").await.body.contains("makes you a supporter until"));
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    assert!(admin.get("/admin/supporters").await.body.contains("No supporters at the moment."));

    confirm(&app, &email).await;
    assert!(una.get("/account").await.body.contains("makes you a supporter until"));
    let id = user_id(&app, &email).await;
    assert!(
        app.state.store.supporter_status(id, Utc::now(), Duration::days(35)).await.unwrap().badge_shown()
    );
    assert!(admin.get("/admin/supporters").await.body.contains(&email));
}

async fn a_refund_ends_only_what_its_own_gift_gave(db: TestDatabase) {
    let app = app(db).await;
    let (_, email) = reader(&app, "Tom Twice").await;
    confirm(&app, &email).await;
    let id = user_id(&app, &email).await;
    let store = &app.state.store;
    let status = || async move { store.supporter_status(id, Utc::now(), Duration::days(35)).await.unwrap() };
    let old = Utc::now() - Duration::days(20);
    deliver(&app, checkout("evt_old", "pi_old", 1000, &email, old)).await;
    deliver(&app, checkout("evt_new", "pi_new", 1000, &email, Utc::now() - Duration::days(1))).await;
    let until = status().await.until.unwrap();
    assert!(until > Utc::now() + Duration::days(33), "the latest gift sets the end: {until}");
    // A partial refund leaves part of the gift: it still counts.
    deliver(&app, refunded("evt_part", "pi_new", 400).replace("\"refunded\":true", "\"refunded\":false"))
        .await;
    assert_eq!(status().await.until, Some(until));
    // Refunded in full, the newer gift gives nothing; the older one still does, for less long.
    deliver(&app, refunded("evt_full", "pi_new", 1000)).await;
    let until = status().await.until.expect("the older gift still counts");
    assert!(until < Utc::now() + Duration::days(16), "{until}");
    // A lost dispute ends the older one's as well.
    deliver(&app, dispute_lost("evt_lost", "pi_old", 1000)).await;
    assert!(!status().await.is_supporter());
    // Past the period, a standing gift gives nothing either.
    deliver(&app, checkout("evt_ancient", "pi_ancient", 1000, &email, Utc::now() - Duration::days(40))).await;
    assert!(!status().await.is_supporter());
    // The ledger kept every address, for the admin only.
    let entries =
        store.entries_of_month(tribune_core::funding::month::Month::containing(old, app.state.config.tz()));
    let entries = entries.await.unwrap();
    assert!(entries.iter().any(|e| e.entry.donor_email.as_deref() == Some(email.as_str())));
}

async fn a_status_that_runs_out_is_found_for_its_pages(db: TestDatabase) {
    let app = app(db).await;
    let a = app.publish(article("Old Pier", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let (lea, email) = reader(&app, "Lea Lapsing").await;
    confirm(&app, &email).await;
    deliver(&app, checkout("evt_lea", "pi_lea", 1000, &email, Utc::now() - Duration::days(36))).await;
    lea.post_comment("old-pier", "I gave last month.", "").await.comment_id();
    choose_badge(&lea, "yes").await;
    app.state.store.flush_comments().await;
    let store = &app.state.store;
    let period = Duration::days(35);
    let now = Utc::now();
    // Her status ended a day ago: the node that looks now finds her discussion.
    let lapsed = store.articles_where_badges_lapsed(now - Duration::days(2), now, period).await.unwrap();
    assert_eq!(lapsed, vec![a.id]);
    let earlier =
        store.articles_where_badges_lapsed(now - Duration::days(9), now - Duration::days(2), period);
    assert!(earlier.await.unwrap().is_empty());
    // Without the badge chosen, no page showed it.
    choose_badge(&lea, "no").await;
    assert!(
        store.articles_where_badges_lapsed(now - Duration::days(2), now, period).await.unwrap().is_empty()
    );
}

async fn a_supporters_only_discussion_refuses_others_and_takes_supporters(db: TestDatabase) {
    let app = app(db).await;
    let a =
        app.publish(article("Members Night", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let editor = app.signed_in("Eda Editor", Role::Editor).await;
    let token = editor.get(&format!("/admin/articles/{}", a.id)).await.csrf();
    let path = format!("/admin/articles/{}/supporters-only", a.id);
    assert_eq!(editor.post_form(&path, &[("only", "1")]).await.status, StatusCode::FORBIDDEN, "no token");
    let set = editor.post_form(&path, &[("csrf", &token), ("only", "1")]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert!(editor.get(&format!("/admin/articles/{}", a.id)).await.body.contains("open to supporters only"));

    let (sue, email) = reader(&app, "Sue Supporter").await;
    confirm(&app, &email).await;
    deliver(&app, checkout("evt_sue", "pi_sue", 1200, &email, Utc::now())).await;
    let (nora, _) = reader(&app, "Nora Nonsupporter").await;

    // Strangers and other readers read it, with the line instead of the form.
    for b in [&app.browser(), &nora] {
        let page = b.get("/articles/members-night").await.body;
        assert!(page.contains(SUPPORTERS_ONLY) && page.contains("href=\"/support\""), "{page}");
        assert!(!page.contains("name=\"body\""), "no comment form");
    }
    let before = common::snapshot(&app.db).await;
    let refused = post_without_the_form(&nora).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("open to supporters"), "{}", refused.body);
    assert_eq!(post_without_the_form(&app.browser()).await.status, StatusCode::FORBIDDEN, "nor a guest");
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/articles/members-night/comments", app.url))
        .header("cookie", nora.cookie_header())
        .json(&serde_json::json!({ "body": "Through the API, then." }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let json: serde_json::Value = api.json().await.unwrap();
    assert!(json["error"].as_str().unwrap().contains("open to supporters"), "{json}");
    assert_eq!(common::snapshot(&app.db).await, before, "nothing refused was stored");

    // The supporter sees the form, and posts.
    let page = sue.get("/articles/members-night").await.body;
    assert!(page.contains("name=\"body\"") && !page.contains(SUPPORTERS_ONLY));
    let id = sue.post_comment("members-night", "Glad to be here.", "").await.comment_id();
    assert_eq!(app.status_of(id).await, CommentStatus::Published);
    // Staff run the discussion: they may post too.
    editor.post_comment("members-night", "Welcome, all.", "").await.comment_id();
}

/// Posts to the supporters-only discussion as a script would, without its (absent) form.
async fn post_without_the_form(b: &Browser) -> common::Page {
    let token = b.csrf().await;
    let fields = [("csrf", token.as_str()), ("body", "Let me in."), ("author_name", "Gus")];
    b.post_form("/articles/members-night/comments", &fields).await
}

async fn supporters_skip_the_new_commenter_hold_when_the_setting_says_so(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| {
        c.stripe_webhook_secret = SECRET.into();
        common::moderation(c, Settings { trust_after: 1, ..Settings::default() });
    })
    .await;
    app.publish(article("Open Door", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    let (sue, email) = reader(&app, "Sue Supporter").await;
    confirm(&app, &email).await;
    deliver(&app, checkout("evt_sue", "pi_sue", 1200, &email, Utc::now())).await;
    let (nora, _) = reader(&app, "Nora Nonsupporter").await;
    let held = sue.post_comment("open-door", "A supporter's first comment.", "").await.comment_id();
    assert_eq!(app.status_of(held).await, CommentStatus::Pending, "off by default");

    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let token = admin.get("/admin/settings").await.csrf();
    let save = admin
        .post_form(
            "/admin/settings",
            &[("csrf", &token), ("supporters_skip_hold", "yes"), ("supporter_days", "40")],
        )
        .await;
    assert_eq!(save.status, StatusCode::SEE_OTHER, "{}", save.body);
    let settings = admin.get("/admin/settings").await.body;
    assert!(settings.contains("Supporters skip the new-commenter hold"));
    let bad = admin.post_form("/admin/settings", &[("csrf", &token), ("supporter_days", "forever")]).await;
    assert!(bad.body.contains("must be a whole number from 0 to 3660"), "{}", bad.body);

    let published = sue.post_comment("open-door", "And now at once.", "").await.comment_id();
    assert_eq!(app.status_of(published).await, CommentStatus::Published);
    let other = nora.post_comment("open-door", "A newcomer without a gift.", "").await.comment_id();
    assert_eq!(app.status_of(other).await, CommentStatus::Pending, "others still wait");
    let guest = app.browser().post_comment("open-door", "A guest's first.", "Gus").await.comment_id();
    assert_eq!(app.status_of(guest).await, CommentStatus::Pending);
}

async fn the_admin_lists_and_exports_supporters_without_amounts(db: TestDatabase) {
    let app = app(db).await;
    let (_, first) = reader(&app, "Fay First").await;
    let (_, formula) = reader(&app, "Hy Formula").await;
    // A name a spreadsheet would run, as an account could carry from an import.
    let formula_id = user_id(&app, &formula).await;
    use tribune_core::store::UserStore;
    app.state.store.set_user_name(formula_id, "=HYPERLINK(\"x\")", "hyperlink-x").await.unwrap();
    let (_, lapsed) = reader(&app, "Lou Lapsed").await;
    for email in [&first, &formula, &lapsed] {
        confirm(&app, email).await;
    }
    // Two months: one gift 32 days ago (always the month before), one today.
    deliver(&app, checkout("evt_f1", "pi_f1", 2500, &first, Utc::now() - Duration::days(32))).await;
    deliver(&app, checkout("evt_f2", "pi_f2", 2500, &first, Utc::now())).await;
    deliver(&app, checkout("evt_x", "pi_x", 4321, &formula, Utc::now() - Duration::days(2))).await;
    deliver(&app, checkout("evt_l", "pi_l", 900, &lapsed, Utc::now() - Duration::days(60))).await;

    let reader_page = app.signed_in("Rita Reader", Role::Reader).await;
    assert_eq!(reader_page.get("/admin/supporters").await.status, StatusCode::FORBIDDEN);
    assert_eq!(reader_page.get("/admin/supporters.csv").await.status, StatusCode::FORBIDDEN);

    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let page = admin.get("/admin/supporters").await.body;
    assert!(page.contains(&first) && page.contains(&formula) && !page.contains(&lapsed), "{page}");
    assert!(page.find(&formula).unwrap() < page.find(&first).unwrap(), "newest supporters first");
    assert!(!page.contains("43.21") && !page.contains("25.00"), "no amounts");
    assert_eq!(admin.get("/admin/supporters?page=99999999").await.status, StatusCode::BAD_REQUEST);

    let csv = admin.get("/admin/supporters.csv").await;
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "name,email,since,until,months");
    let today = Utc::now();
    let since = (today - Duration::days(32)).date_naive();
    let until = (today + Duration::days(35)).date_naive();
    assert!(lines[1].starts_with("\"'=HYPERLINK(\"\"x\"\")\","), "a formula is defused: {}", lines[1]);
    assert!(lines[1].ends_with(",1"));
    assert_eq!(lines[2], format!("Fay First,{first},{since},{until},2"), "{}", csv.body);
    assert_eq!(lines.len(), 3, "the lapsed supporter is not listed: {}", csv.body);
    assert!(!csv.body.contains("43.21"));
}
