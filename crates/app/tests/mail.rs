//! Mail through the outbox to a real SMTP server on loopback (`common::smtp_sink`): sent
//! in the background, kept through an SMTP outage and sent when it ends, and not lost
//! when the node sending it dies mid-send. `tribune mail test` and the admin's word on
//! whether mail is on. Both backends.

mod common;

use std::time::Duration;

use common::smtp_sink::SmtpSink;
use common::{TestApp, eventually, mail_through};
use tribune_core::mail::OutgoingMail;
use tribune_core::store::{OutboxCounts, OutboxStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    queued_mail_reaches_the_smtp_server,
    the_outbox_survives_an_smtp_outage,
    a_node_killed_mid_send_loses_nothing,
    the_admin_says_whether_mail_is_on,
);

fn mail(n: usize) -> OutgoingMail {
    OutgoingMail {
        to: format!("reader{n}@example.test"),
        subject: format!("Message {n}"),
        text: format!("Plain text {n}"),
        html: Some(format!("<p>HTML {n}</p>")),
        unsubscribe_url: Some(format!("https://news.example/unsubscribe/{n}")),
    }
}

async fn queue(app: &TestApp, n: usize) {
    app.state.store.queue_mail(&mail(n), chrono::Utc::now()).await.unwrap();
    if let Some(worker) = &app.state.mail {
        worker.wake.notify_one();
    }
}

async fn counts(app: &TestApp) -> OutboxCounts {
    app.state.store.outbox_counts().await.unwrap()
}

async fn queued_mail_reaches_the_smtp_server(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let app = TestApp::with_config(db, |c| mail_through(c, &sink)).await;
    queue(&app, 1).await;
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "the message went out");
    let got = &sink.received()[0];
    assert_eq!(got.from, "news@gazette.test");
    assert_eq!(got.to, vec!["reader1@example.test".to_owned()]);
    assert_eq!(got.header("Subject").as_deref(), Some("Message 1"));
    assert_eq!(got.header("List-Unsubscribe").as_deref(), Some("<https://news.example/unsubscribe/1>"));
    assert_eq!(got.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert!(got.header("Content-Type").unwrap().starts_with("multipart/alternative"));
    assert!(got.decoded().contains("Plain text 1") && got.decoded().contains("<p>HTML 1</p>"), "both parts");
    assert!(eventually(5, || async { counts(&app).await.sent == 1 }).await, "recorded as sent");
}

async fn the_outbox_survives_an_smtp_outage(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    sink.down();
    let app = TestApp::with_config(db, |c| mail_through(c, &sink)).await;
    for n in 0..5 {
        queue(&app, n).await;
    }
    assert!(eventually(5, || async { sink.refused() > 0 }).await, "the worker tried");
    assert_eq!(
        counts(&app).await,
        OutboxCounts { queued: 5, sent: 0, failed: 0 },
        "nothing lost, nothing sent"
    );

    sink.up();
    assert!(eventually(15, || async { sink.received().len() >= 5 }).await, "all sent once SMTP is back");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut to: Vec<String> = sink.received().iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    let expected: Vec<String> = (0..5).map(|n| format!("reader{n}@example.test")).collect();
    assert_eq!(to, expected, "each message exactly once");
    assert_eq!(counts(&app).await, OutboxCounts { queued: 0, sent: 5, failed: 0 });
}

async fn a_node_killed_mid_send_loses_nothing(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    sink.hang();
    let app = TestApp::new(db).await; // mail off here: only the nodes below send
    queue(&app, 1).await;
    let dying = app.another_node_with(|c| mail_through(c, &sink)).await;
    assert!(eventually(5, || async { sink.hung() == 1 }).await, "the node is mid-send");
    drop(dying.stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(counts(&app).await.queued, 1, "the message the node was sending is still in the outbox");

    // Another node leaves it alone while the dead node's claim lasts …
    sink.up();
    let survivor = app.another_node_with(|c| mail_through(c, &sink)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "a claimed message is not taken while its lease lasts");
    // … and sends it once the claim runs out (the lease is two minutes: end it now).
    app.db.execute("UPDATE outbox SET claimed_until = 0").await;
    survivor.state.mail.as_ref().unwrap().wake.notify_one();
    assert!(eventually(5, || async { sink.received().len() == 1 }).await, "sent by the surviving node");
    assert_eq!(sink.received()[0].to, vec!["reader1@example.test".to_owned()]);
    assert!(eventually(5, || async { counts(&app).await.sent == 1 }).await);
}

async fn the_admin_says_whether_mail_is_on(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let admin = app.signed_in("Ada", Role::Admin).await;
    let page = admin.get("/admin/users").await;
    assert!(page.body.contains("Mail is off"), "{}", page.body);
    assert!(page.body.contains("tribune mail test ADDRESS"));

    let sink = SmtpSink::start().await;
    let node = app.another_node_with(|c| mail_through(c, &sink)).await;
    let admin = common::Browser::new(&node.url);
    let (email, password) = app.add_user("Grace", Role::Admin).await;
    admin.login(&email, &password).await;
    let page = admin.get("/admin/users").await;
    assert!(page.body.contains("Mail is on"), "{}", page.body);
    assert!(page.body.contains("0 waiting"));
}

/// `tribune mail test ADDRESS` sends one message at once, or says why it cannot.
#[tokio::test]
async fn mail_test_command() {
    let sink = SmtpSink::start().await;
    let run = |envs: Vec<(&'static str, String)>| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
            .args(["mail", "test", "editor@example.test"])
            .env_remove("TRIBUNE_CONFIG")
            .envs(envs)
            .output()
            .await
            .unwrap()
    };
    let out =
        run(vec![("TRIBUNE_SMTP_URL", sink.url()), ("TRIBUNE_MAIL_FROM", "news@gazette.test".into())]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("accepted a test message to editor@example.test"));
    assert_eq!(sink.received().len(), 1);
    assert_eq!(sink.received()[0].to, vec!["editor@example.test".to_owned()]);

    let off = run(vec![]).await;
    assert!(!off.status.success());
    assert!(String::from_utf8_lossy(&off.stderr).contains("mail is off"));

    sink.down();
    let refused =
        run(vec![("TRIBUNE_SMTP_URL", sink.url()), ("TRIBUNE_MAIL_FROM", "news@gazette.test".into())]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("was not sent"));

    let leaky = run(vec![
        ("TRIBUNE_SMTP_URL", format!("smtp://user:hunter2@127.0.0.1:{}", sink.port)),
        ("TRIBUNE_MAIL_FROM", "news@gazette.test".into()),
    ])
    .await;
    assert!(!leaky.status.success());
    let said = String::from_utf8_lossy(&leaky.stderr);
    assert!(said.contains("TRIBUNE_SMTP_USERNAME") && !said.contains("hunter2"), "{said}");
}

/// Mails per second from the outbox to the sink (one node, a fresh database on each
/// backend): `bench/mail.sh` runs it. `BENCH_MAILS` messages are queued, then the worker
/// is timed until the sink holds them all.
#[tokio::test]
#[ignore = "a benchmark: bench/mail.sh"]
async fn outbox_throughput() {
    let n: usize = std::env::var("BENCH_MAILS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let mut backends = vec![("SQLite", TestDatabase::sqlite().await)];
    if let Some(pg) = TestDatabase::postgres().await {
        backends.push(("PostgreSQL", pg));
    }
    for (name, db) in backends {
        let now = chrono::Utc::now();
        for i in 0..n {
            db.store.queue_mail(&mail(i), now).await.unwrap();
        }
        let sink = SmtpSink::start().await;
        let started = std::time::Instant::now();
        let app = TestApp::with_config(db, |c| mail_through(c, &sink)).await;
        assert!(eventually(600, || async { sink.received().len() >= n }).await, "all {n} sent");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "outbox to SMTP sink, {name}: {n} mails in {seconds:.2} s = {:.0} mails/s",
            n as f64 / seconds
        );
        assert_eq!(counts(&app).await.sent, n as i64);
    }
}
