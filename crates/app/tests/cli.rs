//! The `tribune` binary as an operator uses it: demo, serve, migrate, users and article
//! files, with the errors a typo deserves. Data commands run on both backends.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use tribune_core::slug::Slug;
use tribune_core::store::{ArticleStore, UserStore};
use tribune_store::on_both_backends;
use tribune_store::testing::TestDatabase;

fn tribune(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tribune"));
    cmd.args(args).env_remove("TRIBUNE_CONFIG").env("RUST_LOG", "warn");
    cmd
}

fn run(mut cmd: impl std::borrow::BorrowMut<Command>) -> (i32, String, String) {
    let cmd = cmd.borrow_mut();
    let Output { status, stdout, stderr } = cmd.output().unwrap();
    (status.code().unwrap_or(-1), String::from_utf8(stdout).unwrap(), String::from_utf8(stderr).unwrap())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const TOML_ARTICLE: &str = "+++\ntitle = \"From TOML\"\nauthors = [\"Ada Lovelace\"]\ntags = [\"Files\"]\ndate = 2024-05-01T08:00:00Z\nsource_name = \"The Original\"\nsource_url = \"https://original.example/a\"\n+++\n\nBody from **TOML**.\n";
const YAML_ARTICLE: &str =
    "---\ntitle: From YAML\nauthor: Bob\ntags: [Files]\nstatus: draft\n---\nBody from YAML.\n";

on_both_backends!(publishes_article_files_and_updates_by_slug, bad_article_files_change_nothing, adds_users);

async fn publishes_article_files_and_updates_by_slug(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let toml = write(dir.path(), "from-toml.md", TOML_ARTICLE);
    let yaml = write(dir.path(), "from-yaml.md", YAML_ARTICLE);
    let (code, out, err) = run(tribune(&["article", "publish", &toml, &yaml, "--database-url", &db.url]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Published")
            && out.contains("as from-toml (published)")
            && out.contains("as from-yaml (draft)"),
        "{out}"
    );
    let a = db.store.article_by_slug(&Slug::parse("from-toml").unwrap()).await.unwrap().unwrap();
    assert_eq!(a.title, "From TOML");
    assert_eq!(a.syndication.unwrap().source_name, "The Original");
    assert_eq!(a.published_at.unwrap().to_rfc3339(), "2024-05-01T08:00:00+00:00");

    write(dir.path(), "from-toml.md", &TOML_ARTICLE.replace("Body from", "Updated body from"));
    let (code, out, _) = run(tribune(&["article", "publish", &toml, "--database-url", &db.url]));
    assert_eq!(code, 0);
    assert!(out.contains("Updated"), "{out}");
    assert_eq!(db.store.count_articles().await.unwrap(), 2, "same slug, same article");
    let a = db.store.article_by_slug(&Slug::parse("from-toml").unwrap()).await.unwrap().unwrap();
    assert!(a.body_html.contains("Updated body"));
}

async fn bad_article_files_change_nothing(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.md", TOML_ARTICLE);
    let cases = [
        (
            "bad-slug.md",
            "---\ntitle: Fine\nslug: Not Valid\n---\nx",
            "bad-slug.md: line 3: slug: \"Not Valid\" is not a valid slug",
        ),
        ("syntax.md", "+++\ntitle = \"x\"\nauthors = [\"unclosed\"\n+++\nx", "syntax.md: line 3"),
        ("no-title.md", "---\nauthor: Ann\n---\nbody", "no-title.md: line 1: title: is required"),
        (
            "unknown-key.md",
            "---\ntitle: x\ncolour: red\n---\nx",
            "unknown-key.md: line 3: unknown field `colour`",
        ),
        (
            "no-front-matter.md",
            "Just text",
            "no-front-matter.md: line 1: the file must start with front matter",
        ),
        (
            "bad-url.md",
            "---\ntitle: x\nsource_name: Y\nsource_url: ftp://y\n---\nx",
            "bad-url.md: line 4: source_url: must be an absolute http",
        ),
        (
            "too-big.md",
            &format!("---\ntitle: x\n---\n{}", "y".repeat(1024 * 1024 + 1)),
            "too-big.md: line 4: body: is 1048577 bytes",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(dir.path(), name, text);
        let (code, out, err) = run(tribune(&["article", "publish", &good, &path, "--database-url", &db.url]));
        assert_eq!(code, 1, "{name}: {out}");
        assert!(err.contains("nothing was published") && err.contains(expected), "{name}: {err}");
    }
    let twin = write(dir.path(), "twin.md", "---\ntitle: Twin\nslug: good\n---\nx");
    let (code, _, err) = run(tribune(&["article", "publish", &good, &twin, "--database-url", &db.url]));
    assert_eq!(code, 1);
    assert!(err.contains("twin.md: slug: \"good\" is also the slug of"), "{err}");
    let (code, _, err) =
        run(tribune(&["article", "publish", "/nonexistent/a.md", "--database-url", &db.url]));
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/a.md: cannot read"), "{err}");
    assert_eq!(db.store.count_articles().await.unwrap(), 0, "a batch with a bad file writes nothing");
}

async fn adds_users(db: TestDatabase) {
    let add = |email: &str, password: &str| {
        let mut cmd = tribune(&[
            "user",
            "add",
            "--email",
            email,
            "--name",
            "Ed Itor",
            "--role",
            "editor",
            "--password-stdin",
            "--database-url",
            &db.url,
        ]);
        let mut child =
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, out) = add("ed@example.org", "a long enough password");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Added Ed Itor <ed@example.org> as editor."));
    let (user, hash) = db.store.user_credentials("ed@example.org").await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$") && user.role == tribune_core::user::Role::Editor);
    let (code, out) = add("ED@example.org", "a long enough password");
    assert_eq!(code, 1);
    assert!(out.contains("a user with this email already exists"), "{out}");
    let (code, out) = add("other@example.org", "short");
    assert_eq!(code, 1);
    assert!(out.contains("at least 8 characters"), "{out}");
    let (code, _, err) = run(tribune(&[
        "user",
        "add",
        "--email",
        "x@example.org",
        "--name",
        "X",
        "--role",
        "king",
        "--password-stdin",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'king'"), "{err}");
    assert_eq!(db.store.list_users().await.unwrap().len(), 1);
}

on_both_backends!(sets_goals_and_records_gifts);

async fn sets_goals_and_records_gifts(db: TestDatabase) {
    use tribune_core::store::FundingStore;
    let url = db.url.as_str();
    let (code, out, err) = run(tribune(&[
        "campaign",
        "set",
        "--month",
        "2020-07",
        "--goal",
        "5000",
        "--currency",
        "usd",
        "--database-url",
        url,
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "Goal for July 2020: $5,000 (milestones $0, $2,500, $5,000).");
    let (code, _, err) = run(tribune(&[
        "campaign",
        "set",
        "--month",
        "2020-13",
        "--goal",
        "5000",
        "--currency",
        "USD",
        "--database-url",
        url,
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("--month: \"2020-13\" is not a month"), "{err}");
    let (code, _, err) = run(tribune(&[
        "campaign",
        "set",
        "--month",
        "2020-07",
        "--goal",
        "5000",
        "--currency",
        "USD",
        "--milestones",
        "9000",
        "--database-url",
        url,
    ]));
    assert_eq!(code, 1);
    assert!(err.contains("milestones"), "{err}");
    let gift = [
        "donation",
        "add",
        "--amount",
        "25.00",
        "--currency",
        "USD",
        "--date",
        "2020-07-04",
        "--donor",
        "Ines",
        "--database-url",
        url,
    ];
    let (code, out, err) = run(tribune(&gift));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Recorded as ledger entry"), "{out}");
    let (code, _, err) =
        run(tribune(&["donation", "add", "--amount", "25.001", "--currency", "USD", "--database-url", url]));
    assert_eq!(code, 1);
    assert!(err.contains("amount: USD has 2 decimal places"), "{err}");
    let (code, _, err) = run(tribune(&[
        "donation",
        "add",
        "--amount",
        "5",
        "--currency",
        "USD",
        "--date",
        "July 4th",
        "--database-url",
        url,
    ]));
    assert_eq!(code, 2, "clap refuses the date: {err}");
    let july = tribune_core::funding::month::Month::parse("2020-07").unwrap();
    let totals = db.store.month_totals(july, july).await.unwrap();
    assert_eq!(totals.iter().map(|t| t.net_minor).collect::<Vec<_>>(), [2500]);
    assert_eq!(db.store.goals_until(july).await.unwrap().len(), 1);
}

#[test]
fn migrate_creates_an_empty_site_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let data = data.to_str().unwrap();
    for _ in 0..2 {
        let (code, out, err) = run(tribune(&["migrate", "--data-dir", data]));
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("is up to date"), "{out}");
    }
    assert!(dir.path().join("site/tribune.db").is_file());
}

#[test]
fn logs_read_by_a_program_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let mut cmd = tribune(&["migrate", "--data-dir", data.to_str().unwrap()]);
    let (code, _, err) = run(cmd.env("RUST_LOG", "info"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("applied migration"), "{err}");
    assert!(!err.contains('\u{1b}'), "escape codes in a log that is not a terminal: {err:?}");
}

#[test]
fn configuration_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(tribune(&["migrate", "--data-dir", dir.path().to_str().unwrap()])
        .env("TRIBUNE_ARTICLES_PER_PAGE", "0"));
    assert_eq!(code, 2);
    assert!(err.contains("articles_per_page: must be between 1 and 100"), "{err}");
    let config = write(dir.path(), "tribune.toml", "site_title = \"x\"\nbind = 42\n");
    let (code, _, err) = run(tribune(&["migrate", "--config", &config]));
    assert_eq!(code, 2);
    assert!(err.contains("bind") && err.contains("tribune.toml"), "{err}");
    let (code, _, err) = run(tribune(&["migrate", "--config", "/nonexistent/tribune.toml"]));
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/tribune.toml: no such file"), "{err}");
    let (code, _, err) = run(tribune(&["migrate", "--base-url", "example.org"]));
    assert_eq!(code, 2);
    assert!(err.contains("base_url"), "{err}");
}

#[test]
fn unreachable_database_is_a_clear_error() {
    let (code, _, err) =
        run(tribune(&["migrate", "--database-url", "postgres://tribune:hunter2@127.0.0.1:1/site"]));
    assert_eq!(code, 1);
    assert!(err.contains("cannot connect to postgres://tribune@127.0.0.1:1/site"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let (code, _, err) = run(tribune(&["migrate", "--database-url", "mysql://x"]));
    assert_eq!(code, 1);
    assert!(err.contains("unsupported database URL"), "{err}");
}

/// A running `tribune` process, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the binary and reads its output until it says where it serves.
fn start(args: &[&str], wait_for: &str) -> Server {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut all = args.to_vec();
    all.extend(["--bind", &bind]);
    let mut child = tribune(&all).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains(wait_for)) {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "tribune exited early: {lines:?}");
        lines.push(line);
    }
    Server { child, url: format!("http://{bind}"), lines }
}

#[tokio::test]
async fn demo_creates_content_once_and_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let data = data.to_str().unwrap();
    let first = start(&["demo", "--data-dir", data], "Demo admin:");
    let admin_line = first.lines.iter().find(|l| l.contains("Demo admin:")).unwrap().clone();
    assert!(first.lines.iter().any(|l| l.contains(&format!("Tribune is serving {}", first.url))));
    let b = common::Browser::new(&first.url);
    let front = b.get("/").await;
    assert_eq!(front.status, reqwest::StatusCode::OK);
    // A news front page: the lead story with its image, the rest of the ten newest, sections.
    assert_eq!(front.body.matches("<article class=\"lead-story\">").count(), 1);
    assert_eq!(front.body.matches("id=\"latest-heading\"").count(), 1);
    assert!(front.body.matches("<article class=\"story\">").count() >= 9);
    assert!(front.body.contains("More in "), "sections by tag");
    assert!(front.body.contains("rel=\"next\""));
    // The demo's menu, About page and way to give.
    assert!(front.body.contains("<nav class=\"site-nav\" aria-label=\"Site\">"));
    assert!(front.body.contains("href=\"/about\""));
    assert!(front.body.contains("class=\"button give\""), "the Give button shows");
    assert_eq!(b.get("/about").await.status, reqwest::StatusCode::OK);
    let password = admin_line.split("password: ").nth(1).unwrap().trim();
    assert_eq!(b.login("admin@demo.example", password).await.status, reqwest::StatusCode::SEE_OTHER);
    let admin = b.get("/admin").await.body;
    assert!(admin.contains("status-draft") && admin.contains("status-scheduled"));
    drop(first);

    let store = tribune_store::Store::connect(&format!("sqlite://{data}/tribune.db")).await.unwrap();
    let count = store.count_articles().await.unwrap();
    assert!(count >= 30, "{count}");
    let second = start(&["demo", "--data-dir", data], "Demo admin:");
    let password_of = |line: &str| line.split("password: ").nth(1).unwrap().trim().to_owned();
    let second_admin = second.lines.iter().find(|l| l.contains("Demo admin:")).unwrap();
    assert_eq!(password_of(second_admin), password_of(&admin_line), "same admin login the second time");
    assert_eq!(store.count_articles().await.unwrap(), count, "demo content is created once");
    let syndicated = common::Browser::new(&second.url).get("/feed.json").await.body;
    assert!(syndicated.contains("external_url"), "some demo articles are syndicated");
}

#[tokio::test]
async fn serve_runs_on_postgres_too() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    // The code comes after "Tribune is serving": by then the server answers.
    let server = start(&["serve", "--database-url", &db.url], "one-time code");
    let b = common::Browser::new(&server.url);
    assert_eq!(b.get("/readyz").await.status, reqwest::StatusCode::OK);
    // A fresh site leads its first visitor to the setup.
    let front = b.get("/").await;
    assert_eq!(front.status, reqwest::StatusCode::SEE_OTHER);
    assert_eq!(front.header("location"), "/setup");
    assert!(b.get("/setup").await.body.contains("Set up your site"));
}
