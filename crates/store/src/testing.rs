//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database on the server named by
//! `CHENGGUO_TEST_DATABASE_URL` (dropped again when the test ends). [`storage_test!`] runs one
//! test body on both.

use crate::Store;

/// A store for one test; dropping it removes the database.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Another handle on the same database (the original keeps ownership of cleanup).
    pub fn clone_for_test(&self) -> TestDb {
        TestDb {
            store: self.store.clone(),
            url: self.url.clone(),
            _dir: None,
            pg: None,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        self.store.backend().name()
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::open(&url).await.expect("open sqlite test db");
    TestDb {
        store,
        url,
        _dir: Some(dir),
        pg: None,
    }
}

/// The PostgreSQL server for tests, if configured.
pub fn pg_url() -> Option<String> {
    std::env::var("CHENGGUO_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `postgres://u@h:p/db?x` with the database replaced.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

/// A fresh database on the test server, or `None` (with a note) when none is configured.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = pg_url()?;
    sqlx::any::install_default_drivers();
    let name = format!("chengguo_t_{}", &crate::users::random_token()[..12]);
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .expect("connect to CHENGGUO_TEST_DATABASE_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let url = with_database(&admin_url, &name);
    let store = Store::open(&url).await.expect("open postgres test db");
    Some(TestDb {
        store,
        url,
        _dir: None,
        pg: Some((admin_url, name)),
    })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop cannot await; a short-lived thread with its own runtime removes the database.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                        .await
                        .ok()?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// Defines `mod $name { fn sqlite(); fn postgres(); }` running `async fn $name(db: &TestDb)` on
/// each backend; the PostgreSQL run is skipped, with a note, when no server is configured.
#[macro_export]
macro_rules! storage_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::sqlite().await;
                super::$name(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::testing::postgres().await {
                    Some(db) => super::$name(&db).await,
                    None => eprintln!(
                        "skipped: CHENGGUO_TEST_DATABASE_URL is not set, PostgreSQL not tested"
                    ),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_in_url() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/chengguo_test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/db?sslmode=disable", "y"),
            "postgres://u:p@h/y?sslmode=disable"
        );
    }
}
