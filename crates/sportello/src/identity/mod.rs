//! Identity and access: accounts and sessions. Login (PIN, SPID/CIE), roles and
//! delegation build on these.

pub mod accounts;
pub mod oidc;
pub mod session;
