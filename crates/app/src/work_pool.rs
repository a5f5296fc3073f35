//! The bounded pool for expensive work (password hashing now; imports and image resizing
//! to come): a fixed set of threads, one per core, and a short queue. A job that finds the
//! queue full waits a moment, then is turned away (503 with `Retry-After`), so a flood of
//! logins costs at most the pool's memory: each Argon2 hash takes 19 MiB, and the same few
//! threads reuse it instead of thousands of threads each keeping their own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tribune_core::work::{Busy, Worker};

type Job = Box<dyn FnOnce() + Send>;

pub struct WorkPool {
    queue: mpsc::Sender<Job>,
    /// How long a job may wait for room in the queue before it is turned away.
    patience: Duration,
}

/// Jobs that may wait per thread: at tens of milliseconds a hash, a queue this long
/// drains in well under a second.
const QUEUE_PER_THREAD: usize = 16;

impl WorkPool {
    pub fn new(threads: usize, patience: Duration) -> WorkPool {
        let threads = threads.max(1);
        let (queue, jobs) = mpsc::channel::<Job>(threads * QUEUE_PER_THREAD);
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..threads {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("tribune-work-{i}"))
                .spawn(move || {
                    tribune_core::password::keep_work_memory();
                    // One thread waits for the next job while holding the lock; the others
                    // wait for the lock. The lock is released before the job runs.
                    while let Some(job) = { jobs.lock().expect("work queue").blocking_recv() } {
                        job();
                    }
                })
                .expect("start a work thread");
        }
        WorkPool { queue, patience }
    }

    /// One thread per core: hashing is CPU-bound, more threads would only share the cores.
    pub fn sized_to_machine() -> WorkPool {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        WorkPool::new(cores, Duration::from_millis(500))
    }
}

impl Worker for WorkPool {
    async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone (its client hung up); the result is then dropped.
            let _ = done.send(job());
        });
        self.queue.send_timeout(job, self.patience).await.map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_turns_work_away_when_full() {
        let pool = Arc::new(WorkPool::new(1, Duration::from_millis(20)));
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
        // One job holds the only thread, the queue fills up, and the next is turned away.
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let p = Arc::clone(&pool);
        let held = tokio::spawn(async move { p.run(move || wait.recv().is_ok()).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let queued: Vec<_> = (0..QUEUE_PER_THREAD)
            .map(|i| {
                let p = Arc::clone(&pool);
                tokio::spawn(async move { p.run(move || i).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.run(|| 0).await, Err(Busy));
        release.send(()).unwrap();
        assert_eq!(held.await.unwrap(), Ok(true));
        for (i, job) in queued.into_iter().enumerate() {
            assert_eq!(job.await.unwrap(), Ok(i), "queued jobs all run once there is room");
        }
    }
}
