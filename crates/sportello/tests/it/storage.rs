//! The two backends agree.

use crate::helpers::{Backend, fresh_database, open};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_agree() {
    let (sqlite_url, _a) = fresh_database(Backend::Sqlite).await;
    let (pg_url, _b) = fresh_database(Backend::Postgres).await;
    let sqlite = sportello::storage::dialect::describe_schema(&open(&sqlite_url).await)
        .await
        .unwrap();
    let postgres = sportello::storage::dialect::describe_schema(&open(&pg_url).await)
        .await
        .unwrap();
    assert!(sqlite.len() > 20, "schema described: {sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
    let only_postgres: Vec<_> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );
}

#[test]
fn migration_folders_have_the_same_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

/// The S3 store the test script started (moto's server). Missing is a failure, never a skip.
fn s3_endpoint() -> String {
    std::env::var("SPORTELLO_TEST_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!("SPORTELLO_TEST_S3_ENDPOINT is not set: run the suite with scripts/test, which starts an S3 server")
    })
}

/// A fresh bucket on the test S3 store.
async fn s3_bucket() -> sportello::config::S3Config {
    let endpoint = s3_endpoint();
    let bucket = format!("sportello-{}", uuid::Uuid::new_v4().simple());
    let created = crate::helpers::client()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "create bucket: {}",
        created.status()
    );
    sportello::config::S3Config {
        bucket,
        region: "us-east-1".to_owned(),
        endpoint: Some(endpoint),
        allow_http: true,
        access_key_id: Some("sportello-test".to_owned()),
        secret_access_key: Some("sportello-test-secret".to_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_files_through_an_s3_store() {
    use sportello::config::FilesBackend;
    use sportello::storage::files::{FileError, FileKey, FileStore};

    sportello::install_crypto_provider();
    let backend = FilesBackend::S3(s3_bucket().await);
    let node_a = FileStore::open(&backend).unwrap();
    let node_b = FileStore::open(&backend).unwrap();
    let key = FileKey::generate("ricevute");
    let pdf = b"%PDF-1.7 ricevuta di prova".to_vec();
    node_a.put(&key, pdf.clone()).await.unwrap();
    assert_eq!(
        node_b.get(&key).await.unwrap(),
        pdf,
        "a file written on one node is read on another"
    );
    node_b.delete(&key).await.unwrap();
    assert!(matches!(node_a.get(&key).await, Err(FileError::NotFound)));
    node_a.delete(&key).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_runs_with_files_on_s3() {
    let s3 = s3_bucket().await;
    let endpoint = s3.endpoint.clone().unwrap();
    let app = crate::helpers::TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("files_backend", "s3"),
            ("s3_bucket", &s3.bucket),
            ("s3_endpoint", &endpoint),
            ("s3_allow_http", "true"),
            ("s3_access_key_id", "sportello-test"),
            ("s3_secret_access_key", "sportello-test-secret"),
        ],
    )
    .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
}
