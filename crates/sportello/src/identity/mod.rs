//! Identity and access: accounts, sessions and the codice fiscale. Login (PIN, SPID/CIE), roles and
//! delegation build on these.

pub mod accounts;
pub mod belfiore;
pub mod cf_api;
pub mod codice_fiscale;
pub mod session;
