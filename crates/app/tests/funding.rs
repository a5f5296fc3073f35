//! Reader funding over HTTP, on both backends: the Stripe webhook (signatures, replays,
//! bad input), the bar on every page staying fresh behind the page cache, /support, the
//! widget and its JSON, and the publisher's ledger.

mod common;

use chrono::Utc;
use common::{TestApp, article, eventually};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use sha2::Sha256;
use tribune_core::funding::month::Month;
use tribune_core::store::FundingStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

const SECRET: &str = "whsec_test_0123456789";

async fn app(db: TestDatabase) -> TestApp {
    TestApp::with_config(db, |c| {
        c.stripe_webhook_secret = SECRET.into();
        c.timezone = "America/New_York".into();
        c.support_card_url = "https://buy.stripe.com/test_abc".into();
        c.support_bank_details = "IBAN FR76 0000 0000 0000".into();
    })
    .await
}

fn this_month(app: &TestApp) -> Month {
    Month::containing(Utc::now(), app.state.config.tz())
}

async fn set_goal(app: &TestApp, amount: &str) {
    tribune_core::funding::donations::set_goal(
        &app.state.store,
        this_month(app),
        amount,
        "USD",
        &[],
        None,
        tribune_core::funding::guard::Guard::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    app.state.invalidate(vec!["funding".into()]).await;
}

/// The `Stripe-Signature` header Stripe would send for `body` at `t`.
fn sign(body: &str, t: i64, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

fn payment_intent(event: &str, pi: &str, cents: i64) -> String {
    serde_json::json!({
        "id": event,
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": Utc::now().timestamp(),
        "data": { "object": { "id": pi, "object": "payment_intent", "amount": cents, "amount_received": cents,
                              "currency": "usd", "metadata": { "supporter_name": "Ada Reader" } } }
    })
    .to_string()
}

/// `charge.refunded`: Stripe's cumulative `amount_refunded` on the payment `pi`.
fn charge_refunded(event: &str, pi: &str, refunded: i64, currency: &str) -> String {
    serde_json::json!({
        "id": event, "object": "event", "type": "charge.refunded", "created": Utc::now().timestamp(),
        "data": { "object": { "id": format!("ch_{pi}"), "object": "charge", "payment_intent": pi, "amount": refunded,
                              "amount_refunded": refunded, "refunded": true, "currency": currency } }
    })
    .to_string()
}

/// `charge.dispute.closed` as lost, for `amount` of the payment `pi`.
fn dispute_lost(event: &str, pi: &str, amount: i64, currency: &str) -> String {
    serde_json::json!({
        "id": event, "object": "event", "type": "charge.dispute.closed", "created": Utc::now().timestamp(),
        "data": { "object": { "id": format!("dp_{pi}"), "object": "dispute", "charge": format!("ch_{pi}"),
                              "payment_intent": pi, "amount": amount, "currency": currency, "status": "lost" } }
    })
    .to_string()
}

/// Delivers a validly signed event and checks that it was accepted.
async fn deliver_signed(app: &TestApp, body: &str) -> String {
    let (status, json) = deliver(app, body, Some(sign(body, Utc::now().timestamp(), SECRET))).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    json["outcome"].as_str().unwrap_or_default().to_owned()
}

async fn deliver(app: &TestApp, body: &str, signature: Option<String>) -> (StatusCode, serde_json::Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{}/webhooks/stripe", app.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn raised(app: &TestApp) -> i64 {
    let m = this_month(app);
    app.state
        .store
        .month_totals(m, m)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.currency == "USD")
        .map(|t| t.net_minor)
        .sum()
}

on_both_backends!(
    a_signed_payment_is_recorded_once_and_fills_the_bar,
    bad_signatures_and_bodies_are_refused_and_change_nothing,
    a_thousand_concurrent_deliveries_count_exactly,
    the_bar_is_accessible_and_on_every_public_page,
    support_page_widget_and_json,
    the_publisher_keeps_the_ledger,
    a_failure_to_record_asks_stripe_to_retry,
    a_signed_over_refund_takes_no_more_than_the_payment,
    a_signed_refund_in_another_currency_is_flagged_and_not_counted,
    signed_refunds_and_disputes_in_any_order_twice_never_go_below_zero,
);

async fn a_signed_payment_is_recorded_once_and_fills_the_bar(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "5000").await;
    app.publish(article("Cached Story", &["Ada"], &[], Utc::now())).await;
    let b = app.browser();
    let before = b.get("/articles/cached-story").await;
    assert!(before.body.contains("<strong>$0</strong> raised of $5,000"), "{}", before.body);
    assert!(app.state.cache.get("/articles/cached-story").is_some());

    let body = payment_intent("evt_1", "pi_1", 30_750);
    let (status, json) = deliver(&app, &body, Some(sign(&body, Utc::now().timestamp(), SECRET))).await;
    assert_eq!((status, json["outcome"].as_str()), (StatusCode::OK, Some("recorded")));
    let (status, json) = deliver(&app, &body, Some(sign(&body, Utc::now().timestamp(), SECRET))).await;
    assert_eq!((status, json["outcome"].as_str()), (StatusCode::OK, Some("already recorded")));
    assert_eq!(raised(&app).await, 30_750);

    // The page is still served from memory, with the new bar in it, within a second.
    let shown = std::time::Instant::now();
    assert!(eventually(5, || async { b.get("/").await.body.contains("$307.50") }).await);
    assert!(shown.elapsed() < std::time::Duration::from_secs(1), "{:?}", shown.elapsed());
    assert!(app.state.cache.get("/articles/cached-story").is_some());
    let after = b.get("/articles/cached-story").await;
    assert!(after.body.contains("<strong>$307.50</strong> raised of $5,000"), "{}", after.body);
    assert_ne!(after.header("etag"), before.header("etag"), "browsers fetch the page again");
    assert!(b.get("/support").await.body.contains("Ada Reader"), "the supporter asked to be named");
}

async fn bad_signatures_and_bodies_are_refused_and_change_nothing(db: TestDatabase) {
    let app = app(db).await;
    let body = payment_intent("evt_bad", "pi_bad", 1000);
    let now = Utc::now().timestamp();
    let cases = [
        (None, "no Stripe-Signature header"),
        (Some(sign(&body, now, "whsec_wrong")), "no signature matches"),
        (Some(sign(&body, now - 301, SECRET)), "outside the tolerance"),
        (Some(format!("t={now}")), "no v1 signature"),
        (Some("garbage".to_owned()), "malformed"),
        (Some(sign(&body.replace("1000", "100000"), now, SECRET)), "no signature matches"),
    ];
    for (signature, message) in cases {
        let (status, json) = deliver(&app, &body, signature.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{signature:?}");
        assert!(json["error"].as_str().unwrap().contains(message), "{signature:?}: {json}");
    }
    let not_json = "{not json";
    let (status, json) = deliver(&app, not_json, Some(sign(not_json, now, SECRET))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["error"].as_str().unwrap().contains("malformed Stripe event"));
    let (status, _) = deliver(&app, &"x".repeat(300 * 1024), Some(sign("x", now, SECRET))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(raised(&app).await, 0);
    assert!(app.state.store.entries_of_month(this_month(&app)).await.unwrap().is_empty());

    // Other event types are acknowledged and ignored.
    let other = serde_json::json!({"id": "evt_c", "type": "customer.created", "created": now, "data": {"object": {}}}).to_string();
    let (status, json) = deliver(&app, &other, Some(sign(&other, now, SECRET))).await;
    assert_eq!((status, json["outcome"].as_str()), (StatusCode::OK, Some("ignored")));

    // Without a configured secret the endpoint asks Stripe to come back later.
    let unconfigured = TestApp::new(TestDatabase::sqlite().await).await;
    let (status, _) = deliver(&unconfigured, &body, Some(sign(&body, now, SECRET))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

async fn a_thousand_concurrent_deliveries_count_exactly(db: TestDatabase) {
    let app = std::sync::Arc::new(app(db).await);
    // 250 payments, each delivered four times: twice as the same event, once as the
    // checkout session that describes the same payment, once as a cumulative refund.
    let mut bodies = Vec::new();
    let mut expected = 0;
    let now = Utc::now().timestamp();
    for i in 0..250_i64 {
        let cents = 500 + i;
        let refund = i % 7;
        expected += cents - refund;
        let pi = format!("pi_{i}");
        let checkout = serde_json::json!({"id": format!("evt_cs{i}"), "type": "checkout.session.completed", "created": now,
            "data": {"object": {"id": format!("cs_{i}"), "object": "checkout.session", "mode": "payment", "payment_status": "paid",
                                "payment_intent": pi, "amount_total": cents, "currency": "usd", "metadata": {}}}});
        let refunded = serde_json::json!({"id": format!("evt_ch{i}"), "type": "charge.refunded", "created": now,
            "data": {"object": {"id": format!("ch_{i}"), "object": "charge", "payment_intent": pi, "amount": cents,
                                "amount_refunded": refund, "currency": "usd"}}});
        let pi_body = payment_intent(&format!("evt_pi{i}"), &pi, cents);
        bodies.extend([pi_body.clone(), pi_body, checkout.to_string(), refunded.to_string()]);
    }
    let mut tasks = Vec::new();
    for body in bodies {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let sig = sign(&body, Utc::now().timestamp(), SECRET);
            deliver(&app, &body, Some(sig)).await.0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(raised(&app).await, expected);
}

async fn the_bar_is_accessible_and_on_every_public_page(db: TestDatabase) {
    let app = app(db).await;
    tribune_core::funding::donations::set_goal(
        &app.state.store,
        this_month(&app),
        "100",
        "USD",
        &["0".into(), "50".into(), "100".into()],
        Some("Keep us independent".into()),
        tribune_core::funding::guard::Guard::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    let gift = tribune_core::funding::donations::ManualDonation {
        amount: "150".into(),
        currency: "USD".into(),
        date: None,
        donor: None,
        note: None,
    };
    tribune_core::funding::donations::add_manual_donation(
        &app.state.store,
        gift,
        tribune_core::funding::guard::Guard::default(),
        app.state.config.tz(),
        Utc::now(),
    )
    .await
    .unwrap();
    app.state.invalidate(vec!["funding".into()]).await;
    app.publish(article("Any Story", &["Ada"], &["Tagged"], Utc::now())).await;
    let b = app.browser();
    for path in
        ["/", "/articles/any-story", "/tags/tagged", "/authors/ada", "/search?q=story", "/support", "/nope"]
    {
        let body = b.get(path).await.body;
        assert!(body.contains(r#"role="progressbar""#), "{path}");
        assert!(
            body.contains(r#"aria-valuemin="0" aria-valuemax="100.00" aria-valuenow="100.00""#),
            "{path}: {body}"
        );
        assert!(body.contains(r#"aria-valuetext="$150 of $100 (150% of the goal)""#), "{path}");
        assert!(body.contains("funding-fill w100 funding-over"), "overflow is shown: {path}");
        assert!(body.contains(&this_month(&app).name()), "{path}");
        assert!(body.contains(r#"<li class="l50 reached">$50</li>"#), "{path}: milestones");
        assert!(body.contains("Keep us independent"));
        assert!(!body.contains("<!--tribune:funding-bar-->"), "{path}: the hole is filled");
    }
    let article = b.get("/articles/any-story").await.body;
    assert!(article.contains("Do you like this content? Consider helping us! <a href=\"/support\">"));
    assert!(!b.get("/feed.atom").await.body.contains("progressbar"), "feeds carry no bar");
}

async fn support_page_widget_and_json(db: TestDatabase) {
    let app = app(db).await;
    let b = app.browser();
    let empty = b.get("/api/v1/goal").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&empty.body).unwrap()["goal"],
        serde_json::Value::Null
    );
    set_goal(&app, "5000").await;
    let body = payment_intent("evt_s", "pi_s", 250_000);
    deliver(&app, &body, Some(sign(&body, Utc::now().timestamp(), SECRET))).await;
    assert!(
        eventually(5, || async { b.get("/api/v1/goal").await.body.contains("\"raised_minor\":250000") })
            .await
    );
    let json: serde_json::Value = serde_json::from_str(&b.get("/api/v1/goal").await.body).unwrap();
    assert_eq!(json["goal_minor"], 500_000);
    assert_eq!(json["raised_minor"], 250_000);
    assert_eq!(json["percent"], 50);
    assert_eq!(json["raised"], "$2,500");
    assert_eq!(json["currency"], "USD");
    assert_eq!(json["month"], this_month(&app).to_string());
    let support = b.get("/support").await.body;
    assert!(support.contains(r#"href="https://buy.stripe.com/test_abc""#) && support.contains("IBAN FR76"));
    assert!(support.contains("$2,500 (USD)"));
    let embed = b.get("/embed/goal").await;
    assert!(embed.header("content-security-policy").contains("frame-ancestors *"));
    assert!(embed.body.contains(r#"role="progressbar""#) && embed.body.contains("$2,500"));
    // Another node (or the CLI) records a gift: this node's bar follows within seconds.
    let gift = tribune_core::funding::donations::ManualDonation {
        amount: "500".into(),
        currency: "USD".into(),
        date: None,
        donor: Some("Elsewhere Donor".into()),
        note: None,
    };
    let other = tribune_store::Store::connect(&app.db.url).await.unwrap();
    tribune_core::funding::donations::add_manual_donation(
        &other,
        gift,
        tribune_core::funding::guard::Guard::default(),
        app.state.config.tz(),
        Utc::now(),
    )
    .await
    .unwrap();
    use tribune_core::store::InvalidationStore;
    other.record_invalidation(&["funding".into()], Utc::now()).await.unwrap();
    assert!(eventually(10, || async { b.get("/").await.body.contains("$3,000") }).await);
    assert!(b.get("/support").await.body.contains("Elsewhere Donor"));
}

async fn the_publisher_keeps_the_ledger(db: TestDatabase) {
    let app = app(db).await;
    let admin = app.signed_in("Pat Publisher", Role::Admin).await;
    let csrf = admin.get("/admin/funding").await.csrf();
    let month = this_month(&app).to_string();
    let res = admin
        .post_form(
            "/admin/funding/goal",
            &[
                ("csrf", &csrf),
                ("month", &month),
                ("goal", "5000"),
                ("currency", "USD"),
                ("milestones", "2500, 5000"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let bad = admin
        .post_form(
            "/admin/funding/goal",
            &[("csrf", &csrf), ("month", &month), ("goal", "50.001"), ("currency", "USD")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("goal:") && bad.body.contains("50.001"), "{}", bad.body);
    let add = |amount: &'static str, currency: &'static str, donor: &'static str| {
        let csrf = csrf.clone();
        let admin = &admin;
        async move {
            admin
                .post_form(
                    "/admin/funding/donations",
                    &[
                        ("csrf", &csrf),
                        ("amount", amount),
                        ("currency", currency),
                        ("donor", donor),
                        ("note", "cheque, \"urgent\""),
                    ],
                )
                .await
        }
    };
    assert_eq!(add("25.00", "USD", "Ines").await.status, StatusCode::SEE_OTHER);
    assert_eq!(add("40", "EUR", "").await.status, StatusCode::SEE_OTHER);
    let refused = add("abc", "USD", "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("amount: &#34;abc&#34; is not an amount"), "{}", refused.body);
    let page = admin.get("/admin/funding").await.body;
    assert!(page.contains("$25 (USD)") && page.contains("€40 (EUR), in another currency"));
    assert!(page.contains("<svg class=\"chart\""));
    let csv = admin.get(&format!("/admin/funding/ledger.csv?month={month}")).await;
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.split("\r\n").collect();
    assert_eq!(lines[0], "id,date,month,kind,amount,currency,payment,event,supporter,note,reverses,counted");
    assert!(lines[1].ends_with(",manual,25.00,USD,,,Ines,\"cheque, \"\"urgent\"\"\",,yes"), "{}", lines[1]);
    let id = app.state.store.entries_of_month(this_month(&app)).await.unwrap()[0].id;
    let confirmed = [("csrf", csrf.as_str()), ("confirm", "yes")];
    let res = admin.post_form(&format!("/admin/funding/entries/{id}/reverse"), &confirmed).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let again = admin.post_form(&format!("/admin/funding/entries/{id}/reverse"), &confirmed).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(raised(&app).await, 0);
    assert!(app.browser().get("/").await.body.contains("<strong>$0</strong> raised of $5,000"));
    let editor = app.signed_in("Erin Editor", Role::Editor).await;
    assert_eq!(editor.get("/admin/funding").await.status, StatusCode::FORBIDDEN);
    let forged = admin
        .post_form("/admin/funding/donations", &[("csrf", "x"), ("amount", "5"), ("currency", "USD")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn a_failure_to_record_asks_stripe_to_retry(db: TestDatabase) {
    let app = app(db).await;
    let body = payment_intent("evt_retry", "pi_retry", 1000);
    app.state.store.close().await; // the database goes away
    let (status, json) = deliver(&app, &body, Some(sign(&body, Utc::now().timestamp(), SECRET))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "a 5xx makes Stripe deliver again later");
    assert!(json["error"].as_str().unwrap().contains("retry"));
}

async fn a_signed_over_refund_takes_no_more_than_the_payment(db: TestDatabase) {
    let app = app(db).await;
    deliver_signed(&app, &payment_intent("evt_keep", "pi_keep", 700)).await;
    deliver_signed(&app, &payment_intent("evt_p", "pi_1", 1000)).await;
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_r", "pi_1", 5000, "usd")).await, "recorded");
    assert_eq!(raised(&app).await, 700, "the 1,000 payment nets 0, not -4,000");
}

async fn a_signed_refund_in_another_currency_is_flagged_and_not_counted(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "50").await;
    deliver_signed(&app, &payment_intent("evt_p", "pi_1", 1000)).await;
    assert_eq!(deliver_signed(&app, &charge_refunded("evt_r", "pi_1", 5000, "jpy")).await, "recorded");
    assert_eq!(raised(&app).await, 1000, "yen are not subtracted from dollars");
    let totals = app.state.store.month_totals(this_month(&app), this_month(&app)).await.unwrap();
    assert_eq!(totals.len(), 1, "and make no total of their own: {totals:?}");
    let admin = app.signed_in("Pat Publisher", Role::Admin).await;
    let page = admin.get("/admin/funding").await.body;
    assert!(page.contains("¥5,000 <small>(not counted: not in the payment’s currency)</small>"), "{page}");
    assert!(page.contains("$10 (USD)"), "{page}");
    let csv = admin.get("/admin/funding/ledger.csv").await.body;
    let refund = csv.split("\r\n").find(|l| l.contains(",refund,")).unwrap();
    assert!(refund.contains(",5000,JPY,pi_1,evt_r,") && refund.ends_with(",no"), "{refund}");
}

async fn signed_refunds_and_disputes_in_any_order_twice_never_go_below_zero(db: TestDatabase) {
    let app = app(db).await;
    // Each payment of 1,000 is refunded 400 then 600 in all and loses a dispute of 1,000;
    // the events come in a different order for each payment, every one delivered twice.
    let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];
    for (n, order) in orders.iter().enumerate() {
        let pi = format!("pi_{n}");
        let events = [
            payment_intent(&format!("evt_p{n}"), &pi, 1000),
            charge_refunded(&format!("evt_r{n}"), &pi, 400, "usd"),
            charge_refunded(&format!("evt_s{n}"), &pi, 600, "usd"),
            dispute_lost(&format!("evt_d{n}"), &pi, 1000, "usd"),
        ];
        for &i in order {
            assert_eq!(deliver_signed(&app, &events[i]).await, "recorded");
            assert_eq!(deliver_signed(&app, &events[i]).await, "already recorded");
            let net = raised(&app).await;
            assert!((0..=1000).contains(&net), "{order:?}: {net}");
        }
        assert_eq!(raised(&app).await, 0, "{order:?}");
    }
    // A refund and a dispute that leave something: 1,000 - 300 - 500.
    deliver_signed(&app, &dispute_lost("evt_d9", "pi_9", 500, "usd")).await;
    deliver_signed(&app, &charge_refunded("evt_r9", "pi_9", 300, "usd")).await;
    assert_eq!(raised(&app).await, 0, "nothing counts before the payment arrives");
    deliver_signed(&app, &payment_intent("evt_p9", "pi_9", 1000)).await;
    assert_eq!(raised(&app).await, 200);
}

on_both_backends!(
    the_webhook_refuses_a_payment_above_the_ceiling_and_records_nothing,
    the_admin_refuses_money_typed_wrong_and_changes_nothing,
    a_goal_currency_change_waits_for_the_ticked_box,
    a_reversal_is_confirmed_on_its_own_page_without_javascript,
    absurd_totals_never_show_an_overflowed_percentage,
    the_cli_guards_money_and_keeps_the_goal_text,
    the_search_page_and_the_widget_have_their_landmarks,
    the_cli_counts_in_the_time_zone_the_admin_chose,
);

async fn the_webhook_refuses_a_payment_above_the_ceiling_and_records_nothing(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "5000").await;
    let before = common::snapshot(&app.db).await;
    // $100,000.01: a cent above the default ceiling.
    let body = payment_intent("evt_huge", "pi_huge", 10_000_001);
    let (status, json) = deliver(&app, &body, Some(sign(&body, Utc::now().timestamp(), SECRET))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
    let message = json["error"].as_str().unwrap();
    assert!(
        message.contains("$100,000.01 is more than $100,000") && message.contains("funding_ceiling"),
        "{message}"
    );
    assert_eq!(common::snapshot(&app.db).await, before, "nothing recorded");
    // The ceiling itself is fine.
    assert_eq!(deliver_signed(&app, &payment_intent("evt_max", "pi_max", 10_000_000)).await, "recorded");
    assert_eq!(raised(&app).await, 10_000_000);
}

async fn the_admin_refuses_money_typed_wrong_and_changes_nothing(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "5000").await;
    let admin = app.signed_in("Pat Publisher", Role::Admin).await;
    let csrf = admin.get("/admin/funding").await.csrf();
    let before = common::snapshot(&app.db).await;
    let gift = |amount: &'static str, date: String| {
        let csrf = csrf.clone();
        let admin = &admin;
        async move {
            let fields = [("csrf", csrf.as_str()), ("amount", amount), ("currency", "USD"), ("date", &date)];
            admin.post_form("/admin/funding/donations", &fields).await
        }
    };
    let typo = gift("2500000", String::new()).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.body.contains("amount: $2,500,000 is more than $100,000"), "{}", typo.body);
    let tomorrow =
        (Utc::now().with_timezone(&app.state.config.tz()) + chrono::Duration::days(2)).date_naive();
    let future = gift("25", tomorrow.to_string()).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.body.contains(&format!("date: {tomorrow} is in the future")), "{}", future.body);
    let month = this_month(&app).to_string();
    let goal = admin
        .post_form(
            "/admin/funding/goal",
            &[("csrf", &csrf), ("month", &month), ("goal", "5000000"), ("currency", "USD"), ("text", "")],
        )
        .await;
    assert_eq!(goal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(goal.body.contains("goal: $5,000,000 is more than $100,000"), "{}", goal.body);
    assert_eq!(common::snapshot(&app.db).await, before, "nothing changed");
    assert!(app.browser().get("/").await.body.contains("<strong>$0</strong> raised of $5,000"));
}

async fn a_goal_currency_change_waits_for_the_ticked_box(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "5000").await;
    let admin = app.signed_in("Pat Publisher", Role::Admin).await;
    let csrf = admin.get("/admin/funding").await.csrf();
    let fields = [("csrf", csrf.as_str()), ("amount", "120.50"), ("currency", "USD"), ("donor", "Ines")];
    assert_eq!(admin.post_form("/admin/funding/donations", &fields).await.status, StatusCode::SEE_OTHER);
    let before = common::snapshot(&app.db).await;
    let month = this_month(&app).to_string();
    let mut goal =
        vec![("csrf", csrf.as_str()), ("month", &month), ("goal", "4000"), ("currency", "EUR"), ("text", "")];
    let asked = admin.post_form("/admin/funding/goal", &goal).await;
    assert_eq!(asked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(asked.body.contains("already has $120.50 given in USD"), "{}", asked.body);
    assert!(asked.body.contains(r#"name="confirm_currency_change" value="yes""#), "the box is offered");
    assert!(asked.body.contains("the $120.50 given in USD in"), "the box names what stops counting");
    assert!(
        asked.body.contains(r#"name="currency" required maxlength="3" value="EUR""#),
        "the form keeps EUR"
    );
    assert_eq!(common::snapshot(&app.db).await, before, "nothing changed");
    goal.push(("confirm_currency_change", "yes"));
    assert_eq!(admin.post_form("/admin/funding/goal", &goal).await.status, StatusCode::SEE_OTHER);
    assert!(app.browser().get("/").await.body.contains("<strong>€0</strong> raised of €4,000"));
}

async fn a_reversal_is_confirmed_on_its_own_page_without_javascript(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "5000").await;
    let admin = app.signed_in("Pat Publisher", Role::Admin).await;
    let csrf = admin.get("/admin/funding").await.csrf();
    let today = Utc::now().with_timezone(&app.state.config.tz()).date_naive().to_string();
    let yesterday =
        (Utc::now().with_timezone(&app.state.config.tz()) - chrono::Duration::days(1)).date_naive();
    // Two gifts; the earlier-dated one is recorded second, so date order is not id order.
    for (amount, date, donor) in [("25", today.clone(), "Ines"), ("10", yesterday.to_string(), "Dev")] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("amount", amount),
            ("currency", "USD"),
            ("date", &date),
            ("donor", donor),
        ];
        assert_eq!(admin.post_form("/admin/funding/donations", &fields).await.status, StatusCode::SEE_OTHER);
    }
    let month = this_month(&app);
    let ines = app
        .state
        .store
        .entries_of_month(month)
        .await
        .unwrap()
        .iter()
        .find(|e| e.entry.amount.minor == 2500)
        .unwrap()
        .id;
    let ledger = admin.get(&format!("/admin/funding?month={month}")).await.body;
    let link = format!(r#"<a href="/admin/funding/entries/{ines}/reverse">"#);
    assert!(ledger.contains(&link), "a link to the confirmation page, not a button that acts: {ledger}");
    assert!(!ledger.contains(r#"/reverse"><input"#));
    let page = admin.get(&format!("/admin/funding/entries/{ines}/reverse")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("Reverse ledger entry {ines}?")) && page.body.contains("-$25"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"name="confirm" value="yes" required"#) && page.body.contains(r#"name="csrf""#)
    );
    let before = common::snapshot(&app.db).await;
    let path = format!("/admin/funding/entries/{ines}/reverse");
    let unticked = admin.post_form(&path, &[("csrf", &csrf), ("note", "bounced")]).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.body.contains("Nothing was reversed: tick the box"), "{}", unticked.body);
    assert!(unticked.body.contains(r#"value="bounced""#), "the note is kept");
    let forged = admin.post_form(&path, &[("csrf", "forged"), ("confirm", "yes")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(common::snapshot(&app.db).await, before, "nothing changed");
    let done = admin.post_form(&path, &[("csrf", &csrf), ("note", "bounced"), ("confirm", "yes")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(raised(&app).await, 1000);
    assert_eq!(admin.get(&path).await.status, StatusCode::BAD_REQUEST, "already reversed");
    // By date, with the reversal (recorded last) right under what it reverses.
    let ledger = admin.get(&format!("/admin/funding?month={month}")).await.body;
    let at = |needle: &str| ledger.find(needle).unwrap_or_else(|| panic!("{needle}: {ledger}"));
    assert!(at("<td>Dev</td>") < at("<td>Ines</td>"), "the earlier gift first");
    assert!(at("<td>Ines</td>") < at("ledger-correction") && at("ledger-correction") < at("bounced"));
    assert_eq!(ledger.matches("ledger-correction").count(), 1);
}

async fn absurd_totals_never_show_an_overflowed_percentage(db: TestDatabase) {
    let app = app(db).await;
    set_goal(&app, "1").await;
    // The typo that once read 4294967295%, let through on purpose.
    let confirmed = tribune_core::funding::guard::Guard { large_confirmed: true, ..Default::default() };
    app.give("42949672.96", None, confirmed).await;
    let b = app.browser();
    let json: serde_json::Value = serde_json::from_str(&b.get("/api/v1/goal").await.body).unwrap();
    assert_eq!(json["percent"], 4_294_967_296_u64);
    assert_eq!(json["percent_text"], "4,294,967,296% of the goal");
    assert_eq!(json["bar_percent"], 100);
    let home = b.get("/").await.body;
    assert!(home.contains("(4,294,967,296% of the goal: goal passed, thank you!)"), "{home}");
    assert!(home.contains("funding-fill w100 funding-over"));
    assert!(home.contains(r#"aria-valuemax="1.00" aria-valuenow="1.00""#), "within the bar's range");
    // Near i64::MAX in all: still a number that tells the truth, never a wrapped one.
    app.give("92233720000000000", None, confirmed).await;
    let json: serde_json::Value = serde_json::from_str(&b.get("/api/v1/goal").await.body).unwrap();
    assert_eq!(json["percent"], 9_223_372_004_294_967_296_u64, "{json}");
    assert_eq!(json["bar_percent"], 100);
    assert!(b.get("/support").await.body.contains("9,223,372,004,294,967,296% of the goal"));
}

async fn the_cli_guards_money_and_keeps_the_goal_text(db: TestDatabase) {
    let url = db.url.clone();
    let cli = |args: &[&str]| common::tribune_cli(args, &url);
    let set = ["campaign", "set", "--month", "2020-07", "--goal", "5000", "--currency", "USD"];
    let (code, _, err) = cli(&[&set[..], &["--text", "Keep us independent"]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, _, err) =
        cli(&["donation", "add", "--amount", "120.50", "--currency", "USD", "--date", "2020-07-04"]);
    assert_eq!(code, 0, "{err}");
    let before = common::snapshot(&db).await;
    let typo = ["donation", "add", "--amount", "2500000", "--currency", "USD", "--date", "2020-07-05"];
    let (code, _, err) = cli(&typo);
    assert_eq!(code, 1);
    assert!(
        err.contains("amount: $2,500,000 is more than $100,000") && err.contains("(--confirm-large)"),
        "{err}"
    );
    let tomorrow = (Utc::now() + chrono::Duration::days(2)).date_naive().to_string();
    let (code, _, err) = cli(&["donation", "add", "--amount", "5", "--currency", "USD", "--date", &tomorrow]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("date: {tomorrow} is in the future")), "{err}");
    let euros = ["campaign", "set", "--month", "2020-07", "--goal", "4000", "--currency", "EUR"];
    let (code, _, err) = cli(&euros);
    assert_eq!(code, 1);
    assert!(
        err.contains("July 2020 already has $120.50 given in USD")
            && err.contains("--confirm-currency-change"),
        "{err}"
    );
    let (code, _, err) =
        cli(&["campaign", "set", "--month", "2020-07", "--goal", "500000", "--currency", "USD"]);
    assert_eq!(code, 1);
    assert!(err.contains("goal: $500,000 is more than $100,000"), "{err}");
    assert_eq!(common::snapshot(&db).await, before, "nothing changed");
    // Confirmed, each goes through; the text survives a `campaign set` without --text.
    let (code, _, err) = cli(&[&typo[..], &["--confirm-large"]].concat());
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(&[&euros[..], &["--confirm-currency-change"]].concat());
    assert_eq!(code, 0, "{err}");
    let july = Month::parse("2020-07").unwrap();
    let goal = db.store.goal_at_or_before(july).await.unwrap().unwrap();
    assert_eq!((goal.amount.currency.code(), goal.text.as_deref()), ("EUR", Some("Keep us independent")));
    let (code, _, err) = cli(&[&euros[..], &["--text", ""]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(db.store.goal_at_or_before(july).await.unwrap().unwrap().text, None, "--text \"\" clears it");
}

/// axe-core's faults of issue 10, checked on the markup as well (browser.rs runs axe itself).
async fn the_search_page_and_the_widget_have_their_landmarks(db: TestDatabase) {
    let app = app(db).await;
    let b = app.browser();
    for path in ["/search", "/search?q=harbour"] {
        let body = b.get(path).await.body;
        let landmarks = body.matches(r#"role="search""#).count() + body.matches("<search").count();
        assert_eq!(landmarks, 1, "{path}: one search landmark: {body}");
    }
    for goal in [false, true] {
        if goal {
            set_goal(&app, "5000").await;
        }
        let body = b.get("/embed/goal").await.body;
        assert_eq!(body.matches("<main").count(), 1, "{body}");
        assert_eq!(body.matches("<h1").count(), 1, "{body}");
        assert_eq!(body.contains("progressbar"), goal, "{body}");
    }
}

/// The time zone set in /admin/settings, not only the config file's, is the one a command
/// counts in: a gift dated 1 June on a site in Kiritimati (UTC+14) is noon there.
async fn the_cli_counts_in_the_time_zone_the_admin_chose(db: TestDatabase) {
    let change = tribune_core::site::SettingsChange {
        set: vec![("timezone", "Pacific/Kiritimati".into())],
        reset: Vec::new(),
    };
    tribune::site::save(&db.store, &change).await.unwrap();
    let (code, _, err) = common::tribune_cli(
        &["donation", "add", "--amount", "5", "--currency", "USD", "--date", "2025-06-01"],
        &db.url,
    );
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.json");
    let (code, _, err) = common::tribune_cli(&["export", "--output", file.to_str().unwrap()], &db.url);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let entry = &json["tables"]["ledger_entries"][0];
    assert_eq!(entry["occurred_at"], "2025-05-31T22:00:00Z", "noon in Kiritimati: {entry}");
    assert_eq!(entry["month"], "2025-06");
}
