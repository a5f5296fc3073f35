//! Fresh, migrated databases for tests: an SQLite file in a temporary folder, or a new
//! schema on the PostgreSQL server named by `TRIBUNE_TEST_POSTGRES_URL`, dropped afterwards.
//! Each test gets its own, so tests run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Backend, Store};

/// The server for PostgreSQL tests. Unset means "skip PostgreSQL", except in CI
/// (`CI` set), where a missing server must fail the run rather than pass it silently.
pub const POSTGRES_ENV: &str = "TRIBUNE_TEST_POSTGRES_URL";

pub struct TestDatabase {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => Some(Self::sqlite().await),
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("tribune.db").display());
        let store = Store::connect(&url).await.expect("open SQLite");
        store.migrate().await.expect("migrate SQLite");
        TestDatabase { store, url, _dir: Some(dir), pg_schema: None }
    }

    /// `None`, reported as skipped, when PostgreSQL tests are not wanted; panics in CI.
    pub async fn postgres() -> Option<TestDatabase> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            skip(&format!("{POSTGRES_ENV} is not set"));
            return None;
        };
        let schema = unique_schema_name();
        let admin =
            Store::connect(&admin_url).await.unwrap_or_else(|e| panic!("{POSTGRES_ENV}={admin_url}: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin.pool).await.expect("create schema");
        admin.close().await;
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&url).await.expect("connect to the test schema");
        store.migrate().await.expect("migrate PostgreSQL");
        Some(TestDatabase { store, url, _dir: None, pg_schema: Some((admin_url, schema)) })
    }

    /// The schema as sorted, backend-neutral lines (see [`crate::schema`]), to compare
    /// the two backends' migrations.
    pub async fn schema(&self) -> Vec<String> {
        crate::schema::describe(&self.store).await.expect("read schema")
    }

    /// Runs one statement as is: for tests that break a schema on purpose.
    pub async fn execute(&self, sql: &str) {
        sqlx::query(sql).execute(&self.store.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, schema)) = self.pg_schema.take() else {
            return;
        };
        // Drop cannot await, and the test's runtime is blocked while it runs: a short-lived
        // runtime on its own thread drops the schema over a connection of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                if let Ok(admin) = Store::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&admin.pool).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Where [`skip`] also appends its line, when set: `scripts/test.sh` lists them at the end.
pub const SKIPPED_LOG_ENV: &str = "TRIBUNE_SKIPPED_LOG";

/// Reports that the current test cannot run (`reason`: the missing tool or database), for
/// the caller to return early. In CI (`CI` set) a test that cannot run fails instead.
///
/// libtest has no runtime skip and captures `eprintln!` of passing tests, so the line is
/// written to the process's stderr directly, which it does not capture: `SKIPPED: test:
/// reason` shows in the output of a plain `cargo test`.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    // libtest runs each test on a thread named after it.
    let test = thread.name().unwrap_or("a test");
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {reason}: in CI every test must run");
    }
    let line = format!("SKIPPED: {test}: {reason}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    if let Some(log) = std::env::var_os(SKIPPED_LOG_ENV) {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log);
        let _ = file.and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
    }
}

fn unique_schema_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("tribune_test_{}_{}_{}", std::process::id(), nanos, COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Runs each named `async fn(TestDatabase)` as two tests, `sqlite` and `postgres`, in a
/// module of the same name: `on_both_backends!(saves_articles, …);`
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        $(
            mod $test {
                #[tokio::test]
                async fn sqlite() {
                    super::$test($crate::testing::TestDatabase::sqlite().await).await;
                }

                #[tokio::test]
                async fn postgres() {
                    if let Some(db) = $crate::testing::TestDatabase::postgres().await {
                        super::$test(db).await;
                    }
                }
            }
        )+
    };
}
