//! The public pages of the site: home, accessibility statement, privacy, legal notes, help,
//! and the language switch.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::page::{self, HomePage, PageContext, StaticPage};
use crate::http::page_cache::CachedPage;
use crate::http::security::LANG_COOKIE;

/// Serves a public page: from the page cache when this request may share it (anonymous, no
/// query string), else rendered now. The edge answers most shared requests before they get
/// here; this is the first render, and the path for everyone else (the header then shows who
/// is logged in).
pub fn cached(
    app: &AppState,
    page: PageContext,
    headers: &HeaderMap,
    content_type: &'static str,
    render: impl FnOnce(PageContext) -> Result<String, AppError>,
) -> Result<Response, AppError> {
    let query = page.current().split_once('?').map(|(_, q)| q);
    let (path, lang) = (page.path().to_owned(), page.language());
    let generation = if page.viewer().is_none() {
        app.pages.for_request(query, headers)
    } else {
        None
    };
    if let Some(found) = generation.as_ref().and_then(|g| g.get(&path, lang)) {
        return Ok(found.respond(headers, app.pages.max_age()));
    }
    let body = Bytes::from(render(page)?);
    let fresh = CachedPage::new(body, content_type);
    if let Some(generation) = generation
        && generation.put(&path, lang, fresh.clone())
    {
        return Ok(fresh.respond(headers, app.pages.max_age()));
    }
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        fresh.body,
    )
        .into_response())
}

/// `Content-Type` of HTML pages.
pub const HTML: &str = "text/html; charset=utf-8";

pub async fn home(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let logged_out = page.current() == "/?uscito=1";
    let catalog = app.catalog.snapshot();
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&HomePage {
            home: crate::catalog::pages::HomeData::of(&catalog),
            page,
            logged_out,
        })?
        .0)
    })
}

/// A page of plain text: its path, heading and paragraphs, all message ids.
#[derive(Debug)]
pub struct TextPage {
    pub path: &'static str,
    pub heading_id: &'static str,
    pub paragraph_ids: &'static [&'static str],
}

/// The text pages of the site.
pub const TEXT_PAGES: &[TextPage] = &[
    TextPage {
        path: "/privacy",
        heading_id: "privacy-heading",
        paragraph_ids: &[
            "privacy-p1",
            "privacy-p2",
            "privacy-p3",
            "privacy-p4",
            "privacy-p5",
            "privacy-p6",
        ],
    },
    TextPage {
        path: "/note-legali",
        heading_id: "legal-heading",
        paragraph_ids: &["legal-p1", "legal-p2", "legal-p3", "legal-p4"],
    },
    TextPage {
        path: "/aiuto",
        heading_id: "help-heading",
        paragraph_ids: &["help-p1", "help-p2", "help-p3", "help-p4", "help-p5", "help-p6"],
    },
];

/// Serves the text page at the request's path.
pub async fn text_page(
    State(app): State<AppState>,
    page: PageContext,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let text = TEXT_PAGES
        .iter()
        .find(|p| p.path == page.path())
        .ok_or(AppError::NotFound)?;
    cached(&app, page, &headers, HTML, |page| {
        Ok(page::render(&StaticPage {
            page,
            heading_id: text.heading_id,
            paragraph_ids: text.paragraph_ids,
        })?
        .0)
    })
}

#[derive(Debug, Deserialize)]
pub struct SwitchQuery {
    torna: Option<String>,
}

/// Only a path on this site: never `//evil.example` or `https://…` (no open redirect).
pub fn safe_return_path(candidate: Option<&str>) -> &str {
    match candidate {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// `GET /lingua/{code}?torna=/path`: remembers the language and goes back. A plain link, so
/// it works without JavaScript.
pub async fn switch_language(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SwitchQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let back = safe_return_path(query.torna.as_deref());
    let secure = if app.config.cookie_secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        lang.code()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(back).unwrap_or(HeaderValue::from_static("/")),
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Unknown pages and API paths: a 404 that the error renderer turns into an Italian page or
/// a problem document.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_pages_use_existing_messages() {
        let i18n = crate::http::i18n::I18n::load().unwrap();
        for text in TEXT_PAGES {
            for id in std::iter::once(&text.heading_id).chain(text.paragraph_ids) {
                for lang in Lang::ALL {
                    assert!(
                        i18n.has(lang, id),
                        "{} uses {id}, missing in {}",
                        text.path,
                        lang.code()
                    );
                }
            }
        }
    }

    #[test]
    fn templates_use_existing_messages() {
        let i18n = crate::http::i18n::I18n::load().unwrap();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path)
                } else {
                    files.push(path)
                }
            }
        }
        assert!(files.len() > 5);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("page.t(\"").skip(1) {
                let id = piece.split('"').next().unwrap();
                for lang in Lang::ALL {
                    assert!(
                        i18n.has(lang, id),
                        "{} uses {id}, missing in {}",
                        path.display(),
                        lang.code()
                    );
                }
            }
        }
    }

    #[test]
    fn return_paths_stay_on_the_site() {
        assert_eq!(safe_return_path(Some("/servizi?q=1")), "/servizi?q=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}
