//! Reader flags on both backends: once per reader, the N-th flag holding the comment in its
//! own transaction (with the reason beside moderation's), concurrent flags holding it once,
//! and the counts a moderators' queue reads.

use chrono::{DateTime, TimeZone, Utc};
use tribune_core::article::ArticleInput;
use tribune_core::comment::{Comment, CommentInput, CommentStatus, validate};
use tribune_core::moderation::flags::FlagReason;
use tribune_core::moderation::{Decision, Outcome, Reason};
use tribune_core::store::{
    ArticleStore, CommentRecord, CommentStore, FlagHold, FlagStore, FlagWrite, NewFlag,
};
use tribune_store::Store;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_reader_flags_once_and_the_third_reader_holds_it,
    concurrent_flags_hold_a_comment_once,
    flag_counts_are_read_by_comment_and_reason,
    approved_comments_are_counted_up_to_the_threshold,
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

async fn article(store: &Store) -> i64 {
    let input = ArticleInput { title: "Flagged".into(), body_markdown: "x".into(), ..Default::default() };
    store.save_article(None, &input.validate(t0()).unwrap(), "<p>x</p>", t0()).await.unwrap().id
}

async fn post(store: &Store, article_id: i64, guest: &str, status: CommentStatus) -> Comment {
    let input = CommentInput {
        body: "So where is the list of very good microscopes ?".into(),
        author_name: Some("Jens Holm".into()),
        ..Default::default()
    };
    let mut decision = Decision::default();
    decision.add(Reason {
        signal: "links",
        outcome: Outcome::Publish,
        detail: "no links".into(),
        score: 0.0,
    });
    let record = CommentRecord {
        article_id,
        parent: None,
        comment: validate(&input, None).unwrap(),
        status,
        user_id: None,
        guest_token_hash: Some(guest.into()),
        ip_hash: None,
        body_hash: None,
        decision: Some(decision),
        rate: vec![],
        copies_since: None,
        subscription: None,
        mail: Default::default(),
    };
    store.insert_comment(&record, t0()).await.unwrap()
}

fn flag(comment_id: i64, who: &str, reason: FlagReason) -> NewFlag {
    NewFlag { comment_id, flagger: who.into(), user_id: None, reason, ip_hash: Some(format!("ip-{who}")) }
}

async fn a_reader_flags_once_and_the_third_reader_holds_it(db: TestDatabase) {
    let s = &db.store;
    let a = article(s).await;
    let c = post(s, a, "jens", CommentStatus::Published).await;
    let add = |who: &'static str, reason| async move {
        s.add_flag(&flag(c.id, who, reason), FlagHold::AtCount(3), t0()).await
    };
    assert_eq!(add("ga", FlagReason::OffTopic).await.unwrap(), FlagWrite::Counted { flags: 1, held: false });
    assert_eq!(add("ga", FlagReason::Spam).await.unwrap(), FlagWrite::AlreadyFlagged, "once per reader");
    assert_eq!(s.flag_by(c.id, "ga").await.unwrap(), Some(FlagReason::OffTopic), "the first flag stands");
    assert_eq!(add("u1", FlagReason::OffTopic).await.unwrap(), FlagWrite::Counted { flags: 2, held: false });
    assert_eq!(s.comment(c.id).await.unwrap().unwrap().status, CommentStatus::Published);
    assert_eq!(add("u2", FlagReason::Spam).await.unwrap(), FlagWrite::Counted { flags: 3, held: true });

    let held = s.comment(c.id).await.unwrap().unwrap();
    assert_eq!(held.status, CommentStatus::Pending);
    assert_eq!(s.article_by_id(a).await.unwrap().unwrap().comment_count, 0, "no longer counted");
    let decision = s.comment_decision(c.id).await.unwrap().unwrap();
    assert_eq!(decision.outcome, "publish", "what the pipeline decided at posting is kept");
    let reasons = &decision.reasons_json;
    assert!(reasons.contains(r#""signal":"links""#), "moderation's reason is kept: {reasons}");
    assert!(reasons.contains(r#""signal":"flags""#), "{reasons}");
    assert!(reasons.contains("flagged by 3 readers: spam (1), off-topic (2)"), "{reasons}");
    assert_eq!(add("u3", FlagReason::Abuse).await.unwrap(), FlagWrite::NotPublished);
    assert_eq!(s.flag_summaries(&[c.id]).await.unwrap()[&c.id].counts.total(), 3);

    // A moderator approves it: more readers' flags are counted, and do not hold it again...
    s.set_comment_status(c.id, CommentStatus::Published).await.unwrap();
    assert_eq!(add("u3", FlagReason::Abuse).await.unwrap(), FlagWrite::Counted { flags: 4, held: false });
    assert_eq!(s.comment(c.id).await.unwrap().unwrap().status, CommentStatus::Published);
    // ...but a moderator's own flag does.
    let now = s.add_flag(&flag(c.id, "u9", FlagReason::Abuse), FlagHold::Now, t0()).await.unwrap();
    assert_eq!(now, FlagWrite::Counted { flags: 5, held: true });
}

async fn concurrent_flags_hold_a_comment_once(db: TestDatabase) {
    let s = &db.store;
    let a = article(s).await;
    let c = post(s, a, "jens", CommentStatus::Published).await;
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (s, f) = (s.clone(), flag(c.id, &format!("g{i}"), FlagReason::OffTopic));
            tokio::spawn(async move { s.add_flag(&f, FlagHold::AtCount(2), t0()).await.unwrap() })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let held = results.iter().filter(|r| matches!(r, FlagWrite::Counted { held: true, .. })).count();
    assert_eq!(held, 1, "exactly one flag holds it: {results:?}");
    assert!(!results.contains(&FlagWrite::Counted { flags: 1, held: true }), "{results:?}");
    assert_eq!(s.comment(c.id).await.unwrap().unwrap().status, CommentStatus::Pending);
    let reasons = s.comment_decision(c.id).await.unwrap().unwrap().reasons_json;
    assert_eq!(reasons.matches("\"flags\"").count(), 1, "{reasons}");
}

async fn flag_counts_are_read_by_comment_and_reason(db: TestDatabase) {
    let s = &db.store;
    let a = article(s).await;
    let quiet = post(s, a, "q", CommentStatus::Published).await;
    let first = post(s, a, "f", CommentStatus::Published).await;
    let second = post(s, a, "s", CommentStatus::Published).await;
    let later = t0() + chrono::Duration::minutes(5);
    s.add_flag(&flag(second.id, "g1", FlagReason::Spam), FlagHold::AtCount(3), later).await.unwrap();
    s.add_flag(&flag(first.id, "g1", FlagReason::Abuse), FlagHold::AtCount(3), t0()).await.unwrap();
    s.add_flag(&flag(first.id, "g2", FlagReason::Abuse), FlagHold::AtCount(3), later).await.unwrap();
    s.add_flag(&flag(first.id, "g3", FlagReason::Other), FlagHold::Never, later).await.unwrap();

    let summaries = s.flag_summaries(&[quiet.id, first.id, second.id]).await.unwrap();
    assert_eq!(summaries.len(), 2, "unflagged left out");
    assert_eq!(summaries[&second.id].counts.by_reason, [(FlagReason::Spam, 1)]);
    let first = &summaries[&first.id];
    assert_eq!(first.counts.by_reason, [(FlagReason::Abuse, 2), (FlagReason::Other, 1)]);
    assert_eq!((first.first_at, first.last_at), (t0(), later));
}

async fn approved_comments_are_counted_up_to_the_threshold(db: TestDatabase) {
    let s = &db.store;
    let a = article(s).await;
    for _ in 0..3 {
        post(s, a, "regular", CommentStatus::Published).await;
    }
    post(s, a, "regular", CommentStatus::Pending).await;
    post(s, a, "newcomer", CommentStatus::Pending).await;
    assert_eq!(s.approved_comments(None, Some("regular"), 10).await.unwrap(), 3, "published ones only");
    assert_eq!(s.approved_comments(None, Some("regular"), 2).await.unwrap(), 2, "no further than asked");
    assert_eq!(s.approved_comments(None, Some("newcomer"), 2).await.unwrap(), 0);
    assert_eq!(s.approved_comments(Some(42), None, 2).await.unwrap(), 0);
    assert_eq!(s.approved_comments(None, None, 2).await.unwrap(), 0);
}
