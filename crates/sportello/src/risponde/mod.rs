//! Questions: the "Risponde" service (a citizen asks, the contact center answers or routes
//! the question to the competent sede) and "Scrivi alla sede" (straight to the citizen's
//! sede), with a timeline, service levels in Italian working days, ratings, and the back
//! office's queues. See docs/risponde.md.

pub mod api;
pub mod backoffice;
pub mod calendar;
pub mod model;
pub mod pages;
pub mod store;

use crate::storage::Db;
use crate::storage::files::FileStore;

/// Largest request body on the question pages: three attachments of 5 MB and the text.
pub const BODY_BYTES_MAX: usize = model::ATTACHMENTS_MAX * model::ATTACHMENT_BYTES_MAX + 256 * 1024;

/// The mandate service code that lets an intermediary ask questions for a citizen.
pub const SERVICE: &str = "risponde";

/// A letter for the citizen's mailbox (cassetta postale).
#[derive(Debug, Clone)]
pub struct MailboxLetter {
    pub account_id: String,
    /// `risposta` for answers, `comunicazione` for acknowledgements, forwards and closures.
    pub kind: &'static str,
    pub subject: String,
    pub sender_office: String,
    pub paragraphs: Vec<String>,
    pub reference: Option<String>,
}

/// Files a letter in the citizen's mailbox. Never fails the request that triggered it: the
/// question is already stored, and the letter is a copy of what the question page shows.
// wired by the lead: cassetta::deliver(db, files, &cassetta::NewMessage { account_id,
// kind: MessageKind::Risposta | MessageKind::Comunicazione, subject, sender_office,
// paragraphs, reference }) and, for answers, notify::alerts::alert(…, Alert::QuestionAnswered).
pub async fn to_mailbox(_db: &Db, _files: &FileStore, letter: &MailboxLetter) {
    tracing::info!(
        kind = letter.kind,
        reference = letter.reference.as_deref().unwrap_or_default(),
        paragraphs = letter.paragraphs.len(),
        "quesito: letter for the mailbox (not delivered until the mailbox is wired in)"
    );
}
