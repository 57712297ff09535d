//! Server-rendered pages: the context every template gets, and rendering.
//!
//! A page is an askama struct with a `page: PageContext` field; templates reach text only
//! through `page.t("id")`, so every visible string is translated.

use std::sync::Arc;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Html;

use super::assets;
use super::error::{AppError, ErrorInfo};
use super::extract::CurrentSession;
use super::i18n::{I18n, Lang};
use super::request_id::RequestId;
use crate::app::AppState;

/// What the layout needs on every page.
#[derive(Clone, Debug)]
pub struct PageContext {
    lang: Lang,
    i18n: Arc<I18n>,
    institution: Arc<str>,
    /// Path and query of the current request, to come back to after switching language.
    current: String,
    path: String,
    /// Which digital-identity logins are switched on (buttons on the login page).
    spid: bool,
    cie: bool,
    municipality: bool,
    /// Who is logged in, for the header (none on shared, cached pages).
    viewer: Option<Viewer>,
}

/// The logged-in person as the header shows them.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub name: String,
    pub csrf: String,
    pub is_staff: bool,
    /// Name and codice fiscale of the citizen whose data is on screen, when acting for them.
    pub acting_for: Option<(String, String)>,
    /// Unread letters in the mailbox on screen (the header's "new" badge); `None` when the
    /// session has no mailbox to show.
    pub mailbox_unread: Option<i64>,
}

impl Viewer {
    pub fn of(session: &crate::identity::session::Session) -> Self {
        Self {
            name: session.account.display_name.clone(),
            csrf: session.csrf_token.clone(),
            is_staff: session.account.role.is_staff(),
            acting_for: session.acting_for.as_ref().map(|acting| {
                (
                    acting.citizen.display_name.clone(),
                    acting.citizen.codice_fiscale.clone().unwrap_or_default(),
                )
            }),
            mailbox_unread: None,
        }
    }
}

impl PageContext {
    pub(crate) fn new(app: &AppState, lang: Lang, uri: &axum::http::Uri) -> Self {
        Self {
            lang,
            i18n: app.i18n.clone(),
            institution: app.institution.clone(),
            current: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            path: uri.path().to_owned(),
            viewer: None,
            spid: app.oidc.enabled(crate::identity::oidc::ProviderKind::Spid),
            cie: app.oidc.enabled(crate::identity::oidc::ProviderKind::Cie),
            municipality: app.config.municipality,
        }
    }

    /// Whether "Entra con SPID" is offered.
    pub fn login_spid(&self) -> bool {
        self.spid
    }

    /// Whether "Entra con CIE" is offered.
    pub fn login_cie(&self) -> bool {
        self.cie
    }

    pub fn viewer(&self) -> Option<&Viewer> {
        self.viewer.as_ref()
    }

    /// One mailbox letter was just opened: the header's badge, counted before, drops by one.
    pub fn mailbox_opened_one(&mut self) {
        if let Some(Some(unread)) = self.viewer.as_mut().map(|v| v.mailbox_unread.as_mut()) {
            *unread = (*unread - 1).max(0);
        }
    }

    /// The message `id` in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.i18n.get(self.lang, id)
    }

    /// Whether the message `id` exists.
    pub fn has(&self, id: &str) -> bool {
        self.i18n.has(self.lang, id)
    }

    /// A message with arguments in the page's language.
    pub fn message(&self, message: &super::error::Message) -> String {
        message.text(&self.i18n, self.lang)
    }

    pub fn lang(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }

    /// URL of a static asset, with its content hash so it can be cached for a year.
    pub fn asset(&self, path: &str) -> String {
        assets::url(path)
    }

    pub fn institution(&self) -> &str {
        &self.institution
    }

    /// The link that switches to the other language and comes back here.
    pub fn switch_lang_url(&self) -> String {
        format!(
            "/lingua/{}?torna={}",
            self.other_lang(),
            percent_encode(&self.current)
        )
    }

    /// The login page, coming back here afterwards.
    pub fn login_url(&self) -> String {
        format!("/accedi?torna={}", percent_encode(&self.current))
    }

    /// The path of the current page.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path and query of the current page.
    pub fn current(&self) -> &str {
        &self.current
    }

    pub(crate) fn language(&self) -> Lang {
        self.lang
    }

    /// Whether the page-feedback widget belongs on this page: public pages only, not the
    /// personal area, the back office or the forms of the login flow.
    pub fn show_feedback(&self) -> bool {
        const PRIVATE: &[&str] = &[
            "/area-personale",
            "/per-conto",
            "/backoffice",
            "/personale",
            "/accedi",
            "/registrati",
            "/valutazione",
        ];
        self.viewer.as_ref().is_none_or(|v| !v.is_staff) && !PRIVATE.iter().any(|p| self.path.starts_with(p))
    }

    /// The page was just rated: thank instead of asking again (`?valutazione=grazie`, never cached).
    pub fn feedback_thanks(&self) -> bool {
        self.current
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|p| p == "valutazione=grazie"))
    }

    /// The four ratings of the page-feedback widget: (field, message id of the label).
    pub fn feedback_criteria(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("chiaro", "feedback-widget-clear"),
            ("completo", "feedback-widget-complete"),
            ("aggiornato", "feedback-widget-up-to-date"),
            ("facile", "feedback-widget-easy"),
        ]
    }

    /// The modello Comuni follow-up answers: (code, exact text).
    pub fn comuni_positive(&self) -> &'static [(&'static str, &'static str)] {
        &crate::catalog::feedback::COMUNI_POSITIVE
    }

    pub fn comuni_negative(&self) -> &'static [(&'static str, &'static str)] {
        &crate::catalog::feedback::COMUNI_NEGATIVE
    }

    /// Whether this deployment is a municipality (the feedback widget takes the modello Comuni form).
    pub fn municipality(&self) -> bool {
        self.municipality
    }

    /// Whether `path` is the current page (for `aria-current`).
    pub fn is_current(&self, path: &str) -> bool {
        self.path == path
    }
}

impl FromRequestParts<AppState> for PageContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let mut context = Self::new(app, lang, &parts.uri);
        // Only requests with a session cookie pay for the lookup.
        if super::extract::session_token(parts, app).is_some()
            && let CurrentSession(Some(session)) = CurrentSession::from_request_parts(parts, app).await?
        {
            let mut viewer = Viewer::of(&session);
            // One indexed COUNT; a failure costs the badge, never the page.
            viewer.mailbox_unread = crate::cassetta::service::badge(&app.db, &session)
                .await
                .unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "mailbox badge not counted");
                    None
                });
            context.viewer = Some(viewer);
        }
        Ok(context)
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Renders a page; a template error is an internal error (logged once by `AppError`).
pub fn render<T: Template>(page: &T) -> Result<Html<String>, AppError> {
    page.render()
        .map(Html)
        .map_err(|err| AppError::Internal(anyhow::Error::new(err)))
}

/// The home page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub page: PageContext,
    pub home: crate::catalog::pages::HomeData,
    /// Just logged out: say so (only on `/?uscito=1`, which is never cached).
    pub logged_out: bool,
}

/// A page of text: a heading and paragraphs, all message ids.
#[derive(Template)]
#[template(path = "static_page.html")]
pub struct StaticPage {
    pub page: PageContext,
    pub heading_id: &'static str,
    pub paragraph_ids: &'static [&'static str],
}

/// An error, as a page with a way forward.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: PageContext,
    pub status: u16,
    pub heading_id: &'static str,
    pub detail_id: &'static str,
    /// A precise explanation, already in the page's language (shown instead of the generic one).
    pub message: Option<String>,
    pub request_id: String,
    /// The waiting room's "send again": the same form to the same address.
    pub resend: Option<crate::http::error::Resend>,
}

impl ErrorPage {
    pub fn new(page: PageContext, info: &ErrorInfo, request_id: Option<RequestId>) -> Self {
        let (heading_id, detail_id) = Self::message_ids(info);
        Self {
            page,
            status: info.status.as_u16(),
            heading_id,
            detail_id,
            message: None,
            request_id: request_id.map(|id| id.0).unwrap_or_default(),
            resend: info.resend.clone(),
        }
    }

    /// The heading and explanation shown for an error.
    pub fn message_ids(info: &ErrorInfo) -> (&'static str, &'static str) {
        match info.code {
            "non-trovato" => ("error-not-found-title", "error-not-found-detail"),
            "troppo-grande" => ("error-too-large-title", "error-too-large-detail"),
            "metodo-non-consentito" => ("error-method-title", "error-method-detail"),
            "non-autenticato" | "non-consentito" => ("error-forbidden-title", "error-forbidden-detail"),
            "tempo-scaduto" | "non-disponibile" => ("error-unavailable-title", "error-unavailable-detail"),
            "errore-interno" => ("error-internal-title", "error-internal-detail"),
            "modulo-scaduto" => ("error-csrf-title", "error-csrf-detail"),
            "troppe-richieste" => ("error-limited-title", "error-limited-detail"),
            "sala-d-attesa" => ("error-busy-title", "error-busy-detail"),
            _ => ("error-bad-request-title", "error-bad-request-detail"),
        }
    }

    /// Renders without failing: an error page must always produce something.
    pub fn render_html(&self) -> Html<String> {
        match self.render() {
            Ok(html) => Html(html),
            Err(err) => {
                tracing::error!(error = %err, "error page failed to render");
                Html(format!(
                    "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\"><title>{0}</title></head>\
                     <body><h1>{0}</h1><p><a href=\"/\">Home</a></p></body></html>",
                    self.status
                ))
            }
        }
    }
}

/// One operation of the API reference page.
#[derive(Debug, Clone)]
pub struct ApiOperation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub tag: String,
    pub anchor: String,
    pub responses: Vec<(String, String)>,
}

/// The readable API reference, rendered from the OpenAPI document.
#[derive(Template)]
#[template(path = "api_docs.html")]
pub struct ApiDocsPage {
    pub page: PageContext,
    pub operations: Vec<ApiOperation>,
    pub openapi_url: String,
}

/// An instant (ms since the epoch) as Italians read it: `23/11/2026 14:05`, Rome time.
pub fn local_time(ms: i64) -> String {
    let Ok(timestamp) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    timestamp
        .to_zoned_datetime(zone)
        .strftime("%d/%m/%Y %H:%M")
        .to_string()
}

/// A date (ms since the epoch) as `23/11/2026`, Rome time.
pub fn local_date(ms: i64) -> String {
    local_time(ms).split(' ').next().unwrap_or_default().to_owned()
}

/// The instant a calendar date (`YYYY-MM-DD`, as `<input type="date">` sends it) begins in Rome.
pub fn parse_local_date(text: &str) -> Option<i64> {
    let date: jiff::civil::Date = text.trim().parse().ok()?;
    Some(date.in_tz("Europe/Rome").ok()?.timestamp().as_millisecond())
}

/// A 303 to `location` (post/redirect/get).
pub fn see_other(location: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(location) {
        response.headers_mut().insert(axum::http::header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_are_encoded() {
        assert_eq!(
            percent_encode("/servizi?q=assegno unico&x=1"),
            "/servizi%3Fq%3Dassegno%20unico%26x%3D1"
        );
        assert_eq!(percent_encode("/è"), "/%C3%A8");
    }
}
