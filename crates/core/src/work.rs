//! Where expensive work runs. Hashing a password takes 19 MiB and tens of milliseconds; a
//! flood of logins that each got a thread took a server to 5.5 GB. So the use cases hand
//! such work to a `Worker`: on the server a pool bounded to the machine, which turns work
//! away when it is full, and on the command line the calling thread itself.

/// The pool is full: nothing was done, and the caller may try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy: try again in a moment")]
pub struct Busy;

pub trait Worker {
    async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
}

/// Runs the work right away on the calling thread: for the command line and tests, where
/// one person waits for one job.
pub struct Inline;

impl Worker for Inline {
    async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        Ok(job())
    }
}
