//! The OpenAPI 3.1 document, generated from the handlers' annotations so it cannot drift,
//! and the readable reference page rendered from it (no JavaScript, no third-party viewer).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{FieldError, Problem};
use super::page::ApiOperation;
use crate::identity::{belfiore, cf_api, codice_fiscale};
use crate::{accessibilita, api, cassetta, catalog, domande, identity, notify, risponde};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sportello API",
        version = "1",
        description = "The JSON API of Sportello, the digital front office. Errors are RFC 9457 \
                       `application/problem+json` documents with a stable `code`; their `title` is in \
                       Italian, or in English with `Accept-Language: en`.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        api::stato,
        api::sessione,
        api::termina_sessione,
        identity::api::pin_login,
        accessibilita::api::create,
        cf_api::verifica,
        catalog::api::search,
        catalog::api::suggest,
        catalog::api::services,
        catalog::api::service,
        catalog::api::news,
        catalog::api::alerts,
        catalog::api::calls,
        catalog::feedback::api_submit,
        cassetta::api::list,
        cassetta::api::show,
        cassetta::api::pdf,
        risponde::api::list,
        risponde::api::create,
        risponde::api::show,
        risponde::api::reply,
        risponde::api::rate,
        notify::api::register,
        notify::api::list,
        notify::api::remove,
        domande::api::forms,
        domande::api::form,
        domande::api::list,
        domande::api::create,
        domande::api::show,
        domande::api::save_step,
        domande::api::file,
        domande::api::withdraw,
        domande::api::delete,
        domande::api::receipt,
    ),
    components(schemas(
        Problem,
        FieldError,
        api::Stato,
        api::Sessione,
        identity::api::PinLogin,
        identity::api::Token,
        accessibilita::model::SegnalazioneInput,
        accessibilita::api::SegnalazioneRicevuta,
        cf_api::CodiceFiscaleInfo,
        codice_fiscale::Sex,
        belfiore::PlaceKind,
        catalog::api::Voce,
        catalog::api::Risultati,
        catalog::api::SchedaServizio,
        catalog::api::Domanda,
        catalog::feedback::FeedbackRequest,
        catalog::feedback::FeedbackReceipt,
        catalog::feedback::Found,
        cassetta::api::Messaggio,
        cassetta::api::Cassetta,
        risponde::api::Quesito,
        risponde::api::QuesitoDettaglio,
        risponde::api::MessaggioQuesito,
        risponde::api::Evento,
        risponde::api::NuovoQuesito,
        risponde::api::NuovoMessaggio,
        risponde::api::Valutazione,
        notify::api::NuovoDispositivo,
        notify::api::Dispositivo,
        notify::Platform,
        domande::api::Modulo,
        domande::api::Passo,
        domande::api::Campo,
        domande::api::Opzione,
        domande::api::Condizione,
        domande::api::DomandaView,
        domande::api::EventoDomanda,
        domande::api::NuovaDomanda,
        domande::api::RispostePasso,
    )),
    tags(
        (name = "sistema", description = "State of the service."),
        (name = "sessione", description = "The caller's session."),
        (name = "accessibilita", description = "Reports of accessibility problems."),
        (name = "codice-fiscale", description = "Checking and decoding a codice fiscale."),
        (name = "cassetta", description = "The online mailbox: letters from the institute, as PDFs. Login needed."),
        (name = "quesiti", description = "Questions to the contact center or the sede (\"Risponde\", \"Scrivi alla sede\"): list, ask, read, reply, rate."),
        (name = "catalogo", description = "Service cards, news, calls and scam alerts; search; page ratings. Public, no login."),
        (name = "notifiche", description = "The caller's phones registered for push notifications."),
        (name = "domande", description = "Online applications: the forms, drafts saved step by step, filing with a protocol number (exactly once), state and timeline, withdrawal, the receipt."),
    ),
    modifiers(&SessionCookie),
)]
pub struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "sessione",
                SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                    "__Host-sportello",
                    "Session cookie set at login (named `sportello` when cookie_secure = false).",
                ))),
            );
            components.add_security_scheme(
                "app",
                SecurityScheme::Http(
                    utoipa::openapi::security::HttpBuilder::new()
                        .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                        .description(Some("Token from `POST /api/v1/auth/pin` (mobile app)."))
                        .build(),
                ),
            );
        }
    }
}

/// The document as JSON text.
pub fn document_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// The operations of the document, in path order, for the reference page.
pub fn operations() -> Vec<ApiOperation> {
    let doc = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(doc) => doc,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let text = |key: &str| {
                op.get(key)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut responses: Vec<(String, String)> = op
                .get("responses")
                .and_then(|r| r.as_object())
                .map(|r| {
                    r.iter()
                        .map(|(code, resp)| {
                            let desc = resp
                                .get("description")
                                .and_then(|d| d.as_str())
                                .unwrap_or_default();
                            (code.clone(), desc.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            responses.sort();
            let tag = op
                .get("tags")
                .and_then(|t| t.get(0))
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned();
            let anchor = format!(
                "{method}{}",
                path.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect::<String>()
            );
            out.push(ApiOperation {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary: text("summary"),
                description: text("description"),
                tag,
                anchor,
                responses,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_the_api() {
        let doc: serde_json::Value = serde_json::from_str(&document_json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"]["/api/v1/stato"]["get"].is_object());
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let ops = operations();
        assert!(
            ops.iter()
                .any(|op| op.method == "DELETE" && op.path == "/api/v1/sessione")
        );
    }
}
