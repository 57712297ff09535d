//! The public pages of the site: home, accessibility statement, privacy, legal notes, help,
//! and the language switch.

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::app::AppState;
use crate::http::error::AppError;
use crate::http::i18n::Lang;
use crate::http::page::{self, HomePage, PageContext, StaticPage};
use crate::http::security::LANG_COOKIE;

/// Serves a public page from the page cache, rendering it on first use. Takes the request
/// itself: on a hit nothing is cloned or built (this is the hottest path on a click day).
fn cached(
    app: &AppState,
    request: &Request,
    render: impl FnOnce(PageContext) -> Result<Html<String>, AppError>,
) -> Result<Response, AppError> {
    let lang = request.extensions().get::<Lang>().copied().unwrap_or_default();
    let (uri, headers) = (request.uri(), request.headers());
    let (path, query) = (uri.path(), uri.query());
    let html = match app.pages.get(path, query, lang, headers) {
        Some(html) => html,
        None => {
            let html = Bytes::from(render(PageContext::new(app, lang, uri))?.0);
            app.pages.put(path, query, lang, headers, &html);
            html
        }
    };
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response())
}

pub async fn home(State(app): State<AppState>, request: Request) -> Result<Response, AppError> {
    let logged_out = request.uri().query() == Some("uscito=1");
    cached(&app, &request, |page| {
        page::render(&HomePage { page, logged_out })
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
    TextPage {
        path: "/servizi",
        heading_id: "services-heading",
        paragraph_ids: &["services-p1", "services-p2"],
    },
];

/// Serves the text page at the request's path.
pub async fn text_page(State(app): State<AppState>, request: Request) -> Result<Response, AppError> {
    let text = TEXT_PAGES
        .iter()
        .find(|p| p.path == request.uri().path())
        .ok_or(AppError::NotFound)?;
    cached(&app, &request, |page| {
        page::render(&StaticPage {
            page,
            heading_id: text.heading_id,
            paragraph_ids: text.paragraph_ids,
        })
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
