//! Group commit for new comments. A commit waits for the disk (a few milliseconds here),
//! so one transaction per comment caps a busy discussion at a few hundred posts a second.
//! Comments posted at the same moment are written by one task in one transaction, each in
//! its own savepoint (one that fails does not fail the others), and every poster is
//! answered only once that transaction has committed: nothing acknowledged is lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use tribune_core::comment::{Comment, CommentStatus};
use tribune_core::moderation::{BurstText, DUPLICATE, Decision, Outcome, copies_in_burst};
use tribune_core::store::{CommentRecord, StoreError};
use tribune_core::throttle::Throttled;

use crate::Backend;
use crate::comments::{NewRow, Place, PlacedRow, count_new, insert_placed, new_comment_ids};
use crate::dialect::markers;
use crate::error::from_sqlx;
use crate::rows::{placeholders, secs, time};
use crate::throttles::count_burst;

/// The most comments in one transaction: enough to absorb a burst, small enough that the
/// first poster in it does not wait long.
const MAX_BATCH: usize = 256;
/// Posts waiting for the writer before new ones wait for room.
const QUEUE: usize = 4096;

struct Job {
    record: CommentRecord,
    now: DateTime<Utc>,
    done: oneshot::Sender<Result<Comment, StoreError>>,
}

enum Work {
    // Boxed: a job is some hundred bytes, a flush eight, and the queue holds thousands.
    Write(Box<Job>),
    /// Answered once everything queued before it is committed (a shutdown waits for it).
    Flush(oneshot::Sender<()>),
}

/// The handle every clone of a [`Store`](crate::Store) shares; the writer task ends when
/// the last one is dropped.
#[derive(Debug, Clone)]
pub(crate) struct CommentWriter {
    jobs: mpsc::Sender<Work>,
    pool: AnyPool,
    stats: Arc<WriterCounters>,
}

/// What the writer has done since the node started, for the operator's metrics.
#[derive(Debug, Default)]
pub(crate) struct WriterCounters {
    batches: AtomicU64,
    published: AtomicU64,
    held: AtomicU64,
    rejected: AtomicU64,
    refused: AtomicU64,
}

/// A reading of [`WriterCounters`]: transactions committed and what their comments became.
/// `comments / batches` is the mean batch a burst of posts shares one commit with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub batches: u64,
    pub published: u64,
    pub held: u64,
    /// Stored but shown to nobody (rejected as it was posted).
    pub rejected: u64,
    /// Refused inside the writer (rate limits, a poster's own copy) or failed.
    pub refused: u64,
}

impl WriterCounters {
    fn record(&self, results: &[Result<Comment, StoreError>]) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        for result in results {
            let counter = match result.as_ref().map(|c| c.status) {
                Ok(CommentStatus::Published) => &self.published,
                Ok(CommentStatus::Pending) => &self.held,
                Ok(_) => &self.rejected,
                Err(_) => &self.refused,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn read(&self) -> WriterStats {
        WriterStats {
            batches: self.batches.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            held: self.held.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

impl CommentWriter {
    /// Starts the writer on a thread and runtime of its own, with the pool that `connect`
    /// opens there. On the request runtime, each statement of a batch (ten or so, each a
    /// hop to the database and back) waited its turn behind the posters' handlers, and the
    /// next batch waited for the whole chain: a burst of posts was bound by that queue, not
    /// by the disk. Returns once the pool is open (or could not be).
    pub(crate) async fn start<F>(connect: F, backend: Backend) -> Result<Self, StoreError>
    where
        F: Future<Output = Result<AnyPool, StoreError>> + Send + 'static,
    {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let stats = Arc::new(WriterCounters::default());
        let (opened, pool) = oneshot::channel();
        let counters = stats.clone();
        let cannot_start =
            |e: std::io::Error| StoreError::Unavailable(format!("cannot start the comment writer: {e}"));
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(cannot_start)?;
        // Connections made on this runtime are driven by it: a busy request runtime does
        // not delay the writer's replies from PostgreSQL either.
        std::thread::Builder::new()
            .name("comment-writer".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let pool = match connect.await {
                        Ok(pool) => pool,
                        Err(e) => return drop(opened.send(Err(e))),
                    };
                    if opened.send(Ok(pool.clone())).is_ok() {
                        write_batches(pool, backend, queue, counters).await;
                    }
                })
            })
            .map_err(cannot_start)?;
        let stopped = || StoreError::Unavailable("the comment writer stopped as it started".into());
        let pool = pool.await.map_err(|_| stopped())??;
        Ok(CommentWriter { jobs, pool, stats })
    }

    pub(crate) fn stats(&self) -> WriterStats {
        self.stats.read()
    }

    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Stores a comment; returns once it is committed.
    pub(crate) async fn insert(
        &self,
        record: CommentRecord,
        now: DateTime<Utc>,
    ) -> Result<Comment, StoreError> {
        let (done, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the comment writer has stopped".into());
        self.jobs.send(Work::Write(Box::new(Job { record, now, done }))).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Returns once every comment queued so far is committed (or refused).
    pub(crate) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.jobs.send(Work::Flush(done)).await.is_ok() {
            let _ = flushed.await;
        }
    }
}

async fn write_batches(
    pool: AnyPool,
    backend: Backend,
    mut queue: mpsc::Receiver<Work>,
    stats: Arc<WriterCounters>,
) {
    while let Some(first) = queue.recv().await {
        let (mut batch, mut flushes) = (Vec::new(), Vec::new());
        let mut next = Some(first);
        while let Some(work) = next {
            match work {
                Work::Write(job) => batch.push(*job),
                Work::Flush(done) => flushes.push(done),
            }
            next = if batch.len() < MAX_BATCH { queue.try_recv().ok() } else { None };
        }
        if !batch.is_empty() {
            let results = write(&pool, backend, &mut batch).await;
            stats.record(&results);
            for (job, result) in batch.into_iter().zip(results) {
                // A poster that gave up waiting still has its comment stored.
                let _ = job.done.send(result);
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// One transaction for the whole batch; one result per job, in order.
async fn write(pool: &AnyPool, backend: Backend, batch: &mut [Job]) -> Vec<Result<Comment, StoreError>> {
    let n = batch.len();
    let all_failed = |e: StoreError| (0..n).map(|_| Err(e.clone())).collect();
    // Rate limits and the largest comment id are read, then written.
    let mut tx = match crate::begin_write(pool, backend).await {
        Ok(tx) => tx,
        Err(e) => return all_failed(e),
    };
    let burst: Vec<_> = batch.iter().map(|job| (job.record.rate.as_slice(), job.now)).collect();
    let admitted = match count_burst(&mut tx, &burst).await {
        Ok(admitted) => admitted,
        Err(e) => return all_failed(e),
    };
    let admitted = match judge_copies(&mut tx, batch, admitted).await {
        Ok(admitted) => admitted,
        Err(e) => return all_failed(e),
    };
    let results = match write_admitted(&mut tx, backend, batch, admitted).await {
        Ok(results) => results,
        Err(e) => return all_failed(e),
    };
    if let Err(e) = insert_decisions(&mut tx, backend, batch, &results).await {
        return all_failed(e);
    }
    for (job, result) in batch.iter().zip(&results) {
        let r = &job.record;
        let has_mail = r.subscription.is_some()
            || r.mail.confirmation.is_some()
            || r.mail.reply_notice.is_some()
            || !r.mail.author_notices.is_empty();
        if let (true, Ok(comment)) = (has_mail, result)
            && let Err(e) = crate::reply_subscriptions::write_with_comment(
                &mut tx,
                r,
                comment.id,
                comment.status,
                job.now,
            )
            .await
        {
            return all_failed(e);
        }
    }
    let mut published: BTreeMap<i64, i64> = BTreeMap::new();
    for comment in results.iter().flatten().filter(|c| c.status == CommentStatus::Published) {
        *published.entry(comment.article_id).or_default() += 1;
    }
    for (article_id, n) in published {
        if let Err(e) = count_new(&mut tx, article_id, n).await {
            return all_failed(e);
        }
    }
    match tx.commit().await {
        Ok(()) => results,
        Err(e) => all_failed(from_sqlx(e)),
    }
}

/// Copies of one text within the burst, or stored since the lookup before the write (by
/// an earlier burst), among the comments the rate limits admitted
/// (`moderation::copies_in_burst`): another poster's copy is held, the poster's own refused.
/// A comment the lookup already found a copy of is not judged twice.
async fn judge_copies(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    batch: &mut [Job],
    admitted: Vec<Result<(), Throttled>>,
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let checked: Vec<Option<(&str, DateTime<Utc>)>> = batch
        .iter()
        .zip(&admitted)
        .map(|(job, admitted)| {
            let r = &job.record;
            let found = r.decision.as_ref().is_some_and(|d| d.reasons.iter().any(|r| r.signal == DUPLICATE));
            Some((r.body_hash.as_deref()?, r.copies_since?)).filter(|_| admitted.is_ok() && !found)
        })
        .collect();
    let rows = stored_copies(tx, &checked).await?;
    let stored: Vec<BurstText<'_>> = rows
        .iter()
        .map(|(hash, user_id, guest)| BurstText {
            body_hash: hash,
            user_id: *user_id,
            guest_token_hash: guest.as_deref(),
        })
        .collect();
    let texts: Vec<Option<BurstText<'_>>> = batch
        .iter()
        .zip(&checked)
        .map(|(job, checked)| {
            let (hash, _) = (*checked)?;
            Some(BurstText {
                body_hash: hash,
                user_id: job.record.user_id,
                guest_token_hash: job.record.guest_token_hash.as_deref(),
            })
        })
        .collect();
    let copies = copies_in_burst(&stored, &texts);
    Ok(batch
        .iter_mut()
        .zip(admitted)
        .zip(copies)
        .map(|((job, admitted), copy)| {
            admitted?;
            match copy {
                Some(reason) if reason.outcome == Outcome::Refuse => Err(StoreError::Refused(reason.detail)),
                Some(reason) => {
                    job.record.status = CommentStatus::Pending;
                    job.record.decision.get_or_insert_with(Decision::default).add(reason);
                    Ok(())
                }
                None => Ok(()),
            }
        })
        .collect())
}

/// The stored comments carrying any of these texts since the earliest time given: one
/// indexed query for the burst (`comments_by_body_hash`).
async fn stored_copies(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    checked: &[Option<(&str, DateTime<Utc>)>],
) -> Result<Vec<(String, Option<i64>, Option<String>)>, StoreError> {
    let mut hashes: Vec<&str> = checked.iter().flatten().map(|(hash, _)| *hash).collect();
    let Some(since) = checked.iter().flatten().map(|(_, since)| *since).min() else {
        return Ok(vec![]);
    };
    hashes.sort_unstable();
    hashes.dedup();
    let sql = format!(
        "SELECT body_hash, user_id, guest_token_hash FROM comments WHERE created_at >= $1 AND body_hash IN ({})",
        placeholders(2, hashes.len())
    );
    let mut query = sqlx::query_as(&sql).bind(secs(since));
    for hash in hashes {
        query = query.bind(hash);
    }
    query.fetch_all(&mut **tx).await.map_err(from_sqlx)
}

/// Writes the comments the rate limits admitted, each with its id and path from the
/// start: all in one statement when they all fit, else each in its own savepoint so that
/// one refused (its parent deleted meanwhile) fails alone. One result per job, in order.
async fn write_admitted(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    batch: &[Job],
    admitted: Vec<Result<(), StoreError>>,
) -> Result<Vec<Result<Comment, StoreError>>, StoreError> {
    let n = admitted.iter().filter(|a| a.is_ok()).count();
    let mut ids = new_comment_ids(tx, backend, n).await?.into_iter();
    let mut placed = Vec::with_capacity(n);
    for (job, admitted) in batch.iter().zip(&admitted) {
        if admitted.is_ok() {
            let id = ids.next().ok_or_else(|| StoreError::Database("too few new comment ids".into()))?;
            placed.push(placed_row(job, id));
        }
    }
    let mut written = write_placed(tx, backend, &placed).await?.into_iter().zip(placed);
    let mut results = Vec::with_capacity(batch.len());
    for (job, admitted) in batch.iter().zip(admitted) {
        results.push(match admitted {
            Ok(()) => match written.next() {
                Some((Ok(()), row)) => Ok(stored(&job.record, row.id, row.place, job.now)),
                Some((Err(e), _)) => Err(e),
                None => Err(StoreError::Database("a comment left unwritten".into())),
            },
            Err(refused) => Err(refused),
        });
    }
    Ok(results)
}

/// A job's row, placed under its parent (at the top without one) with the id given.
fn placed_row(job: &Job, id: i64) -> PlacedRow<'_> {
    let r = &job.record;
    let parent = r.parent.as_ref();
    let above = parent.map(|p| Place { path: p.path.clone(), root_id: p.root_id, depth: i64::from(p.depth) });
    let place = Place::below(above.as_ref(), id);
    let row = NewRow {
        article_id: r.article_id,
        parent_id: parent.map(|p| p.id),
        status: r.status,
        comment: &r.comment,
        user_id: r.user_id,
        guest_token_hash: r.guest_token_hash.as_deref(),
        ip_hash: r.ip_hash.as_deref(),
        body_hash: r.body_hash.as_deref(),
        created_at: job.now,
    };
    PlacedRow { id, row, place, source: None }
}

/// One result per row: all written by one statement, or, when that fails, each tried in
/// its own savepoint.
async fn write_placed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    rows: &[PlacedRow<'_>],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    sqlx::query("SAVEPOINT all_comments").execute(&mut **tx).await.map_err(from_sqlx)?;
    if insert_placed(tx, backend, rows).await.is_ok() {
        sqlx::query("RELEASE SAVEPOINT all_comments").execute(&mut **tx).await.map_err(from_sqlx)?;
        return Ok(rows.iter().map(|_| Ok(())).collect());
    }
    sqlx::query("ROLLBACK TO SAVEPOINT all_comments").execute(&mut **tx).await.map_err(from_sqlx)?;
    sqlx::query("RELEASE SAVEPOINT all_comments").execute(&mut **tx).await.map_err(from_sqlx)?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        results.push(write_one(tx, backend, row).await?);
    }
    Ok(results)
}

/// One comment in its own savepoint: its failure is its own result, not the batch's.
async fn write_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    row: &PlacedRow<'_>,
) -> Result<Result<(), StoreError>, StoreError> {
    sqlx::query("SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
    match insert_placed(tx, backend, std::slice::from_ref(row)).await {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
            Ok(Ok(()))
        }
        Err(e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
            sqlx::query("RELEASE SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
            Ok(Err(e))
        }
    }
}

/// Decision rows per statement: well under either backend's limit on binds.
const DECISIONS_PER_STATEMENT: usize = 200;

/// Moderation's decisions beside the comments stored, a statement per chunk, committed
/// with them.
async fn insert_decisions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    batch: &[Job],
    results: &[Result<Comment, StoreError>],
) -> Result<(), StoreError> {
    let stored: Vec<_> = batch
        .iter()
        .zip(results)
        .filter_map(|(job, result)| Some((result.as_ref().ok()?.id, job.record.decision.as_ref()?, job.now)))
        .collect();
    for chunk in stored.chunks(DECISIONS_PER_STATEMENT) {
        let rows: Vec<String> =
            (0..chunk.len()).map(|i| format!("({})", markers(backend, 5 * i + 1, 5))).collect();
        let sql = format!(
            "INSERT INTO comment_decisions (comment_id, outcome, score, reasons, decided_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, decision, now) in chunk {
            query = query
                .bind(*id)
                .bind(decision.outcome.as_str())
                .bind(f64::from(decision.score))
                .bind(decision.reasons_json())
                .bind(secs(*now));
        }
        query.execute(&mut **tx).await.map_err(from_sqlx)?;
    }
    Ok(())
}

/// The comment as the row now holds it, without reading it back.
fn stored(r: &CommentRecord, id: i64, place: Place, now: DateTime<Utc>) -> Comment {
    Comment {
        id,
        article_id: r.article_id,
        parent_id: r.parent.as_ref().map(|p| p.id),
        root_id: place.root_id,
        depth: u32::try_from(place.depth).unwrap_or(u32::MAX),
        path: place.path,
        status: r.status,
        body_markdown: r.comment.body_markdown.clone(),
        body_html: r.comment.body_html.clone(),
        author_name: r.comment.author_name.clone(),
        user_id: r.user_id,
        guest_token_hash: r.guest_token_hash.clone(),
        score: 0,
        created_at: time(secs(now)),
        edited_at: None,
    }
}
