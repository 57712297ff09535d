//! The accessibility statement page, with the form to report a problem.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{NuovaSegnalazione, SegnalazioneInput};
use super::store;
use crate::app::AppState;
use crate::http::csrf::Csrf;
use crate::http::error::{AppError, FieldError};
use crate::http::page::{self, PageContext, StaticPage};

/// The statement's paragraphs (message ids).
pub const STATEMENT: &[&str] = &[
    "accessibility-p1",
    "accessibility-p2",
    "accessibility-p3",
    "accessibility-p4",
    "accessibility-p5",
    "accessibility-p6",
    "accessibility-p7",
];

/// The statement and the report form, possibly re-shown with the errors of a submission.
#[derive(Template)]
#[template(path = "accessibilita/statement.html")]
pub struct StatementPage {
    pub page: PageContext,
    pub paragraph_ids: &'static [&'static str],
    pub csrf: String,
    pub descrizione: String,
    pub pagina: String,
    pub email: String,
    pub errors: Vec<FieldError>,
}

impl StatementPage {
    /// The message id of the error for `field`, if it has one.
    pub fn error_id(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| format!("field-{}", e.code))
    }

    /// The `aria-describedby` of a field: its hint, and its error when it has one.
    pub fn described_by(&self, field: &str) -> String {
        if self.error_id(field).is_some() {
            format!("aiuto-{field} errore-{field}")
        } else {
            format!("aiuto-{field}")
        }
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.error_id(field).is_some()
    }
}

/// `GET /accessibilita`.
pub async fn show(page: PageContext, csrf: Csrf) -> Result<Response, AppError> {
    let form = StatementPage {
        page,
        paragraph_ids: STATEMENT,
        csrf: csrf.token.clone(),
        descrizione: String::new(),
        pagina: String::new(),
        email: String::new(),
        errors: Vec::new(),
    };
    Ok(csrf.apply(page::render(&form)?.into_response()))
}

/// The posted form: every field optional, so a missing field is a message, not a 400.
#[derive(Debug, Deserialize)]
pub struct ReportForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
    descrizione: Option<String>,
    pagina: Option<String>,
    email: Option<String>,
}

/// `POST /accessibilita`: stores the report and shows the thanks page, or shows the form
/// again with every problem marked (422).
pub async fn submit(
    State(app): State<AppState>,
    page: PageContext,
    csrf: Csrf,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    csrf.verify(form.csrf.as_deref())?;
    let input = SegnalazioneInput {
        descrizione: form.descrizione,
        pagina: form.pagina,
        email: form.email,
    };
    match NuovaSegnalazione::try_from(&input) {
        Ok(report) => {
            store::insert(&app.db, &report, page.lang()).await?;
            // Post/redirect/get: reloading the thanks page does not send the report twice.
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static("/accessibilita/inviata"),
            );
            Ok(response)
        }
        Err(errors) => {
            let form = StatementPage {
                page,
                paragraph_ids: STATEMENT,
                csrf: csrf.token.clone(),
                descrizione: input.descrizione.unwrap_or_default(),
                pagina: input.pagina.unwrap_or_default(),
                email: input.email.unwrap_or_default(),
                errors,
            };
            let mut response = page::render(&form)?.into_response();
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(csrf.apply(response))
        }
    }
}

/// `GET /accessibilita/inviata`: the thanks page.
pub async fn sent(page: PageContext) -> Result<Response, AppError> {
    let thanks = StaticPage {
        page,
        heading_id: "feedback-thanks-title",
        paragraph_ids: &["feedback-thanks-text", "feedback-thanks-next"],
    };
    Ok(page::render(&thanks)?.into_response())
}
