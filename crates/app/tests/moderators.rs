//! Moderators at work, on both databases: the queue with its reasons, decisions through
//! HTTP (one outcome when two moderators act at once, the second told so with 409), bans
//! of each kind and their expiry, shadow holds, removing a banned author's comments, the
//! audit log and its CSV, the queue's forms and CSRF, and the command line.

mod common;

use std::process::Command;

use chrono::{Duration, Utc};
use common::{Browser, Page, TestApp, article};
use reqwest::StatusCode;
use tribune_core::comment::{CommentInput, CommentStatus, Viewer};
use tribune_core::discussion::{DiscussionError, Origin, post_comment};
use tribune_core::moderators::bans::{BanRequest, ban};
use tribune_core::moderators::{Actor, BanKind, BanTarget, ModerationError, Verdict, decide};
use tribune_core::store::{ArticleStore, CommentStore};
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    the_queue_lists_held_comments_with_reasons_and_the_nav_counts_them,
    approving_publishes_and_rejecting_hides_with_counts_kept,
    two_moderators_at_once_leave_one_outcome_and_the_second_gets_409,
    bulk_actions_decide_each_chosen_comment,
    bans_of_each_kind_refuse_until_they_expire,
    a_banned_guest_is_refused_over_http_with_the_reason,
    shadow_mode_holds_a_banned_posters_comment_where_only_they_see_it,
    banning_with_removal_rejects_the_authors_other_comments,
    the_pages_own_moderation_is_audited_too,
    the_log_filters_and_exports_safe_csv,
    the_queues_forms_refuse_missing_and_foreign_tokens,
    the_command_line_lists_decides_and_bans,
    the_queue_pages_by_keyset_under_a_flood,
);

async fn site(db: TestDatabase, hold: bool) -> (TestApp, tribune_core::article::Article) {
    site_with(db, move |c| c.comments_hold_for_review = hold).await
}

async fn site_with(
    db: TestDatabase,
    adjust: impl FnOnce(&mut tribune::config::Config),
) -> (TestApp, tribune_core::article::Article) {
    let app = TestApp::with_config(db, |c| {
        common::without_rate_limits(c);
        adjust(c);
    })
    .await;
    let a = app.publish(article("Open Door", &["Ada Writer"], &[], Utc::now() - Duration::hours(1))).await;
    (app, a)
}

async fn post(b: &Browser, body: &str, name: &str) -> i64 {
    b.post_comment("open-door", body, name).await.comment_id()
}

async fn try_post(b: &Browser, body: &str, name: &str, email: &str) -> Page {
    let csrf = b.get("/articles/open-door").await.csrf();
    let fields = [("csrf", csrf.as_str()), ("body", body), ("author_name", name), ("author_email", email)];
    b.post_form("/articles/open-door/comments", &fields).await
}

async fn status(app: &TestApp, id: i64) -> Option<CommentStatus> {
    app.state.store.comment(id).await.unwrap().map(|c| c.status)
}

async fn count(app: &TestApp, slug: &str) -> i64 {
    let slug = tribune_core::slug::Slug::parse(slug).unwrap();
    app.state.store.article_by_slug(&slug).await.unwrap().unwrap().comment_count
}

async fn decide_http(b: &Browser, id: i64, verdict: &str, seen: &str) -> Page {
    let csrf = b.get("/admin/moderation").await.csrf();
    let fields = [("csrf", csrf.as_str()), ("verdict", verdict), ("seen", seen)];
    b.post_form(&format!("/admin/moderation/{id}/decide"), &fields).await
}

async fn the_queue_lists_held_comments_with_reasons_and_the_nav_counts_them(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let first = post(&guest, "First held <b>words</b> from a guest.", "Gus <Guest>").await;
    let reply_csrf = guest.get("/articles/open-door").await.csrf();
    let fields = [
        ("csrf", reply_csrf.as_str()),
        ("body", "A reply to the first."),
        ("author_name", "Other Name"),
        ("parent_id", &first.to_string()),
    ];
    let second = guest.post_form("/articles/open-door/comments", &fields).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER, "{}", second.body);

    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let q = mo.get("/admin/moderation").await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    let (a, b) =
        (q.body.find(&format!("id=\"q{first}\"")).unwrap(), q.body.find("A reply to the first").unwrap());
    assert!(a < b, "oldest first");
    assert!(q.body.contains("Open Door") && q.body.contains("href=\"/articles/open-door\""), "its article");
    assert!(q.body.contains("pre-moderation"), "the reason it was held");
    assert!(
        q.body.contains("In reply to Gus &#60;Guest&#62;")
            || q.body.contains("In reply to Gus &lt;Guest&gt;"),
        "the parent, escaped"
    );
    assert!(q.body.contains("same address as: Gus"), "address siblings: {}", q.body);
    assert!(!q.body.contains("<Guest>"), "names are escaped");
    assert!(q.body.contains("2 waiting"));
    assert!(q.body.contains("class=\"count\">2<"), "the nav counts them");
    let script = q.body.split("<script src=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    assert!(script.starts_with("/assets/moderation."), "{script}");
    let js = mo.get(script).await;
    assert!(js.body.contains("keydown"));

    let author = app.signed_in("Ann Author", Role::Author).await;
    assert_eq!(author.get("/admin/moderation").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.browser().get("/admin/moderation").await.status, StatusCode::SEE_OTHER, "sign in first");
}

async fn approving_publishes_and_rejecting_hides_with_counts_kept(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let good = post(&guest, "A fair point, well made.", "Gus").await;
    let spam = post(&guest, "Buy cheap watches at example dot com now.", "Spammy").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    assert!(!app.browser().get("/articles/open-door").await.body.contains("A fair point"), "held");

    let res = decide_http(&mo, good, "approve", "pending").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(status(&app, good).await, Some(CommentStatus::Published));
    assert_eq!(count(&app, "open-door").await, 1);
    app.settle().await;
    assert!(
        app.browser().get("/articles/open-door").await.body.contains("A fair point"),
        "the page was dropped"
    );

    let res = decide_http(&mo, spam, "reject-spam", "pending").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(status(&app, spam).await, Some(CommentStatus::Rejected));
    assert_eq!(count(&app, "open-door").await, 1);
    let q = mo.get(res.header("location")).await;
    assert!(q.body.contains("1 comment decided."), "{}", q.body);
    assert!(q.body.contains("Nothing is waiting"));

    let bad = decide_http(&mo, spam, "launder", "rejected").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("verdict"), "names the field");
    assert_eq!(decide_http(&mo, 999_999, "approve", "pending").await.status, StatusCode::NOT_FOUND);
}

async fn two_moderators_at_once_leave_one_outcome_and_the_second_gets_409(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let id = post(&guest, "Contested words.", "Gus").await;
    let (one, two) =
        (app.signed_in("Mo One", Role::Moderator).await, app.signed_in("Mo Two", Role::Moderator).await);
    let first = decide_http(&one, id, "approve", "pending").await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let second = decide_http(&two, id, "reject-abuse", "pending").await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert!(second.body.contains("already decided by someone else"), "{}", second.body);
    assert!(second.body.contains("role=\"alert\""), "shown in the queue as a notice");
    assert_eq!(status(&app, id).await, Some(CommentStatus::Published));

    // Truly at once, many times: exactly one decision per comment wins.
    let store = &app.state.store;
    for round in 0..5 {
        let id = post(&guest, &format!("Raced comment number {round}."), "Gus").await;
        let now = Utc::now();
        let (a, b) = tokio::join!(
            decide(store, id, Verdict::Approve, Some(CommentStatus::Pending), &Actor::Cli, None, now),
            decide(store, id, Verdict::RejectSpam, Some(CommentStatus::Pending), &Actor::Cli, None, now),
        );
        let wins = [a.is_ok(), b.is_ok()].iter().filter(|w| **w).count();
        assert_eq!(wins, 1, "round {round}: {a:?} {b:?}");
        let loser = if a.is_ok() { b } else { a };
        assert!(matches!(loser, Err(ModerationError::AlreadyDecided { .. })), "{loser:?}");
    }
    let log = one.get("/admin/moderation/log?action=moderator").await;
    assert_eq!(
        log.body.matches("<td>approve</td>").count() + log.body.matches("<td>reject-spam</td>").count(),
        6
    );
}

async fn bulk_actions_decide_each_chosen_comment(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let ids = [
        post(&guest, "Bulk one.", "Gus").await,
        post(&guest, "Bulk two.", "Gus").await,
        post(&guest, "Bulk three, left alone.", "Gus").await,
    ];
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    // Another moderator took the second already.
    decide(&app.state.store, ids[1], Verdict::Approve, None, &Actor::Cli, None, Utc::now()).await.unwrap();
    let csrf = mo.get("/admin/moderation").await.csrf();
    let (p0, p1) = (format!("c{}", ids[0]), format!("c{}", ids[1]));
    let fields = [("csrf", csrf.as_str()), ("verdict", "reject-spam"), (&p0, "on"), (&p1, "on")];
    let res = mo.post_form("/admin/moderation/bulk", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(status(&app, ids[0]).await, Some(CommentStatus::Rejected));
    assert_eq!(status(&app, ids[1]).await, Some(CommentStatus::Published), "not overridden");
    assert_eq!(status(&app, ids[2]).await, Some(CommentStatus::Pending));
    let q = mo.get(res.header("location")).await;
    assert!(q.body.contains("1 comment decided. 1 was already decided by someone else"), "{}", q.body);
    let none =
        mo.post_form("/admin/moderation/bulk", &[("csrf", csrf.as_str()), ("verdict", "approve")]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
}

fn guest_viewer(token: &str) -> Viewer {
    Viewer { user: None, guest_token_hash: Some(token.into()) }
}

async fn bans_of_each_kind_refuse_until_they_expire(db: TestDatabase) {
    let (app, a) = site(db, false).await;
    let store = &app.state.store;
    let rules = app.state.config.discussion_rules();
    let (email, _) = app.add_user("Rita Reader", Role::Reader).await;
    let (rita, _) = tribune_core::store::UserStore::user_credentials(store, &email).await.unwrap().unwrap();
    let t0 = Utc::now();
    let input = |body: &str| CommentInput {
        body: body.into(),
        author_name: Some("Poster".into()),
        ..Default::default()
    };
    let origin = |ip: &str, email: Option<&str>| Origin {
        ip_hash: Some(ip.into()),
        email_hash: email.map(str::to_owned),
        new_guest: false,
    };
    let as_rita = Viewer { user: Some(rita.clone()), guest_token_hash: None };
    let cases: [(BanTarget, Viewer, Origin); 4] = [
        (BanTarget::user(rita.id), as_rita.clone(), origin("ip-r", None)),
        (
            BanTarget::new(BanKind::Email, "mail-hash"),
            guest_viewer("g-mail"),
            origin("ip-m", Some("mail-hash")),
        ),
        (BanTarget::new(BanKind::Address, "ip-bad"), guest_viewer("g-addr"), origin("ip-bad", None)),
        (BanTarget::new(BanKind::Guest, "g-bad"), guest_viewer("g-bad"), origin("ip-g", None)),
    ];
    for (n, (target, who, from)) in cases.into_iter().enumerate() {
        let kind = target.kind;
        let request = BanRequest {
            targets: vec![target],
            duration: Some(Duration::hours(1)),
            reason: "flooding".into(),
            remove: vec![],
        };
        ban(store, &request, &Actor::Cli, t0).await.unwrap();
        let refused = post_comment(
            store,
            &a,
            &input(&format!("Try {n} while banned.")),
            &who,
            &from,
            &rules,
            t0 + Duration::minutes(5),
        )
        .await;
        match refused {
            Err(DiscussionError::Refused(why)) => {
                assert!(
                    why.contains("banned") && why.contains("until") && why.contains("flooding"),
                    "{kind:?}: {why}"
                )
            }
            other => panic!("{kind:?}: a banned poster is refused, got {other:?}"),
        }
        let later = post_comment(
            store,
            &a,
            &input(&format!("Try {n} after the ban.")),
            &who,
            &from,
            &rules,
            t0 + Duration::hours(2),
        )
        .await;
        assert!(later.is_ok(), "{kind:?}: the ban expired: {later:?}");
    }
    // Nobody else is touched, and a ban for good stays.
    let bystander = post_comment(
        store,
        &a,
        &input("A bystander speaks."),
        &guest_viewer("g-ok"),
        &origin("ip-ok", None),
        &rules,
        t0 + Duration::minutes(5),
    )
    .await;
    assert!(bystander.is_ok(), "{bystander:?}");
    let forever = BanRequest {
        targets: vec![BanTarget::new(BanKind::Address, "ip-ok")],
        duration: None,
        reason: String::new(),
        remove: vec![],
    };
    ban(store, &forever, &Actor::Cli, t0).await.unwrap();
    let years = post_comment(
        store,
        &a,
        &input("Years later."),
        &guest_viewer("g-ok"),
        &origin("ip-ok", None),
        &rules,
        t0 + Duration::days(3650),
    )
    .await;
    assert!(matches!(years, Err(DiscussionError::Refused(ref why)) if why.contains("for good")), "{years:?}");
}

/// Bans the author and address of comment `id` through the queue's form.
async fn ban_http(mo: &Browser, id: i64, duration: &str, remove: bool) -> Page {
    let csrf = mo.get("/admin/moderation").await.csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("duration", duration), ("reason", "spam run")];
    if remove {
        fields.push(("remove", "1"));
    }
    mo.post_form(&format!("/admin/moderation/{id}/ban"), &fields).await
}

async fn a_banned_guest_is_refused_over_http_with_the_reason(db: TestDatabase) {
    let (app, _) = site(db, false).await;
    let guest = app.browser();
    let id = post(&guest, "First, before the ban.", "Gus").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let bad = ban_http(&mo, id, "7 years", false).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("duration"), "names the field: {}", bad.body);
    let res = ban_http(&mo, id, "7d", false).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let refused = try_post(&guest, "Again, after the ban.", "Gus", "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("banned from commenting on this site until"), "{}", refused.body);
    assert!(refused.body.contains("Again, after the ban."), "the typed text is kept");
    // A new browser from the same address: the address ban holds.
    let fresh = try_post(&app.browser(), "From a fresh browser.", "Not Gus", "").await;
    assert_eq!(fresh.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status(&app, id).await, Some(CommentStatus::Published), "no removal asked");
}

async fn shadow_mode_holds_a_banned_posters_comment_where_only_they_see_it(db: TestDatabase) {
    let (app, _) = site_with(db, |c| c.ban_mode = tribune_core::moderators::BanMode::Shadow).await;
    let guest = app.browser();
    let id = post(&guest, "Before the shadow ban.", "Gus").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    assert_eq!(ban_http(&mo, id, "forever", false).await.status, StatusCode::SEE_OTHER);
    let held = post(&guest, "Shadow held words.", "Gus").await;
    assert_eq!(status(&app, held).await, Some(CommentStatus::Pending));
    let decision = app.state.store.comment_decision(held).await.unwrap().unwrap();
    assert!(decision.reasons_json.contains("\"detail\":\"banned\""), "{}", decision.reasons_json);
    app.settle().await;
    let own = guest.get("/articles/open-door").await.body;
    assert!(own.contains("Shadow held words.") && own.to_lowercase().contains("awaiting moderation"));
    assert!(!app.browser().get("/articles/open-door").await.body.contains("Shadow held words."));
}

async fn banning_with_removal_rejects_the_authors_other_comments(db: TestDatabase) {
    let (app, _) = site(db, false).await;
    let troll = app.signed_in("Tom Troll", Role::Reader).await;
    let ids = [
        post(&troll, "Troll one, published.", "ignored").await,
        post(&troll, "Troll two, published.", "ignored").await,
    ];
    let bystander = post(&app.browser(), "A bystander from the same address.", "Bea").await;
    assert_eq!(count(&app, "open-door").await, 3);
    app.settle().await;
    assert!(app.browser().get("/articles/open-door").await.body.contains("Troll one"));
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let res = ban_http(&mo, ids[0], "30d", true).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    for id in ids {
        assert_eq!(status(&app, id).await, Some(CommentStatus::Rejected));
    }
    assert_eq!(status(&app, bystander).await, Some(CommentStatus::Published), "only the author's");
    assert_eq!(count(&app, "open-door").await, 1);
    app.settle().await;
    assert!(!app.browser().get("/articles/open-door").await.body.contains("Troll one"), "pages dropped");
    let q = mo.get(res.header("location")).await;
    assert!(q.body.contains("Banned. 2 of their comments removed."), "{}", q.body);
    let log = mo.get("/admin/moderation/log?action=remove").await;
    assert_eq!(log.body.matches("<td>remove</td>").count(), 2);
}

async fn the_pages_own_moderation_is_audited_too(db: TestDatabase) {
    let (app, _) = site(db, false).await;
    let id = post(&app.browser(), "Off-topic noise about microscopes.", "Gus").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let csrf = mo.get("/articles/open-door").await.csrf();
    let res = mo.post_form(&format!("/comments/{id}/moderate"), &[("csrf", &csrf), ("action", "hide")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(status(&app, id).await, Some(CommentStatus::Rejected));
    assert_eq!(count(&app, "open-door").await, 0);
    let log = mo.get(&format!("/admin/moderation/log?comment={id}")).await;
    assert!(log.body.contains("<td>hide</td>") && log.body.contains("<td>Mo Moderator</td>"), "{}", log.body);
    assert!(log.body.contains("published → rejected"));
    assert!(log.body.contains("<td>auto-publish</td>"), "the automatic decision beside it");
}

async fn the_log_filters_and_exports_safe_csv(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let a = post(&guest, "Approve me please.", "Gus").await;
    let b = post(&guest, "Ban my author please.", "Gus").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    decide_http(&mo, a, "approve", "pending").await;
    let csrf = mo.get("/admin/moderation").await.csrf();
    let reason = "=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"";
    let fields = [("csrf", csrf.as_str()), ("duration", "1d"), ("reason", reason)];
    assert_eq!(
        mo.post_form(&format!("/admin/moderation/{b}/ban"), &fields).await.status,
        StatusCode::SEE_OTHER
    );

    let all = mo.get("/admin/moderation/log").await;
    assert!(
        all.body.contains("<td>approve</td>")
            && all.body.contains("<td>ban</td>")
            && all.body.contains("<td>auto-hold</td>")
    );
    let only = mo.get("/admin/moderation/log?action=approve").await;
    assert!(only.body.contains("<td>approve</td>") && !only.body.contains("<td>ban</td>"));
    let by_rule = mo.get("/admin/moderation/log?who=pre-moderation").await;
    assert!(by_rule.body.contains("<td>auto-hold</td>") && !by_rule.body.contains("<td>approve</td>"));
    let by_name = mo.get("/admin/moderation/log?who=Mo+Moderator").await;
    assert!(by_name.body.contains("<td>approve</td>") && !by_name.body.contains("<td>auto-hold</td>"));
    let tomorrow = (Utc::now() + Duration::days(1)).format("%Y-%m-%d").to_string();
    let future = mo.get(&format!("/admin/moderation/log?from={tomorrow}")).await;
    assert!(future.body.contains("Nothing in the log matches"));
    let bad = mo.get("/admin/moderation/log?from=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("from: must be a date"), "{}", bad.body);
    assert!(
        all.body.contains("=HYPERLINK(&#34;") || all.body.contains("=HYPERLINK(&quot;"),
        "escaped on the page"
    );

    let csv = mo.get("/admin/moderation/log.csv?action=ban").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let mut lines = csv.body.split("\r\n");
    assert_eq!(lines.next(), Some("at,action,by,comment,status_before,status_after,reason"));
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "a guest ban and an address ban: {rows:?}");
    for row in &rows {
        assert!(row.contains(",ban,Mo Moderator,"), "{row}");
        assert!(row.contains("\"guest hash, until") || row.contains("\"address hash, until"), "{row}");
        assert!(
            row.contains("=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\"), \"\"quoted\"\"\""),
            "CSV-escaped: {row}"
        );
    }
    let formula = mo.get("/admin/moderation/log.csv?action=approve").await;
    assert!(!formula.body.contains(",=") && !formula.body.contains("\"="), "{}", formula.body);
    let reader = app.signed_in("Rita Reader", Role::Reader).await;
    assert_eq!(reader.get("/admin/moderation/log.csv").await.status, StatusCode::FORBIDDEN);
}

async fn the_queues_forms_refuse_missing_and_foreign_tokens(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let id = post(&app.browser(), "Held for the CSRF walk.", "Gus").await;
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let other = app.signed_in("Otto Other", Role::Moderator).await;
    let foreign = other.csrf().await;
    let pick = format!("c{id}");
    let forms: [(String, Vec<(&str, &str)>); 3] = [
        (format!("/admin/moderation/{id}/decide"), vec![("verdict", "approve"), ("seen", "pending")]),
        (format!("/admin/moderation/{id}/ban"), vec![("duration", "1d"), ("remove", "1")]),
        ("/admin/moderation/bulk".into(), vec![("verdict", "approve"), (pick.as_str(), "on")]),
    ];
    for (path, fields) in &forms {
        for token in [None, Some(foreign.as_str()), Some("forged")] {
            let mut all = fields.clone();
            if let Some(t) = token {
                all.push(("csrf", t));
            }
            let res = mo.post_form(path, &all).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
        }
    }
    assert_eq!(status(&app, id).await, Some(CommentStatus::Pending), "nothing changed");
    let log = mo.get("/admin/moderation/log?action=moderator").await;
    assert!(log.body.contains("Nothing in the log matches"));
}

fn tribune(args: &[&str], db: &TestDatabase) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(args)
        .args(["--database-url", &db.url])
        .env_remove("TRIBUNE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

async fn the_command_line_lists_decides_and_bans(db: TestDatabase) {
    let (app, _) = site(db, true).await;
    let guest = app.browser();
    let a = post(&guest, "Held for the command line.", "Gus").await;
    let b = post(&guest, "Spam for the command line.", "Gus").await;
    let (code, out) = tribune(&["moderation", "queue"], &app.db);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("{a}\t")) && out.contains("[pre-moderation]") && out.contains("open-door"),
        "{out}"
    );
    let (code, out) = tribune(&["moderation", "approve", &a.to_string()], &app.db);
    assert_eq!((code, out.trim()), (0, format!("Comment {a}: pending → published.").as_str()));
    let (code, out) = tribune(&["moderation", "approve", &a.to_string()], &app.db);
    assert_eq!(code, 0, "approving a published comment again is harmless: {out}");
    let (code, out) = tribune(&["moderation", "reject", &b.to_string(), "--as", "ham"], &app.db);
    assert_ne!(code, 0);
    assert!(out.contains("--as"), "{out}");
    let (code, out) = tribune(&["moderation", "reject", &b.to_string(), "--as", "spam"], &app.db);
    assert_eq!(code, 0, "{out}");
    assert_eq!(status(&app, b).await, Some(CommentStatus::Rejected));
    let (code, out) = tribune(&["moderation", "reject", "999999", "--as", "abuse"], &app.db);
    assert_ne!(code, 0);
    assert!(out.contains("no such comment"), "{out}");

    let (code, out) = tribune(
        &["moderation", "ban", "--comment", &a.to_string(), "--for", "2w", "--remove-comments"],
        &app.db,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Banned (2 bans, until") && out.contains("1 comment removed"), "{out}");
    assert_eq!(status(&app, a).await, Some(CommentStatus::Rejected));
    let (code, out) = tribune(&["moderation", "ban", "--email", "Troll@Example.org"], &app.db);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("for good"));
    let (code, out) = tribune(&["moderation", "ban", "--user", "424242"], &app.db);
    assert_ne!(code, 0);
    assert!(out.contains("no user 424242"), "{out}");
    let (code, out) = tribune(&["moderation", "ban", "--for", "3y", "--email", "x@example.org"], &app.db);
    assert_ne!(code, 0);
    assert!(out.contains("--for"), "{out}");
    let (code, _) = tribune(&["moderation", "ban"], &app.db);
    assert_ne!(code, 0, "whom to ban is required");

    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    let log = mo.get("/admin/moderation/log?who=cli").await;
    assert!(
        log.body.contains("<td>approve</td>")
            && log.body.contains("<td>reject-spam</td>")
            && log.body.contains("<td>ban</td>")
    );
}

async fn the_queue_pages_by_keyset_under_a_flood(db: TestDatabase) {
    let (app, a) = site(db, true).await;
    let rules = app.state.config.discussion_rules();
    let guest = guest_viewer("flood");
    let origin = Origin { ip_hash: Some("flood-ip".into()), ..Default::default() };
    let mut ids = Vec::new();
    for i in 0..53 {
        let input = CommentInput {
            body: format!("Flood comment number {i}, held."),
            author_name: Some("Flo".into()),
            ..Default::default()
        };
        let c =
            post_comment(&app.state.store, &a, &input, &guest, &origin, &rules, Utc::now()).await.unwrap();
        ids.push(c.id);
    }
    let mo = app.signed_in("Mo Moderator", Role::Moderator).await;
    assert_eq!(
        mo.get("/admin").await.header("location"),
        "/admin/moderation",
        "a moderator's admin is the queue"
    );
    let first = mo.get("/admin/moderation").await;
    assert!(first.body.contains("53 waiting"));
    assert_eq!(first.body.matches("class=\"queue-item\"").count(), 50);
    let next = format!("/admin/moderation?after={}", ids[49]);
    assert!(first.body.contains(&next), "a keyset link to the rest");
    let rest = mo.get(&next).await;
    assert_eq!(rest.body.matches("class=\"queue-item\"").count(), 3);
    assert!(rest.body.contains("Flood comment number 52") && !rest.body.contains("Flood comment number 49,"));
    assert!(!rest.body.contains("More waiting comments"));

    // The log pages by position too: 113 decisions, most in the same second, each shown
    // once across the pages, newest first; a made-up position is a 400.
    for i in 53..113 {
        let input = CommentInput { body: format!("Flood comment number {i}, held."), ..Default::default() };
        let input = CommentInput { author_name: Some("Flo".into()), ..input };
        ids.push(
            post_comment(&app.state.store, &a, &input, &guest, &origin, &rules, Utc::now()).await.unwrap().id,
        );
    }
    let (mut seen, mut url) = (Vec::new(), Some("/admin/moderation/log".to_owned()));
    while let Some(at) = url {
        let page = mo.get(&at).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(
            page.body.split("<a href=\"/comments/").skip(1).map(|s| s.split('"').next().unwrap().to_owned()),
        );
        url = page
            .body
            .split("rel=\"next\" href=\"")
            .nth(1)
            .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"));
    }
    let newest_first: Vec<String> = ids.iter().rev().map(i64::to_string).collect();
    assert_eq!(seen, newest_first, "every entry once, newest first, over two pages");
    let forged = mo.get("/admin/moderation/log?before=1.x.2").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}
