//! Comment threads on both backends: display order from one query, placeholders that keep
//! replies, counts of what readers can see.

use chrono::{DateTime, TimeZone, Utc};
use tribune_core::article::ArticleInput;
use tribune_core::comment::{Comment, CommentInput, CommentStatus, Deletion, validate};
use tribune_core::discussion::thread_page;
use tribune_core::publishing::add_user;
use tribune_core::store::{ArticleFilter, ArticleStore, CommentRecord, CommentStore, PageRequest};
use tribune_core::store::{ThreadPage, Tops};
use tribune_core::thread::{CommentSort, Cursor, PageLimits};
use tribune_core::user::{NewUser, Role};
use tribune_store::Store;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

async fn article(store: &Store, title: &str) -> i64 {
    let input = ArticleInput { title: title.into(), body_markdown: "x".into(), ..Default::default() };
    store.save_article(None, &input.validate(t0()).unwrap(), "<p>x</p>", t0()).await.unwrap().id
}

async fn post(store: &Store, article_id: i64, parent: Option<&Comment>, name: &str) -> Comment {
    let input =
        CommentInput { body: format!("I am {name}"), author_name: Some(name.into()), ..Default::default() };
    let record = CommentRecord {
        article_id,
        parent: parent.cloned(),
        comment: validate(&input, None).unwrap(),
        status: CommentStatus::Published,
        user_id: None,
        guest_token_hash: Some("token-hash".into()),
        ip_hash: None,
        body_hash: None,
        decision: None,
        rate: vec![],
        copies_since: None,
        subscription: None,
        mail: Default::default(),
    };
    store.insert_comment(&record, t0()).await.unwrap()
}

fn names(thread: &[Comment]) -> Vec<&str> {
    thread.iter().map(|c| c.author_name.as_str()).collect()
}

fn shown(page: &ThreadPage) -> Vec<&str> {
    page.comments().map(|c| c.author_name.as_str()).collect()
}

/// A page of `n` threads of an article, with every reply a page may show.
async fn page(s: &Store, article: i64, sort: CommentSort, after: Option<Cursor>, n: u32) -> ThreadPage {
    thread_page(s, Tops::Article(article), (sort, after), n, PageLimits::DEFAULT).await.unwrap()
}

on_both_backends!(
    threads_come_back_in_display_order,
    deleting_keeps_replies_readable,
    counts_only_published_comments,
    pages_of_threads_follow_the_sort_and_carry_their_replies,
    concurrent_posts_share_commits_and_one_bad_post_fails_alone,
    imports_keep_the_tree_and_refuse_forward_parents,
    importing_an_export_again_adds_only_what_is_new
);

async fn threads_come_back_in_display_order(db: TestDatabase) {
    let s = &db.store;
    let a = article(s, "Talked About").await;
    let other = article(s, "Quiet").await;
    let first = post(s, a, None, "first").await;
    let second = post(s, a, None, "second").await;
    let reply = post(s, a, Some(&first), "reply to first").await;
    let deeper = post(s, a, Some(&reply), "deeper").await;
    post(s, a, Some(&first), "later reply to first").await;
    post(s, a, Some(&second), "reply to second").await;
    post(s, other, None, "elsewhere").await;
    let thread = s.thread(a).await.unwrap();
    assert_eq!(
        names(&thread),
        ["first", "reply to first", "deeper", "later reply to first", "second", "reply to second"]
    );
    assert_eq!((deeper.depth, deeper.parent_id), (2, Some(reply.id)));
    assert!(deeper.path.starts_with(&reply.path) && deeper.path.starts_with(&first.path));
    assert_eq!(s.comment(deeper.id).await.unwrap().unwrap(), deeper);
    assert_eq!(deeper.guest_token_hash.as_deref(), Some("token-hash"));
    // A chain deeper than any page would indent still comes back whole and in order.
    let mut parent = deeper.clone();
    for i in 0..300 {
        parent = post(s, a, Some(&parent), &format!("chain {i}")).await;
    }
    let thread = s.thread(a).await.unwrap();
    assert_eq!(thread.len(), 306);
    assert_eq!(thread[302].author_name, "chain 299", "the chain sits under its root…");
    assert_eq!(thread[303].author_name, "later reply to first", "…before the root's next reply");
    assert_eq!(parent.depth, 302);
}

async fn deleting_keeps_replies_readable(db: TestDatabase) {
    let s = &db.store;
    let a = article(s, "Deletions").await;
    let parent = post(s, a, None, "parent").await;
    let child = post(s, a, Some(&parent), "child").await;
    let lonely = post(s, a, None, "lonely").await;
    assert_eq!(s.delete_comment(lonely.id).await.unwrap(), Deletion::Remove);
    assert!(s.comment(lonely.id).await.unwrap().is_none());
    assert_eq!(s.delete_comment(parent.id).await.unwrap(), Deletion::Placeholder);
    let kept = s.comment(parent.id).await.unwrap().unwrap();
    assert_eq!(kept.status, CommentStatus::Deleted);
    assert!(kept.body_markdown.is_empty() && kept.body_html.is_empty(), "what it said is gone");
    assert_eq!(names(&s.thread(a).await.unwrap()), ["parent", "child"], "the reply keeps its place");
    // Once the reply goes too, the placeholder can go.
    assert_eq!(s.delete_comment(child.id).await.unwrap(), Deletion::Remove);
    assert_eq!(s.delete_comment(parent.id).await.unwrap(), Deletion::Remove);
    assert!(s.thread(a).await.unwrap().is_empty());
    assert!(s.delete_comment(parent.id).await.is_err());

    let edited = post(s, a, None, "editor").await;
    s.edit_comment(edited.id, "new *text*", "<p>new <em>text</em></p>", t0()).await.unwrap();
    let after = s.comment(edited.id).await.unwrap().unwrap();
    assert_eq!((after.body_markdown.as_str(), after.edited_at), ("new *text*", Some(t0())));
}

async fn counts_only_published_comments(db: TestDatabase) {
    let s = &db.store;
    let a = article(s, "Counted").await;
    let b = article(s, "Also counted").await;
    let c = article(s, "Silent").await;
    post(s, a, None, "one").await;
    let two = post(s, a, None, "two").await;
    let held = post(s, a, None, "held").await;
    s.set_comment_status(held.id, CommentStatus::Pending).await.unwrap();
    post(s, a, Some(&two), "three").await;
    s.delete_comment(two.id).await.unwrap();
    post(s, b, None, "b").await;
    let count = async |id: i64| s.article_by_id(id).await.unwrap().unwrap().comment_count;
    assert_eq!((count(a).await, count(b).await, count(c).await), (2, 1, 0));
    let listed = s.public_articles(&ArticleFilter::All, t0(), PageRequest::new(1, 10)).await.unwrap();
    let listed: Vec<i64> = listed.items.iter().map(|x| x.comment_count).collect();
    assert_eq!(listed, [0, 1, 2], "lists carry the counts too (newest first)");
}

async fn pages_of_threads_follow_the_sort_and_carry_their_replies(db: TestDatabase) {
    let s = &db.store;
    let a = article(s, "Paged").await;
    let mut roots = Vec::new();
    for name in ["r0", "r1", "r2", "r3", "r4"] {
        roots.push(post(s, a, None, name).await);
    }
    let reply = post(s, a, Some(&roots[1]), "r1 reply").await;
    post(s, a, Some(&reply), "r1 reply reply").await;
    let first = page(s, a, CommentSort::Oldest, None, 2).await;
    assert_eq!(shown(&first), ["r0", "r1", "r1 reply", "r1 reply reply"]);
    assert!(first.comments().all(|c| !c.body_html.is_empty()), "with their text");
    let next = first.next.expect("more threads");
    let second = page(s, a, CommentSort::Oldest, Some(next), 2).await;
    assert_eq!(shown(&second), ["r2", "r3"]);
    let last = page(s, a, CommentSort::Oldest, second.next, 2).await;
    assert_eq!((shown(&last), last.next), (vec!["r4"], None));
    let newest = page(s, a, CommentSort::Newest, None, 2).await;
    assert_eq!(shown(&newest), ["r4", "r3"], "the two newest threads");

    let (voter, other) = (reader(s, "v1").await, reader(s, "v2").await);
    assert_eq!(s.vote(roots[3].id, voter, 1, t0()).await.unwrap(), 1);
    assert_eq!(s.vote(roots[3].id, voter, 1, t0()).await.unwrap(), 1, "the same vote twice counts once");
    assert_eq!(s.vote(roots[3].id, other, 1, t0()).await.unwrap(), 2);
    assert_eq!(s.vote(roots[0].id, voter, -1, t0()).await.unwrap(), -1);
    assert_eq!(s.vote(roots[3].id, other, 0, t0()).await.unwrap(), 1, "a vote taken back");
    let best = page(s, a, CommentSort::Best, None, 2).await;
    let best_roots: Vec<&str> =
        best.comments().filter(|c| c.depth == 0).map(|c| c.author_name.as_str()).collect();
    assert_eq!(best_roots, ["r3", "r1"], "score 1 (r3), then the oldest of the zeros (r1)");
    let rest = page(s, a, CommentSort::Best, best.next, 10).await;
    assert_eq!(shown(&rest), ["r2", "r4", "r0"], "the other zeros, then the negative score");
    let votes = s.votes_by(voter, &[roots[0].id, roots[3].id, roots[4].id]).await.unwrap();
    assert_eq!(
        (votes.get(&roots[0].id), votes.get(&roots[3].id), votes.get(&roots[4].id)),
        (Some(&-1), Some(&1), None)
    );
    assert_eq!(s.threads_before(a, roots[3].id).await.unwrap(), 3);
    assert!(s.vote(999_999, voter, 1, t0()).await.is_err());

    s.set_comments_closed(a, true).await.unwrap();
    assert!(s.article_by_id(a).await.unwrap().unwrap().comments_closed);
}

async fn reader(store: &Store, name: &str) -> i64 {
    let new = NewUser {
        email: format!("{name}@example.org"),
        name: name.into(),
        role: Role::Reader,
        password: "long password".into(),
    };
    add_user(store, &tribune_core::work::Inline, new, t0()).await.unwrap().id
}

async fn concurrent_posts_share_commits_and_one_bad_post_fails_alone(db: TestDatabase) {
    let s = db.store.clone();
    let a = article(&s, "Busy").await;
    let parent = post(&s, a, None, "parent").await;
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = s.clone();
        let parent = parent.clone();
        tasks.push(tokio::spawn(async move {
            let input = CommentInput {
                body: format!("post {i}"),
                author_name: Some("n".into()),
                ..Default::default()
            };
            // Every 50th names an article that does not exist: the database refuses it.
            let article_id = if i % 50 == 49 { 999_999 } else { a };
            let record = CommentRecord {
                article_id,
                parent: (i % 2 == 0).then_some(parent),
                comment: validate(&input, None).unwrap(),
                status: CommentStatus::Published,
                user_id: None,
                guest_token_hash: None,
                ip_hash: Some("h".into()),
                body_hash: None,
                decision: None,
                rate: vec![],
                copies_since: None,
                subscription: None,
                mail: Default::default(),
            };
            store.insert_comment(&record, t0()).await
        }));
    }
    let mut stored = Vec::new();
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(c) => stored.push(c),
            Err(_) => refused += 1,
        }
    }
    assert_eq!((stored.len(), refused), (294, 6));
    let thread = s.thread(a).await.unwrap();
    assert_eq!(thread.len(), 295, "every acknowledged comment is there, and only those");
    assert_eq!(s.article_by_id(a).await.unwrap().unwrap().comment_count, 295);
    for c in &stored {
        assert_eq!(
            s.comment(c.id).await.unwrap().as_ref(),
            Some(c),
            "what the writer answered is what it stored"
        );
    }
}

async fn importing_an_export_again_adds_only_what_is_new(db: TestDatabase) {
    use tribune_core::store::{ImportSource, ImportedComment};
    let s = &db.store;
    let a = article(s, "Moved in").await;
    let item = |parent: Option<usize>, id: &str| ImportedComment {
        parent,
        comment: validate(
            &CommentInput {
                body: format!("Comment {id}"),
                author_name: Some(id.into()),
                ..Default::default()
            },
            None,
        )
        .unwrap(),
        status: CommentStatus::Published,
        created_at: t0(),
        source: Some(ImportSource { platform: "disqus".into(), id: id.into() }),
    };
    let first = s.import_comments(a, &[item(None, "1"), item(Some(0), "2")]).await.unwrap();
    let again = s.import_comments(a, &[item(None, "1"), item(Some(0), "2")]).await.unwrap();
    assert_eq!(first, again, "the same export finds the same comments");
    assert_eq!(s.thread(a).await.unwrap().len(), 2, "nothing duplicated");
    // A newer export: a reply to a comment imported before lands under it.
    let newer =
        s.import_comments(a, &[item(None, "1"), item(Some(0), "2"), item(Some(1), "3")]).await.unwrap();
    assert_eq!(&newer[..2], &first[..]);
    let thread = s.thread(a).await.unwrap();
    assert_eq!(names(&thread), ["1", "2", "3"]);
    let reply = thread.iter().find(|c| c.author_name == "3").unwrap();
    assert_eq!((reply.parent_id, reply.root_id, reply.depth), (Some(first[1]), first[0], 2));
    assert_eq!(s.article_by_id(a).await.unwrap().unwrap().comment_count, 3);
    // The same id from another platform is another comment.
    let other = ImportedComment {
        source: Some(ImportSource { platform: "wordpress".into(), id: "1".into() }),
        ..item(None, "1")
    };
    s.import_comments(a, &[other]).await.unwrap();
    assert_eq!(s.thread(a).await.unwrap().len(), 4);
}

async fn imports_keep_the_tree_and_refuse_forward_parents(db: TestDatabase) {
    use tribune_core::store::ImportedComment;
    let s = &db.store;
    let a = article(s, "Imported").await;
    let item = |parent: Option<usize>, name: &str, status: CommentStatus| ImportedComment {
        parent,
        comment: validate(
            &CommentInput { body: name.into(), author_name: Some(name.into()), ..Default::default() },
            None,
        )
        .unwrap(),
        status,
        created_at: t0(),
        source: None,
    };
    let ids = s
        .import_comments(
            a,
            &[
                item(None, "root", CommentStatus::Deleted),
                item(Some(0), "child", CommentStatus::Published),
                item(Some(1), "grandchild", CommentStatus::Published),
                item(None, "other", CommentStatus::Rejected),
            ],
        )
        .await
        .unwrap();
    let thread = s.thread(a).await.unwrap();
    assert_eq!(names(&thread), ["root", "child", "grandchild", "other"]);
    assert_eq!((thread[2].parent_id, thread[2].root_id, thread[2].depth), (Some(ids[1]), ids[0], 2));
    assert_eq!((thread[0].status, thread[3].status), (CommentStatus::Deleted, CommentStatus::Rejected));
    assert_eq!(s.article_by_id(a).await.unwrap().unwrap().comment_count, 2, "only the published count");
    let forward = s
        .import_comments(
            a,
            &[item(Some(1), "orphan", CommentStatus::Published), item(None, "x", CommentStatus::Published)],
        )
        .await;
    assert!(forward.is_err());
    assert_eq!(s.thread(a).await.unwrap().len(), 4, "a refused import writes nothing");
}
