//! The catalogue over `/api/v1` for the mobile app: the same service cards, news, calls and
//! alerts as the pages, search and suggestions. Public, read from the node's snapshot.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::live::Page;
use super::model::{Audience, Content, Kind, LifeEvent};
use super::pages::clean_query;
use crate::app::AppState;
use crate::http::error::{AppError, Message};

/// A page in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Voce {
    /// `servizio`, `notizia`, `bando`, `avviso` or `video`.
    pub tipo: String,
    /// The page's name in its address.
    pub slug: String,
    pub titolo: String,
    /// One sentence.
    pub sommario: String,
    /// The page on the site, e.g. `/servizi/naspi`.
    pub percorso: String,
    /// News and alerts: the date; calls: the deadline (`YYYY-MM-DD`).
    pub data: Option<String>,
}

impl Voce {
    fn of(page: &Page) -> Self {
        let data = match &page.content {
            Content::Notizia(n) => Some(n.date.to_string()),
            Content::Bando(c) => Some(c.closes.to_string()),
            Content::Avviso(a) => Some(a.date.to_string()),
            _ => None,
        };
        Self {
            tipo: page.kind.code().to_owned(),
            slug: page.slug.to_string(),
            titolo: page.content.title().to_owned(),
            sommario: page.content.summary().to_owned(),
            percorso: page.path.clone(),
            data,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for, in everyday words (typos and synonyms are understood). Longer than
    /// 200 characters is cut.
    #[serde(default)]
    pub q: String,
}

/// Search results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Risultati {
    /// The query as searched.
    pub query: String,
    /// Best first, at most 30.
    pub risultati: Vec<Voce>,
}

/// Search the catalogue.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "catalogo",
    params(SearchParams),
    responses(
        (status = 200, description = "Results, best first (none for an empty query)", body = Risultati),
        (status = 400, description = "The query string cannot be read (e.g. a parameter given twice)", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(State(app): State<AppState>, Query(params): Query<SearchParams>) -> Json<Risultati> {
    let snapshot = app.catalog.snapshot();
    let query = clean_query(&params.q);
    let risultati: Vec<Voce> = if query.is_empty() {
        Vec::new()
    } else {
        snapshot.search(&query, 30).into_iter().map(Voce::of).collect()
    };
    if !query.is_empty() && risultati.is_empty() {
        app.catalog.count_miss(&query);
    }
    Json(Risultati { query, risultati })
}

/// Suggestions as you type (the search box uses them when JavaScript is on).
#[utoipa::path(
    get,
    path = "/api/v1/suggerimenti",
    tag = "catalogo",
    params(SearchParams),
    responses(
        (status = 200, description = "Up to 8 pages whose title starts words with what was typed", body = [Voce]),
        (status = 400, description = "The query string cannot be read (e.g. a parameter given twice)", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn suggest(State(app): State<AppState>, Query(params): Query<SearchParams>) -> Json<Vec<Voce>> {
    let snapshot = app.catalog.snapshot();
    let query = clean_query(&params.q);
    if query.chars().count() < 2 {
        return Json(Vec::new());
    }
    Json(snapshot.suggest(&query, 8).into_iter().map(Voce::of).collect())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceFilters {
    /// Who it is for (see `audience_codes`).
    #[param(schema_with = audience_codes)]
    pub per: Option<String>,
    /// A life event (see `event_codes`).
    #[param(schema_with = event_codes)]
    pub evento: Option<String>,
}

/// A filter's schema: exactly the vocabulary's codes, or empty for no filter (anything else
/// is answered 422).
/// (`schema_with` replaces the field's doc comment, hence the description here.)
fn codes_schema(
    description: &str,
    codes: impl Iterator<Item = &'static str>,
) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .enum_values(Some(std::iter::once("").chain(codes)))
        .build()
}

fn audience_codes() -> utoipa::openapi::schema::Object {
    codes_schema(
        "Who it is for. Empty: everyone.",
        Audience::ALL.iter().map(|a| a.code()),
    )
}

fn event_codes() -> utoipa::openapi::schema::Object {
    codes_schema(
        "A life event. Empty: any.",
        LifeEvent::ALL.iter().map(|e| e.code()),
    )
}

/// The service cards, most used first, optionally filtered.
#[utoipa::path(
    get,
    path = "/api/v1/servizi",
    tag = "catalogo",
    params(ServiceFilters),
    responses(
        (status = 200, description = "Service cards", body = [Voce]),
        (status = 400, description = "The query string cannot be read (e.g. a parameter given twice)", body = crate::http::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown audience or life event", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn services(
    State(app): State<AppState>,
    Query(filters): Query<ServiceFilters>,
) -> Result<Json<Vec<Voce>>, AppError> {
    let audience = match filters.per.as_deref().filter(|v| !v.is_empty()) {
        Some(code) => Some(Audience::parse(code).ok_or_else(|| AppError::InvalidValue {
            field: "per",
            code: "filtro-sconosciuto",
            detail: Message::new("catalog-unknown-filter"),
        })?),
        None => None,
    };
    let event = match filters.evento.as_deref().filter(|v| !v.is_empty()) {
        Some(code) => Some(LifeEvent::parse(code).ok_or_else(|| AppError::InvalidValue {
            field: "evento",
            code: "filtro-sconosciuto",
            detail: Message::new("catalog-unknown-filter"),
        })?),
        None => None,
    };
    let snapshot = app.catalog.snapshot();
    Ok(Json(
        snapshot
            .services(audience, event)
            .into_iter()
            .map(Voce::of)
            .collect(),
    ))
}

/// A question and its answer (Markdown).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Domanda {
    pub domanda: String,
    pub risposta: String,
}

/// A service card in full. Text fields are Markdown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchedaServizio {
    pub slug: String,
    pub titolo: String,
    pub sommario: String,
    pub destinatari: Vec<String>,
    pub eventi_della_vita: Vec<String>,
    /// Where to ask: `online`, `contact-center`, `patronato`, `sede`, `sportello-comunale`.
    pub canali: Vec<String>,
    /// The online application it leads to, if any.
    pub domanda_online: Option<String>,
    pub descrizione: String,
    pub requisiti: String,
    pub documenti: String,
    pub come_fare_domanda: String,
    pub scadenze: String,
    pub costi: String,
    pub riferimenti_normativi: String,
    pub faq: Vec<Domanda>,
    /// When the text last changed (RFC 3339).
    pub aggiornata: String,
}

/// One service card.
#[utoipa::path(
    get,
    path = "/api/v1/servizi/{slug}",
    tag = "catalogo",
    params(("slug" = String, Path, description = "The card's name in its address, e.g. `naspi`")),
    responses(
        (status = 200, description = "The card", body = SchedaServizio),
        (status = 404, description = "No such card", body = crate::http::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn service(
    State(app): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<SchedaServizio>, AppError> {
    let snapshot = app.catalog.snapshot();
    let page = snapshot.get(Kind::Servizio, &slug).ok_or(AppError::NotFound)?;
    let Content::Servizio(card) = &page.content else {
        return Err(AppError::NotFound);
    };
    let codes = |list: Vec<&'static str>| list.into_iter().map(str::to_owned).collect();
    Ok(Json(SchedaServizio {
        slug: page.slug.to_string(),
        titolo: card.title.clone(),
        sommario: card.summary.clone(),
        destinatari: codes(card.audiences.iter().map(|a| a.code()).collect()),
        eventi_della_vita: codes(card.life_events.iter().map(|e| e.code()).collect()),
        canali: codes(card.channels.iter().map(|c| c.code()).collect()),
        domanda_online: card.application.as_ref().map(|a| a.to_string()),
        descrizione: card.description.clone(),
        requisiti: card.requirements.clone(),
        documenti: card.documents.clone(),
        come_fare_domanda: card.how_to_apply.clone(),
        scadenze: card.deadlines.clone(),
        costi: card.cost.clone(),
        riferimenti_normativi: card.legal.clone(),
        faq: card
            .faq
            .iter()
            .map(|f| Domanda {
                domanda: f.question.clone(),
                risposta: f.answer.clone(),
            })
            .collect(),
        aggiornata: jiff::Timestamp::from_millisecond(page.updated_at)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    }))
}

/// News, newest first.
#[utoipa::path(get, path = "/api/v1/notizie", tag = "catalogo",
    responses((status = 200, description = "News", body = [Voce])))]
pub async fn news(State(app): State<AppState>) -> Json<Vec<Voce>> {
    Json(
        app.catalog
            .snapshot()
            .of_kind(Kind::Notizia)
            .map(Voce::of)
            .collect(),
    )
}

/// Scam alerts in force today.
#[utoipa::path(get, path = "/api/v1/avvisi", tag = "catalogo",
    responses((status = 200, description = "Alerts in force", body = [Voce])))]
pub async fn alerts(State(app): State<AppState>) -> Json<Vec<Voce>> {
    let today = crate::identity::cf_api::today();
    Json(
        app.catalog
            .snapshot()
            .active_alerts(today)
            .into_iter()
            .map(Voce::of)
            .collect(),
    )
}

/// Calls (bandi e concorsi), latest deadline first.
#[utoipa::path(get, path = "/api/v1/bandi", tag = "catalogo",
    responses((status = 200, description = "Calls", body = [Voce])))]
pub async fn calls(State(app): State<AppState>) -> Json<Vec<Voce>> {
    Json(
        app.catalog
            .snapshot()
            .of_kind(Kind::Bando)
            .map(Voce::of)
            .collect(),
    )
}
