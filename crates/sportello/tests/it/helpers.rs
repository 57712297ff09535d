//! Test kit: start the real server on port 0 over a fresh database.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Client, Response, StatusCode, redirect};
use sportello::config::{Config, Layers};
use sportello::identity::accounts::{self, NewAccount, Role};
use sportello::identity::session::{self, Lifetime};
use sportello::storage::Db;
use sportello::storage::files::FileStore;
use sportello::{Server, open_database};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

/// Declares each test once and runs it on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $test() { super::$test($crate::helpers::Backend::Sqlite).await } )+
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $test() { super::$test($crate::helpers::Backend::Postgres).await } )+
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database URL for `backend`, and the directory that holds it (SQLite, files).
pub async fn fresh_database(backend: Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("sportello.db").display()),
        Backend::Postgres => fresh_postgres_database().await,
    };
    (url, dir)
}

/// Creates a database in the cluster the test script started. The variable missing is a
/// failure, never a skip: scripts/test always provides it.
pub async fn fresh_postgres_database() -> String {
    let admin = std::env::var("SPORTELLO_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SPORTELLO_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts PostgreSQL"
        )
    });
    let name = format!("sportello_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("connect to the test cluster");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let (base, _) = admin.rsplit_once('/').expect("admin URL has a database");
    format!("{base}/{name}")
}

/// Test configuration: port 0, given database, fast job polling, plain-HTTP cookies.
pub fn test_config(database_url: &str, files_dir: PathBuf, extra: &[(&'static str, &str)]) -> Config {
    let mut layers = Layers::defaults()
        .flag("bind", "--bind", Some("127.0.0.1:0".to_owned()))
        .flag("database_url", "--database-url", Some(database_url.to_owned()))
        .flag("cookie_secure", "test", Some("false".to_owned()))
        .flag("jobs_poll_interval_ms", "test", Some("50".to_owned()))
        .flag("shutdown_grace_ms", "test", Some("5000".to_owned()))
        .flag("database_max_connections", "test", Some("5".to_owned()))
        .flag("files_dir", "test", Some(files_dir.display().to_string()))
        .flag("institution_name", "test", Some("Comune di Prova".to_owned()));
    for (key, value) in extra {
        layers = layers.flag(key, "test", Some((*value).to_owned()));
    }
    layers.build().expect("test config")
}

/// A running server.
pub struct TestApp {
    pub base_url: String,
    pub db: Db,
    pub client: Client,
    pub database_url: String,
    /// The server's file store.
    pub files: FileStore,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, extra: &[(&'static str, &str)]) -> TestApp {
        let (url, dir) = fresh_database(backend).await;
        let mut app = Self::spawn_on(&url, dir.path().join("files"), extra).await;
        app._dir = Some(dir);
        app
    }

    /// Another node on an existing database.
    pub async fn spawn_on(database_url: &str, files_dir: PathBuf, extra: &[(&'static str, &str)]) -> TestApp {
        let config = test_config(database_url, files_dir, extra);
        let server = Server::build(config).await.expect("server starts");
        // The listener is already bound, so early requests wait in its backlog: no sleep.
        let base_url = format!("http://{}", server.local_addr().expect("bound"));
        let db = server.db().clone();
        let files = server.state().files.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        TestApp {
            base_url,
            db,
            client: client(),
            database_url: database_url.to_owned(),
            files,
            stop: Some(stop),
            handle: Some(handle),
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// How many rows `table` has.
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        sportello::read_pool!(&self.db, |pool| sqlx::query_scalar::<_, i64>(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .fetch_one(pool)
        .await)
        .expect("count rows")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// Creates a citizen's account and a session for it, as a login would; returns the cookie header.
    pub async fn login_as(&self, codice_fiscale: &str, name: &str) -> String {
        self.login_as_role(codice_fiscale, name, Role::Cittadino).await
    }

    /// Like [`TestApp::login_as`], with the given role.
    pub async fn login_as_role(&self, codice_fiscale: &str, name: &str, role: Role) -> String {
        let id = accounts::create(
            &self.db,
            &NewAccount {
                codice_fiscale: Some(codice_fiscale),
                display_name: name,
                role,
            },
        )
        .await
        .expect("account");
        let token = session::create(
            &self.db,
            &id,
            Lifetime {
                idle: Duration::from_secs(1800),
                absolute: Duration::from_secs(12 * 3600),
            },
        )
        .await
        .expect("session");
        format!("sportello={token}")
    }

    /// Starts the shutdown the way SIGTERM would, without waiting for it.
    pub fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the server the way SIGTERM would, and waits for it.
    /// Returns the directory that holds the server's files (and SQLite database), so a test
    /// can look at them after the server has gone.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        self.begin_stop();
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self._dir.take()
    }
}

/// A client that does not follow redirects (tests look at them).
pub fn client() -> Client {
    sportello::install_crypto_provider();
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

/// Opens (and migrates) a database without a server.
pub async fn open(url: &str) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(url, dir.path().to_owned(), &[]);
    open_database(&config, true).await.expect("database opens")
}

/// Waits up to 30 s for `/readyz` at `base_url` to answer 200.
pub async fn wait_ready(base_url: &str) -> bool {
    let client = client();
    eventually(Duration::from_secs(30), || {
        let (client, url) = (client.clone(), format!("{base_url}/readyz"));
        async move {
            client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        }
    })
    .await
}

/// Sends SIGTERM to a child process.
pub fn sigterm(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
}

/// Polls `check` until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `sportello serve` child process on a free port.
pub struct Node {
    child: Child,
    pub base_url: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    pub async fn start(
        database_url: &str,
        name: &str,
        files: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Node {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sportello"));
        command
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
            ])
            .env("SPORTELLO_COOKIE_SECURE", "false")
            .env("SPORTELLO_NODE_NAME", name)
            .env("SPORTELLO_JOBS_POLL_INTERVAL_MS", "20")
            .env("SPORTELLO_FILES_DIR", files)
            .env("SPORTELLO_DATABASE_MAX_CONNECTIONS", "5")
            // The caller's settings win over the defaults above.
            .envs(env.iter().copied());
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start sportello");
        let base_url = format!("http://127.0.0.1:{port}");
        let up = wait_ready(&base_url).await;
        assert!(up, "node {name} did not become ready");
        Node { child, base_url }
    }

    /// SIGTERM, and wait for a clean exit.
    pub async fn terminate(mut self) {
        sigterm(&self.child);
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "node exits cleanly on SIGTERM: {status}");
    }
}

impl Node {
    /// SIGKILL: the process dies at once, mid-request, as in a crash.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("kill");
        self.child.wait().await.expect("wait");
    }
}
