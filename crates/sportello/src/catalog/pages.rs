//! The public catalogue pages: all services with filters, a service card, news, calls, scam
//! alerts, video tutorials, search, the guided finder, the sitemap and robots.txt. All of them
//! are served from the node's snapshot; those without a query string from the page cache.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::live::{Page, Snapshot};
use super::model::{Audience, Channel, Content, Kind, LifeEvent};
use super::text;
use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::page::{self, PageContext, local_date};
use crate::site::{HTML, cached};

/// A page as a link in a list.
#[derive(Debug, Clone)]
pub struct Link {
    pub path: String,
    pub title: String,
    pub summary: String,
    pub kind: Kind,
    /// The date shown next to news, calls (deadline) and alerts, as dd/mm/yyyy.
    pub date: Option<String>,
}

impl Link {
    pub fn of(page: &Page) -> Self {
        let date = match &page.content {
            Content::Notizia(n) => Some(n.date),
            Content::Bando(c) => Some(c.closes),
            Content::Avviso(a) => Some(a.date),
            _ => None,
        };
        Self {
            path: page.path.clone(),
            title: page.content.title().to_owned(),
            summary: page.content.summary().to_owned(),
            kind: page.kind,
            date: date.map(|d| d.strftime("%d/%m/%Y").to_string()),
        }
    }
}

fn links<'a>(pages: impl IntoIterator<Item = &'a Page>) -> Vec<Link> {
    pages.into_iter().map(Link::of).collect()
}

/// Today in Rome.
fn today() -> jiff::civil::Date {
    crate::identity::cf_api::today()
}

/// What the home page shows from the catalogue.
#[derive(Debug, Clone, Default)]
pub struct HomeData {
    pub most_used: Vec<Link>,
    pub news: Vec<Link>,
    pub alerts: Vec<Link>,
    pub calls: Vec<Link>,
}

impl HomeData {
    pub fn of(snapshot: &Snapshot) -> Self {
        let today = today();
        Self {
            most_used: links(snapshot.most_used(6)),
            news: links(snapshot.of_kind(Kind::Notizia).take(3)),
            alerts: links(snapshot.active_alerts(today)),
            calls: links(
                snapshot
                    .of_kind(Kind::Bando)
                    .filter(|p| matches!(&p.content, Content::Bando(c) if c.closes >= today))
                    .take(3),
            ),
        }
    }
}

/// One choice of a filter: its code, label id, how many pages it gives, and whether chosen.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: &'static str,
    pub label_id: String,
    pub count: usize,
    pub selected: bool,
}

/// Query of the services list and of the finder.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    per: Option<String>,
    evento: Option<String>,
}

impl Filters {
    fn audience(&self) -> Option<Audience> {
        self.per.as_deref().and_then(Audience::parse)
    }

    fn event(&self) -> Option<LifeEvent> {
        self.evento.as_deref().and_then(LifeEvent::parse)
    }

    /// A value that is present but unknown (an old link, a typo): said on the page.
    fn unknown(&self) -> bool {
        self.per
            .as_deref()
            .is_some_and(|v| !v.is_empty() && Audience::parse(v).is_none())
            || self
                .evento
                .as_deref()
                .is_some_and(|v| !v.is_empty() && LifeEvent::parse(v).is_none())
    }
}

fn audience_choices(
    snapshot: &Snapshot,
    selected: Option<Audience>,
    event: Option<LifeEvent>,
) -> Vec<Choice> {
    Audience::ALL
        .iter()
        .map(|&a| Choice {
            code: a.code(),
            label_id: a.label_id(),
            count: snapshot.services(Some(a), event).len(),
            selected: selected == Some(a),
        })
        .collect()
}

fn event_choices(
    snapshot: &Snapshot,
    audience: Option<Audience>,
    selected: Option<LifeEvent>,
) -> Vec<Choice> {
    LifeEvent::ALL
        .iter()
        .map(|&e| Choice {
            code: e.code(),
            label_id: e.label_id(),
            count: snapshot.services(audience, Some(e)).len(),
            selected: selected == Some(e),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "catalog/services.html")]
pub struct ServicesPage {
    pub page: PageContext,
    pub services: Vec<Link>,
    pub audiences: Vec<Choice>,
    pub events: Vec<Choice>,
    pub filtered: bool,
    pub unknown_filter: bool,
}

/// `GET /servizi?per=famiglie&evento=nascita-figlio`
pub async fn services(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let (audience, event) = (filters.audience(), filters.event());
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&ServicesPage {
            page,
            services: links(snapshot.services(audience, event)),
            audiences: audience_choices(&snapshot, audience, event),
            events: event_choices(&snapshot, audience, event),
            filtered: audience.is_some() || event.is_some(),
            unknown_filter: filters.unknown(),
        })?
        .0)
    })
}

/// A section of a page, rendered.
#[derive(Debug, Clone)]
pub struct Section {
    pub heading_id: &'static str,
    pub anchor: String,
    pub html: String,
}

#[derive(Debug, Clone)]
pub struct FaqView {
    pub question: String,
    pub answer_html: String,
}

#[derive(Template)]
#[template(path = "catalog/card.html")]
pub struct CardPage {
    pub page: PageContext,
    pub title: String,
    pub summary: String,
    pub sections: Vec<Section>,
    pub faq: Vec<FaqView>,
    pub audiences: Vec<String>,
    pub events: Vec<(String, String)>,
    pub channels: Vec<Channel>,
    pub application: Option<String>,
    pub updated: String,
    pub related: Vec<Link>,
}

/// Sections as HTML, with anchors for the "on this page" index.
fn sections(content: &Content) -> Vec<Section> {
    content
        .sections()
        .into_iter()
        .map(|(heading_id, markdown)| Section {
            heading_id,
            anchor: heading_id.trim_start_matches("card-").to_owned(),
            html: text::markdown_to_html(markdown),
        })
        .collect()
}

/// Calls and videos that point at a service card.
fn related(snapshot: &Snapshot, slug: &str) -> Vec<Link> {
    links(snapshot.pages.iter().filter(|p| match &p.content {
        Content::Bando(c) => c.service.as_ref().is_some_and(|s| s.as_str() == slug),
        Content::Video(v) => v.service.as_ref().is_some_and(|s| s.as_str() == slug),
        _ => false,
    }))
}

/// `GET /servizi/{slug}`
pub async fn card(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let found = snapshot.by_path(page.path()).ok_or(AppError::NotFound)?;
    let Content::Servizio(card) = &found.content else {
        return Err(AppError::NotFound);
    };
    app.catalog.count_visit(page.path());
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&CardPage {
            title: card.title.clone(),
            summary: card.summary.clone(),
            sections: sections(&found.content),
            faq: card
                .faq
                .iter()
                .map(|f| FaqView {
                    question: f.question.clone(),
                    answer_html: text::markdown_to_html(&f.answer),
                })
                .collect(),
            audiences: card.audiences.iter().map(|a| a.label_id()).collect(),
            events: card
                .life_events
                .iter()
                .map(|e| (e.code().to_owned(), e.label_id()))
                .collect(),
            channels: card.channels.clone(),
            application: card.application.as_ref().map(|a| a.to_string()),
            updated: local_date(found.updated_at),
            related: related(&snapshot, found.slug.as_str()),
            page,
        })?
        .0)
    })
}

impl CardPage {
    pub fn channel_label(&self, channel: &Channel) -> String {
        self.page.t(&channel.label_id())
    }

    pub fn channel_text(&self, channel: &Channel) -> String {
        self.page.t(&format!("{}-text", channel.label_id()))
    }
}

#[derive(Template)]
#[template(path = "catalog/list.html")]
pub struct ListPage {
    pub page: PageContext,
    pub kind: Kind,
    pub heading_id: &'static str,
    pub lead_id: &'static str,
    pub items: Vec<Link>,
    /// Video tutorials are links out.
    pub videos: Vec<VideoItem>,
}

/// A video tutorial in the list (its `slug` is the item's anchor: `/video#slug`).
#[derive(Debug, Clone)]
pub struct VideoItem {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub url: String,
    pub minutes: u16,
}

/// `GET /notizie`, `/bandi`, `/avvisi`, `/video`
pub async fn list(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kind = Kind::from_section(page.path().trim_start_matches('/')).ok_or(AppError::NotFound)?;
    let snapshot = app.catalog.snapshot();
    cached(&app, page, &headers, HTML, |page| {
        let videos = snapshot
            .of_kind(Kind::Video)
            .filter_map(|p| match &p.content {
                Content::Video(v) => Some(VideoItem {
                    slug: p.slug.to_string(),
                    title: v.title.clone(),
                    summary: v.summary.clone(),
                    url: v.url.clone(),
                    minutes: v.minutes,
                }),
                _ => None,
            })
            .collect();
        Ok(page::render(&ListPage {
            page,
            kind,
            heading_id: match kind {
                Kind::Notizia => "news-heading",
                Kind::Bando => "calls-heading",
                Kind::Avviso => "alerts-heading",
                _ => "videos-heading",
            },
            lead_id: match kind {
                Kind::Notizia => "news-lead",
                Kind::Bando => "calls-lead",
                Kind::Avviso => "alerts-lead",
                _ => "videos-lead",
            },
            items: if kind == Kind::Video {
                Vec::new()
            } else {
                links(snapshot.of_kind(kind))
            },
            videos: if kind == Kind::Video { videos } else { Vec::new() },
        })?
        .0)
    })
}

#[derive(Template)]
#[template(path = "catalog/article.html")]
pub struct ArticlePage {
    pub page: PageContext,
    pub kind: Kind,
    pub section_heading_id: &'static str,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    /// For news and alerts: the date; for calls: opening and closing dates.
    pub date: Option<String>,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub open_now: bool,
    pub until: Option<String>,
    pub service: Option<Link>,
}

impl ArticlePage {
    /// The list this page belongs to (`/notizie`…), for the breadcrumbs.
    pub fn section_path(&self) -> String {
        format!("/{}", self.kind.section())
    }
}

/// `GET /notizie/{slug}`, `/bandi/{slug}`, `/avvisi/{slug}`
pub async fn article(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let found = snapshot.by_path(page.path()).ok_or(AppError::NotFound)?;
    if found.kind == Kind::Servizio || found.kind == Kind::Video {
        return Err(AppError::NotFound);
    }
    app.catalog.count_visit(page.path());
    let fmt = |d: jiff::civil::Date| d.strftime("%d/%m/%Y").to_string();
    let service_link = |slug: Option<&super::model::Slug>| {
        slug.and_then(|s| snapshot.get(Kind::Servizio, s.as_str()))
            .map(Link::of)
    };
    let today = today();
    cached(&app, page, &headers, HTML, |page| {
        let mut view = ArticlePage {
            page,
            kind: found.kind,
            section_heading_id: match found.kind {
                Kind::Notizia => "news-heading",
                Kind::Bando => "calls-heading",
                _ => "alerts-heading",
            },
            title: found.content.title().to_owned(),
            summary: found.content.summary().to_owned(),
            body_html: String::new(),
            date: None,
            opens: None,
            closes: None,
            open_now: false,
            until: None,
            service: None,
        };
        match &found.content {
            Content::Notizia(n) => {
                view.body_html = text::markdown_to_html(&n.body);
                view.date = Some(fmt(n.date));
            }
            Content::Bando(c) => {
                view.body_html = text::markdown_to_html(&c.body);
                view.opens = Some(fmt(c.opens));
                view.closes = Some(fmt(c.closes));
                view.open_now = c.opens <= today && today <= c.closes;
                view.service = service_link(c.service.as_ref());
            }
            Content::Avviso(a) => {
                view.body_html = text::markdown_to_html(&a.body);
                view.date = Some(fmt(a.date));
                view.until = Some(fmt(a.until));
            }
            _ => {}
        }
        Ok(page::render(&view)?.0)
    })
}

/// The longest query searched: longer input is cut (a 10 KB query is still answered).
pub const MAX_QUERY: usize = 200;

/// A query as searched: at most [`MAX_QUERY`] characters, control characters removed.
pub fn clean_query(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "catalog/search.html")]
pub struct SearchPage {
    pub page: PageContext,
    pub query: String,
    pub results: Vec<Link>,
    pub popular: Vec<Link>,
    pub searched: bool,
}

/// `GET /cerca?q=…`
pub async fn search(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let q = clean_query(&query.q);
    let results = if q.is_empty() {
        Vec::new()
    } else {
        links(snapshot.search(&q, 30))
    };
    if !q.is_empty() && results.is_empty() {
        app.catalog.count_miss(&q);
    }
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&SearchPage {
            page,
            searched: !q.is_empty(),
            popular: if results.is_empty() {
                links(snapshot.most_used(6))
            } else {
                Vec::new()
            },
            query: q,
            results,
        })?
        .0)
    })
}

#[derive(Template)]
#[template(path = "catalog/finder.html")]
pub struct FinderPage {
    pub page: PageContext,
    /// 1: who, 2: what happened, 3: results.
    pub step: u8,
    pub audience: Option<&'static str>,
    pub audience_label: Option<String>,
    pub event_label: Option<String>,
    pub audiences: Vec<Choice>,
    pub events: Vec<Choice>,
    pub results: Vec<Link>,
    pub unknown_filter: bool,
}

/// `GET /trova-la-prestazione`: who are you, what happened, then the services that apply.
/// Plain links and GET forms: it works without JavaScript and every step has its own URL.
pub async fn finder(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
    Query(filters): Query<Filters>,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let (audience, event) = (filters.audience(), filters.event());
    let step = match (audience, event, filters.evento.as_deref()) {
        (None, _, _) => 1,
        // "None of these": every service for that audience.
        (Some(_), None, Some("altro")) => 3,
        (Some(_), None, _) => 2,
        (Some(_), Some(_), _) => 3,
    };
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&FinderPage {
            audience_label: audience.map(|a| page.t(&a.label_id())),
            event_label: event.map(|e| page.t(&e.label_id())),
            page,
            step,
            audience: audience.map(Audience::code),
            audiences: audience_choices(&snapshot, None, None),
            events: event_choices(&snapshot, audience, None)
                .into_iter()
                .filter(|c| c.count > 0)
                .collect(),
            results: if step == 3 {
                links(snapshot.services(audience, event))
            } else {
                Vec::new()
            },
            unknown_filter: filters
                .per
                .as_deref()
                .is_some_and(|v| !v.is_empty() && audience.is_none())
                || filters
                    .evento
                    .as_deref()
                    .is_some_and(|v| !v.is_empty() && v != "altro" && event.is_none()),
        })?
        .0)
    })
}

/// The public pages that are not catalogue content but belong in the sitemap.
const SITE_PAGES: &[&str] = &[
    "/",
    "/servizi",
    "/trova-la-prestazione",
    "/cerca",
    "/notizie",
    "/bandi",
    "/avvisi",
    "/video",
    "/aiuto",
    "/accessibilita",
    "/privacy",
    "/note-legali",
    "/accedi",
    "/registrati",
    "/api/v1/docs",
];

/// Whether `path` is a public page of the site (what page feedback may be about).
pub fn is_public(snapshot: &Snapshot, path: &str) -> bool {
    SITE_PAGES.contains(&path) || snapshot.by_path(path).is_some()
}

/// Every path the page cache may hold: the site's public pages and every published page.
pub fn cacheable_paths(snapshot: &Snapshot) -> Vec<String> {
    SITE_PAGES
        .iter()
        .copied()
        .filter(|p| !matches!(*p, "/accedi" | "/registrati" | "/api/v1/docs" | "/accessibilita"))
        .chain(["/sitemap.xml", "/robots.txt"])
        .chain(snapshot.paths())
        .map(str::to_owned)
        .collect()
}

/// `GET /sitemap.xml` (sitemaps.org 0.9): every public page, with the date of its last change.
pub async fn sitemap(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let snapshot = app.catalog.snapshot();
    let base = app.config.public_url.clone().unwrap_or_default();
    cached(&app, page, &headers, "application/xml; charset=utf-8", |_| {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        // Search results are not pages to index (robots.txt says so too).
        for path in SITE_PAGES.iter().filter(|p| **p != "/cerca") {
            xml.push_str(&format!(
                "  <url><loc>{}{}</loc></url>\n",
                xml_escape(&base),
                path
            ));
        }
        for p in &snapshot.pages {
            if p.kind == Kind::Video {
                continue;
            }
            let date = local_date(p.updated_at);
            let iso = date.split('/').rev().collect::<Vec<_>>().join("-");
            xml.push_str(&format!(
                "  <url><loc>{}{}</loc><lastmod>{}</lastmod></url>\n",
                xml_escape(&base),
                xml_escape(&p.path),
                iso
            ));
        }
        xml.push_str("</urlset>\n");
        Ok(xml)
    })
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /robots.txt`: everything public may be indexed; personal and staff areas may not.
pub async fn robots(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = app.config.public_url.clone().unwrap_or_default();
    cached(&app, page, &headers, "text/plain; charset=utf-8", |_| {
        Ok(format!(
            "User-agent: *\nDisallow: /area-personale\nDisallow: /per-conto\nDisallow: /backoffice\n\
             Disallow: /personale\nDisallow: /cerca\nDisallow: /valutazione\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
        ))
    })
}
