//! The outbox on both backends: a claim lasts its lease and is then free again; two
//! workers claiming at once (two nodes) take different messages, together all of them;
//! a failed try waits for its retry time, a given-up message is never claimed again.

use chrono::{DateTime, TimeZone, Utc};
use tribune_core::mail::{AfterFailure, LEASE, OutgoingMail};
use tribune_core::store::{OutboxCounts, OutboxStore};
use tribune_store::Store;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(a_claim_lasts_its_lease, two_workers_claim_different_messages, failures_wait_and_give_up,);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn mail(n: usize) -> OutgoingMail {
    OutgoingMail {
        to: format!("reader{n}@example.test"),
        subject: format!("Message {n}"),
        text: "Hello".into(),
        html: Some("<p>Hello</p>".into()),
        unsubscribe_url: Some("https://news.example/unsubscribe/x".into()),
    }
}

async fn a_claim_lasts_its_lease(db: TestDatabase) {
    let store = &db.store;
    let id = store.queue_mail(&mail(1), t0()).await.unwrap();
    let claimed = store.claim_mail(10, t0()).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].attempts), (id, 1));
    assert_eq!(claimed[0].mail, mail(1), "the message comes back as it was queued");

    // Another worker finds nothing while the claim lasts …
    let lease = chrono::Duration::from_std(LEASE).unwrap();
    assert!(store.claim_mail(10, t0() + lease - chrono::Duration::seconds(1)).await.unwrap().is_empty());
    // … and takes it once the claimant is presumed dead.
    let again = store.claim_mail(10, t0() + lease + chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (id, 2));

    store.mail_sent(id, t0() + lease).await.unwrap();
    assert!(store.claim_mail(10, t0() + lease * 3).await.unwrap().is_empty(), "a sent message is done");
    assert_eq!(store.outbox_counts().await.unwrap(), OutboxCounts { queued: 0, sent: 1, failed: 0 });
}

async fn two_workers_claim_different_messages(db: TestDatabase) {
    for n in 0..30 {
        db.store.queue_mail(&mail(n), t0()).await.unwrap();
    }
    let other = Store::connect(&db.url).await.unwrap();
    let (a, b) = tokio::join!(db.store.claim_mail(20, t0()), other.claim_mail(20, t0()));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<i64> = a.iter().chain(&b).map(|m| m.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), a.len() + b.len(), "no message claimed twice");
    assert_eq!(ids.len(), 30, "together they took every message");
    assert!(a.len() <= 20 && b.len() <= 20);
    other.close().await;
}

async fn failures_wait_and_give_up(db: TestDatabase) {
    let store = &db.store;
    let id = store.queue_mail(&mail(1), t0()).await.unwrap();
    store.claim_mail(1, t0()).await.unwrap();
    let retry_at = t0() + chrono::Duration::seconds(30);
    store.mail_failed(id, "421 try later", AfterFailure::RetryAt(retry_at)).await.unwrap();
    assert!(store.claim_mail(1, retry_at - chrono::Duration::seconds(1)).await.unwrap().is_empty());
    let again = store.claim_mail(1, retry_at).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (id, 2), "tried again when due");

    store.mail_failed(id, "550 no such user", AfterFailure::GiveUp).await.unwrap();
    assert!(store.claim_mail(1, retry_at + chrono::Duration::days(1)).await.unwrap().is_empty());
    assert_eq!(store.outbox_counts().await.unwrap(), OutboxCounts { queued: 0, sent: 0, failed: 1 });
}
