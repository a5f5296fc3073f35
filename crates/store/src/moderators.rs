//! What moderators store: decisions as compare-and-set status changes with their audit
//! rows, bans, the queue (one function, so flagged comments can join it), and the log read
//! from moderators' actions and the pipeline's decisions together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use tribune_core::comment::CommentStatus;
use tribune_core::moderators::log::Source;
use tribune_core::moderators::queue::{QueueItem, excerpt, reasons_of};
use tribune_core::moderators::{
    AgainstPost, Ban, BanKind, BanTarget, DuplicateLookup, LogCursor, LogEntry, LogFilter, ModerationStore,
    NewBan, Removed, StatusChange, Verdict,
};
use tribune_core::store::{FlagStore, StoreError};

use crate::Store;
use crate::comments::{comment_from_row, recount};
use crate::error::from_sqlx;
use crate::filter_examples::append_example;
use crate::rows::{placeholders, secs, time};

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// How many other names from one address the queue shows.
const SIBLINGS_SHOWN: usize = 8;

impl ModerationStore for Store {
    async fn decide_comment(
        &self,
        change: &StatusChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CommentStatus>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(after) = apply_decision(&mut tx, change, now).await? else {
            // Ended here, not dropped: a dropped transaction keeps its locks until its
            // connection is next used.
            tx.rollback().await.map_err(from_sqlx)?;
            return Ok(None);
        };
        // The flags that brought it here are answered: it leaves the queue until flagged anew.
        sqlx::query("UPDATE comment_flags SET settled_at = $1 WHERE comment_id = $2 AND settled_at IS NULL")
            .bind(secs(now))
            .bind(change.comment_id)
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
        if let Some(example) = &change.example {
            append_example(&mut tx, self.backend, example, now).await?;
        }
        if after == CommentStatus::Published {
            if let Some((sub_id, mail)) = &change.reply_notice {
                crate::reply_subscriptions::queue_notice(&mut tx, *sub_id, mail, now).await?;
            }
            crate::reply_subscriptions::queue_author_notices(&mut tx, &change.author_notices, now).await?;
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(Some(after))
    }

    async fn queue(&self, after: Option<i64>, limit: u32) -> Result<Vec<QueueItem>, StoreError> {
        let rows = sqlx::query(QUEUE_SQL)
            .bind(after.unwrap_or(0))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(from_sqlx)?;
        let mut items = Vec::with_capacity(rows.len());
        let mut addresses = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(queue_item(r)?);
            addresses.push(r.try_get::<Option<String>, _>("c_ip_hash").map_err(from_sqlx)?);
        }
        let ids: Vec<i64> = items.iter().map(|i| i.comment.id).collect();
        let mut flags = self.flag_summaries(&ids).await?;
        for item in &mut items {
            item.flags = flags.remove(&item.comment.id).map(|f| f.counts);
        }
        let names = self.names_by_address(&addresses).await?;
        for (item, address) in items.iter_mut().zip(&addresses) {
            if let Some(all) = address.as_ref().and_then(|a| names.get(a)) {
                let others = all.iter().filter(|n| **n != item.comment.author_name);
                item.siblings = others.take(SIBLINGS_SHOWN).cloned().collect();
            }
        }
        Ok(items)
    }

    async fn waiting_count(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(WAITING_SQL).fetch_one(&self.pool).await.map_err(from_sqlx)
    }

    async fn insert_bans(
        &self,
        bans: &[NewBan],
        (actor_id, actor_name): (Option<i64>, &str),
        remove: &[BanTarget],
        now: DateTime<Utc>,
    ) -> Result<(Vec<i64>, Removed), StoreError> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(bans.len());
        for ban in bans {
            let id = insert_ban(&mut tx, ban, actor_id, now).await?;
            let audit = Audit {
                action: "ban",
                comment_id: None,
                ban_id: Some(id),
                before: None,
                after: None,
                reason: ban_description(ban),
            };
            audit.write(&mut tx, (actor_id, actor_name), now).await?;
            ids.push(id);
        }
        let reason = format!("removed with a ban: {}", bans.first().map_or("", |b| b.reason.as_str()));
        let removed = remove_comments(&mut tx, remove, (actor_id, actor_name), &reason, now).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok((ids, removed))
    }

    async fn against_post(
        &self,
        subjects: &[String],
        now: DateTime<Utc>,
        duplicate: Option<&DuplicateLookup<'_>>,
    ) -> Result<AgainstPost, StoreError> {
        if subjects.is_empty() && duplicate.is_none() {
            return Ok(AgainstPost::default());
        }
        // The duplicate side is an aggregate, always one row; without a lookup its hash
        // is NULL and matches nothing. -1: none; 0: by others only; 1: by this author.
        let bans = if subjects.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("subject IN ({})", placeholders(6, subjects.len()))
        };
        let sql = format!(
            "SELECT b.id, b.kind, b.reason, b.created_at, b.expires_at, d.duplicate FROM \
             (SELECT CAST(COALESCE(MAX(CASE WHEN user_id = $2 OR guest_token_hash = $3 THEN 1 ELSE 0 END), -1) \
              AS BIGINT) AS duplicate FROM comments WHERE body_hash = $4 AND created_at >= $5) d \
             LEFT JOIN (SELECT id, kind, reason, created_at, expires_at FROM bans WHERE {bans} \
              AND (expires_at IS NULL OR expires_at > $1) LIMIT 1) b ON 1 = 1"
        );
        let mut query = sqlx::query(&sql)
            .bind(secs(now))
            .bind(duplicate.and_then(|d| d.user_id))
            .bind(duplicate.and_then(|d| d.guest_token_hash).map(str::to_owned))
            .bind(duplicate.map(|d| d.body_hash.to_owned()))
            .bind(duplicate.map_or(0, |d| secs(d.since)));
        for s in subjects {
            query = query.bind(s.as_str());
        }
        let row = query.fetch_one(&self.pool).await.map_err(from_sqlx)?;
        let found: i64 = row.try_get("duplicate").map_err(from_sqlx)?;
        let banned: Option<i64> = row.try_get("id").map_err(from_sqlx)?;
        Ok(AgainstPost {
            ban: banned.map(|_| ban_from_row(&row)).transpose()?,
            duplicate: (found >= 0).then_some(found == 1),
        })
    }

    async fn comment_address(&self, id: i64) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> = sqlx::query_scalar("SELECT ip_hash FROM comments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(found.flatten())
    }

    async fn moderation_log(
        &self,
        filter: &LogFilter,
        after: Option<LogCursor>,
        limit: u32,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let (mut conditions, mut args) = log_conditions(filter);
        if let Some(c) = after {
            // Newest first by (at, source, seq): 'moderator' sorts after 'automatic'.
            let source = if c.moderator { "moderator" } else { "automatic" };
            let n = args.len();
            conditions.push_str(&format!(
                " AND (at < ${a} OR (at = ${a} AND (source < ${s} OR (source = ${s} AND seq < ${q}))))",
                a = n + 1,
                s = n + 2,
                q = n + 3
            ));
            args.extend([Arg::Int(c.at), Arg::Text(source.into()), Arg::Int(c.seq)]);
        }
        let sql = format!(
            "SELECT source, action, actor, comment_id, status_before, status_after, reason, at, seq \
             FROM ({LOG_UNION}) log WHERE {conditions} ORDER BY at DESC, source DESC, seq DESC LIMIT ${}",
            args.len() + 1
        );
        let rows =
            bound(&sql, &args).bind(i64::from(limit)).fetch_all(&self.pool).await.map_err(from_sqlx)?;
        rows.iter().map(log_entry).collect()
    }
}

impl Store {
    /// The distinct names that posted from each of these addresses.
    async fn names_by_address(
        &self,
        addresses: &[Option<String>],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut wanted: Vec<&str> = addresses.iter().flatten().map(String::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT DISTINCT ip_hash, author_name FROM comments WHERE ip_hash IN ({}) ORDER BY ip_hash, author_name",
            placeholders(1, wanted.len())
        );
        let mut query = sqlx::query(&sql);
        for a in &wanted {
            query = query.bind(*a);
        }
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        for r in query.fetch_all(&self.pool).await.map_err(from_sqlx)? {
            let address: String = r.try_get("ip_hash").map_err(from_sqlx)?;
            names.entry(address).or_default().push(r.try_get("author_name").map_err(from_sqlx)?);
        }
        Ok(names)
    }
}

/// The held comments with their article, parent, stored decision and the author's record;
/// keyset by id (ids grow with time, so this is oldest first) on the pending-only index.
/// Held comments, and published ones with a flag no moderator has acted on since (a
/// decision on a comment settles the flags before it).
const WAITING_SQL: &str = "SELECT (SELECT COUNT(*) FROM comments WHERE status = 'pending') + \
     (SELECT COUNT(DISTINCT f.comment_id) FROM comment_flags f JOIN comments g ON g.id = f.comment_id \
      WHERE g.status = 'published' AND f.settled_at IS NULL)";

/// The queue: what [`WAITING_SQL`] counts, oldest first, with what a moderator needs.
const QUEUE_SQL: &str = "SELECT c.id, c.article_id, c.parent_id, c.root_id, c.path, c.depth, c.status, \
     c.body_markdown, c.body_html, c.author_name, c.user_id, c.guest_token_hash, c.score, c.created_at, \
     c.edited_at, c.ip_hash AS c_ip_hash, a.slug AS article_slug, a.title AS article_title, \
     p.body_markdown AS parent_body, p.author_name AS parent_author, \
     d.score AS d_score, d.reasons AS d_reasons, d.decided_at AS d_at, \
     CASE WHEN c.user_id IS NOT NULL THEN \
       (SELECT COUNT(*) FROM comments h WHERE h.user_id = c.user_id AND h.status = 'published') \
     WHEN c.guest_token_hash IS NOT NULL THEN \
       (SELECT COUNT(*) FROM comments h WHERE h.guest_token_hash = c.guest_token_hash AND h.status = 'published') \
     ELSE 0 END AS approved, \
     CASE WHEN c.user_id IS NOT NULL THEN \
       (SELECT COUNT(*) FROM comments h WHERE h.user_id = c.user_id AND h.status = 'rejected') \
     WHEN c.guest_token_hash IS NOT NULL THEN \
       (SELECT COUNT(*) FROM comments h WHERE h.guest_token_hash = c.guest_token_hash AND h.status = 'rejected') \
     ELSE 0 END AS rejected \
     FROM comments c JOIN articles a ON a.id = c.article_id \
     LEFT JOIN comments p ON p.id = c.parent_id \
     LEFT JOIN comment_decisions d ON d.comment_id = c.id \
     WHERE c.id IN (SELECT id FROM comments WHERE status = 'pending' AND id > $1 \
       UNION SELECT f.comment_id FROM comment_flags f JOIN comments g ON g.id = f.comment_id \
       WHERE g.status = 'published' AND f.comment_id > $1 AND f.settled_at IS NULL) \
     ORDER BY c.id LIMIT $2";

fn queue_item(r: &AnyRow) -> Result<QueueItem, StoreError> {
    let get_text = |c: &str| r.try_get::<Option<String>, _>(c).map_err(from_sqlx);
    let parent = match (get_text("parent_body")?, get_text("parent_author")?) {
        (Some(body), Some(author)) => Some((excerpt(&body, 160), author)),
        _ => None,
    };
    Ok(QueueItem {
        comment: comment_from_row(r)?,
        article_slug: r.try_get("article_slug").map_err(from_sqlx)?,
        article_title: r.try_get("article_title").map_err(from_sqlx)?,
        parent,
        reasons: get_text("d_reasons")?.map(|j| reasons_of(&j)).unwrap_or_default(),
        score: r.try_get("d_score").map_err(from_sqlx)?,
        decided_at: r.try_get::<Option<i64>, _>("d_at").map_err(from_sqlx)?.map(time),
        approved: r.try_get("approved").map_err(from_sqlx)?,
        rejected: r.try_get("rejected").map_err(from_sqlx)?,
        siblings: vec![],
        flags: None,
    })
}

/// The status change as compare-and-set, the article's count, and the audit row; `None`
/// (nothing written) when the comment's status is no longer the one the moderator saw.
pub(crate) async fn apply_decision(
    tx: &mut Tx<'_>,
    change: &StatusChange,
    now: DateTime<Utc>,
) -> Result<Option<CommentStatus>, StoreError> {
    let (changed, after_text) = match change.verdict {
        Verdict::Delete => delete_if(tx, change.comment_id, change.seen).await?,
        v => {
            let done = sqlx::query("UPDATE comments SET status = $1 WHERE id = $2 AND status = $3")
                .bind(v.status().as_str())
                .bind(change.comment_id)
                .bind(change.seen.as_str())
                .execute(&mut **tx)
                .await
                .map_err(from_sqlx)?;
            (done.rows_affected() == 1, v.status().as_str())
        }
    };
    if !changed {
        return Ok(None);
    }
    recount(tx, change.article_id).await?;
    let audit = Audit {
        action: change.verdict.as_str(),
        comment_id: Some(change.comment_id),
        ban_id: None,
        before: Some(change.seen.as_str()),
        after: Some(after_text),
        reason: change.reason.clone(),
    };
    audit.write(tx, (change.actor_id, &change.actor_name), now).await?;
    Ok(Some(change.verdict.status()))
}

/// Removes the comment if nothing replies to it, else blanks it into a placeholder; each
/// only if its status is still `seen`. Returns whether it changed, and how ("removed" or
/// "deleted").
async fn delete_if(
    tx: &mut Tx<'_>,
    id: i64,
    seen: CommentStatus,
) -> Result<(bool, &'static str), StoreError> {
    let removed = sqlx::query(
        "DELETE FROM comments WHERE id = $1 AND status = $2 \
         AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = $1)",
    )
    .bind(id)
    .bind(seen.as_str())
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    if removed.rows_affected() == 1 {
        return Ok((true, "removed"));
    }
    let blanked = sqlx::query(
        "UPDATE comments SET status = 'deleted', body_markdown = '', body_html = '', author_email = NULL \
         WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(seen.as_str())
    .execute(&mut **tx)
    .await
    .map_err(from_sqlx)?;
    Ok((blanked.rows_affected() == 1, "deleted"))
}

/// One row of the moderators' log.
struct Audit<'a> {
    action: &'a str,
    comment_id: Option<i64>,
    ban_id: Option<i64>,
    before: Option<&'a str>,
    after: Option<&'a str>,
    reason: String,
}

impl Audit<'_> {
    async fn write(
        &self,
        tx: &mut Tx<'_>,
        (actor_id, actor_name): (Option<i64>, &str),
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO moderation_actions (action, comment_id, ban_id, actor_id, actor_name, status_before, \
             status_after, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(self.action)
        .bind(self.comment_id)
        .bind(self.ban_id)
        .bind(actor_id)
        .bind(actor_name)
        .bind(self.before.map(str::to_owned))
        .bind(self.after.map(str::to_owned))
        .bind(&self.reason)
        .bind(secs(now))
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
        Ok(())
    }
}

async fn insert_ban(
    tx: &mut Tx<'_>,
    ban: &NewBan,
    actor_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO bans (kind, subject, reason, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(ban.target.kind.as_str())
    .bind(ban.target.subject())
    .bind(&ban.reason)
    .bind(actor_id)
    .bind(secs(now))
    .bind(ban.expires_at.map(secs))
    .fetch_one(&mut **tx)
    .await
    .map_err(from_sqlx)
}

/// What the log says of a ban (never the hash itself: it means nothing to a reader).
fn ban_description(ban: &NewBan) -> String {
    let who = match ban.target.kind {
        BanKind::User => format!("account {}", ban.target.value),
        kind => format!("{} hash", kind.as_str()),
    };
    let until =
        ban.expires_at.map_or("for good".to_owned(), |t| format!("until {}", t.format("%Y-%m-%d %H:%M UTC")));
    if ban.reason.is_empty() { format!("{who}, {until}") } else { format!("{who}, {until}: {}", ban.reason) }
}

/// Rejects the published and held comments of `targets`' authors, audited, and recounts
/// their articles: four statements, however many comments.
async fn remove_comments(
    tx: &mut Tx<'_>,
    targets: &[BanTarget],
    (actor_id, actor_name): (Option<i64>, &str),
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Removed, StoreError> {
    let (condition, args) = authored_by(targets, 1);
    if args.is_empty() {
        return Ok(Removed::default());
    }
    let chosen = format!("({condition}) AND status IN ('published', 'pending')");
    let select = format!("SELECT id, article_id FROM comments WHERE {chosen}");
    let rows = bound(&select, &args).fetch_all(&mut **tx).await.map_err(from_sqlx)?;
    let mut removed = Removed::default();
    for r in &rows {
        removed.comment_ids.push(r.try_get("id").map_err(from_sqlx)?);
        removed.article_ids.push(r.try_get("article_id").map_err(from_sqlx)?);
    }
    if removed.comment_ids.is_empty() {
        return Ok(removed);
    }
    removed.article_ids.sort_unstable();
    removed.article_ids.dedup();
    let n = args.len();
    let audit = format!(
        "INSERT INTO moderation_actions (action, comment_id, ban_id, actor_id, actor_name, status_before, \
         status_after, reason, created_at) SELECT 'remove', id, NULL, ${}, ${}, status, 'rejected', ${}, ${} \
         FROM comments WHERE {chosen}",
        n + 1,
        n + 2,
        n + 3,
        n + 4
    );
    bound(&audit, &args)
        .bind(actor_id)
        .bind(actor_name.to_owned())
        .bind(reason.to_owned())
        .bind(secs(now))
        .execute(&mut **tx)
        .await
        .map_err(from_sqlx)?;
    let update = format!("UPDATE comments SET status = 'rejected' WHERE {chosen}");
    bound(&update, &args).execute(&mut **tx).await.map_err(from_sqlx)?;
    for article_id in &removed.article_ids {
        recount(tx, *article_id).await?;
    }
    Ok(removed)
}

/// A value bound into a query built from optional parts.
enum Arg {
    Int(i64),
    Text(String),
}

fn bound<'q>(
    sql: &'q str,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(*i),
            Arg::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

/// `user_id IN (…) OR guest_token_hash IN (…) OR ip_hash IN (…)` for these targets, with
/// placeholders from `$start`. E-mail targets match nothing here: only their hash is known.
fn authored_by(targets: &[BanTarget], start: usize) -> (String, Vec<Arg>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    for (column, kind) in
        [("user_id", BanKind::User), ("guest_token_hash", BanKind::Guest), ("ip_hash", BanKind::Address)]
    {
        let of_kind: Vec<&BanTarget> = targets.iter().filter(|t| t.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        parts.push(format!("{column} IN ({})", placeholders(start + args.len(), of_kind.len())));
        for t in of_kind {
            args.push(match kind {
                BanKind::User => Arg::Int(t.value.parse().unwrap_or(-1)),
                _ => Arg::Text(t.value.clone()),
            });
        }
    }
    (parts.join(" OR "), args)
}

fn ban_from_row(r: &AnyRow) -> Result<Ban, StoreError> {
    let kind: String = r.try_get("kind").map_err(from_sqlx)?;
    Ok(Ban {
        id: r.try_get("id").map_err(from_sqlx)?,
        kind: BanKind::parse(&kind)
            .ok_or_else(|| StoreError::Database(format!("unknown ban kind {kind}")))?,
        reason: r.try_get("reason").map_err(from_sqlx)?,
        created_at: time(r.try_get("created_at").map_err(from_sqlx)?),
        expires_at: r.try_get::<Option<i64>, _>("expires_at").map_err(from_sqlx)?.map(time),
    })
}

/// Moderators' actions and the pipeline's decisions in one shape. The pipeline's rows keep
/// their reasons JSON in `reason` (the rules that fired are read from it).
const LOG_UNION: &str = "SELECT 'moderator' AS source, m.action AS action, m.actor_name AS actor, \
     m.comment_id AS comment_id, m.status_before AS status_before, m.status_after AS status_after, \
     m.reason AS reason, m.created_at AS at, m.id AS seq FROM moderation_actions m \
     UNION ALL \
     SELECT 'automatic', 'auto-' || d.outcome, '', d.comment_id, NULL, NULL, d.reasons, d.decided_at, d.comment_id \
     FROM comment_decisions d";

fn log_conditions(f: &LogFilter) -> (String, Vec<Arg>) {
    let mut parts = vec!["1 = 1".to_owned()];
    let mut args = Vec::new();
    let next = |a: Arg, args: &mut Vec<Arg>| {
        args.push(a);
        format!("${}", args.len())
    };
    match f.action.as_deref() {
        None => {}
        Some(source @ ("moderator" | "automatic")) => {
            parts.push(format!("source = {}", next(Arg::Text(source.into()), &mut args)));
        }
        Some(action) => parts.push(format!("action = {}", next(Arg::Text(action.into()), &mut args))),
    }
    if let Some(who) = &f.who {
        let name = next(Arg::Text(who.clone()), &mut args);
        let rule = next(Arg::Text(format!("%\"signal\":\"{}\"%", like_escaped(who))), &mut args);
        parts.push(format!(
            "((source = 'moderator' AND actor = {name}) OR (source = 'automatic' AND reason LIKE {rule} ESCAPE '\\'))"
        ));
    }
    if let Some(id) = f.comment_id {
        parts.push(format!("comment_id = {}", next(Arg::Int(id), &mut args)));
    }
    let (from, to) = f.range();
    if let Some(from) = from {
        parts.push(format!("at >= {}", next(Arg::Int(secs(from)), &mut args)));
    }
    if let Some(to) = to {
        parts.push(format!("at < {}", next(Arg::Int(secs(to)), &mut args)));
    }
    (parts.join(" AND "), args)
}

/// `s` matched literally inside a LIKE pattern (escape character `\`).
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn log_entry(r: &AnyRow) -> Result<LogEntry, StoreError> {
    let source: String = r.try_get("source").map_err(from_sqlx)?;
    let action: String = r.try_get("action").map_err(from_sqlx)?;
    let comment_id: Option<i64> = r.try_get("comment_id").map_err(from_sqlx)?;
    let reason: String = r.try_get("reason").map_err(from_sqlx)?;
    let at = time(r.try_get("at").map_err(from_sqlx)?);
    let seq: i64 = r.try_get("seq").map_err(from_sqlx)?;
    if source == "automatic" {
        let outcome = action.trim_start_matches("auto-");
        return Ok(LogEntry::automatic(at, comment_id.unwrap_or_default(), outcome, &reason));
    }
    Ok(LogEntry {
        at,
        source: Source::Moderator,
        action,
        actor: r.try_get("actor").map_err(from_sqlx)?,
        comment_id,
        status_before: r.try_get("status_before").map_err(from_sqlx)?,
        status_after: r.try_get("status_after").map_err(from_sqlx)?,
        reason,
        seq,
    })
}
