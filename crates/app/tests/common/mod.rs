//! The test harness: a real Tribune server on a loopback port over a fresh database
//! (SQLite file or PostgreSQL schema), and a small browser that keeps cookies.

#![allow(dead_code)]

pub mod smtp_sink;

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use tribune::config::Config;
use tribune::http::AppState;
use tribune::server;
use tribune_core::article::ArticleInput;
use tribune_core::publishing::{SaveTarget, add_user, save_article};
use tribune_core::user::{NewUser, Role};
use tribune_core::work::Inline;
use tribune_store::testing::TestDatabase;

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub db: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn new(db: TestDatabase) -> TestApp {
        Self::with_config(db, |_| {}).await
    }

    pub async fn with_config(db: TestDatabase, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config {
            bind: addr,
            base_url: format!("http://{addr}"),
            database_url: db.url.clone(),
            site_title: "Test Gazette".into(),
            // A test hears the moderators' digest only if it asks: others count their mail.
            moderation_digest: "never".into(),
            ..Config::default()
        };
        adjust(&mut config);
        let state = server::build_state(config, db.store.clone()).await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(state.clone(), listener, async move {
            let _ = rx.await;
        }));
        TestApp { url: format!("http://{addr}"), state, db, shutdown: Some(tx) }
    }

    /// Applies the discussion changes the server gathers for a moment (see
    /// `AppState::invalidate_soon`) now, so that a stranger's page is checked after them.
    pub async fn settle(&self) {
        self.state.flush_invalidations().await;
    }

    /// The status comment `id` is stored with.
    pub async fn status_of(&self, id: i64) -> tribune_core::comment::CommentStatus {
        use tribune_core::store::CommentStore;
        self.state.store.comment(id).await.unwrap().expect("the comment exists").status
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.url)
    }

    /// Publishes an article as the command line does (any rights), dropping stale pages.
    pub async fn publish(&self, input: ArticleInput) -> tribune_core::article::Article {
        let saved =
            save_article(&self.state.store, SaveTarget::BySlug, input, None, Utc::now()).await.unwrap();
        self.state.invalidate(tribune::cache::keys_of_change(&saved)).await;
        saved.article
    }

    /// Uploads a `width` × `height` picture described by `alt` to the media library.
    pub async fn add_picture(&self, width: u32, height: u32, alt: &str) -> tribune_core::media::Media {
        let work = tribune_core::work::Inline;
        tribune_core::media::add_media(&self.state.store, &work, None, "picture.png", png(width, height), alt)
            .await
            .unwrap()
    }

    /// Publishes `input` with a new picture of 1200 × 800 px described by `alt` as its image.
    pub async fn publish_with_picture(
        &self,
        mut input: ArticleInput,
        alt: &str,
    ) -> (tribune_core::article::Article, tribune_core::media::Media) {
        let picture = self.add_picture(1200, 800, alt).await;
        input.image = Some(picture.path());
        input.image_alt = Some(picture.alt.clone());
        (self.publish(input).await, picture)
    }

    pub async fn add_user(&self, name: &str, role: Role) -> (String, String) {
        let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
        let password = "correct horse battery".to_owned();
        let new = NewUser { email: email.clone(), name: name.into(), role, password: password.clone() };
        add_user(&self.state.store, &Inline, new, Utc::now()).await.unwrap();
        (email, password)
    }

    /// Records a gift of `amount` USD today, as the admin form would, and refreshes the
    /// bar; `guard` says what is confirmed. The ledger entry's id.
    pub async fn give(
        &self,
        amount: &str,
        donor: Option<&str>,
        guard: tribune_core::funding::guard::Guard,
    ) -> i64 {
        let gift = tribune_core::funding::donations::ManualDonation {
            amount: amount.into(),
            currency: "USD".into(),
            date: None,
            donor: donor.map(str::to_owned),
            note: None,
        };
        let tz = self.state.config.tz();
        let id = tribune_core::funding::donations::add_manual_donation(
            &self.state.store,
            gift,
            guard,
            tz,
            Utc::now(),
        )
        .await
        .unwrap();
        self.state.invalidate(vec!["funding".into()]).await;
        id
    }

    /// A browser signed in as a new user with this role.
    pub async fn signed_in(&self, name: &str, role: Role) -> Browser {
        let (email, password) = self.add_user(name, role).await;
        let b = self.browser();
        let res = b.login(&email, &password).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login failed: {}", res.body);
        b
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Moderation built from `settings`, as the server builds it from the configuration.
pub fn moderation(config: &mut Config, settings: tribune_core::moderation::Settings) {
    config.moderation = std::sync::Arc::new(tribune_core::moderation::Pipeline::new(settings));
}

/// For tests whose scene is a burst of posts from one client: no rate limits (they are
/// tested in `moderation.rs`).
pub fn without_rate_limits(config: &mut Config) {
    moderation(config, tribune_core::moderation::Settings { rate_limit: false, ..Default::default() });
}

pub fn article(title: &str, authors: &[&str], tags: &[&str], published_at: DateTime<Utc>) -> ArticleInput {
    ArticleInput {
        title: title.into(),
        body_markdown: format!("The body of *{title}*.\n\nA second paragraph."),
        authors: authors.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        published_at: Some(published_at),
        ..Default::default()
    }
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The id of the comment a successful post redirected to (`/comments/{id}`).
    pub fn comment_id(&self) -> i64 {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        self.header("location").strip_prefix("/comments/").expect("a comment's address").parse().unwrap()
    }

    /// The value of the first hidden `csrf` field on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A client that keeps cookies and does not follow redirects, so tests see each step.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { base: base.to_owned(), client, cookies: Mutex::new(HashMap::new()) }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base))).await
    }

    /// A GET with this header set (to "1"), as the site's script sends.
    pub async fn send_with(&self, path: &str, header: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)).header(header, "1")).await
    }

    /// A GET with one more request header.
    pub async fn send_with_value(&self, path: &str, header: &str, value: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)).header(header, value)).await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(fields)).await
    }

    /// Posts a comment through the form under the article at `slug`, as a browser does.
    pub async fn post_comment(&self, slug: &str, body: &str, name: &str) -> Page {
        let csrf = self.get(&format!("/articles/{slug}")).await.csrf();
        let fields = [("csrf", csrf.as_str()), ("body", body), ("author_name", name)];
        self.post_form(&format!("/articles/{slug}/comments"), &fields).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Page {
        let csrf = self.get("/admin/login").await.csrf();
        self.post_form("/admin/login", &[("email", email), ("password", password), ("csrf", &csrf)]).await
    }

    /// The CSRF token of this browser's forms, as a form page shows it: it is bound to the
    /// browser's session (or, signed out, to its browser id), so it is read from a page.
    pub async fn csrf(&self) -> String {
        self.get("/admin/login").await.csrf()
    }

    /// Posts a form with one more request header (as the site's script may send).
    pub async fn post_form_with_header(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        name: &str,
        value: &str,
    ) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(fields).header(name, value)).await
    }

    /// Sends this cookie from now on, as a client that makes up its own would.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.lock().unwrap().insert(name.to_owned(), value.to_owned());
    }

    /// The value of one of this browser's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// The `Cookie` header this browser would send, for requests written by hand.
    pub fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().unwrap();
        jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn forget_cookies(&self) {
        self.cookies.lock().unwrap().clear();
    }

    /// Posts a `multipart/form-data` form as a browser does: `fields` in order, then the
    /// file (`field`, file name, declared type, bytes).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &str, &[u8]),
    ) -> Page {
        let boundary = "----tribune-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (field, file_name, content_type, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body);
        self.send(request).await
    }

    /// A GET whose body is kept as bytes (an image), with extra request headers.
    pub async fn get_bytes(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.bytes().await.unwrap().to_vec())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let cookie_header = {
            let jar = self.cookies.lock().unwrap();
            jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
        };
        let request = if cookie_header.is_empty() { request } else { request.header(COOKIE, cookie_header) };
        let response = request.send().await.unwrap();
        {
            let mut jar = self.cookies.lock().unwrap();
            for set in response.headers().get_all(SET_COOKIE) {
                let pair = set.to_str().unwrap().split(';').next().unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                if v.is_empty() || set.to_str().unwrap().contains("Max-Age=0") {
                    jar.remove(k);
                } else {
                    jar.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        Page { status, headers, body: response.text().await.unwrap() }
    }
}

/// Runs `f` until it returns true or `seconds` pass; for effects that happen on a timer.
pub async fn eventually<F, Fut>(seconds: u64, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

impl TestApp {
    /// A browser whose requests arrive through a proxy that says they come from `ip`
    /// (believed only when the site trusts 127.0.0.1 as a proxy).
    pub fn browser_at(&self, ip: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().unwrap());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        Browser { base: self.url.clone(), client, cookies: Mutex::new(HashMap::new()) }
    }
}

impl TestApp {
    /// A second node: its own server, connection pool and page cache, on the same database,
    /// with the same settings. Its URL, and what stops it (dropping it stops it too).
    pub async fn second_node(&self) -> (String, tokio::sync::oneshot::Sender<()>) {
        let node = self.another_node().await;
        (node.url, node.stop)
    }

    /// Another node on the same database, with its own connections, as another machine
    /// behind the load balancer would be.
    pub async fn another_node(&self) -> Node {
        self.another_node_with(|_| {}).await
    }

    /// Another node, with some of its settings changed.
    pub async fn another_node_with(&self, adjust: impl FnOnce(&mut Config)) -> Node {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config =
            Config { bind: addr, base_url: format!("http://{addr}"), ..(*self.state.config).clone() };
        adjust(&mut config);
        let store = tribune_store::Store::connect(&self.db.url).await.unwrap();
        let state = server::build_state(config, store).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(state.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Node { url: format!("http://{addr}"), state, stop }
    }
}

pub struct Node {
    pub url: String,
    pub state: AppState,
    pub stop: tokio::sync::oneshot::Sender<()>,
}

/// Everything the database holds, table by table, as text: "nothing changed" is this
/// being equal before and after. The page invalidation log is left out: it is the nodes'
/// shared cache bookkeeping, written in the background (a burst of gifts announced a
/// moment later), not anything a reader or publisher wrote.
pub async fn snapshot(db: &TestDatabase) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let mut columns: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let column_lines = db.schema().await;
    for line in column_lines.iter().filter_map(|l| l.strip_prefix("column ")) {
        let mut words = line.split(' ');
        let (table, column) = words.next().unwrap().split_once('.').unwrap();
        // Bytes (an image) are not text on SQLite: their length stands for them.
        let value =
            if words.next() == Some("blob") { format!("LENGTH({column})") } else { column.to_owned() };
        columns.entry(table.to_owned()).or_default().push(value);
    }
    let mut rows = Vec::new();
    for (table, cols) in columns.into_iter().filter(|(table, _)| table != "page_invalidations") {
        let row = cols
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '~')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT '{table}:' || {row} FROM {table} ORDER BY 1");
        rows.extend(sqlx::query_scalar::<_, String>(&sql).fetch_all(&pool).await.unwrap());
    }
    pool.close().await;
    rows
}

/// A real PNG, `w` × `h`, of a gradient (so its copies are not trivially tiny).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Runs the `tribune` binary with `args` on the database at `database_url`, as an
/// operator would: its exit code, standard output and standard error.
pub fn tribune_cli(args: &[&str], database_url: &str) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tribune"))
        .args(args)
        .args(["--database-url", database_url])
        .env_remove("TRIBUNE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap_or(-1), text(out.stdout), text(out.stderr))
}

/// Mail on, through `sink`, with retries a second apart (not the production half-minute).
pub fn mail_through(config: &mut Config, sink: &smtp_sink::SmtpSink) {
    config.smtp_url = sink.url();
    config.mail_from = "Test Gazette <news@gazette.test>".into();
    config.mail_retry_seconds = 1;
}

/// Makes the account at `email` a supporter who shows the badge: its address confirmed (as
/// following a mailed link does), a Stripe gift from that address today, the badge chosen.
pub async fn make_supporter(app: &TestApp, email: &str) {
    use tribune_core::funding::stripe::{Effect, Event};
    use tribune_core::store::UserStore;
    use tribune_core::supporters::SupporterStore;
    let store = &app.state.store;
    let (user, _) = store.user_credentials(email).await.unwrap().unwrap();
    let at = Utc::now().timestamp();
    app.db.execute(&format!("UPDATE users SET email_confirmed_at = {at} WHERE id = {}", user.id)).await;
    let event = Event {
        id: format!("evt_supporter_{}", user.id),
        created: at,
        effect: Effect::Paid {
            payment_key: format!("pi_supporter_{}", user.id),
            amount_minor: 1200,
            currency: "USD".into(),
            supporter_name: None,
        },
        donor_email: Some(email.into()),
    };
    let guard = tribune_core::funding::guard::Guard::default();
    let tz = app.state.config.tz();
    tribune_core::funding::donations::record_stripe_event(store, &event, guard, tz, Utc::now())
        .await
        .unwrap();
    store.set_supporter_badge(user.id, true).await.unwrap();
}
