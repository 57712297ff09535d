//! Every place where SQLite and PostgreSQL need different SQL, side by side.
//!
//! Everything else is written once in portable SQL. If you need a new difference, add it
//! here with both versions next to each other and a line saying why.

use super::{Db, StorageError};

/// Claims up to `limit` due jobs for `node`, marking them running until `locked_until`.
///
/// Due means queued with `run_at` passed, or running under a lease that has expired (its
/// node died). PostgreSQL: `FOR UPDATE SKIP LOCKED`, so nodes claiming at once never wait
/// for or take each other's rows. SQLite: no row locks exist, but every write goes through
/// the single writer connection, so the statement runs alone and cannot claim a job twice.
pub fn claim_jobs_sql(db: &Db) -> &'static str {
    match db {
        Db::Postgres(_) => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2
              WHERE id IN (SELECT id FROM jobs
                            WHERE ((state = 'queued' AND run_at <= $3)
                                OR (state = 'running' AND locked_until < $3))
                              AND attempts < max_attempts
                            ORDER BY run_at
                            LIMIT $4
                            FOR UPDATE SKIP LOCKED)
          RETURNING id, kind, payload, attempts, max_attempts"
        }
        Db::Sqlite(_) => {
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2
              WHERE id IN (SELECT id FROM jobs
                            WHERE ((state = 'queued' AND run_at <= $3)
                                OR (state = 'running' AND locked_until < $3))
                              AND attempts < max_attempts
                            ORDER BY run_at
                            LIMIT $4)
          RETURNING id, kind, payload, attempts, max_attempts"
        }
    }
}

/// One column as the database describes it, normalised so the two backends compare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    pub table: String,
    pub column: String,
    /// `text`, `integer` (32 bit), `bigint` (64 bit).
    pub kind: String,
    pub nullable: bool,
}

/// Describes every table of the application schema (not sqlx's own bookkeeping).
pub async fn describe_schema(db: &Db) -> Result<Vec<ColumnShape>, StorageError> {
    let mut columns = match db {
        Db::Sqlite(sqlite) => {
            // pragma_table_info reports declared types; "notnull" is 0/1 and primary keys are
            // implicitly NOT NULL only for INTEGER PRIMARY KEY, so pk counts as not null.
            let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
                "SELECT m.name, p.name, lower(p.type), p.\"notnull\", p.pk
                   FROM sqlite_master m, pragma_table_info(m.name) p
                  WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            )
            .fetch_all(&sqlite.read)
            .await?;
            rows.into_iter()
                .map(|(table, column, kind, notnull, pk)| ColumnShape {
                    table,
                    column,
                    kind,
                    nullable: notnull == 0 && pk == 0,
                })
                .collect::<Vec<_>>()
        }
        Db::Postgres(pool) => {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
                   FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(table, column, kind, nullable)| ColumnShape {
                    table,
                    column,
                    kind: match kind.as_str() {
                        "character varying" => "text".to_owned(),
                        _ => kind,
                    },
                    nullable: nullable == "YES",
                })
                .collect()
        }
    };
    columns.sort();
    Ok(columns)
}
