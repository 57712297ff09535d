//! The application state and the router: every area's routes, wrapped in the shared layers.

use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{delete, get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::http::i18n::I18n;
use crate::http::metrics::Metrics;
use crate::http::page_cache::PageCache;
use crate::http::{assets, edge};
use crate::identity::oidc::{self, Oidc};
use crate::identity::pin::PinKey;
use crate::identity::session::Lifetime;
use crate::identity::{backoffice, pages};
use crate::storage::Db;
use crate::storage::files::FileStore;
use crate::{accessibilita, api, cassetta, catalog, domande, identity, letters, notify, ops, risponde, site};

/// What every handler can reach; nothing in it is per-node state that another node would
/// need (that lives in the database). One `Arc`: the router clones the state several times
/// per request, and cloning nine reference counts cost a fifth of a small request's time
/// (measured, docs/performance.md).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub i18n: Arc<I18n>,
    pub metrics: Arc<Metrics>,
    pub files: FileStore,
    pub institution: Arc<str>,
    pub openapi_json: Arc<str>,
    /// Public pages rendered once per language.
    pub pages: PageCache,
    /// The key PINs are hashed with.
    pub pin_key: PinKey,
    /// Group-commits stand-alone audit entries (logins).
    pub audit: crate::audit::writer::AuditWriter,
    /// SPID / CIE id login: keys and the providers' cached metadata.
    pub oidc: Arc<Oidc>,
    /// The published catalogue and its search index, as this node serves it.
    pub catalog: crate::catalog::live::Catalog,
    /// The application forms, every version, as this node serves them.
    pub forms: crate::domande::registry::Forms,
    /// The click-day gate on logins and filings.
    pub admission: crate::http::admission::Admission,
    /// Group-commits applications filed in one go (the click-day path).
    pub filings: crate::domande::writer::FilingWriter,
}

impl Shared {
    /// The login limits in force.
    pub fn login_limits(&self) -> crate::limits::LoginLimits {
        crate::limits::LoginLimits::from_config(&self.config)
    }

    pub fn session_lifetime(&self) -> Lifetime {
        Lifetime {
            idle: self.config.session_idle,
            absolute: self.config.session_absolute,
        }
    }
}

/// The whole site.
pub fn router(state: AppState) -> Router {
    // Logins and filings take turns at the click-day gate (http/admission.rs).
    let gate = middleware::from_fn_with_state(state.clone(), crate::http::admission::gate);
    let mut routes = Router::new().route("/", get(site::home));
    for text in site::TEXT_PAGES {
        routes = routes.route(text.path, get(site::text_page));
    }
    let routes = routes
        .route("/servizi", get(catalog::pages::services))
        .route("/servizi/{slug}", get(catalog::pages::card))
        .route("/notizie", get(catalog::pages::list))
        .route("/notizie/{slug}", get(catalog::pages::article))
        .route("/bandi", get(catalog::pages::list))
        .route("/bandi/{slug}", get(catalog::pages::article))
        .route("/avvisi", get(catalog::pages::list))
        .route("/avvisi/{slug}", get(catalog::pages::article))
        .route("/video", get(catalog::pages::list))
        .route("/cerca", get(catalog::pages::search))
        .route("/trova-la-prestazione", get(catalog::pages::finder))
        .route("/sitemap.xml", get(catalog::pages::sitemap))
        .route("/robots.txt", get(catalog::pages::robots))
        .route("/valutazione", post(catalog::feedback::submit))
        .route("/api/v1/search", get(catalog::api::search))
        .route("/api/v1/suggerimenti", get(catalog::api::suggest))
        .route("/api/v1/servizi", get(catalog::api::services))
        .route("/api/v1/servizi/{slug}", get(catalog::api::service))
        .route("/api/v1/notizie", get(catalog::api::news))
        .route("/api/v1/avvisi", get(catalog::api::alerts))
        .route("/api/v1/bandi", get(catalog::api::calls))
        .route("/api/v1/valutazioni", post(catalog::feedback::api_submit))
        .route("/backoffice/contenuti", get(catalog::editor::list))
        .route(
            "/backoffice/contenuti/nuovo",
            get(catalog::editor::new_form).post(catalog::editor::create),
        )
        .route(
            "/backoffice/contenuti/{id}",
            get(catalog::editor::edit).post(catalog::editor::save),
        )
        .route(
            "/backoffice/contenuti/{id}/pubblicazione",
            post(catalog::editor::publication),
        )
        .route(
            "/backoffice/contenuti/{id}/versioni",
            get(catalog::editor::versions),
        )
        .route(
            "/backoffice/contenuti/{id}/versioni/{number}/ripristina",
            post(catalog::editor::restore),
        )
        .route(
            "/backoffice/sinonimi",
            get(catalog::editor::synonyms).post(catalog::editor::save_synonyms),
        )
        .route("/backoffice/valutazioni", get(catalog::editor::feedback_report))
        .route(
            "/accessibilita",
            get(accessibilita::pages::show).post(accessibilita::pages::submit),
        )
        .route("/accessibilita/inviata", get(accessibilita::pages::sent))
        .route(
            "/api/v1/segnalazioni-accessibilita",
            post(accessibilita::api::create),
        )
        .route(
            "/accedi",
            get(pages::login_form).post(pages::login_submit.layer(gate.clone())),
        )
        .route(
            "/accedi/attiva-pin",
            get(pages::activate_form).post(pages::activate_submit),
        )
        .route("/esci", post(pages::logout))
        .route("/area-personale", get(pages::area))
        .route("/area-personale/sicurezza", get(pages::security))
        .route(
            "/area-personale/sicurezza/sessioni/{id}/termina",
            post(pages::end_session),
        )
        .route(
            "/area-personale/sicurezza/esci-ovunque",
            post(pages::logout_everywhere),
        )
        .route("/area-personale/sicurezza/pin/revoca", post(pages::revoke_pin))
        .route(
            "/area-personale/deleghe",
            get(pages::deleghe).post(pages::create_delega),
        )
        .route("/area-personale/deleghe/{id}/revoca", post(pages::revoke_delega))
        .route("/area-personale/mandati", post(pages::grant_mandate))
        .route("/area-personale/mandati/{id}/revoca", post(pages::revoke_mandate))
        .route("/area-personale/attivita", get(pages::activity))
        .route("/per-conto/termina", post(pages::stop_acting))
        .route("/per-conto/richiedi-pin", post(pages::proxy_pin_request))
        .route(
            "/registrati",
            get(pages::register_form).post(pages::register_submit),
        )
        .route("/registrati/richiesta-ricevuta", get(pages::register_done))
        .route("/per-conto/{citizen_id}", post(pages::start_acting))
        .route(
            "/personale/accedi",
            get(backoffice::login_form).post(backoffice::login_submit),
        )
        .route("/backoffice", get(backoffice::home))
        .route(
            "/backoffice/personale",
            get(backoffice::staff_list).post(backoffice::staff_create),
        )
        .route("/backoffice/sedi", post(backoffice::sede_create))
        .route("/backoffice/cittadini", get(backoffice::search))
        .route("/backoffice/cittadini/{id}", get(backoffice::citizen))
        .route(
            "/backoffice/cittadini/{id}/dispositivo",
            post(backoffice::upgrade),
        )
        .route("/backoffice/cittadini/{id}/pin", post(backoffice::phone_issue))
        .route(
            "/backoffice/cittadini/{id}/pin/revoca",
            post(backoffice::revoke_pin),
        )
        .route(
            "/backoffice/cittadini/{id}/deleghe",
            post(backoffice::desk_delega),
        )
        .route("/backoffice/cittadini/{id}/assistenza", post(backoffice::assist))
        .route("/accedi/spid", get(oidc::routes::start_spid))
        .route("/accedi/cie", get(oidc::routes::start_cie))
        .route("/accedi/oidc/callback", get(oidc::routes::callback))
        .route("/oidc/jwks.json", get(oidc::routes::jwks))
        .route(
            "/.well-known/openid-federation",
            get(oidc::routes::entity_configuration),
        )
        .route("/backoffice/lettere", get(letters::pages::list))
        .route("/backoffice/lettere/chiudi", post(letters::pages::close))
        .route("/backoffice/lettere/{file}", get(letters::pages::download))
        .route("/area-personale/cassetta", get(cassetta::pages::list))
        .route("/area-personale/cassetta/{id}", get(cassetta::pages::show))
        .route("/area-personale/cassetta/{id}/pdf", get(cassetta::pages::pdf))
        .route("/api/v1/cassetta", get(cassetta::api::list))
        .route("/api/v1/cassetta/{id}", get(cassetta::api::show))
        .route("/api/v1/cassetta/{id}/pdf", get(cassetta::api::pdf))
        .route("/backoffice/risponde", get(risponde::backoffice::queue))
        .route(
            "/backoffice/sedi/{id}/competenze",
            get(risponde::competenze::show).post(risponde::competenze::add_competence),
        )
        .route(
            "/backoffice/sedi/{id}/competenze/{competenza}/elimina",
            post(risponde::competenze::remove_competence),
        )
        .route(
            "/backoffice/risponde/risposte-tipo",
            get(risponde::backoffice::canned_list).post(risponde::backoffice::canned_create),
        )
        .route(
            "/backoffice/risponde/risposte-tipo/{id}",
            post(risponde::backoffice::canned_update),
        )
        .route(
            "/backoffice/risponde/risposte-tipo/{id}/elimina",
            post(risponde::backoffice::canned_delete),
        )
        .route("/backoffice/risponde/{id}", get(risponde::backoffice::show))
        .route(
            "/backoffice/risponde/{id}/assegna",
            post(risponde::backoffice::assign),
        )
        .route("/backoffice/risponde/{id}/nota", post(risponde::backoffice::note))
        .route(
            "/backoffice/risponde/{id}/inoltra",
            post(risponde::backoffice::forward),
        )
        .route(
            "/backoffice/risponde/{id}/unisci",
            post(risponde::backoffice::merge),
        )
        .route(
            "/backoffice/risponde/{id}/chiudi",
            post(risponde::backoffice::close),
        )
        .route(
            "/backoffice/risponde/{id}/allegati/{allegato}",
            get(risponde::backoffice::attachment),
        )
        .route(
            "/api/v1/quesiti",
            get(risponde::api::list).post(risponde::api::create),
        )
        .route("/api/v1/quesiti/{id}", get(risponde::api::show))
        .route("/api/v1/moduli", get(domande::api::forms))
        .route("/api/v1/moduli/{codice}", get(domande::api::form))
        .route(
            "/api/v1/domande",
            get(domande::api::list).post(domande::api::create.layer(gate.clone())),
        )
        .route(
            "/api/v1/domande/{id}",
            get(domande::api::show).delete(domande::api::delete),
        )
        .route("/api/v1/domande/{id}/passi/{passo}", put(domande::api::save_step))
        .route(
            "/api/v1/domande/{id}/invio",
            post(domande::api::file.layer(gate.clone())),
        )
        .route("/api/v1/domande/{id}/ritiro", post(domande::api::withdraw))
        .route("/api/v1/domande/{id}/ricevuta", get(domande::api::receipt))
        .route("/verifica/{protocollo}", get(domande::pages::verify))
        .route(
            "/area-personale/domande",
            get(domande::pages::list).post(domande::pages::create),
        )
        .route("/area-personale/domande/nuova", get(domande::pages::start))
        .route("/area-personale/domande/{id}", get(domande::pages::show))
        .route(
            "/area-personale/domande/{id}/riepilogo",
            get(domande::pages::summary),
        )
        .route(
            "/area-personale/domande/{id}/invio",
            post(domande::pages::file.layer(gate.clone())),
        )
        .route(
            "/area-personale/domande/{id}/elimina",
            post(domande::pages::delete),
        )
        .route(
            "/area-personale/domande/{id}/ritiro",
            post(domande::pages::withdraw),
        )
        .route(
            "/area-personale/domande/{id}/ricorso",
            post(domande::pages::appeal),
        )
        .route(
            "/area-personale/domande/{id}/ricevuta.pdf",
            get(domande::pages::receipt),
        )
        .route(
            "/area-personale/domande/{id}/allegati/{allegato}",
            get(domande::pages::attachment),
        )
        .route("/backoffice/domande", get(domande::backoffice::queue))
        .route("/backoffice/domande/{id}", get(domande::backoffice::case))
        .route(
            "/backoffice/domande/{id}/assegna",
            post(domande::backoffice::assign),
        )
        .route("/backoffice/domande/{id}/atto", post(domande::backoffice::act))
        .route("/backoffice/domande/{id}/note", post(domande::backoffice::note))
        .route(
            "/backoffice/domande/{id}/allegati/{allegato}",
            get(domande::backoffice::attachment),
        )
        .route(
            "/backoffice/domande/{id}/ricevuta.pdf",
            get(domande::backoffice::receipt),
        )
        .route("/api/v1/quesiti/{id}/messaggi", post(risponde::api::reply))
        .route("/api/v1/quesiti/{id}/valutazione", post(risponde::api::rate))
        .route("/lingua/{code}", get(site::switch_language))
        .route("/static/{hash}/{*path}", get(assets::serve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/openapi.json", get(ops::openapi_json))
        .route("/api/v1/docs", get(ops::api_docs))
        .route("/api/v1/stato", get(api::stato))
        .route(
            "/api/v1/auth/pin",
            post(crate::identity::api::pin_login.layer(gate.clone())),
        )
        .route("/api/v1/codice-fiscale/{code}", get(identity::cf_api::verifica))
        .route(
            "/api/v1/sessione",
            get(api::sessione).delete(api::termina_sessione),
        )
        // Notifications (issue 7): the citizen's channels, the app's phones, undelivered messages.
        .route(
            "/area-personale/notifiche",
            get(notify::pages::preferences_form).post(notify::pages::preferences_submit),
        )
        .route("/backoffice/notifiche", get(notify::pages::dead_letters))
        .route("/backoffice/notifiche/riprova", post(notify::pages::retry))
        .route(
            "/api/v1/dispositivi",
            get(notify::api::list).post(notify::api::register),
        )
        .route("/api/v1/dispositivi/{id}", delete(notify::api::remove))
        .fallback(site::not_found);

    let config = state.config.clone();
    // Listed innermost first: each `.layer` wraps everything above it. The edge middleware
    // is outermost, so it also renders the bare errors the inner layers produce (413, 408, a
    // caught panic).
    routes
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        // Questions carry attachments (3 × 5 MB): their pages get their own, larger limit.
        .merge(risponde_pages())
        // Steps of a form and documents sent on request carry files.
        .merge(domande_uploads())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), edge::edge))
        .with_state(state)
}

/// The pages of a form that take files, with a body limit that fits them.
fn domande_uploads() -> Router<AppState> {
    Router::new()
        .route(
            "/area-personale/domande/{id}/passo/{passo}",
            get(domande::pages::step).post(domande::pages::save_step),
        )
        .route(
            "/area-personale/domande/{id}/integrazione",
            post(domande::pages::integrate),
        )
        .layer(RequestBodyLimitLayer::new(domande::pages::BODY_BYTES_MAX))
        .layer(axum::extract::DefaultBodyLimit::max(
            domande::pages::BODY_BYTES_MAX,
        ))
}

/// The question pages that take attachments (the citizen's, and staff answers), with a body
/// limit that fits them.
fn risponde_pages() -> Router<AppState> {
    Router::new()
        .route("/area-personale/quesiti", get(risponde::pages::list))
        .route(
            "/area-personale/quesiti/nuovo",
            get(risponde::pages::new_form).post(risponde::pages::create),
        )
        .route("/area-personale/quesiti/{id}", get(risponde::pages::show))
        .route(
            "/area-personale/quesiti/{id}/messaggi",
            post(risponde::pages::reply),
        )
        .route(
            "/area-personale/quesiti/{id}/riapri",
            post(risponde::pages::reopen),
        )
        .route(
            "/area-personale/quesiti/{id}/valutazione",
            post(risponde::pages::rate),
        )
        .route(
            "/area-personale/quesiti/{id}/allegati/{allegato}",
            get(risponde::pages::attachment),
        )
        // Staff answers carry attachments too.
        .route(
            "/backoffice/risponde/{id}/risposta",
            post(risponde::backoffice::answer),
        )
        .layer(RequestBodyLimitLayer::new(risponde::BODY_BYTES_MAX))
        .layer(axum::extract::DefaultBodyLimit::max(risponde::BODY_BYTES_MAX))
}
