//! Group commit for new comments. A commit waits for the disk (a few milliseconds here),
//! so one transaction per comment caps a busy discussion at a few hundred posts a second.
//! Comments posted at the same moment are written by one task in one transaction, each in
//! its own savepoint (one that fails does not fail the others), and every poster is
//! answered only once that transaction has committed: nothing acknowledged is lost.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};
use tribune_core::comment::{Comment, CommentStatus};
use tribune_core::store::{CommentRecord, StoreError};

use crate::comments::{NewRow, Place, count_new, insert_row};
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
}

impl CommentWriter {
    /// Starts the writer on the current Tokio runtime, with a pool of its own.
    pub(crate) fn start(pool: AnyPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(pool.clone(), queue));
        CommentWriter { jobs, pool }
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

async fn write_batches(pool: AnyPool, mut queue: mpsc::Receiver<Work>) {
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
            let results = write(&pool, &batch).await;
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
async fn write(pool: &AnyPool, batch: &[Job]) -> Vec<Result<Comment, StoreError>> {
    let all_failed = |e: StoreError| batch.iter().map(|_| Err(e.clone())).collect();
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return all_failed(from_sqlx(e)),
    };
    // Rate limits are read, then written. On SQLite a transaction that read first and
    // writes later fails if another connection wrote in between: a write first (that
    // changes nothing) makes this the writer from the start.
    if batch.iter().any(|job| !job.record.rate.is_empty()) {
        let claim = sqlx::query("UPDATE throttles SET attempts = attempts WHERE throttle_key = ''");
        if let Err(e) = claim.execute(&mut *tx).await {
            return all_failed(from_sqlx(e));
        }
    }
    let burst: Vec<_> = batch.iter().map(|job| (job.record.rate.as_slice(), job.now)).collect();
    let admitted = match count_burst(&mut tx, &burst).await {
        Ok(admitted) => admitted,
        Err(e) => return all_failed(e),
    };
    let mut results = Vec::with_capacity(batch.len());
    for (job, admitted) in batch.iter().zip(admitted) {
        results.push(match admitted {
            Ok(()) => write_one(&mut tx, job).await,
            Err(throttled) => Err(throttled.into()),
        });
    }
    if let Err(e) = insert_decisions(&mut tx, batch, &results).await {
        return all_failed(e);
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

async fn write_one(tx: &mut sqlx::Transaction<'_, sqlx::Any>, job: &Job) -> Result<Comment, StoreError> {
    let r = &job.record;
    sqlx::query("SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
    let parent = r.parent.as_ref().map(|p| Place {
        path: p.path.clone(),
        root_id: p.root_id,
        depth: i64::from(p.depth),
    });
    let row = NewRow {
        article_id: r.article_id,
        parent_id: r.parent.as_ref().map(|p| p.id),
        status: r.status,
        comment: &r.comment,
        user_id: r.user_id,
        guest_token_hash: r.guest_token_hash.as_deref(),
        ip_hash: r.ip_hash.as_deref(),
        body_hash: r.body_hash.as_deref(),
        created_at: job.now,
    };
    let written = insert_row(tx, &row, parent.as_ref()).await;
    match written {
        Ok((id, place)) => {
            sqlx::query("RELEASE SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
            Ok(stored(r, id, place, job.now))
        }
        Err(e) => {
            sqlx::query("ROLLBACK TO SAVEPOINT one_comment").execute(&mut **tx).await.map_err(from_sqlx)?;
            Err(e)
        }
    }
}

/// Decision rows per statement: well under either backend's limit on binds.
const DECISIONS_PER_STATEMENT: usize = 200;

/// Moderation's decisions beside the comments stored, a statement per chunk, committed
/// with them.
async fn insert_decisions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
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
            (0..chunk.len()).map(|i| format!("({})", placeholders(5 * i + 1, 5))).collect();
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
