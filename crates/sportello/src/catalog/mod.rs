//! The service catalogue: content, search and page feedback.

pub mod search;
