//! Background work, held in the database so that any node can run it: a queue of jobs
//! ([`queue`]), the loop that runs them ([`runner`]) and named locks ([`leases`]).

pub mod leases;
pub mod queue;
pub mod runner;

pub use queue::{ClaimedJob, JobState, NewJob, enqueue};
pub use runner::{Handlers, JobContext, JobError, Runner};
