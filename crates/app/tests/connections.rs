//! Connection hygiene over real loopback sockets: clients that send too slowly, idle ones,
//! more of them than the cap, and a shutdown with requests still in flight.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Browser, TestApp, article};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tribune::config::Config;
use tribune::server;
use tribune_core::publishing::{SaveTarget, save_article};
use tribune_core::store::CommentStore;
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

on_both_backends!(
    a_client_that_never_finishes_its_headers_is_disconnected,
    an_idle_kept_alive_connection_is_closed,
    a_request_whose_body_outlasts_the_header_timeout_is_answered,
    idle_sockets_beyond_the_cap_are_shed_and_a_health_check_is_served,
    a_body_that_never_arrives_gets_408_and_the_connection_closes,
    shutdown_finishes_requests_in_flight_keeps_their_comments_and_cuts_slow_clients,
);

/// The longest any test waits for the server to act; the configured timeouts are 1 s, so
/// this only bounds a test that would otherwise hang.
const PATIENCE: Duration = Duration::from_secs(15);

/// Small timeouts, so the tests are quick.
fn quick(config: &mut Config) {
    config.header_timeout_seconds = 1;
    config.request_timeout_seconds = 1;
    config.shutdown_grace_seconds = 1;
}

fn host_port(url: &str) -> &str {
    url.trim_start_matches("http://")
}

async fn connect(url: &str) -> TcpStream {
    TcpStream::connect(host_port(url)).await.unwrap()
}

/// Everything the server sends until it closes the connection; `None` if it is still
/// open after [`PATIENCE`]. A reset counts as closed.
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

/// Reads until `needle` has arrived (a response that keeps the connection open).
async fn until_received(stream: &mut TcpStream, needle: &str) -> String {
    let mut received = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&received).contains(needle) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before {needle:?}: {}", String::from_utf8_lossy(&received));
            received.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(PATIENCE, read).await.expect("a response");
    String::from_utf8_lossy(&received).into_owned()
}

/// Whether the server has closed this connection already (without waiting).
async fn closed_now(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(Duration::ZERO, stream.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

async fn a_client_that_never_finishes_its_headers_is_disconnected(db: TestDatabase) {
    let app = TestApp::with_config(db, quick).await;
    let mut slow = connect(&app.url).await;
    slow.write_all(b"GET /healthz HT").await.unwrap();
    let answer = until_closed(&mut slow).await.expect("the server closes a connection whose headers stall");
    assert!(!answer.contains("200 OK"), "{answer}");
    // Everyone else is still served.
    assert_eq!(app.browser().get("/healthz").await.body, "ok");
}

async fn an_idle_kept_alive_connection_is_closed(db: TestDatabase) {
    let app = TestApp::with_config(db, quick).await;
    let mut client = connect(&app.url).await;
    for _ in 0..2 {
        client.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
        let answer = until_received(&mut client, "\r\n\r\nok").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "kept alive between requests: {answer}");
    }
    assert!(until_closed(&mut client).await.is_some(), "an idle connection is closed");
}

async fn a_request_whose_body_outlasts_the_header_timeout_is_answered(db: TestDatabase) {
    // The header timeout bounds waiting for a request, not the request itself: a comment
    // whose body comes slowly (a reader on a poor connection) is bounded by the request
    // timeout alone.
    let app = TestApp::with_config(db, |c| {
        quick(c);
        c.request_timeout_seconds = 10;
        common::without_rate_limits(c);
    })
    .await;
    let a = app.publish(article("Slow lines", &["Ada Writer"], &[], Utc::now())).await;
    let guest = app.browser();
    let token = guest.csrf().await;
    let form = format!("csrf={token}&author_name=Slow&body=Typed+on+a+train&parent_id=");
    let path = format!("/articles/{}/comments", a.slug);
    let mut client = connect(&app.url).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        guest.cookie_header(),
        form.len()
    );
    client.write_all(head.as_bytes()).await.unwrap();
    client.write_all(&form.as_bytes()[..10]).await.unwrap();
    // Longer than the header timeout (1 s) and the watchdog's quarter on top.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert!(!closed_now(&mut client).await, "cut while its body was on its way");
    client.write_all(&form.as_bytes()[10..]).await.unwrap();
    let answer = until_received(&mut client, "\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    let thread = app.state.store.thread(a.id).await.unwrap();
    assert!(thread.iter().any(|c| c.body_markdown == "Typed on a train"), "the comment is stored");
    // Answered, the connection is ready for the next request, and idle again it is closed.
    assert!(until_closed(&mut client).await.is_some(), "an idle connection is closed");
}

async fn idle_sockets_beyond_the_cap_are_shed_and_a_health_check_is_served(db: TestDatabase) {
    let app = TestApp::with_config(db, |c| {
        quick(c);
        // Longer than the test waits: the idle sockets must be shed at the cap, not timed out.
        c.header_timeout_seconds = 60;
        c.max_connections = 3;
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(connect(&app.url).await);
    }
    // The fourth waits in the kernel's queue: the three idle ones hold every place.
    let mut health = connect(&app.url).await;
    health.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = until_closed(&mut health).await.expect("the health check is answered");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
    // It was served only once an idle one had been closed: the cap held, and silent
    // sockets did not keep it waiting for the header timeout.
    let mut closed = 0;
    for socket in &mut idle {
        closed += usize::from(closed_now(socket).await);
    }
    assert!(closed >= 1, "no idle connection was closed before the fourth was served");
}

async fn a_body_that_never_arrives_gets_408_and_the_connection_closes(db: TestDatabase) {
    let app = TestApp::with_config(db, quick).await;
    let mut slow = connect(&app.url).await;
    let head = "POST /admin/login HTTP/1.1\r\nHost: test\r\n\
                Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n";
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(b"email=slow&").await.unwrap();
    let answer = until_closed(&mut slow).await.expect("the server gives up on the body");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.browser().get("/healthz").await.body, "ok");
}

async fn shutdown_finishes_requests_in_flight_keeps_their_comments_and_cuts_slow_clients(db: TestDatabase) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        bind: addr,
        base_url: format!("http://{addr}"),
        database_url: db.url.clone(),
        header_timeout_seconds: 30,
        request_timeout_seconds: 30,
        shutdown_grace_seconds: 1,
        ..Config::default()
    };
    let mut config = config;
    common::without_rate_limits(&mut config);
    let state = server::build_state(config, db.store.clone()).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}");
    let input = article("Last orders", &["Ada Writer"], &[], Utc::now() - chrono::Duration::hours(1));
    let a = save_article(&state.store, SaveTarget::BySlug, input, None, Utc::now()).await.unwrap().article;
    let path = format!("/articles/{}/comments", a.slug);

    // A guest's comment, half sent when the shutdown begins.
    let guest = Browser::new(&url);
    let token = guest.csrf().await;
    let form = format!("csrf={token}&author_name=Late&body=Posted+during+the+shutdown&parent_id=");
    let mut in_flight = connect(&url).await;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        guest.cookie_header(),
        form.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    in_flight.write_all(&form.as_bytes()[..10]).await.unwrap();
    // And a client that will never finish its body.
    let mut slow = connect(&url).await;
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&form.as_bytes()[..10]).await.unwrap();
    // A client that has said nothing, and one halfway through its request line.
    let mut silent = connect(&url).await;
    let mut half = connect(&url).await;
    half.write_all(b"GET / HT").await.unwrap();
    // Comments posted and answered just before.
    let mut acknowledged = 0;
    for i in 0..5 {
        let page = guest.get(&format!("/articles/{}", a.slug)).await;
        let fields = [
            ("csrf", page.csrf()),
            ("author_name", "Early".into()),
            ("body", format!("Before the shutdown {i}")),
            ("parent_id", String::new()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(guest.post_form(&path, &fields).await.status, reqwest::StatusCode::SEE_OTHER);
        acknowledged += 1;
    }

    stop.send(()).unwrap();
    // The server stops accepting first…
    let refused =
        common::eventually(PATIENCE.as_secs(), || async { TcpStream::connect(addr).await.is_err() });
    assert!(refused.await, "the server still accepts connections after the shutdown signal");
    // …closes what has asked nothing…
    assert!(until_closed(&mut silent).await.is_some(), "a silent connection is closed");
    assert!(until_closed(&mut half).await.is_some(), "a half-sent request line is closed");
    // …and the request in flight still finishes.
    in_flight.write_all(&form.as_bytes()[10..]).await.unwrap();
    let answer = until_closed(&mut in_flight).await.expect("the request in flight is answered");
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    acknowledged += 1;
    // The slow client is cut at the deadline, and the server is done.
    assert!(until_closed(&mut slow).await.is_some(), "the slow client is cut");
    let served = tokio::time::timeout(PATIENCE, serving).await.expect("serve returns after the grace period");
    served.unwrap().unwrap();

    let thread = state.store.thread(a.id).await.unwrap();
    assert_eq!(thread.len(), acknowledged, "every acknowledged comment is stored");
    assert!(thread.iter().any(|c| c.body_markdown == "Posted during the shutdown"));
}
