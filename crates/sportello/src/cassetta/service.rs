//! Who may read a mailbox, and the one path pages and the API take to read it: ownership in
//! SQL (`account_id` = the session's subject), delegates' reads audited.

use axum::http::StatusCode;

use super::{Filter, FilterError, Message};
use crate::app::AppState;
use crate::audit::{self, Entry};
use crate::http::error::{AppError, Message as Text};
use crate::identity::session::Session;
use crate::read_pool;
use crate::storage::{Db, StorageError};

/// The service code a mandate names to cover the mailbox (`*` covers everything).
pub const SERVICE: &str = "cassetta";

/// Messages per page.
pub const PAGE_SIZE: i64 = 20;

/// On what footing the session reads the subject's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The citizen's own mailbox: not audited.
    Own,
    /// Someone acting for the citizen: every read is audited.
    OnBehalf { holder_id: String, basis: String },
}

/// Whether an acting basis opens the mailbox: a full delegation and the assisted desk do; a
/// mandate only when it covers every service or the mailbox. `mandate_service` is the
/// mandate's scope, when the basis is a mandate.
pub fn basis_allows(basis: &str, mandate_service: Option<&str>) -> bool {
    match basis.split_once(':') {
        Some(("delega" | "pue", id)) => !id.is_empty(),
        Some(("mandato", id)) => !id.is_empty() && matches!(mandate_service, Some("*" | SERVICE)),
        _ => false,
    }
}

/// The scope of mandate `id`. (Read here, not through `identity`, to keep the mailbox's one
/// question in one query; the session has already checked the mandate is in force.)
async fn mandate_service(db: &Db, id: &str) -> Result<Option<String>, StorageError> {
    let service = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT service FROM mandati WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(service)
}

/// How `session` may read its subject's mailbox, or `None` (staff on their own, a mandate for
/// other services).
pub async fn access(db: &Db, session: &Session) -> Result<Option<Access>, StorageError> {
    if let Some(acting) = &session.acting_for {
        let service = match acting.basis.split_once(':') {
            Some(("mandato", id)) => mandate_service(db, id).await?,
            _ => None,
        };
        return Ok(
            basis_allows(&acting.basis, service.as_deref()).then(|| Access::OnBehalf {
                holder_id: session.account.id.clone(),
                basis: acting.basis.clone(),
            }),
        );
    }
    if session.account.role.is_staff() {
        return Ok(None);
    }
    Ok(Some(Access::Own))
}

/// The unread count for the header badge, when the session may see the subject's mailbox.
pub async fn badge(db: &Db, session: &Session) -> Result<Option<i64>, StorageError> {
    match access(db, session).await? {
        Some(_) => Ok(Some(super::unread_count(db, &session.subject().id).await?)),
        None => Ok(None),
    }
}

async fn require(app: &AppState, session: &Session) -> Result<Access, AppError> {
    access(&app.db, session).await?.ok_or(AppError::Refused {
        status: StatusCode::FORBIDDEN,
        code: "non-consentito",
        message: Text::new("cassetta-not-allowed"),
    })
}

async fn audit_read(
    app: &AppState,
    access: &Access,
    session: &Session,
    action: &'static str,
    message: Option<&Message>,
) -> Result<(), AppError> {
    if let Access::OnBehalf { holder_id, basis } = access {
        let mut entry = Entry::new(action)
            .actor(holder_id.as_str())
            .subject(session.subject().id.as_str())
            .detail("base", basis.as_str());
        if let Some(message) = message {
            entry = entry.detail("messaggio", message.id.as_str());
        }
        audit::record(&app.db, &entry).await?;
    }
    Ok(())
}

impl From<FilterError> for AppError {
    fn from(err: FilterError) -> Self {
        AppError::InvalidValue {
            field: err.field(),
            code: "cassetta-filtro-non-valido",
            detail: Text::new(err.message_id()),
        }
    }
}

impl From<super::CassettaError> for AppError {
    fn from(err: super::CassettaError) -> Self {
        match err {
            super::CassettaError::Storage(err) => err.into(),
            super::CassettaError::Invalid(_) => AppError::Invalid(Vec::new()),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// One page of the list.
#[derive(Debug, Clone)]
pub struct Listing {
    pub messages: Vec<Message>,
    /// Where the next (older) page starts, if there is one.
    pub next: Option<super::Cursor>,
}

/// The subject's messages matching `filter`, one page.
pub async fn list(app: &AppState, session: &Session, filter: &Filter) -> Result<Listing, AppError> {
    let access = require(app, session).await?;
    let mut messages = super::list(&app.db, &session.subject().id, filter, PAGE_SIZE + 1).await?;
    let next = if messages.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX) {
        messages.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
        messages.last().map(Message::cursor)
    } else {
        None
    };
    audit_read(app, &access, session, "cassetta.elenco", None).await?;
    Ok(Listing { messages, next })
}

/// The subject's message `id` (404 when missing or someone else's), marked read; and whether
/// this opening was the first.
pub async fn open(app: &AppState, session: &Session, id: &str) -> Result<(Message, bool), AppError> {
    let access = require(app, session).await?;
    let subject = &session.subject().id;
    let mut message = super::find_for_account(&app.db, subject, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let first = message.read_at.is_none();
    if first {
        message.read_at = Some(super::mark_read(&app.db, subject, id).await?);
    }
    audit_read(app, &access, session, "cassetta.letta", Some(&message)).await?;
    Ok((message, first))
}

/// The subject's message `id` and its PDF (404 when missing or someone else's).
pub async fn download(app: &AppState, session: &Session, id: &str) -> Result<(Message, Vec<u8>), AppError> {
    let access = require(app, session).await?;
    let subject = &session.subject().id;
    let message = super::find_for_account(&app.db, subject, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pdf = super::pdf(&app.files, &message).await?;
    audit_read(app, &access, session, "cassetta.letta", Some(&message)).await?;
    Ok((message, pdf))
}

/// The PDF as a download.
pub fn pdf_response(message: &Message, pdf: Vec<u8>) -> Result<axum::response::Response, AppError> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", message.file_name()))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("content-disposition: {e}")))?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_open_the_mailbox_only_within_their_scope() {
        assert!(basis_allows("delega:0196", None));
        assert!(basis_allows("pue:0196", None));
        assert!(basis_allows("mandato:0196", Some("*")));
        assert!(basis_allows("mandato:0196", Some("cassetta")));
        assert!(!basis_allows("mandato:0196", Some("pensioni")));
        assert!(!basis_allows("mandato:0196", None));
        assert!(!basis_allows("delega:", None));
        assert!(!basis_allows("altro:0196", Some("*")));
        assert!(!basis_allows("", None));
    }
}
