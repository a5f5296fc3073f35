//! The discussion under every article, through real HTTP as a browser without JavaScript
//! uses it: posting and replying by form, placeholders, edit and delete rights, votes,
//! sort orders, pages of threads, permalinks, moderation, and every kind of bad input.
//! Every test runs on SQLite and on PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article};
use reqwest::StatusCode;
use tribune_core::article::Article;
use tribune_core::store::{CommentStore, UserStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    guests_post_and_reply_through_plain_forms,
    bad_comments_are_refused_with_the_text_kept_and_nothing_stored,
    a_deleted_comment_with_replies_stays_as_a_placeholder,
    only_the_author_edits_and_deletes_and_only_within_the_window,
    user_text_in_comments_comes_out_inert,
    moderators_hide_and_approve_and_held_comments_show_only_to_their_author,
    closed_discussions_take_no_comments,
    closing_on_one_node_stops_posting_on_the_others_within_seconds,
    readers_register_vote_once_and_sort_by_best,
    big_discussions_come_in_pages_and_permalinks_find_their_page,
    counts_show_on_lists_and_in_metadata,
    a_reply_chain_hundreds_deep_continues_on_further_pages,
    a_flood_of_replies_is_paged_and_every_reply_reachable,
    a_comment_on_one_node_shows_on_every_node,
    a_site_may_take_comments_from_registered_readers_only,
    readers_sign_in_on_the_sites_own_page,
    readers_arriving_together_share_one_render,
    the_cached_page_is_shared_by_strangers_and_commenters_see_their_own,
    an_invented_guest_cookie_gets_the_shared_page,
    signed_in_readers_share_the_discussion_and_get_their_own_buttons,
    authors_see_their_comment_at_once_though_others_see_it_a_moment_later,
);

async fn published(app: &TestApp, title: &str) -> Article {
    app.publish(article(title, &["Ada Writer"], &["Science"], Utc::now() - Duration::hours(1))).await
}

/// Posts through the article's form, as a browser does: the token from the page.
async fn post(b: &Browser, slug: &str, body: &str, name: &str, parent: Option<i64>) -> Page {
    let page = b.get(&format!("/articles/{slug}")).await;
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let fields =
        [("csrf", page.csrf()), ("body", body.into()), ("author_name", name.into()), ("parent_id", parent)];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(&format!("/articles/{slug}/comments"), &fields).await
}

/// The id of the comment a successful post redirected to.
fn posted_id(p: &Page) -> i64 {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    p.header("location").strip_prefix("/comments/").expect("a permalink").parse().unwrap()
}

async fn stored(app: &TestApp, a: &Article) -> usize {
    app.state.store.thread(a.id).await.unwrap().len()
}

async fn guests_post_and_reply_through_plain_forms(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "River Levels").await;
    let ann = app.browser();
    let page = ann.get("/articles/river-levels").await;
    assert!(page.body.contains("id=\"comment-form\"") && page.body.contains("0 comments"), "{}", page.body);

    let first = posted_id(&post(&ann, "river-levels", "The *river* rose.", "Ann", None).await);
    let permalink = ann.get(&format!("/comments/{first}")).await;
    assert_eq!(permalink.status, StatusCode::SEE_OTHER);
    assert_eq!(permalink.header("location"), format!("/articles/river-levels#comment-{first}"));

    // Without JavaScript, "Reply" is a page with the comment and a form that answers it.
    let bob = app.browser();
    let reply_page = bob.get(&format!("/comments/{first}/reply")).await;
    assert_eq!(reply_page.status, StatusCode::OK);
    assert!(
        reply_page.body.contains("The <em>river</em> rose.")
            && reply_page.body.contains(&format!("name=\"parent_id\" value=\"{first}\""))
    );
    let reply = posted_id(&post(&bob, "river-levels", "Did it flood?", "Bob", Some(first)).await);

    app.settle().await;
    let stranger = app.browser().get("/articles/river-levels").await;
    let body = &stranger.body;
    assert!(body.contains("2 comments"), "{body}");
    let at_first = body.find(&format!("id=\"comment-{first}\"")).unwrap();
    let at_reply = body.find(&format!("id=\"comment-{reply}\"")).unwrap();
    assert!(at_first < at_reply, "the reply comes under its parent");
    assert!(
        body.contains(&format!("class=\"comment indent-1\" id=\"comment-{reply}\"")),
        "the reply is indented"
    );
    assert!(!body.contains(">Edit<") && !body.contains(">Delete<"), "strangers get no actions");
    assert!(body.contains(">Ann</span> <span class=\"guest-mark\""), "a guest's name is marked as such");
    let mine = ann.get("/articles/river-levels").await.body;
    assert_eq!(mine.matches(">Edit<").count(), 1, "Ann may edit her own comment only");
    assert_eq!(stored(&app, &a).await, 2);
}

async fn bad_comments_are_refused_with_the_text_kept_and_nothing_stored(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "Careful Words").await;
    let b = app.browser();
    let empty = post(&b, "careful-words", "   ", "Ann", None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.body.contains("Your comment is empty") && empty.body.contains("value=\"Ann\""),
        "{}",
        empty.body
    );

    let long = "x".repeat(10_001);
    let oversized = post(&b, "careful-words", &long, "Ann", None).await;
    assert_eq!(oversized.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        oversized.body.contains("the limit is 10000") && oversized.body.contains(&long),
        "the text is kept"
    );

    let nameless = post(&b, "careful-words", "Hello", "", None).await;
    assert!(
        nameless.status == StatusCode::UNPROCESSABLE_ENTITY && nameless.body.contains("Name is required")
    );

    let orphan = post(&b, "careful-words", "Hello", "Ann", Some(999_999)).await;
    assert_eq!(orphan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(orphan.body.contains("is not a comment on this article"));

    let fields = [("body", "Hello"), ("author_name", "Ann"), ("parent_id", "")];
    let no_token = b.post_form("/articles/careful-words/comments", &fields).await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    let wrong = [("csrf", "forged"), ("body", "Hello"), ("author_name", "Ann")];
    assert_eq!(b.post_form("/articles/careful-words/comments", &wrong).await.status, StatusCode::FORBIDDEN);
    let token = b.csrf().await;
    let bad_parent =
        [("csrf", token.as_str()), ("body", "Hello"), ("author_name", "Ann"), ("parent_id", "x")];
    assert_eq!(
        b.post_form("/articles/careful-words/comments", &bad_parent).await.status,
        StatusCode::BAD_REQUEST
    );
    let unknown = [("csrf", token.as_str()), ("body", "Hello"), ("author_name", "Ann")];
    assert_eq!(
        b.post_form("/articles/no-such-article/comments", &unknown).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored(&app, &a).await, 0, "nothing refused was stored");
}

async fn a_deleted_comment_with_replies_stays_as_a_placeholder(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "Town Meeting").await;
    let (ann, bob) = (app.browser(), app.browser());
    let parent = posted_id(&post(&ann, "town-meeting", "I was there, and it was loud.", "Ann", None).await);
    let reply = posted_id(&post(&bob, "town-meeting", "So was I.", "Bob", Some(parent)).await);
    let token = ann.csrf().await;
    let deleted = ann.post_form(&format!("/comments/{parent}/delete"), &[("csrf", &token)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);

    app.settle().await;
    let page = app.browser().get("/articles/town-meeting").await.body;
    assert!(page.contains("Comment deleted.") && page.contains("So was I."), "{page}");
    assert!(!page.contains("it was loud") && !page.contains(">Ann<"), "nothing of what it said remains");

    let token = bob.csrf().await;
    bob.post_form(&format!("/comments/{reply}/delete"), &[("csrf", &token)]).await;
    app.settle().await;
    let page = app.browser().get("/articles/town-meeting").await.body;
    assert!(!page.contains("So was I."), "a comment without replies disappears");
    assert!(!page.contains(&format!("id=\"comment-{reply}\"")));
    assert_eq!(stored(&app, &a).await, 1, "the placeholder stays in the tree");
}

async fn only_the_author_edits_and_deletes_and_only_within_the_window(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Edits").await;
    let (ann, bob) = (app.browser(), app.browser());
    let id = posted_id(&post(&ann, "edits", "Frist!", "Ann", None).await);
    let form = ann.get(&format!("/comments/{id}/edit")).await;
    assert!(form.status == StatusCode::OK && form.body.contains("Frist!"));
    let saved =
        ann.post_form(&format!("/comments/{id}/edit"), &[("csrf", &form.csrf()), ("body", "First!")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    app.settle().await;
    let page = app.browser().get("/articles/edits").await.body;
    assert!(page.contains("First!") && page.contains(">edited<") && !page.contains("Frist"));
    let empty =
        ann.post_form(&format!("/comments/{id}/edit"), &[("csrf", &form.csrf()), ("body", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another browser, even one that types the same name, is not the author.
    let token = bob.csrf().await;
    assert_eq!(bob.get(&format!("/comments/{id}/edit")).await.status, StatusCode::FORBIDDEN);
    let taken = bob.post_form(&format!("/comments/{id}/edit"), &[("csrf", &token), ("body", "pwned")]).await;
    assert_eq!(taken.status, StatusCode::FORBIDDEN);
    let gone = bob.post_form(&format!("/comments/{id}/delete"), &[("csrf", &token)]).await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN);
    assert!(app.browser().get("/articles/edits").await.body.contains("First!"));

    // With a window of zero minutes, the author's time is up at once.
    let strict = TestApp::with_config(TestDatabase::sqlite().await, |c| c.comment_edit_minutes = 0).await;
    published(&strict, "Strict").await;
    let carl = strict.browser();
    let id = posted_id(&post(&carl, "strict", "Typo", "Carl", None).await);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = carl.csrf().await;
    let late = carl.post_form(&format!("/comments/{id}/edit"), &[("csrf", &token), ("body", "Fixed")]).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    assert!(late.body.contains("time to edit this comment has passed"), "{}", late.body);
    let late = carl.post_form(&format!("/comments/{id}/delete"), &[("csrf", &token)]).await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
}

async fn user_text_in_comments_comes_out_inert(db: TestDatabase) {
    let app = TestApp::with_config(db, common::without_rate_limits).await;
    published(&app, "Attack Surface").await;
    let b = app.browser();
    let attacks = [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)><circle/></svg>",
        "![x](javascript:alert(1))",
        "[a](<javascript:alert(1)>) and [b](JaVaScRiPt:alert(1)) and <javascript:alert(1)>",
        "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
        "<iframe src=https://evil.example></iframe><style>body{display:none}</style>",
        "[entity](javascript&#58;alert(1)) [tab](java\tscript:alert(1)) [vb](vbscript:msgbox(1))",
        "[ref][1]\n\n[1]: javascript:alert(1)",
        "<details open ontoggle=alert(1)>x</details> <form action=https://evil.example><button>go</button></form>",
        "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    ];
    for attack in attacks {
        posted_id(&post(&b, "attack-surface", attack, "\"><script>alert('name')</script>", None).await);
    }
    app.settle().await;
    let page = app.browser().get("/articles/attack-surface").await.body;
    let discussion = &page[page.find("id=\"comments\"").unwrap()..];
    for banned in [
        "<script>alert",
        "href=\"javascript:",
        "href=\"JaVaScRiPt:",
        "href=\"data:",
        "onerror",
        "onload",
        "onclick",
        "<svg",
        "<iframe",
        "<style",
        "<img",
    ] {
        assert!(!discussion.contains(banned), "{banned} survived in {discussion}");
    }
    assert!(
        discussion.contains("&#34;&#62;&#60;script&#62;alert(&#39;name&#39;)&#60;/script&#62;"),
        "the name is escaped: {discussion}"
    );
}

async fn moderators_hide_and_approve_and_held_comments_show_only_to_their_author(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.comments_hold_for_review = true).await;
    published(&app, "Held Back").await;
    let ann = app.browser();
    let id = posted_id(&post(&ann, "held-back", "Please approve me.", "Ann", None).await);
    let own = ann.get("/articles/held-back").await.body;
    assert!(own.contains("Please approve me.") && own.contains("awaiting moderation"));
    let stranger = app.browser().get("/articles/held-back").await.body;
    assert!(!stranger.contains("Please approve me."));

    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let held = mo.get("/articles/held-back").await;
    assert!(held.body.contains("Please approve me.") && held.body.contains("value=\"approve\""));
    let approved = mo
        .post_form(&format!("/comments/{id}/moderate"), &[("csrf", &held.csrf()), ("action", "approve")])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    app.settle().await;
    assert!(app.browser().get("/articles/held-back").await.body.contains("Please approve me."));

    let hidden = mo
        .post_form(&format!("/comments/{id}/moderate"), &[("csrf", &held.csrf()), ("action", "hide")])
        .await;
    assert_eq!(hidden.status, StatusCode::SEE_OTHER);
    app.settle().await;
    assert!(!app.browser().get("/articles/held-back").await.body.contains("Please approve me."));
    assert!(mo.get("/articles/held-back").await.body.contains("hidden by a moderator"));

    // Readers cannot moderate, even with a valid token.
    let token = ann.csrf().await;
    let refused =
        ann.post_form(&format!("/comments/{id}/moderate"), &[("csrf", &token), ("action", "approve")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let removed = mo
        .post_form(&format!("/comments/{id}/moderate"), &[("csrf", &held.csrf()), ("action", "delete")])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(app.state.store.comment(id).await.unwrap().is_none());
}

async fn closed_discussions_take_no_comments(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "Closed Case").await;
    let b = app.browser();
    posted_id(&post(&b, "closed-case", "Before closing.", "Ann", None).await);
    let reader = app.signed_in("Rex Reader", Role::Reader).await;
    let token = reader.csrf().await;
    let close = format!("/admin/articles/{}/comments", a.id);
    assert_eq!(
        reader.post_form(&close, &[("csrf", &token), ("closed", "1")]).await.status,
        StatusCode::FORBIDDEN
    );
    let editor = app.signed_in("Eve Editor", Role::Editor).await;
    let form = editor.get(&format!("/admin/articles/{}", a.id)).await;
    assert!(form.body.contains("Close comments"));
    let closed = editor.post_form(&close, &[("csrf", &form.csrf()), ("closed", "1")]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert!(editor.get(&format!("/admin/articles/{}", a.id)).await.body.contains("Reopen comments"));
    let page = b.get("/articles/closed-case").await;
    assert!(
        page.body.contains("comments are closed on this article") && page.body.contains("Before closing.")
    );
    assert!(!page.body.contains("id=\"comment-form\""));
    let token = b.csrf().await;
    let refused = b
        .post_form(
            "/articles/closed-case/comments",
            &[("csrf", &token), ("body", "After"), ("author_name", "Ann")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(&app, &a).await, 1);
    let reopened = editor.post_form(&close, &[("csrf", &form.csrf()), ("closed", "0")]).await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER);
    assert!(app.browser().get("/articles/closed-case").await.body.contains("id=\"comment-form\""));

    // A site may close every discussion some days after publication.
    let old = TestApp::with_config(TestDatabase::sqlite().await, |c| c.comments_close_after_days = 30).await;
    old.publish(article("Old News", &["Ada"], &[], Utc::now() - Duration::days(31))).await;
    old.publish(article("Fresh News", &["Ada"], &[], Utc::now() - Duration::days(1))).await;
    let b = old.browser();
    assert!(!b.get("/articles/old-news").await.body.contains("id=\"comment-form\""));
    let token = b.csrf().await;
    let late = b
        .post_form(
            "/articles/old-news/comments",
            &[("csrf", &token), ("body", "Late"), ("author_name", "Ann")],
        )
        .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
    posted_id(&post(&b, "fresh-news", "In time", "Ann", None).await);
}

async fn readers_register_vote_once_and_sort_by_best(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Ranked").await;
    let guest = app.browser();
    let low = posted_id(&post(&guest, "ranked", "Older and worse.", "Ann", None).await);
    let high = posted_id(&post(&guest, "ranked", "Newer and better.", "Bob", None).await);

    let reader = app.browser();
    let form = reader.get("/register?next=/articles/ranked").await;
    let fields = [
        ("csrf", form.csrf()),
        ("name", "Rita Reader".into()),
        ("email", "rita@example.org".into()),
        ("password", "long enough pw".into()),
        ("next", "/articles/ranked".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let registered = reader.post_form("/register", &fields).await;
    assert_eq!(
        (registered.status, registered.header("location")),
        (StatusCode::SEE_OTHER, "/articles/ranked")
    );
    let stale = reader.post_form("/register", &fields).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "registering signs in, which rotates the token");
    let fresh = reader.csrf().await;
    let fields: Vec<(&str, &str)> =
        fields.iter().map(|&(k, v)| if k == "csrf" { (k, fresh.as_str()) } else { (k, v) }).collect();
    let again = reader.post_form("/register", &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "an email registers once");
    assert_eq!(reader.get("/admin").await.status, StatusCode::FORBIDDEN, "readers have no admin");
    // A reader who registers under a journalist's name does not take over the byline.
    let namesake = app.browser();
    let form = namesake.get("/register").await;
    let fields = [
        ("csrf", form.csrf()),
        ("name", "Ada Writer".into()),
        ("email", "fan@example.org".into()),
        ("password", "long enough pw".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(namesake.post_form("/register", &fields).await.status, StatusCode::SEE_OTHER);
    let (fan, _) = app.state.store.user_credentials("fan@example.org").await.unwrap().unwrap();
    assert_eq!((fan.role, fan.author), (Role::Reader, None));

    let page = reader.get("/articles/ranked").await;
    assert!(page.body.contains("Commenting as Rita Reader"));
    let token = page.csrf();
    for _ in 0..2 {
        let voted =
            reader.post_form(&format!("/comments/{high}/vote"), &[("csrf", &token), ("value", "up")]).await;
        assert_eq!(voted.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(app.state.store.comment(high).await.unwrap().unwrap().score, 1, "one vote per reader");
    reader.post_form(&format!("/comments/{low}/vote"), &[("csrf", &token), ("value", "down")]).await;
    let second = app.signed_in("Sam Second", Role::Reader).await;
    let token2 = second.csrf().await;
    second.post_form(&format!("/comments/{high}/vote"), &[("csrf", &token2), ("value", "up")]).await;
    assert_eq!(app.state.store.comment(high).await.unwrap().unwrap().score, 2);
    second.post_form(&format!("/comments/{high}/vote"), &[("csrf", &token2), ("value", "none")]).await;
    assert_eq!(app.state.store.comment(high).await.unwrap().unwrap().score, 1, "a vote can be taken back");
    let bad =
        reader.post_form(&format!("/comments/{high}/vote"), &[("csrf", &token), ("value", "sideways")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let anonymous = app.browser();
    let t = anonymous.csrf().await;
    let refused =
        anonymous.post_form(&format!("/comments/{high}/vote"), &[("csrf", &t), ("value", "up")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "guests cannot vote");

    let own = posted_id(&post(&reader, "ranked", "My own.", "ignored", None).await);
    let selfish =
        reader.post_form(&format!("/comments/{own}/vote"), &[("csrf", &token), ("value", "up")]).await;
    assert_eq!(selfish.status, StatusCode::FORBIDDEN, "nobody votes on their own comment");
    app.settle().await;
    assert!(
        app.browser().get("/articles/ranked").await.body.contains(">Rita Reader<"),
        "signed-in readers comment under their name"
    );
    let shown = app.browser().get("/articles/ranked").await.body;
    assert!(shown.contains(">1 point<") && shown.contains(">-1 point<"), "scores show once there are votes");
    let order = |body: &str| [low, high, own].map(|id| body.find(&format!("id=\"comment-{id}\"")).unwrap());
    let oldest = order(&app.browser().get("/articles/ranked").await.body);
    assert!(oldest[0] < oldest[1] && oldest[1] < oldest[2]);
    let best = order(&app.browser().get("/articles/ranked?sort=best").await.body);
    assert!(best[1] < best[2] && best[2] < best[0], "score 1, then 0, then -1");
    let newest = order(&app.browser().get("/articles/ranked?sort=newest").await.body);
    assert!(newest[2] < newest[1] && newest[1] < newest[0]);
    assert_eq!(app.browser().get("/articles/ranked?sort=loudest").await.status, StatusCode::BAD_REQUEST);
}

async fn big_discussions_come_in_pages_and_permalinks_find_their_page(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| {
        c.comment_threads_per_page = 3;
        common::without_rate_limits(c);
    })
    .await;
    published(&app, "Busy").await;
    let b = app.browser();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(posted_id(&post(&b, "busy", &format!("Thread {i}"), "Ann", None).await));
    }
    let deep = posted_id(&post(&b, "busy", "Deep in thread 5", "Bob", Some(ids[5])).await);
    app.settle().await;
    let first = app.browser().get("/articles/busy").await.body;
    assert!(first.contains("Thread 2") && !first.contains("Thread 3"));
    let more = format!("/articles/busy?sort=oldest&#38;after={}#comments", ids[2]);
    assert!(first.contains(&more), "a link to the next page: {first}");
    let second = app.browser().get(&format!("/articles/busy?sort=oldest&after={}", ids[2])).await.body;
    assert!(
        second.contains("Thread 3") && second.contains("Thread 5") && second.contains("Deep in thread 5")
    );
    assert!(!second.contains("Thread 2") && !second.contains("Thread 6"));
    let fragment = app.browser().get(&format!("/articles/busy/comments?sort=oldest&after={}", ids[5])).await;
    assert!(fragment.body.contains("Thread 6") && !fragment.body.contains("<html"), "the script's fragment");

    let link = app.browser().get(&format!("/comments/{deep}")).await;
    assert_eq!(
        link.header("location"),
        format!("/articles/busy?sort=oldest&after={}#comment-{deep}", ids[5] - 1)
    );
    let thread_link = app.browser().get(&format!("/comments/{}", ids[5])).await;
    assert_eq!(
        thread_link.header("location"),
        format!("/articles/busy?sort=oldest&after={}#comment-{}", ids[5] - 1, ids[5])
    );
    let target = app.browser().get(link.header("location").split('#').next().unwrap()).await.body;
    assert!(target.contains(&format!("id=\"comment-{deep}\"")));
    assert_eq!(app.browser().get("/articles/busy?after=nonsense").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.browser().get("/comments/999999").await.status, StatusCode::NOT_FOUND);
}

async fn counts_show_on_lists_and_in_metadata(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Counted").await;
    let b = app.browser();
    for name in ["Ann", "Bob", "Cy"] {
        posted_id(&post(&b, "counted", "Hello", name, None).await);
    }
    app.settle().await;
    let front = app.browser().get("/").await.body;
    assert!(front.contains("href=\"/articles/counted#comments\">3 comments</a>"), "{front}");
    let tag = app.browser().get("/tags/science").await.body;
    assert!(tag.contains("3 comments"));
    let page = app.browser().get("/articles/counted").await.body;
    assert!(page.contains("\"commentCount\":3") && page.contains("3 comments"));
}

async fn the_cached_page_is_shared_by_strangers_and_commenters_see_their_own(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Cached").await;
    let (one, two) = (app.browser(), app.browser());
    let a = one.get("/articles/cached").await;
    let b = two.get("/articles/cached").await;
    assert_ne!(a.csrf(), b.csrf(), "each browser gets its own token in the shared page");
    assert_eq!(a.body.replace(&a.csrf(), ""), b.body.replace(&b.csrf(), ""));
    assert!(a.header("cache-control").contains("private"));
    let again = one.get("/articles/cached").await;
    assert_eq!(again.csrf(), a.csrf(), "a browser keeps its token");
    // The form from the cached page works.
    posted_id(&post(&one, "cached", "From the cached page.", "Ann", None).await);
    assert!(
        one.get("/articles/cached").await.body.contains("From the cached page."),
        "its author sees it at once"
    );
    // A stranger's shared page follows within moments, without anyone settling it.
    let seen = common::eventually(5, || async {
        two.get("/articles/cached").await.body.contains("From the cached page.")
    })
    .await;
    assert!(seen, "the shared page shows the new comment within seconds");
}

/// Stores a discussion at once, as an import does: `(parent index, body)` in order.
async fn import(app: &TestApp, a: &Article, comments: &[(Option<usize>, String)]) -> Vec<i64> {
    use tribune_core::comment::{CommentInput, CommentStatus, validate};
    use tribune_core::store::ImportedComment;
    let comments: Vec<ImportedComment> = comments
        .iter()
        .enumerate()
        .map(|(i, (parent, body))| {
            let input =
                CommentInput { body: body.clone(), author_name: Some(format!("P{i}")), ..Default::default() };
            ImportedComment {
                parent: *parent,
                comment: validate(&input, None).unwrap(),
                status: CommentStatus::Published,
                created_at: Utc::now(),
                source: None,
            }
        })
        .collect();
    let ids = app.state.store.import_comments(a.id, &comments).await.unwrap();
    app.state.invalidate(tribune::cache::keys_of(a)).await;
    ids
}

/// The ids of the comments a page shows, in order.
fn comment_ids(body: &str) -> Vec<i64> {
    body.split("class=\"comment indent-")
        .skip(1)
        .map(|rest| {
            let at = rest.find("data-id=\"").unwrap() + "data-id=\"".len();
            rest[at..].split('"').next().unwrap().parse().unwrap()
        })
        .collect()
}

/// The targets of the links with this text on a page, unescaped.
fn links(body: &str, text: &str) -> Vec<String> {
    let marker = format!("\">{text}</a>");
    body.match_indices(&marker)
        .map(|(at, _)| {
            let start = body[..at].rfind("href=\"").unwrap() + "href=\"".len();
            body[start..at].split('"').next().unwrap().replace("&#38;", "&")
        })
        .collect()
}

async fn a_reply_chain_hundreds_deep_continues_on_further_pages(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "Deep").await;
    let chain: Vec<_> = (0..400usize).map(|i| (i.checked_sub(1), format!("Link {i}"))).collect();
    let ids = import(&app, &a, &chain).await;
    let b = app.browser();
    let mut page = b.get("/articles/deep").await.body;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let shown = comment_ids(&page);
        // Its top and 8 levels below, under the comment they answer (on a page of replies).
        assert!(shown.len() <= 10, "a page goes 8 levels below its top: {}", shown.len());
        seen.extend(shown);
        let Some(next) = links(&page, "Continue this thread →").pop() else { break };
        page = b.get(&next).await.body;
        assert!(page.contains("class=\"thread replies-of\""), "a page of replies, under their parent");
    }
    seen.dedup();
    assert_eq!(seen, ids, "following the links reaches every link of the chain, in order");
    assert!(page.contains("Link 399"));
    // Past the path's depth limit, the deepest comment's permalink still finds it.
    let link = b.get(&format!("/comments/{}", ids[399])).await;
    let target = b.get(link.header("location").split('#').next().unwrap()).await.body;
    assert!(target.contains(&format!("id=\"comment-{}\"", ids[399])) && target.contains("Link 399"));
    let deepest = app.state.store.comment(ids[399]).await.unwrap().unwrap();
    assert_eq!((deepest.depth, deepest.root_id), (399, ids[0]));
}

async fn a_flood_of_replies_is_paged_and_every_reply_reachable(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.comment_threads_per_page = 200).await;
    let a = published(&app, "Flooded").await;
    let long = |i: usize| format!("{i} {}", "x".repeat(9_990));
    // A thread with 1,500 long replies, then 120 long top-level comments.
    let mut flood: Vec<_> = vec![(None, long(0))];
    flood.extend((1..=1_500).map(|i| (Some(0), long(i))));
    flood.extend((1_501..=1_620).map(|i| (None, long(i))));
    let ids = import(&app, &a, &flood).await;
    let b = app.browser();
    let first = b.get("/articles/flooded").await.body;
    assert!(first.len() < 1_200_000, "the page stops near 1 MB of text: {} bytes", first.len());
    let shown = comment_ids(&first);
    assert_eq!(shown[..11], ids[..11], "the thread's first ten replies");
    assert!(!shown.contains(&ids[11]));

    // "More replies" reaches every reply, a bounded page at a time.
    let mut replies: Vec<i64> = shown[1..11].to_vec();
    let mut next = links(&first, "More replies");
    assert_eq!(next.len(), 1, "one link, under the flooded thread");
    assert!(next[0].starts_with(&format!("/comments/{}/replies", ids[0])));
    let mut pages = 0;
    while let Some(href) = next.pop() {
        let page = b.get(&href).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.len() < 1_200_000);
        replies.extend(comment_ids(&page.body).into_iter().filter(|id| *id != ids[0]));
        next = links(&page.body, "More replies");
        pages += 1;
        assert!(pages < 200, "the links end");
    }
    assert_eq!(replies, ids[1..=1_500], "every reply, once, in order");

    // The top-level comments the size cap left off are on the next pages.
    let mut tops: Vec<i64> = shown.iter().copied().filter(|id| *id == ids[0] || *id > ids[1_500]).collect();
    let mut more = links(&first, "More comments");
    while let Some(href) = more.pop() {
        let page = b.get(&href).await.body;
        assert!(page.len() < 1_200_000);
        tops.extend(comment_ids(&page));
        more = links(&page, "More comments");
    }
    let mut expected = vec![ids[0]];
    expected.extend(&ids[1_501..]);
    assert_eq!(tops, expected, "every top-level comment, once");
    // With the script, a page of replies comes as a fragment to put in place.
    let fragment = b
        .send_with(
            &format!("/comments/{}/replies?sort=oldest&after={}", ids[0], ids[10]),
            "x-tribune-fragment",
        )
        .await;
    assert!(!fragment.body.contains("<html") && comment_ids(&fragment.body)[0] == ids[11]);
    assert!(fragment.body.contains("class=\"comment indent-1\""), "indented as on the article's page");
    // A late reply's permalink lands on a page that shows it.
    let late = b.get(&format!("/comments/{}", ids[1_400])).await;
    let target = b.get(late.header("location").split('#').next().unwrap()).await.body;
    assert!(comment_ids(&target).contains(&ids[1_400]));
}

/// Posts to an article whose page may no longer have the form: the token from another page.
async fn post_without_form(b: &Browser, slug: &str, body: &str) -> StatusCode {
    let token = b.csrf().await;
    let fields = [("csrf", token.as_str()), ("body", body), ("author_name", "Ann")];
    b.post_form(&format!("/articles/{slug}/comments"), &fields).await.status
}

async fn closing_on_one_node_stops_posting_on_the_others_within_seconds(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let a = published(&app, "Closing Everywhere").await;
    let (second, stop) = app.second_node().await;
    let there = Browser::new(&second);
    // A post there first: the second node now keeps the article for the next posts.
    posted_id(&post(&there, "closing-everywhere", "Before closing, over there.", "Ann", None).await);
    let editor = app.signed_in("Eve Editor", Role::Editor).await;
    let form = editor.get(&format!("/admin/articles/{}", a.id)).await;
    let close = format!("/admin/articles/{}/comments", a.id);
    let closed = editor.post_form(&close, &[("csrf", &form.csrf()), ("closed", "1")]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let here = post_without_form(&app.browser(), "closing-everywhere", "Here, after.").await;
    assert_eq!(here, StatusCode::FORBIDDEN, "the node that closed it refuses at once");
    let refused = common::eventually(5, || async {
        post_without_form(&there, "closing-everywhere", "There, after.").await == StatusCode::FORBIDDEN
    })
    .await;
    assert!(refused, "the other node stops taking comments within seconds");
    let _ = stop.send(());
}

async fn a_comment_on_one_node_shows_on_every_node(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Two Nodes").await;
    let (second, stop) = app.second_node().await;
    let there = Browser::new(&second);
    assert!(there.get("/articles/two-nodes").await.body.contains("0 comments"), "cached on the second node");

    posted_id(&post(&app.browser(), "two-nodes", "Posted on the first node.", "Ann", None).await);
    let seen = common::eventually(10, || async {
        there.get("/articles/two-nodes").await.body.contains("Posted on the first node.")
    })
    .await;
    assert!(seen, "the second node drops its cached page within seconds");
    let _ = stop.send(());
}

async fn a_site_may_take_comments_from_registered_readers_only(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| c.comments_allow_guests = false).await;
    let a = published(&app, "Members Only").await;
    let guest = app.browser();
    let page = guest.get("/articles/members-only").await;
    assert!(page.body.contains("to comment") && !page.body.contains("id=\"comment-form\""), "{}", page.body);
    let token = guest.csrf().await;
    let refused = guest
        .post_form(
            "/articles/members-only/comments",
            &[("csrf", &token), ("body", "Hi"), ("author_name", "Gus")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("does not take comments from guests"));
    let reader = app.signed_in("Rae Reader", Role::Reader).await;
    let page = reader.get("/articles/members-only").await;
    let form = [
        ("csrf", page.csrf()),
        ("body", "Signed in.".to_owned()),
        ("author_email", "rae@example.org".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    posted_id(&reader.post_form("/articles/members-only/comments", &form).await);
    app.settle().await;
    let shown = app.browser().get("/articles/members-only").await.body;
    assert!(
        shown.contains("Signed in.") && shown.contains(">Rae Reader</span> · "),
        "no guest mark on a reader"
    );
    assert!(!shown.contains("rae@example.org") && !shown.contains("example.org"), "no email is ever shown");
    assert_eq!(stored(&app, &a).await, 1);
}

async fn readers_sign_in_on_the_sites_own_page(db: TestDatabase) {
    let app = TestApp::new(db).await;
    let (email, password) = app.add_user("Rae Reader", Role::Reader).await;
    let reader = app.browser();
    let page = reader.get("/login?next=/articles/a%23comments").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<title>Sign in · Test Gazette</title>"), "{}", page.body);
    assert!(!page.body.contains("Test Gazette admin"), "a reader is not sent into the admin");
    assert!(page.body.contains("href=\"/register?next=/articles/a#comments\""), "{}", page.body);

    let form =
        |password: &str| [("csrf", page.csrf()), ("email", email.clone()), ("password", password.to_owned())];
    let wrong = form("not it");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = reader.post_form("/login", &wrong).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused.body.contains("Wrong email or password.") && refused.body.contains("Sign in · Test Gazette")
    );
    assert!(refused.body.contains(&format!("value=\"{email}\"")), "the address typed is kept");

    // Without a page to go back to, a reader lands on the front page, not the admin.
    let right = form(&password);
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed_in = reader.post_form("/login", &right).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.header("location"), "/");
    assert!(app.browser().get("/admin/login").await.body.contains("Test Gazette admin"), "staff keep theirs");
}

async fn readers_arriving_together_share_one_render(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Crowded").await;
    posted_id(&post(&app.browser(), "crowded", "A comment to render.", "Ann", None).await);
    app.settle().await;
    let before = app.state.cache.pages_stored();
    let readers: Vec<_> = (0..32)
        .map(|_| {
            let url = app.url.clone();
            tokio::spawn(async move { Browser::new(&url).get("/articles/crowded").await })
        })
        .collect();
    for reader in readers {
        let page = reader.await.unwrap();
        assert!(page.status == StatusCode::OK && page.body.contains("A comment to render."));
    }
    assert_eq!(app.state.cache.pages_stored() - before, 1, "32 readers at once, one render");
}

/// The page a stranger shares, with the reader's token taken out, and its ETag without the
/// token's part: equal for two readers who get the same cached page.
fn shared_part(p: &Page) -> (String, String) {
    assert_eq!(p.status, StatusCode::OK);
    let etag = p.header("etag");
    assert!(!etag.is_empty(), "a cached page has an ETag");
    // The token's part is its hash's first 8 characters, after a dash.
    let etag = etag.trim_matches('"');
    (p.body.replace(&p.csrf(), ""), etag[..etag.len() - 9].to_owned())
}

async fn an_invented_guest_cookie_gets_the_shared_page(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Open House").await;
    published(&app, "Quiet Corner").await;
    let ann = app.browser();
    let id = posted_id(&post(&ann, "open-house", "I was there.", "Ann", None).await);
    app.settle().await;
    let stranger = shared_part(&app.browser().get("/articles/open-house").await);

    // Made-up values, and the real cookie tampered with, count as no cookie at all.
    let real = ann.cookie("tribune_guest").expect("a guest cookie after a first comment");
    for invented in ["x", "bench", "abc.def", &format!("{real}x"), real.split('.').next().unwrap()] {
        let forger = app.browser();
        forger.set_cookie("tribune_guest", invented);
        let page = forger.get("/articles/open-house").await;
        assert_eq!(shared_part(&page), stranger, "{invented}");
        assert!(!page.body.contains(">Edit<"));
    }

    // The real guest keeps the buttons of its comment, on a page rendered for it...
    let own = ann.get("/articles/open-house").await;
    assert!(own.body.contains(&format!("action=\"/comments/{id}/delete\"")) && own.body.contains(">Edit<"));
    assert!(own.header("etag").is_empty(), "rendered for this reader");
    // ...and shares the strangers' page where it has nothing of its own.
    let elsewhere = shared_part(&ann.get("/articles/quiet-corner").await);
    assert_eq!(elsewhere, shared_part(&app.browser().get("/articles/quiet-corner").await));
}

/// The actions under comment `id` on a page: the text of its `comment-actions` block.
fn actions_of(body: &str, id: i64) -> &str {
    let start = body.find(&format!("id=\"comment-{id}\"")).expect("the comment is on the page");
    let block = &body[start..];
    let from = block.find("class=\"comment-actions\"").unwrap();
    &block[from..from + block[from..].find("</div>").unwrap()]
}

async fn signed_in_readers_share_the_discussion_and_get_their_own_buttons(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Town Hall").await;
    let guest = app.browser();
    let theirs = posted_id(&post(&guest, "town-hall", "A guest's view.", "Gil", None).await);
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    let mine = posted_id(&post(&rita, "town-hall", "Rita's view.", "ignored", None).await);
    let sam = app.signed_in("Sam Second", Role::Reader).await;
    let token = sam.csrf().await;
    sam.post_form(&format!("/comments/{theirs}/vote"), &[("csrf", &token), ("value", "down")]).await;
    app.settle().await;

    let page = rita.get("/articles/town-hall").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("cache-control").contains("private") && page.header("etag").is_empty());
    assert!(page.body.contains("Commenting as Rita Reader") && !page.body.contains("<!--tribune:"));
    let own = actions_of(&page.body, mine);
    assert!(own.contains(">Edit<") && own.contains(">Delete<") && !own.contains("Vote up"), "{own}");
    let other = actions_of(&page.body, theirs);
    assert!(other.contains("Vote up") && !other.contains(">Edit<") && other.contains("-1 point"), "{other}");
    assert!(
        other.contains(&format!("name=\"csrf\" value=\"{}\"", page.csrf())),
        "her own token in its forms"
    );
    assert!(other.contains("value=\"down\" aria-pressed=\"false\""), "Rita has not voted");

    // Sam's page is filled from the same discussion, with his vote pressed.
    let his = sam.get("/articles/town-hall").await.body;
    let other = actions_of(&his, theirs);
    assert!(other.contains("value=\"none\" aria-pressed=\"true\""), "his down vote shows: {other}");
    assert!(actions_of(&his, mine).contains("Vote up") && !actions_of(&his, mine).contains(">Edit<"));
    assert!(his.contains("Commenting as Sam Second"));
    // A stranger still gets the plain shared page.
    let stranger = app.browser().get("/articles/town-hall").await.body;
    assert!(!actions_of(&stranger, theirs).contains("Vote up") && stranger.contains("-1 point"));
    // A new comment shows on the readers' pages once the burst is applied.
    posted_id(&post(&guest, "town-hall", "Later words.", "Gil", None).await);
    app.settle().await;
    assert!(sam.get("/articles/town-hall").await.body.contains("Later words."));
}

/// Readers' pages are filled from one shared discussion, dropped only a moment after each
/// comment; its author, sent back to the article at once, must find their comment there.
async fn authors_see_their_comment_at_once_though_others_see_it_a_moment_later(db: TestDatabase) {
    let app = TestApp::new(db).await;
    published(&app, "Quick Reply").await;
    let rita = app.signed_in("Rita Reader", Role::Reader).await;
    let sam = app.signed_in("Sam Second", Role::Reader).await;
    let guest = app.browser();
    // Sam's visit keeps the shared discussion that readers' pages are filled from.
    assert_eq!(sam.get("/articles/quick-reply").await.status, StatusCode::OK);
    let mine = posted_id(&post(&rita, "quick-reply", "Rita answers right away.", "ignored", None).await);
    let page = rita.get("/articles/quick-reply").await;
    assert!(page.body.contains("Rita answers right away."), "her own page shows it at once");
    assert!(actions_of(&page.body, mine).contains(">Edit<"));
    posted_id(&post(&guest, "quick-reply", "Gil's quick word.", "Gil", None).await);
    assert!(guest.get("/articles/quick-reply").await.body.contains("Gil's quick word."), "a guest's too");
    app.settle().await;
    let his = sam.get("/articles/quick-reply").await.body;
    assert!(his.contains("Rita answers right away.") && his.contains("Gil's quick word."));
}
