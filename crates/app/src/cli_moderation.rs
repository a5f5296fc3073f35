//! `tribune moderation …`: the queue, decisions and bans from a terminal, through the same
//! use cases as the admin pages, audited as by "cli" (running servers are told which pages
//! changed through the shared invalidation log); and the learned filter taught or measured
//! on a labelled file.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use tribune_core::moderation::evaluation::{Item, evaluate, parse_items};
use tribune_core::moderation::learned::{self, Class};
use tribune_core::moderators::bans::{BanRequest, ban, ban_author_of, parse_duration};
use tribune_core::moderators::queue::{excerpt, queue_page};
use tribune_core::moderators::{Actor, BanKind, BanTarget, Verdict, decide};
use tribune_core::store::UserStore;
use tribune_store::Store;

use crate::cli::{CliError, ModerationCommand, fail};
use crate::config::Config;
use crate::keys::SiteKeys;
use crate::reply_mail::SiteComposer;
use crate::server;

pub async fn run(config: &Config, command: ModerationCommand) -> Result<(), CliError> {
    let store = server::open_store(config).await.map_err(fail)?;
    let done = match command {
        ModerationCommand::Train { file } => train(&store, config, &file).await,
        ModerationCommand::Eval { file, decisions } => {
            eval(&store, config, &file, decisions.as_deref()).await
        }
        ModerationCommand::Queue { limit } => print_queue(&store, limit).await,
        ModerationCommand::Approve { id } => decide_one(&store, config, id, Verdict::Approve).await,
        ModerationCommand::Reject { id, label } => match Verdict::parse(&label) {
            Some(verdict) => decide_one(&store, config, id, verdict).await,
            None => Err(fail("--as: spam or abuse")),
        },
        ModerationCommand::Ban { user, email, comment, duration, reason, remove_comments } => {
            let who = Banned { user, email, comment, remove_comments };
            ban_poster(&store, who, &duration, reason).await
        }
    };
    store.close().await;
    done
}

/// Whom `tribune moderation ban` names.
struct Banned {
    user: Option<i64>,
    email: Option<String>,
    comment: Option<i64>,
    remove_comments: bool,
}

async fn ban_poster(store: &Store, who: Banned, duration: &str, reason: String) -> Result<(), CliError> {
    let Banned { user, email, comment, remove_comments } = who;
    let duration = parse_duration(duration).map_err(|e| fail(format!("--for: {e}")))?;
    let now = Utc::now();
    let banned = match (user, email, comment) {
        (_, _, Some(id)) => ban_author_of(store, id, duration, &reason, remove_comments, &Actor::Cli, now)
            .await
            .map_err(|e| fail(format!("comment {id}: {e}")))?,
        (Some(id), _, _) => {
            store.user_by_id(id).await.map_err(fail)?.ok_or_else(|| fail(format!("--user: no user {id}")))?;
            let target = BanTarget::user(id);
            let remove = if remove_comments { vec![target.clone()] } else { vec![] };
            let request = BanRequest { targets: vec![target], duration, reason, remove };
            ban(store, &request, &Actor::Cli, now).await.map_err(fail)?
        }
        (None, Some(email), None) => {
            if remove_comments {
                return Err(fail(
                    "--remove-comments: an e-mail ban cannot find comments; ban by --user or --comment",
                ));
            }
            if !email.contains('@') {
                return Err(fail(format!("--email: \"{email}\" is not an e-mail address")));
            }
            let keys = SiteKeys::load(store).await.map_err(fail)?;
            let target = BanTarget::new(BanKind::Email, &keys.email_hash(&email));
            let request = BanRequest { targets: vec![target], duration, reason, remove: vec![] };
            ban(store, &request, &Actor::Cli, now).await.map_err(fail)?
        }
        (None, None, None) => return Err(fail("say whom to ban: --user, --email or --comment")),
    };
    drop_pages(store, &banned.removed.article_ids).await?;
    let until = duration
        .map_or("for good".to_owned(), |d| format!("until {}", (now + d).format("%Y-%m-%d %H:%M UTC")));
    println!(
        "Banned ({} ban{}, {until}); {} comment{} removed.",
        banned.ban_ids.len(),
        if banned.ban_ids.len() == 1 { "" } else { "s" },
        banned.removed.comment_ids.len(),
        if banned.removed.comment_ids.len() == 1 { "" } else { "s" },
    );
    Ok(())
}

async fn print_queue(store: &Store, limit: u32) -> Result<(), CliError> {
    let page = queue_page(store, None, limit).await.map_err(fail)?;
    if page.items.is_empty() {
        println!("Nothing is waiting.");
        return Ok(());
    }
    for item in &page.items {
        let c = &item.comment;
        let reasons: Vec<&str> = item.reasons.iter().map(|r| r.signal.as_str()).collect();
        println!(
            "{}\t{}\t{}\t{}\t[{}]\t{}",
            c.id,
            c.created_at.format("%Y-%m-%d %H:%M"),
            item.article_slug,
            c.author_name,
            reasons.join(","),
            excerpt(&c.body_markdown, 80)
        );
    }
    if page.next.is_some() {
        println!("… and more (raise --limit).");
    }
    Ok(())
}

async fn decide_one(store: &Store, config: &Config, id: i64, verdict: Verdict) -> Result<(), CliError> {
    // The same mail as a moderator's approval on the site, written with the decision: the
    // servers' outbox workers send it.
    let composer = site_composer(store, config).await?;
    let notices = composer.as_ref().map(|c| c as &dyn tribune_core::reply_notices::Composer);
    let decided = decide(store, id, verdict, None, &Actor::Cli, notices, Utc::now())
        .await
        .map_err(|e| fail(format!("comment {id}: {e}")))?;
    drop_pages(store, &[decided.before.article_id]).await?;
    println!("Comment {id}: {} → {}.", decided.before.status.as_str(), decided.after.as_str());
    Ok(())
}

/// What composes the site's notices, as a server would with the stored settings: `None`
/// when mail is off (no `smtp_url`).
async fn site_composer(store: &Store, config: &Config) -> Result<Option<SiteComposer>, CliError> {
    if config.smtp_url.is_empty() {
        return Ok(None);
    }
    let live = crate::site::LiveConfig::new(std::sync::Arc::new(config.clone()));
    live.reload(store).await.map_err(fail)?;
    let keys = std::sync::Arc::new(SiteKeys::load(store).await.map_err(fail)?);
    Ok(Some(SiteComposer { config: live.current(), keys }))
}

/// Tells every running node which articles' pages are stale.
async fn drop_pages(store: &Store, article_ids: &[i64]) -> Result<(), CliError> {
    crate::coherence::announce(store, crate::coherence::Change::Discussions(article_ids)).await.map_err(fail)
}

/// Every item checked before anything is read from or written to the database.
fn read_items(path: &Path) -> Result<Vec<(Class, Item)>, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| fail(format!("{}: cannot read: {e}", path.display())))?;
    parse_items(&text).map_err(|e| fail(format!("{}: {e}", path.display())))
}

async fn train(store: &Store, config: &Config, path: &Path) -> Result<(), CliError> {
    let items = read_items(path)?;
    let model = &config.moderation.model;
    learned::refresh(store, model).await.map_err(fail)?;
    let texts: Vec<(Class, &str)> = items.iter().map(|(class, item)| (*class, item.body.as_str())).collect();
    let source = format!("cli:{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("file"));
    learned::teach(store, model, &texts, &source, Utc::now()).await.map_err(fail)?;
    println!(
        "The learned filter was taught {} examples; every node applies them within seconds.",
        items.len()
    );
    Ok(())
}

async fn eval(
    store: &Store,
    config: &Config,
    path: &Path,
    decisions_out: Option<&Path>,
) -> Result<(), CliError> {
    let items = read_items(path)?;
    learned::refresh(store, &config.moderation.model).await.map_err(fail)?;
    let (report, decisions) = evaluate(&config.moderation, &items);
    println!("{report}");
    if let Some(out) = decisions_out {
        let cannot = |e: std::io::Error| fail(format!("{}: cannot write: {e}", out.display()));
        let mut file = std::io::BufWriter::new(std::fs::File::create(out).map_err(cannot)?);
        for (index, d) in decisions.iter().enumerate() {
            let line = serde_json::json!({ "index": index, "decision": d.outcome, "reasons": d.reasons });
            writeln!(file, "{line}").map_err(cannot)?;
        }
        file.flush().map_err(cannot)?;
    }
    Ok(())
}
