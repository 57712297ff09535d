//! The command line: clear one-line errors, demo mode, migrations, generated docs.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

fn sportello(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sportello"));
    command.args(args).env_remove("SPORTELLO_CONFIG");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("run sportello")
}

/// Fails with exactly one line on stderr, naming `needle`, and no panic or backtrace.
fn assert_one_line_error(output: &Output, needle: &str) {
    assert!(!output.status.success(), "must fail: {output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("sportello: error: "), "{stderr}");
    assert!(lines[0].contains(needle), "names {needle}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn a_bad_configuration_key_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = sportello(&["serve", "--database-url", &db], &[("SPORTELLO_BINDD", "1")]);
    assert_one_line_error(&out, "SPORTELLO_BINDD");

    let file = dir.path().join("sportello.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:0\"\ncolore = \"blu\"\n").unwrap();
    let out = sportello(&["--config", file.to_str().unwrap(), "serve"], &[]);
    assert_one_line_error(&out, "colore");

    let out = sportello(&["serve", "--bind", "not-an-address"], &[]);
    assert_one_line_error(&out, "--bind");
}

#[test]
fn an_unreadable_config_file_is_one_clear_line() {
    let out = sportello(&["--config", "/nonexistent/sportello.toml", "serve"], &[]);
    assert_one_line_error(&out, "/nonexistent/sportello.toml");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Nothing listens on that port any more.
    let url = format!("postgres://sportello:segreto@127.0.0.1:{port}/sportello");
    let out = sportello(
        &["serve", "--database-url", &url],
        &[("SPORTELLO_DATABASE_ACQUIRE_TIMEOUT_MS", "2000")],
    );
    assert_one_line_error(&out, &format!("127.0.0.1:{port}"));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("segreto"),
        "password redacted"
    );
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let files = dir.path().join("files");
    let out = sportello(
        &["serve", "--bind", &addr, "--database-url", &db],
        &[("SPORTELLO_FILES_DIR", files.to_str().unwrap())],
    );
    assert_one_line_error(&out, &addr);
}

#[test]
fn migrate_creates_the_database_and_jobs_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nuovo.db");
    let db = format!("sqlite://{}", path.display());
    let out = sportello(&["migrate", "--database-url", &db], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(path.exists());
    let again = sportello(&["migrate", "--database-url", &db], &[]);
    assert!(again.status.success(), "migrating twice is fine");
    let jobs = sportello(&["jobs", "--database-url", &db], &[]);
    assert!(jobs.status.success(), "{jobs:?}");
    let retry = sportello(&["jobs", "--database-url", &db, "--retry", "nope"], &[]);
    assert_one_line_error(&retry, "nope");
}

#[test]
fn configuration_docs_are_generated_from_the_code() {
    let out = sportello(&["config-docs"], &[]);
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    let committed = std::fs::read_to_string(&docs).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/configuration.md is out of date: run `cargo run -- config-docs > docs/configuration.md`"
    );
    for key in sportello::config::KEYS {
        assert!(
            committed.contains(&format!("`SPORTELLO_{}`", key.name.to_ascii_uppercase())),
            "{}",
            key.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_prints_url_and_accounts_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("SPORTELLO_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            banner.push_str(&line);
            banner.push('\n');
            if line.contains("Ctrl-C") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "banner: {banner}");
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    for citizen in sportello::demo::CITIZENS {
        assert!(banner.contains(citizen.codice_fiscale), "{banner}");
    }
    for member in sportello::demo::STAFF {
        assert!(banner.contains(member.username), "{banner}");
    }
    assert!(
        dir.path().join("sportello.db").exists(),
        "the default SQLite file is created"
    );
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let home = crate::helpers::client().get(&url).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Sportello dimostrativo"));

    crate::helpers::sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = format!("sqlite://{}", dir.path().join("log.db").display());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &db,
        ])
        .env_remove("SPORTELLO_CONFIG")
        .env("SPORTELLO_LOG_FORMAT", "json")
        .env("SPORTELLO_LOG_LEVEL", "debug,sqlx=warn,hyper=warn")
        .env("SPORTELLO_FILES_DIR", dir.path().join("files"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = crate::helpers::client();
    let base = format!("http://127.0.0.1:{port}");
    assert!(crate::helpers::wait_ready(&base).await);
    let response = client
        .get(format!("{base}/pagina?cf=RSSMRA80A01H501U"))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    crate::helpers::sigterm(&child);
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(child.wait().await.unwrap().success());
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(lines.iter().any(|l| l["message"] == "listening"), "{stderr}");
    assert!(
        lines.iter().any(|l| l["span"]["id"] == request_id.as_str()),
        "request lines carry the request id: {stderr}"
    );
    assert!(
        !stderr.contains("RSSMRA80A01H501U"),
        "query strings (personal data) are not logged"
    );
}
