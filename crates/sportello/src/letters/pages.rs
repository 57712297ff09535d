//! Back office: print batches of letters (`/backoffice/lettere`).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Batch, LetterError, italian_datetime};
use crate::app::AppState;
use crate::http::csrf::Csrf;
use crate::http::error::AppError;
use crate::http::extract::RequireSession;
use crate::http::page::{self, PageContext};
use crate::identity::accounts::{Account, Role};

/// Who may see, close and download print batches: staff, not citizens. The one place to
/// change when roles grow.
pub fn may_print_letters(account: &Account) -> bool {
    // Printing and posting letters is office work (sede); administrators oversee it.
    matches!(account.role, Role::OperatoreSede | Role::Amministratore)
}

fn require_staff(session: &RequireSession) -> Result<(), AppError> {
    if may_print_letters(&session.0.account) {
        Ok(())
    } else {
        Err(AppError::Forbidden("printing letters is for staff"))
    }
}

impl From<LetterError> for AppError {
    fn from(err: LetterError) -> Self {
        match err {
            LetterError::Storage(err) => err.into(),
            LetterError::Invalid(_) => AppError::Invalid(Vec::new()),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// One batch as the page shows it.
pub struct BatchView {
    pub id: String,
    pub open: bool,
    pub letter_count: i64,
    pub created: String,
    pub closed: String,
    pub downloaded: String,
    pub downloaded_by: String,
    pub download_count: i64,
}

impl From<&Batch> for BatchView {
    fn from(batch: &Batch) -> Self {
        Self {
            id: batch.id.clone(),
            open: batch.open,
            letter_count: batch.letter_count,
            created: italian_datetime(batch.created_at),
            closed: batch.closed_at.map(italian_datetime).unwrap_or_default(),
            downloaded: batch.downloaded_at.map(italian_datetime).unwrap_or_default(),
            downloaded_by: batch.downloaded_by.clone().unwrap_or_default(),
            download_count: batch.download_count,
        }
    }
}

/// The list of batches, with the form that closes the open one.
#[derive(Template)]
#[template(path = "letters/batches.html")]
pub struct BatchesPage {
    pub page: PageContext,
    pub csrf: String,
    pub batches: Vec<BatchView>,
    pub has_open: bool,
}

/// `GET /backoffice/lettere`.
pub async fn list(
    State(app): State<AppState>,
    session: RequireSession,
    page: PageContext,
    csrf: Csrf,
) -> Result<Response, AppError> {
    require_staff(&session)?;
    let batches = super::list_batches(&app.db, 100).await?;
    let view = BatchesPage {
        page,
        csrf: csrf.token.clone(),
        has_open: batches.iter().any(|b| b.open),
        batches: batches.iter().map(BatchView::from).collect(),
    };
    Ok(csrf.apply(page::render(&view)?.into_response()))
}

#[derive(Debug, Deserialize)]
pub struct CloseForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// `POST /backoffice/lettere/chiudi`: closes the open batch, then back to the list.
pub async fn close(
    State(app): State<AppState>,
    session: RequireSession,
    csrf: Csrf,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    require_staff(&session)?;
    csrf.verify(form.csrf.as_deref())?;
    let closed = super::close_open_batch(&app.db, &app.files, &session.0.account.id).await?;
    if let Some(batch) = &closed {
        tracing::info!(batch = %batch.id, letters = batch.letter_count, "print batch closed");
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/backoffice/lettere"));
    Ok(response)
}

/// `GET /backoffice/lettere/{id}.pdf`: the merged PDF of a closed batch. The download is
/// recorded (who, when): the letters hold secrets.
pub async fn download(
    State(app): State<AppState>,
    session: RequireSession,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    require_staff(&session)?;
    let id = file.strip_suffix(".pdf").ok_or(AppError::NotFound)?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(AppError::NotFound);
    }
    let Some(files) = super::download_batch(&app.db, &app.files, id, &session.0.account.id).await? else {
        return Err(AppError::NotFound);
    };
    tracing::info!(batch = id, account = %session.0.account.id, "print batch downloaded");
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"lotto-{id}.pdf\""))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("content-disposition: {e}")))?;
    let mut response = files.pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
