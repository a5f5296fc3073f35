//! The accept loop, with the limits an open internet needs and `axum::serve` does not
//! offer: a cap on open connections (shedding quiet ones when it is reached),
//! timeouts for headers, idle keep-alive and requests, accept errors (out of file
//! descriptors) that neither spin nor stop the server, and a shutdown that lets requests in
//! flight finish but cuts what is left after a deadline.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;

/// The connection settings, read once from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            max_connections: connection_cap(config.max_connections),
            header_timeout: Duration::from_secs(config.header_timeout_seconds),
            request_timeout: Duration::from_secs(config.request_timeout_seconds),
            shutdown_grace: Duration::from_secs(config.shutdown_grace_seconds),
        }
    }
}

/// Open files kept for all but connections: database connections, SQLite's files, logs.
const RESERVED_FILES: u64 = 256;
/// The most connections a cap sized to the open-files limit allows: even idle, each costs
/// some kilobytes of buffers.
const AUTO_CAP_CEILING: u64 = 8192;

/// The configured cap, or (0) one sized to the open-files limit, which is first raised to
/// what the system allows, as Go's runtime does: the usual soft limit of 1,024 is a relic,
/// and under it 1,100 idle sockets once left no room for a reader.
fn connection_cap(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let cap = files.saturating_sub(RESERVED_FILES).clamp(64, AUTO_CAP_CEILING);
    tracing::info!(
        max_connections = cap,
        open_files_limit = files,
        "connection cap sized to the open-files limit"
    );
    usize::try_from(cap).unwrap_or(64)
}

/// How long the loop rests after an accept error such as "too many open files": retrying
/// at once would spin a core while nothing can be accepted anyway.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// At the cap, connections that have begun no request for this long are closed (checked
/// again each time this passes while the cap holds): otherwise sockets that send nothing
/// would keep readers waiting for the full header timeout. Readers at work, and a new
/// connection whose request is just arriving, are spared.
const SHED_AFTER: Duration = Duration::from_secs(1);

/// What the accept loop tells every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Serve,
    /// The cap is reached: close if nothing was asked for [`SHED_AFTER`] (at once if no
    /// request is in flight, else after its response).
    Shed,
    /// Shutting down: close if idle, else after this response.
    Stop,
    /// The shutdown grace period is over: close now.
    Cut,
}

/// What may answer a request before `app` sees it (see `http::front_door`); `None` passes
/// it on.
pub type FrontDoor = Arc<dyn Fn(&Request<Incoming>) -> Option<Response> + Send + Sync>;

/// Serves `app` (behind `front_door`) on `listener` until `shutdown` completes; then stops
/// accepting, lets the requests in flight finish for up to `shutdown_grace`, and cuts the
/// connections left.
pub async fn serve(
    listener: TcpListener,
    front_door: FrontDoor,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = app.layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout));
    let mut http = http1::Builder::new();
    // Kept by each connection's watchdog instead: hyper's would set a timer and cancel it
    // for every request (a box, and the timer wheel's lock twice).
    http.header_read_timeout(None);
    let (orders, _) = watch::channel(Order::Serve);
    let mut cap = ConnectionCap::new(limits.max_connections, orders.clone());
    tokio::pin!(shutdown);
    loop {
        let next = async {
            let permit = cap.acquire().await;
            (permit, accept(&listener).await)
        };
        let (permit, (stream, peer)) = tokio::select! {
            next = next => next,
            () = &mut shutdown => break,
        };
        let connection = Connection {
            http: http.clone(),
            header_timeout: limits.header_timeout,
            front_door: front_door.clone(),
            app: app.clone(),
            orders: orders.subscribe(),
        };
        tokio::spawn(connection.serve(stream, peer, permit));
    }
    drop(listener);
    finish(&cap, &orders, limits.shutdown_grace).await;
}

/// Waits for the open connections to finish their requests, and cuts them at the deadline.
async fn finish(cap: &ConnectionCap, orders: &watch::Sender<Order>, grace: Duration) {
    tracing::info!(open = cap.open(), "no longer accepting connections; finishing the requests in flight");
    orders.send_replace(Order::Stop);
    if tokio::time::timeout(grace, cap.all_closed()).await.is_ok() {
        return;
    }
    tracing::warn!(open = cap.open(), "cutting the connections still open after the shutdown grace period");
    orders.send_replace(Order::Cut);
    // Each connection stops at once when told; this only waits for its task to notice.
    let _ = tokio::time::timeout(Duration::from_secs(1), cap.all_closed()).await;
}

/// What each connection's task needs.
struct Connection {
    http: http1::Builder,
    /// How long a connection may wait for a request's headers once it is ready for one:
    /// after it opens, and after each response (kept-alive).
    header_timeout: Duration,
    front_door: FrontDoor,
    app: Router,
    orders: watch::Receiver<Order>,
}

impl Connection {
    async fn serve(mut self, stream: TcpStream, peer: SocketAddr, _permit: OwnedSemaphorePermit) {
        // A response written in more than one piece must not wait for the client's ACK.
        let _ = stream.set_nodelay(true);
        let opened = Instant::now();
        let activity = Arc::new(Activity::default());
        let (front_door, app) = (self.front_door, self.app);
        let service = {
            let activity = activity.clone();
            hyper::service::service_fn(move |mut request: Request<Incoming>| {
                activity.asked(opened);
                // A page answered at the door drops its request here, before hyper reads on:
                // the request borrows hyper's read buffer, which hyper then reuses for the
                // next one instead of allocating another 8 KiB.
                let routed = match front_door(&request) {
                    Some(response) => Ok(response),
                    None => {
                        // Handlers read the peer address (throttles) as axum's `serve`
                        // would give it; a cached page needs none.
                        request.extensions_mut().insert(ConnectInfo(peer));
                        Err(request)
                    }
                };
                let (app, activity) = (app.clone(), activity.clone());
                async move {
                    let response = match routed {
                        Ok(response) => response,
                        Err(request) => app.oneshot(request).await?,
                    };
                    Ok::<_, std::convert::Infallible>(response.map(|body| Answering {
                        body,
                        activity,
                        opened,
                    }))
                }
            })
        };
        let connection = self.http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let check_every = (self.header_timeout / 4).clamp(WATCHDOG_MIN, WATCHDOG_MAX);
        let watchdog = tokio::time::sleep(check_every);
        tokio::pin!(watchdog);
        loop {
            tokio::select! {
                () = &mut watchdog => {
                    if activity.waiting_for_request(opened) >= self.header_timeout {
                        // Nothing in flight, nothing owed: an idle kept-alive connection, or
                        // headers sent too slowly.
                        tracing::debug!(%peer, "no request within the header timeout; closing");
                        return;
                    }
                    watchdog.as_mut().reset(tokio::time::Instant::now() + check_every);
                }
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        // Timeouts and clients that hang up: routine on the internet.
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                    return;
                }
                changed = self.orders.changed() => {
                    let order = *self.orders.borrow_and_update();
                    let silent = !activity.ever_asked();
                    let quiet = activity.quiet_for(opened) >= SHED_AFTER;
                    match order {
                        _ if changed.is_err() => return,
                        Order::Serve => {}
                        Order::Cut => return,
                        // Nothing asked, nothing owed: a half-sent request line is dropped.
                        Order::Stop if silent => return,
                        Order::Shed if silent && quiet => return,
                        // A reader at work, or one whose request is on its way: the next
                        // round decides.
                        Order::Shed if !quiet => {}
                        // Closes an idle kept-alive connection now, a busy one after its response.
                        Order::Stop | Order::Shed => connection.as_mut().graceful_shutdown(),
                    }
                }
            }
        }
    }
}

/// How often a connection's watchdog looks, as a share of the header timeout (a quarter)
/// within these bounds: a connection is closed between one and one and a quarter header
/// timeouts after it became ready for a request that did not come.
const WATCHDOG_MIN: Duration = Duration::from_millis(50);
const WATCHDOG_MAX: Duration = Duration::from_millis(2500);

/// What a connection has been doing, in milliseconds since it opened (+1; 0: never): when
/// it last began a request and last finished a response, and how many are in flight.
#[derive(Default)]
struct Activity {
    asked: AtomicU64,
    answered: AtomicU64,
    in_flight: AtomicU32,
}

fn millis_since(opened: Instant) -> u64 {
    u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX).saturating_add(1)
}

impl Activity {
    fn asked(&self, opened: Instant) {
        self.asked.store(millis_since(opened), Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    fn answered(&self, opened: Instant) {
        self.answered.store(millis_since(opened), Ordering::Relaxed);
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    fn ever_asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed) > 0
    }

    /// How long since the last request began (or since the connection opened).
    fn quiet_for(&self, opened: Instant) -> Duration {
        let last = Duration::from_millis(self.asked.load(Ordering::Relaxed).saturating_sub(1));
        opened.elapsed().saturating_sub(last)
    }

    /// How long the connection has been ready for a request that has not begun: since the
    /// last response was sent (or since it opened); zero while a request is in flight.
    fn waiting_for_request(&self, opened: Instant) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Duration::ZERO;
        }
        let ready = Duration::from_millis(self.answered.load(Ordering::Relaxed).saturating_sub(1));
        opened.elapsed().saturating_sub(ready)
    }
}

/// A response's body that tells its connection when it is done: sent whole, or dropped.
struct Answering {
    body: Body,
    activity: Arc<Activity>,
    opened: Instant,
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.activity.answered(self.opened);
    }
}

impl HttpBody for Answering {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The cap on open connections: past it, new ones wait in the kernel's accept queue (which
/// costs this process no file descriptor) while the connections quiet for a second are shed.
struct ConnectionCap {
    permits: Arc<Semaphore>,
    max: usize,
    orders: watch::Sender<Order>,
    /// Whether the cap was reached and has not eased since: one log line per episode,
    /// not one per connection.
    reached: bool,
}

impl ConnectionCap {
    fn new(max: usize, orders: watch::Sender<Order>) -> ConnectionCap {
        ConnectionCap { permits: Arc::new(Semaphore::new(max)), max, orders, reached: false }
    }

    fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    async fn acquire(&mut self) -> OwnedSemaphorePermit {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            // Eased well below the cap, so a new episode gets its own line.
            if self.reached && self.open() <= self.max * 3 / 4 {
                tracing::info!(open = self.open(), "open connections are below max_connections again");
                self.reached = false;
                self.orders.send_replace(Order::Serve);
            }
            return permit;
        }
        if !self.reached {
            tracing::warn!(
                max_connections = self.max,
                "connection limit reached: closing connections that have asked nothing for a \
                 second; new ones wait meanwhile (raise max_connections, and the open-files \
                 limit with it, if this is normal traffic)"
            );
            self.reached = true;
        }
        loop {
            self.orders.send_replace(Order::Shed);
            let wait = tokio::time::timeout(SHED_AFTER, self.permits.clone().acquire_owned());
            if let Ok(permit) = wait.await {
                return permit.expect("the semaphore is never closed");
            }
        }
    }

    async fn all_closed(&self) {
        let all = u32::try_from(self.max).unwrap_or(u32::MAX);
        let _ = self.permits.acquire_many(all).await;
    }
}

/// The next connection. Errors about one connection (reset before it was accepted) are
/// skipped; errors about the process (out of file descriptors or memory) are logged once
/// and retried after a pause, so the loop neither spins nor ends.
async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut logged = false;
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                if logged {
                    tracing::info!("accepting connections again");
                }
                return accepted;
            }
            Err(e) if is_per_connection(&e) => {}
            Err(e) => {
                if !logged {
                    tracing::error!(error = %e, "cannot accept connections; retrying");
                    logged = true;
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
            }
        }
    }
}

fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock)
}
