//! Identity and access: accounts, the PIN, sessions, logins, roles, delegation.

pub mod accounts;
pub mod api;
pub mod backoffice;
pub mod delega;
pub mod login;
pub mod oidc;
pub mod pages;
pub mod pin;
pub mod pins;
pub mod registration;
pub mod session;
pub mod staff;
