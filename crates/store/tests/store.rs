//! The storage layer on both backends: every test here runs once on SQLite and once on
//! PostgreSQL (when `TRIBUNE_TEST_POSTGRES_URL` is set; always in CI).

use chrono::{DateTime, Duration, TimeZone, Utc};
use tribune_core::article::{ArticleInput, ArticleStatus, ValidArticle};
use tribune_core::markdown::render_article;
use tribune_core::search::SearchQuery;
use tribune_core::slug::Slug;
use tribune_core::store::{
    ArticleFilter, ArticleStore, LogPosition, PageRequest, SessionStore, SettingStore, StoreError,
    ThrottleStore, UserRecord, UserStore,
};
use tribune_core::user::Role;
use tribune_store::testing::TestDatabase;
use tribune_store::{Backend, Store};
use tribune_store::{on_both_backends, schema};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn article(
    title: &str,
    body: &str,
    authors: &[&str],
    tags: &[&str],
    published_at: DateTime<Utc>,
) -> ValidArticle {
    ArticleInput {
        title: title.into(),
        body_markdown: body.into(),
        authors: authors.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        published_at: Some(published_at),
        ..Default::default()
    }
    .validate(t0())
    .unwrap()
}

async fn save(store: &Store, a: &ValidArticle) -> i64 {
    store.save_article(None, a, &render_article(&a.body_markdown, a.slug.as_str()), t0()).await.unwrap().id
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

on_both_backends!(
    schemas_match,
    the_schema_comparison_catches_a_missing_partial_unique_index,
    saves_and_loads_an_article_with_byline_and_tags,
    the_article_to_comment_on_is_the_article_without_its_text,
    slugs_are_unique,
    lists_only_public_articles_newest_first,
    filters_by_tag_and_author_and_pages,
    search_ranks_and_survives_any_input,
    users_sessions_and_throttle,
    settings_keep_the_first_value,
    settings_change_together_and_are_read_by_prefix,
    migrating_twice_changes_nothing,
);

async fn schemas_match(db: TestDatabase) {
    // Each backend's schema is compared with the other's in the PostgreSQL run; the
    // SQLite run checks that its own has what the code relies on.
    let schema = db.schema().await;
    for expected in [
        "column articles.source_url text null",
        "index ledger_entries.ledger_one_payment unique (payment_key) where kind = 'payment'",
        "check ledger_entries kind in 'payment', 'refund', 'dispute_lost', 'manual', 'reversal'",
        "unique ledger_entries (event_id)",
        "foreign key comments.article_id -> articles.id on delete cascade",
    ] {
        assert!(schema.iter().any(|l| l == expected), "{expected}: {schema:#?}");
    }
    if db.store.backend() == Backend::Postgres {
        let sqlite = TestDatabase::sqlite().await.schema().await;
        let differences = schema::differences("postgres", &schema, "sqlite", &sqlite);
        assert!(differences.is_empty(), "the two backends' schemas differ:\n{}", differences.join("\n"));
    }
}

async fn the_schema_comparison_catches_a_missing_partial_unique_index(db: TestDatabase) {
    // Exactly-once donations rest on this index: its absence on one backend must show.
    let reference = TestDatabase::sqlite().await.schema().await;
    db.execute("DROP INDEX ledger_one_payment").await;
    let differences = schema::differences("this one", &db.schema().await, "sqlite", &reference);
    assert_eq!(
        differences,
        [
            "only in sqlite: index ledger_entries.ledger_one_payment unique (payment_key) where kind = 'payment'"
        ]
    );
    // PostgreSQL can drop a CHECK constraint too (SQLite cannot without rebuilding the table).
    if db.store.backend() == Backend::Postgres {
        db.execute("ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check").await;
        let differences = schema::differences("postgres", &db.schema().await, "sqlite", &reference);
        let check = "only in sqlite: check ledger_entries kind in 'payment', 'refund', 'dispute_lost', 'manual', 'reversal'";
        assert!(differences.iter().any(|d| d == check), "{differences:?}");
    }
}

async fn saves_and_loads_an_article_with_byline_and_tags(db: TestDatabase) {
    let mut input = article(
        "A Syndicated Story",
        "Body **text**.",
        &["Ada Lovelace", "Bob"],
        &["Science", "Maths"],
        t0(),
    );
    input.syndication = Some(tribune_core::article::Syndication {
        source_name: "The Review".into(),
        source_url: "https://review.example/story".into(),
    });
    let id = save(&db.store, &input).await;
    let a = db.store.article_by_slug(&slug("a-syndicated-story")).await.unwrap().unwrap();
    assert_eq!(a.id, id);
    assert_eq!(a.body_html, "<p>Body <strong>text</strong>.</p>\n");
    assert_eq!(a.authors.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["Ada Lovelace", "Bob"]);
    assert_eq!(a.tags.iter().map(|x| x.slug.as_str()).collect::<Vec<_>>(), ["science", "maths"]);
    assert_eq!(a.syndication.unwrap().source_name, "The Review");
    assert_eq!(a.published_at, Some(t0()));

    // Saving again replaces the byline and tags, and keeps the id.
    let edited = article("A Syndicated Story", "New body.", &["Bob"], &["Maths"], t0());
    let again = db
        .store
        .save_article(Some(id), &edited, "<p>New body.</p>", t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again.id, id);
    assert_eq!(again.authors.len(), 1);
    assert_eq!(again.tags[0].name, "Maths");
    assert!(again.syndication.is_none());
    assert_eq!(again.updated_at, t0() + Duration::hours(1));
    assert_eq!(db.store.tag_by_slug(&slug("science")).await.unwrap().unwrap().name, "Science");
}

async fn the_article_to_comment_on_is_the_article_without_its_text(db: TestDatabase) {
    let s = &db.store;
    let both = article("Both", "Some *text*.", &["Ada Lovelace", "Bob"], &["Zoo", "Alpha", "Mid"], t0());
    let bare = article("Bare", "No byline, no tags.", &[], &[], t0());
    let other = article("Other", "Shares a tag.", &["Bob"], &["Alpha"], t0());
    for a in [&both, &bare, &other] {
        save(s, a).await;
    }
    for name in ["both", "bare", "other"] {
        let full = s.article_by_slug(&slug(name)).await.unwrap().unwrap();
        let light = s.article_to_comment_on(&slug(name)).await.unwrap().unwrap();
        assert_eq!((light.body_markdown.as_str(), light.body_html.as_str()), ("", ""));
        let without_text =
            tribune_core::article::Article { body_markdown: String::new(), body_html: String::new(), ..full };
        assert_eq!(light, without_text, "{name}: authors and tags in their order, the rest as stored");
    }
    assert_eq!(s.article_to_comment_on(&slug("missing")).await.unwrap(), None);
}

async fn slugs_are_unique(db: TestDatabase) {
    let a = article("Same", "one", &["A"], &[], t0());
    save(&db.store, &a).await;
    let err = db.store.save_article(None, &a, "", t0()).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(db.store.count_articles().await.unwrap(), 1, "the refused insert changed nothing");
}

async fn lists_only_public_articles_newest_first(db: TestDatabase) {
    save(&db.store, &article("Old", "x", &["A"], &[], t0() - Duration::days(2))).await;
    save(&db.store, &article("New", "x", &["A"], &[], t0() - Duration::days(1))).await;
    let mut draft = article("Draft", "x", &["A"], &[], t0() - Duration::days(1));
    draft.status = ArticleStatus::Draft;
    save(&db.store, &draft).await;
    let mut scheduled = article("Later", "x", &["A"], &[], t0() + Duration::hours(3));
    scheduled.status = ArticleStatus::Scheduled;
    save(&db.store, &scheduled).await;

    let titles = |p: tribune_core::store::Page<tribune_core::article::Article>| {
        p.items.into_iter().map(|a| a.title).collect::<Vec<_>>()
    };
    let now = db.store.public_articles(&ArticleFilter::All, t0(), PageRequest::new(1, 10)).await.unwrap();
    assert_eq!(titles(now), ["New", "Old"]);
    assert_eq!(db.store.next_publication_after(t0()).await.unwrap(), Some(t0() + Duration::hours(3)));
    let later = t0() + Duration::hours(3);
    let then = db.store.public_articles(&ArticleFilter::All, later, PageRequest::new(1, 10)).await.unwrap();
    assert_eq!(titles(then), ["Later", "New", "Old"]);
    assert_eq!(db.store.public_article_index(later).await.unwrap().len(), 3);
    assert_eq!(db.store.all_articles(None, PageRequest::new(1, 10)).await.unwrap().items.len(), 4);
}

async fn filters_by_tag_and_author_and_pages(db: TestDatabase) {
    for i in 0..25 {
        let author = if i % 2 == 0 { "Even Writer" } else { "Odd Writer" };
        let tags: &[&str] = if i % 5 == 0 { &["Fives", "All"] } else { &["All"] };
        save(&db.store, &article(&format!("Story {i}"), "x", &[author], tags, t0() - Duration::minutes(i)))
            .await;
    }
    let fives = db
        .store
        .public_articles(&ArticleFilter::Tag(slug("fives")), t0(), PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!(
        fives.items.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(),
        ["Story 0", "Story 5", "Story 10", "Story 15", "Story 20"]
    );
    assert!(!fives.has_next);
    let odd = ArticleFilter::Author(slug("odd-writer"));
    let page1 = db.store.public_articles(&odd, t0(), PageRequest::new(1, 10)).await.unwrap();
    let page2 = db.store.public_articles(&odd, t0(), PageRequest::new(2, 10)).await.unwrap();
    assert_eq!((page1.items.len(), page1.has_next, page2.items.len(), page2.has_next), (10, true, 2, false));
    assert!(page1.items.iter().chain(&page2.items).all(|a| a.authors[0].name == "Odd Writer"));
    assert_eq!(page2.items[0].tags.len(), 1, "links are loaded for every item of a page");
    let mine = db.store.all_articles(Some(&slug("even-writer")), PageRequest::new(1, 100)).await.unwrap();
    assert_eq!(mine.items.len(), 13);
}

async fn search_ranks_and_survives_any_input(db: TestDatabase) {
    save(&db.store, &article("Microscopes explained", "Lenses and light.", &["A"], &[], t0())).await;
    save(
        &db.store,
        &article("Gardening", "Nothing about microscopes here except this mention.", &["A"], &[], t0()),
    )
    .await;
    save(&db.store, &article("Ελληνικά νέα", "Κείμενο στα ελληνικά.", &["A"], &[], t0())).await;
    let mut draft = article("Secret microscopes", "x", &["A"], &[], t0());
    draft.status = ArticleStatus::Draft;
    save(&db.store, &draft).await;

    let search = |q: &str| {
        let store = db.store.clone();
        let q = q.to_owned();
        async move {
            match SearchQuery::parse(&q).unwrap() {
                None => vec![],
                Some(query) => store
                    .search_articles(&query, t0(), PageRequest::new(1, 10))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|a| a.title)
                    .collect::<Vec<_>>(),
            }
        }
    };
    assert_eq!(
        search("microscopes").await,
        ["Microscopes explained", "Gardening"],
        "title matches rank first; drafts never show"
    );
    assert_eq!(search("microscope").await.len(), 2, "stemming finds the plural");
    assert_eq!(search("ελληνικά").await, ["Ελληνικά νέα"]);
    for nasty in
        ["\"", "micro* OR", "NEAR(a b)", "'; DROP TABLE articles; --", "(((", "a AND", "-x", "^", "col:x"]
    {
        search(nasty).await; // must not error
    }
    assert_eq!(db.store.count_articles().await.unwrap(), 4);
}

async fn users_sessions_and_throttle(db: TestDatabase) {
    let record = UserRecord {
        email: "ada@example.org".into(),
        name: "Ada Lovelace".into(),
        role: Role::Author,
        password_hash: "hash".into(),
        author: Some(tribune_core::article::NamedLink {
            slug: slug("ada-lovelace"),
            name: "Ada Lovelace".into(),
        }),
    };
    let ada = db.store.create_user(&record, t0()).await.unwrap();
    assert_eq!(ada.author.as_ref().unwrap().slug.as_str(), "ada-lovelace");
    assert!(matches!(db.store.create_user(&record, t0()).await, Err(StoreError::Conflict(_))));
    let (found, hash) = db.store.user_credentials("ada@example.org").await.unwrap().unwrap();
    assert_eq!((found.id, hash.as_str()), (ada.id, "hash"));
    db.store.set_user_role(ada.id, Role::Editor).await.unwrap();
    assert_eq!(db.store.user_by_id(ada.id).await.unwrap().unwrap().role, Role::Editor);
    assert_eq!(db.store.list_users().await.unwrap().len(), 1);

    db.store.create_session("tokenhash", ada.id, t0(), t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(db.store.session_user("tokenhash", t0()).await.unwrap().unwrap().id, ada.id);
    assert!(
        db.store.session_user("tokenhash", t0() + Duration::hours(2)).await.unwrap().is_none(),
        "expired"
    );
    assert!(db.store.session_user("other", t0()).await.unwrap().is_none());
    db.store.delete_session("tokenhash").await.unwrap();
    assert!(db.store.session_user("tokenhash", t0()).await.unwrap().is_none());

    // Fifty attempts at once: each is counted, so exactly the free ones get through.
    let policy = tribune_core::throttle::SIGN_IN_PER_ACCOUNT;
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let store = db.store.clone();
        attempts.spawn(async move { tribune_core::throttle::admit(&store, &policy, "acct", t0()).await });
    }
    let results = attempts.join_all().await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), policy.free as usize, "{results:?}");
    assert!(tribune_core::throttle::admit(&db.store, &policy, "other", t0()).await.is_ok(), "keys are apart");
    tribune_core::throttle::forgive(&db.store, &policy, "acct").await.unwrap();
    assert!(tribune_core::throttle::admit(&db.store, &policy, "acct", t0()).await.is_ok(), "forgiven");

    // A new key sweeps only its own action's quiet keys: a comment counter (forgotten after
    // minutes) made an hour later must not wipe a guesser's sign-in count (kept a day).
    for _ in 0..policy.free {
        tribune_core::throttle::admit(&db.store, &policy, "guesser", t0()).await.unwrap();
    }
    let later = t0() + Duration::hours(1);
    let comments = tribune_core::moderation::COMMENT_PER_ADDRESS;
    tribune_core::throttle::admit(&db.store, &comments, "somebody", later).await.unwrap();
    let kept = db.store.attempts(&policy.key("guesser")).await.unwrap();
    assert_eq!(kept.map(|a| a.count), Some(policy.free), "the sign-in count survives");
}

async fn settings_keep_the_first_value(db: TestDatabase) {
    assert_eq!(db.store.setting("k").await.unwrap(), None);
    assert_eq!(db.store.setting_or_insert("k", "first").await.unwrap(), "first");
    assert_eq!(db.store.setting_or_insert("k", "second").await.unwrap(), "first");
}

async fn settings_change_together_and_are_read_by_prefix(db: TestDatabase) {
    let pairs =
        |v: &[(&str, &str)]| v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
    db.store.setting_or_insert("site_secret", "never listed").await.unwrap();
    db.store
        .change_settings(&pairs(&[("site.b", "2"), ("site.a", "1"), ("site%x", "no")]), &[])
        .await
        .unwrap();
    db.store
        .change_settings(&pairs(&[("site.a", "one")]), &["site.b".into(), "site.none".into()])
        .await
        .unwrap();
    assert_eq!(db.store.settings_with_prefix("site.").await.unwrap(), pairs(&[("site.a", "one")]));
}

async fn migrating_twice_changes_nothing(db: TestDatabase) {
    save(&db.store, &article("Kept", "x", &["A"], &[], t0())).await;
    db.store.migrate().await.unwrap();
    let other = Store::connect(&db.url).await.unwrap();
    other.migrate().await.unwrap();
    assert_eq!(other.count_articles().await.unwrap(), 1);
}

#[tokio::test]
async fn unreachable_database_is_a_clear_error() {
    let err = Store::connect("postgres://nobody:pw@127.0.0.1:1/none").await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("cannot connect to postgres://nobody@127.0.0.1:1/none"), "{msg}");
    assert!(!msg.contains("pw"), "{msg}");
    assert!(Store::connect("mysql://x").await.unwrap_err().to_string().contains("unsupported database URL"));
}

on_both_backends!(invalidations_are_read_in_order, an_invalidation_committed_late_is_still_read);

async fn invalidations_are_read_in_order(db: TestDatabase) {
    use tribune_core::store::InvalidationStore;
    let mut position = db.store.invalidation_log_end().await.unwrap();
    let mut from_start = position.clone();
    assert!(db.store.invalidations_since(&mut position).await.unwrap().is_empty());
    let first = db.store.record_invalidation(&["front".into(), "tag:x".into()], t0()).await.unwrap();
    let second = db.store.record_invalidation(&["article:y".into()], t0()).await.unwrap();
    assert_eq!(
        db.store.invalidations_since(&mut position).await.unwrap(),
        vec![
            (first, vec!["front".to_string(), "tag:x".to_string()]),
            (second, vec!["article:y".to_string()])
        ]
    );
    assert!(db.store.invalidations_since(&mut position).await.unwrap().is_empty(), "each entry once");
    let third = db.store.record_invalidation(&["front".into()], t0()).await.unwrap();
    assert_eq!(
        db.store.invalidations_since(&mut position).await.unwrap(),
        vec![(third, vec!["front".into()])]
    );
    // A node that starts later reads only what comes after its start.
    let mut late = db.store.invalidation_log_end().await.unwrap();
    assert!(db.store.invalidations_since(&mut late).await.unwrap().is_empty());
    assert_eq!(db.store.invalidations_since(&mut from_start).await.unwrap().len(), 3);
    // An hour later, recording sweeps the old entries.
    db.store.record_invalidation(&["front".into()], t0() + Duration::hours(2)).await.unwrap();
    assert_eq!(db.store.invalidations_since(&mut LogPosition::default()).await.unwrap().len(), 1);
}

/// Ids are handed out when a row is written, not when it commits: a writer that took id N
/// and commits after another's N+1 was read must not be skipped. SQLite lets one writer
/// at a time, so the late commit can only be staged on PostgreSQL.
async fn an_invalidation_committed_late_is_still_read(db: TestDatabase) {
    use sqlx::Connection;
    use tribune_core::store::InvalidationStore;
    if db.store.backend() != Backend::Postgres {
        return;
    }
    let mut position = db.store.invalidation_log_end().await.unwrap();
    sqlx::any::install_default_drivers();
    let mut slow = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let mut slow_tx = slow.begin().await.unwrap();
    let late: i64 = sqlx::query_scalar(
        "INSERT INTO page_invalidations (keys, created_at) VALUES ('article:late', 9999999999) RETURNING id",
    )
    .fetch_one(&mut *slow_tx)
    .await
    .unwrap();
    let early = db.store.record_invalidation(&["article:early".into()], t0()).await.unwrap();
    assert!(late < early, "the open transaction holds the lower id");
    assert_eq!(
        db.store.invalidations_since(&mut position).await.unwrap(),
        vec![(early, vec!["article:early".into()])]
    );
    slow_tx.commit().await.unwrap();
    assert_eq!(
        db.store.invalidations_since(&mut position).await.unwrap(),
        vec![(late, vec!["article:late".into()])],
        "the entry committed late is read, and the one read before is not read again"
    );
    assert!(db.store.invalidations_since(&mut position).await.unwrap().is_empty());
    // A writer that gives up leaves a gap that nothing waits for.
    let mut gave_up = slow.begin().await.unwrap();
    sqlx::query("INSERT INTO page_invalidations (keys, created_at) VALUES ('article:never', 9999999999)")
        .execute(&mut *gave_up)
        .await
        .unwrap();
    gave_up.rollback().await.unwrap();
    let after = db.store.record_invalidation(&["front".into()], t0()).await.unwrap();
    assert_eq!(
        db.store.invalidations_since(&mut position).await.unwrap(),
        vec![(after, vec!["front".into()])]
    );
}
