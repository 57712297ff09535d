//! Online applications (domande telematiche).

pub mod form;
