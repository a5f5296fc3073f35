//! Moderators hear by e-mail of the comments held for them, through the outbox to a real
//! SMTP server on loopback: one digest per period the site sets, listing what was held
//! since the last one, to each moderator who can sign in; one digest however many nodes
//! check at once; none when the setting says never. Both backends.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::smtp_sink::{Received, SmtpSink};
use common::{TestApp, article, eventually, mail_through, without_rate_limits};
use reqwest::StatusCode;
use tribune::digest_mail::{SiteDigest, check};
use tribune_core::moderators::digest::{DigestFrequency, DigestOutcome, send_if_due};
use tribune_core::store::UserStore;
use tribune_core::user::Role;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    each_moderator_hears_of_held_comments_once_per_period,
    nodes_checking_at_once_send_one_digest,
    a_site_that_says_never_sends_none_and_the_admin_offers_the_choice,
);

/// A site holding every comment, with three moderators (one disabled) and an author.
async fn site(db: TestDatabase, sink: &SmtpSink, digest: &str) -> (TestApp, String, Vec<String>) {
    let app = TestApp::with_config(db, |c| {
        mail_through(c, sink);
        without_rate_limits(c);
        c.comments_hold_for_review = true;
        c.moderation_digest = digest.into();
    })
    .await;
    let story = app.publish(article("Harbour <News>", &["Ann Author"], &[], Utc::now())).await;
    let (moderator, _) = app.add_user("Mo Moderator", Role::Moderator).await;
    let (editor, _) = app.add_user("Ed Editor", Role::Editor).await;
    app.add_user("Ann Author", Role::Author).await;
    let (gone, _) = app.add_user("Gus Gone", Role::Moderator).await;
    let (gone_user, _) = app.state.store.user_credentials(&gone).await.unwrap().unwrap();
    app.state.store.set_user_disabled(gone_user.id, Some(Utc::now())).await.unwrap();
    let mut moderators: Vec<String> = app
        .state
        .store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.can_moderate() && !u.disabled)
        .map(|u| u.email)
        .collect();
    moderators.sort();
    assert!(moderators.contains(&moderator) && moderators.contains(&editor) && !moderators.contains(&gone));
    (app, story.slug.to_string(), moderators)
}

async fn hold(app: &TestApp, slug: &str, body: &str, name: &str) {
    let res = app.browser().post_comment(slug, body, name).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

/// Waits for `count` messages in all, then a moment more to see that no other comes.
async fn received(sink: &SmtpSink, count: usize) -> Vec<Received> {
    assert!(eventually(10, || async { sink.received().len() >= count }).await, "{:#?}", sink.received());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mails = sink.received();
    assert_eq!(mails.len(), count, "{mails:#?}");
    mails
}

fn recipients(mails: &[Received]) -> Vec<String> {
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to
}

async fn each_moderator_hears_of_held_comments_once_per_period(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug, moderators) = site(db, &sink, "hourly").await;
    assert_eq!(check(&app.state).await.unwrap(), DigestOutcome::NothingNew);

    hold(&app, &slug, "First held thought about the quay.", "Bob <b>").await;
    hold(&app, &slug, "Second held thought about the ferry.", "Cy").await;
    // This digest went an hour and a minute ago, as the clock given says.
    let composer = SiteDigest { config: app.state.site() };
    let earlier = Utc::now() - chrono::Duration::minutes(61);
    let outcome = send_if_due(&app.state.store, &composer, DigestFrequency::Hourly, earlier).await.unwrap();
    assert_eq!(outcome, DigestOutcome::Queued(moderators.len()));
    app.state.mail_queued();
    let mails = received(&sink, moderators.len()).await;
    assert_eq!(recipients(&mails), moderators, "each moderator who can sign in, and no one else");
    let text = mails[0].decoded();
    assert!(mails[0].header("Subject").unwrap().starts_with("2 waiting for moderation on Test Gazette"));
    assert!(
        text.contains("First held thought about the quay.") && text.contains("Second held thought"),
        "{text}"
    );
    assert!(text.contains("Bob <b> on \"Harbour <News>\""), "as typed in the plain text: {text}");
    assert!(
        text.contains("<strong>Bob &#60;b&#62;</strong> on “Harbour &#60;News&#62;”"),
        "escaped in HTML: {text}"
    );
    assert!(text.contains(&format!("{}/admin/moderation", app.url)), "{text}");

    // The hour is over: the next hold goes out now, alone, with the whole queue counted.
    hold(&app, &slug, "Third held thought, on the bridge.", "Di").await;
    assert_eq!(check(&app.state).await.unwrap(), DigestOutcome::Queued(moderators.len()));
    let mails = received(&sink, 2 * moderators.len()).await;
    let text = mails.last().unwrap().decoded();
    assert!(
        text.contains("Third held thought") && !text.contains("First held thought"),
        "only the new: {text}"
    );
    assert!(text.contains("3 comments wait"), "the whole queue counted: {text}");

    // Within the hour, a new hold waits for the next digest.
    hold(&app, &slug, "Fourth held thought.", "Ed").await;
    assert_eq!(check(&app.state).await.unwrap(), DigestOutcome::NotDue);
    received(&sink, 2 * moderators.len()).await;
}

async fn nodes_checking_at_once_send_one_digest(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug, moderators) = site(db, &sink, "immediately").await;
    let other = app.another_node().await;
    hold(&app, &slug, "A held comment both nodes see.", "Bob").await;
    let (a, b, c) = tokio::join!(check(&app.state), check(&other.state), check(&app.state));
    let outcomes = [a.unwrap(), b.unwrap(), c.unwrap()];
    let queued = outcomes.iter().filter(|o| matches!(o, DigestOutcome::Queued(_))).count();
    assert_eq!(queued, 1, "{outcomes:?}");
    let mails = received(&sink, moderators.len()).await;
    assert_eq!(recipients(&mails), moderators, "one message each");
}

async fn a_site_that_says_never_sends_none_and_the_admin_offers_the_choice(db: TestDatabase) {
    let sink = SmtpSink::start().await;
    let (app, slug, _) = site(db, &sink, "immediately").await;
    let admin = app.signed_in("Ada Admin", Role::Admin).await;
    let page = admin.get("/admin/settings").await;
    assert!(page.body.contains("Mail moderators the held comments"), "{}", page.body);
    assert!(page.body.contains(r#"<option value="never""#), "{}", page.body);
    let never = tribune_core::site::SettingsChange {
        set: vec![("moderation_digest", "never".into())],
        reset: vec![],
    };
    tribune::site::save(&app.state.store, &never).await.unwrap();
    app.state.changed(tribune::coherence::Change::Settings(&["moderation_digest"])).await;
    hold(&app, &slug, "Held on a quiet site.", "Bob").await;
    assert_eq!(check(&app.state).await.unwrap(), DigestOutcome::NotDue);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sink.received().is_empty(), "{:#?}", sink.received());
}
