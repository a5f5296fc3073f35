//! The outbox worker: a background task on every node that claims due messages, hands
//! them to SMTP and records the outcome. Requests only write to the outbox, so the site
//! never waits for SMTP; a message is lost neither when SMTP is down (it is retried with
//! a growing wait) nor when a node dies (its claim runs out and another node takes it).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tribune_core::mail::{AfterFailure, LEASE, after_failure};
use tribune_core::store::{OutboxStore, StoreError};
use tribune_store::Store;

use crate::mail::{MailError, Mailer};

/// Messages claimed at a time: a batch goes out over one pooled connection, and a node
/// holds no more than it sends within its lease.
const BATCH: u32 = 20;

/// How often an idle worker looks for due messages (other nodes' and retries); a message
/// queued on this node wakes it at once.
const POLL: Duration = Duration::from_secs(1);

/// Sent messages are kept this long (the admin counts the week's), then deleted.
const KEEP_SENT: Duration = Duration::from_secs(7 * 24 * 3600);

/// How often a worker deletes the sent messages older than that.
const SWEEP: Duration = Duration::from_secs(3600);

/// Sends what the outbox holds, until stopped.
pub struct MailWorker {
    store: Store,
    mailer: Mailer,
    first_wait: Duration,
    /// Rung by whoever queues a message on this node.
    pub wake: Arc<Notify>,
}

impl MailWorker {
    pub fn new(store: Store, mailer: Mailer, first_wait: Duration) -> MailWorker {
        MailWorker { store, mailer, first_wait, wake: Arc::new(Notify::new()) }
    }

    /// Runs the worker as a task; aborting it mid-send leaves the message claimed, to be
    /// sent again when the claim runs out.
    pub fn start(self: Arc<Self>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut swept: Option<tokio::time::Instant> = None;
            loop {
                if swept.is_none_or(|at| at.elapsed() >= SWEEP) {
                    swept = Some(tokio::time::Instant::now());
                    let before = Utc::now() - chrono::Duration::from_std(KEEP_SENT).unwrap_or_default();
                    if let Err(e) = self.store.forget_sent_mail(before).await {
                        tracing::warn!(error = %e, "sent mail could not be swept");
                    }
                }
                match self.send_due().await {
                    Ok(n) if n == BATCH as usize => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the outbox could not be read"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = self.wake.notified() => {}
                }
            }
        })
    }

    /// Claims one batch of due messages and tries each; returns how many were claimed.
    /// After a passing failure (the server down or slow), the rest of the batch is put
    /// back untried with the same wait; so is what would be sent late in the lease, so
    /// that no other node takes a message this one is still sending.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        let claimed_at = tokio::time::Instant::now();
        let claimed = self.store.claim_mail(BATCH, Utc::now()).await?;
        let mut put_back: Option<(AfterFailure, String)> = None;
        for queued in &claimed {
            if put_back.is_none() && claimed_at.elapsed() > LEASE / 2 {
                put_back = Some((AfterFailure::RetryAt(Utc::now()), "put back: the batch ran long".into()));
            }
            if let Some((after, why)) = &put_back {
                self.store.mail_failed(queued.id, why, *after).await?;
                continue;
            }
            match self.mailer.send(&queued.mail).await {
                Ok(()) => self.store.mail_sent(queued.id, Utc::now()).await?,
                Err(e) => {
                    let permanent = matches!(e, MailError::Send { permanent: true, .. });
                    let after = after_failure(queued.attempts, permanent, Utc::now(), self.first_wait);
                    match after {
                        AfterFailure::GiveUp => {
                            tracing::error!(id = queued.id, attempts = queued.attempts, error = %e, "mail given up")
                        }
                        AfterFailure::RetryAt(at) => {
                            tracing::warn!(id = queued.id, attempts = queued.attempts, retry_at = %at, error = %e, "mail not sent")
                        }
                    }
                    self.store.mail_failed(queued.id, &e.to_string(), after).await?;
                    if !permanent && let AfterFailure::RetryAt(_) = after {
                        put_back = Some((after, format!("not tried: {e}")));
                    }
                }
            }
        }
        Ok(claimed.len())
    }
}
