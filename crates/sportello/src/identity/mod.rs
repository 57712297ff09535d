//! Identity and access: the codice fiscale, accounts, the PIN, sessions, logins (PIN, SPID/CIE,
//! staff), roles, delegation.

pub mod accounts;
pub mod api;
pub mod assistenza;
pub mod backoffice;
pub mod belfiore;
pub mod cf_api;
pub mod codice_fiscale;
pub mod delega;
pub mod login;
pub mod oidc;
pub mod pages;
pub mod pin;
pub mod pins;
pub mod registration;
pub mod session;
pub mod staff;
