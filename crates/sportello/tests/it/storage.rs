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
