//! The discussion embedded in a static page, in a real headless Chromium with third-party
//! cookies blocked (`tests/browser/embed.mjs`): nginx serves the page at 127.0.0.1:A, Tribune
//! runs at localhost:B (another site, so its frame is third-party), and a reader posts,
//! replies and sees the count, without a cookie reaching the frame. Then axe-core on the
//! frame's document, screenshots at 390 and 1280 px, and the embed's bytes and requests
//! with a discussion of 20 comments. SQLite only: the browser sees the same either way.
//!
//! Needs what `browser.rs` needs, and nginx (`TRIBUNE_NGINX`, default `/usr/sbin/nginx`);
//! `scripts/test.sh` installs them. Reported as skipped without them, a failure in CI.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use common::TestApp;
use tribune_core::comment::{CommentInput, CommentStatus, validate};
use tribune_core::embed::{EmbedStore, Origins, PageAddress, discussion_for};
use tribune_core::store::{CommentStore, ImportedComment};
use tribune_store::testing::TestDatabase;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/embed.mjs");

struct Tools {
    playwright: PathBuf,
    chromium: PathBuf,
    axe: PathBuf,
    nginx: PathBuf,
}

fn tools() -> Option<Tools> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let from_env = |var: &str, default: PathBuf| std::env::var_os(var).map(PathBuf::from).unwrap_or(default);
    let tools = Tools {
        playwright: from_env("TRIBUNE_PLAYWRIGHT_DIR", workspace.join(".tools/node_modules/playwright-core")),
        chromium: from_env("TRIBUNE_CHROMIUM", PathBuf::from("/usr/bin/chromium")),
        axe: from_env("TRIBUNE_AXE", workspace.join(".tools/node_modules/axe-core/axe.min.js")),
        nginx: from_env("TRIBUNE_NGINX", PathBuf::from("/usr/sbin/nginx")),
    };
    let node = std::process::Command::new("node").arg("--version").output();
    let missing = if !node.is_ok_and(|o| o.status.success()) {
        Some("node is not on the PATH".to_owned())
    } else if !tools.playwright.join("package.json").is_file() {
        Some(format!("no playwright-core at {} (TRIBUNE_PLAYWRIGHT_DIR)", tools.playwright.display()))
    } else if !tools.chromium.is_file() {
        Some(format!("no Chromium at {} (TRIBUNE_CHROMIUM)", tools.chromium.display()))
    } else if !tools.axe.is_file() {
        Some(format!("no axe-core at {} (TRIBUNE_AXE)", tools.axe.display()))
    } else if !tools.nginx.is_file() {
        Some(format!("no nginx at {} (TRIBUNE_NGINX)", tools.nginx.display()))
    } else {
        None
    };
    match missing {
        None => Some(tools),
        Some(why) => {
            tribune_store::testing::skip(&format!("{why}; scripts/test.sh installs what it needs"));
            None
        }
    }
}

/// A port nobody listens on now (the kernel's pick, released for nginx to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx serving `root` on 127.0.0.1:`port`, all of its files in `dir`; stopped on drop.
struct Nginx {
    _process: tokio::process::Child,
}

impl Nginx {
    async fn start(
        nginx: &std::path::Path,
        dir: &std::path::Path,
        root: &std::path::Path,
        port: u16,
    ) -> Nginx {
        let d = dir.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             types {{ text/html html; }}\n  server {{ listen 127.0.0.1:{port}; root {}; }}\n}}\n",
            root.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = tokio::process::Command::new(nginx)
            .args(["-e", &format!("{d}/error.log"), "-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // One process (`master_process off`): killing it leaves no worker behind.
            .kill_on_drop(true)
            .spawn()
            .expect("nginx starts");
        let up = common::eventually(10, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        assert!(
            up,
            "nginx answers on {port}: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        Nginx { _process: child }
    }
}

/// The embedding page: the snippet the README and the admin give, as a publisher pastes it.
fn blog_page(tribune: &str, page_url: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:Georgia,serif;max-width:44rem;margin:0 auto;padding:1rem}}</style></head>\
         <body><h1>{title}</h1><p>A static page of the blog. The discussion below is Tribune's.</p>\n\
         <a href=\"{tribune}/discussion?page={page_url}\">Discussion</a>\n\
         <script src=\"{tribune}/embed/comments.js\" data-page=\"{page_url}\" data-accent=\"#7a3e00\" data-font=\"serif\" async></script>\n\
         </body></html>\n"
    )
}

#[tokio::test]
async fn a_static_page_embeds_the_discussion_with_third_party_cookies_blocked() {
    let Some(tools) = tools() else { return };
    let blog_port = free_port();
    let blog = format!("http://127.0.0.1:{blog_port}");
    let app = TestApp::with_config(TestDatabase::sqlite().await, |c| {
        // Another host name than the blog's: another site to the browser.
        c.base_url = format!("http://localhost:{}", c.bind.port());
        c.embed_origins = blog.clone();
        c.embed_allow = Origins::parse(&blog).unwrap();
    })
    .await;
    let tribune = format!("http://localhost:{}", app.state.config.bind.port());

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("post.html"),
        blog_page(&tribune, &format!("{blog}/post.html"), "Rain on the ridge"),
    )
    .unwrap();
    std::fs::write(root.join("busy.html"), blog_page(&tribune, &format!("{blog}/busy.html"), "A busy page"))
        .unwrap();
    let _nginx = Nginx::start(&tools.nginx, dir.path(), &root, blog_port).await;

    // A page with a discussion of 20 comments, for the figures.
    let address = PageAddress::parse(&format!("{blog}/busy.html")).unwrap();
    let origins = Origins::parse(&blog).unwrap();
    let busy = discussion_for(&app.state.store, &origins, &address, "A busy page", "seed", Utc::now())
        .await
        .unwrap();
    let comments: Vec<ImportedComment> = (0..20)
        .map(|i| ImportedComment {
            parent: if i % 4 == 0 { None } else { Some(i - i % 4) },
            comment: validate(
                &CommentInput {
                    body: format!(
                        "Comment {i}: the river rose two metres overnight, and the ford is closed."
                    ),
                    author_name: Some(format!("Reader {i}")),
                    ..Default::default()
                },
                None,
            )
            .unwrap(),
            status: CommentStatus::Published,
            created_at: Utc::now(),
            source: None,
        })
        .collect();
    app.state.store.import_comments(busy.id, &comments).await.unwrap();

    let shots = std::env::var("TRIBUNE_SHOTS").unwrap_or_default();
    let child = tokio::process::Command::new("node")
        .arg(SCRIPT)
        .args([&blog, &tribune, &shots])
        .env("TRIBUNE_PLAYWRIGHT_DIR", &tools.playwright)
        .env("TRIBUNE_CHROMIUM", &tools.chromium)
        .env("TRIBUNE_AXE", &tools.axe)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let output = tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
        .await
        .expect("the browser script finished within 180 s")
        .expect("the browser script ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "the browser script failed ({}):\n{stdout}\n{stderr}", output.status);

    // What the browser posted is stored under the page's discussion, the reply under its parent.
    let post = app.state.store.embedded_discussion(&format!("{blog}/post.html")).await.unwrap().unwrap();
    assert_eq!(post.title, "Rain on the ridge", "the title came from the page, never fetched");
    let stored = app.state.store.thread(post.id).await.unwrap();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(stored[1].parent_id, Some(stored[0].id));
}
