//! Everything HTTP that is not one business area's: errors, pages, assets, headers,
//! languages, request ids, metrics and the API document.

pub mod admission;
pub mod assets;
pub mod csrf;
pub mod edge;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod page_cache;
pub mod request_id;
pub mod security;
