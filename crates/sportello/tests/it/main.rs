//! The one integration-test binary: every test starts the real server on a random port
//! against a fresh database, on SQLite and on PostgreSQL.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot set up should panic"
)]

mod helpers;
mod kit;

mod accessibilita;
mod admission;
mod assistenza;
mod cassetta;
mod catalog;
mod cli;
mod codice_fiscale;
mod domande;
mod domande_en;
mod durability;
mod identity;
mod isolation;
mod jobs;
mod letters;
mod nodes;
mod notifiche;
mod notify;
mod oidc;
mod ops;
mod registration;
mod risponde;
mod sessions;
mod site;
mod storage;
