//! Accessibility feedback: the mechanism AgID requires next to the accessibility statement,
//! where anyone can report a part of the site they cannot use.

pub mod api;
pub mod model;
pub mod pages;
pub mod store;
