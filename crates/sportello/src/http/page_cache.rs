//! Public pages rendered once per language and served from memory.
//!
//! The home page, the text pages and every catalogue page are the same for every anonymous
//! visitor who asks in the same language, and they are what a crowd reads. They are rendered
//! on first use and kept until the catalogue changes (`reset`, which starts a new generation of
//! empty slots). Only a request that carries no session cookie and no query string is served
//! from here, so nothing personal can ever be cached. Such a page says so to browsers and
//! proxies: `Cache-Control: public, max-age=…` with an `ETag`, and `Vary: Cookie,
//! Accept-Language`; everything else stays `no-store`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::i18n::Lang;
use super::security::cookie;
use crate::identity::session;

/// A rendered page with its validator.
#[derive(Debug, Clone)]
pub struct CachedPage {
    pub body: Bytes,
    pub content_type: &'static str,
    pub etag: HeaderValue,
}

impl CachedPage {
    pub fn new(body: Bytes, content_type: &'static str) -> Self {
        let digest = Sha256::digest(&body);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        Self {
            body,
            content_type,
            etag,
        }
    }

    /// The response for `request_headers`: 304 when the browser already holds these bytes.
    pub fn respond(&self, request_headers: &HeaderMap, max_age: &HeaderValue) -> Response {
        let fresh = request_headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/") == self.etag
            });
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type))],
                self.body.clone(),
            )
                .into_response()
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, max_age.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
        response
    }
}

/// One set of slots: per cacheable path, one per language.
#[derive(Debug, Default)]
pub struct Generation {
    slots: HashMap<String, [OnceLock<CachedPage>; 2]>,
}

impl Generation {
    fn slot(&self, path: &str, lang: Lang) -> Option<&OnceLock<CachedPage>> {
        let slots = self.slots.get(path)?;
        Some(match lang {
            Lang::It => &slots[0],
            Lang::En => &slots[1],
        })
    }

    /// The cached page, if any.
    pub fn get(&self, path: &str, lang: Lang) -> Option<&CachedPage> {
        self.slot(path, lang)?.get()
    }

    /// Keeps a page rendered for this generation; `false` if the path is not cacheable.
    pub fn put(&self, path: &str, lang: Lang, page: CachedPage) -> bool {
        match self.slot(path, lang) {
            Some(slot) => {
                let _ = slot.set(page);
                true
            }
            None => false,
        }
    }
}

#[derive(Debug)]
pub struct PageCache {
    current: RwLock<Arc<Generation>>,
    max_age: HeaderValue,
}

impl PageCache {
    pub fn new(paths: impl IntoIterator<Item = String>, max_age_seconds: u32) -> Self {
        let cache = Self {
            current: RwLock::new(Arc::default()),
            max_age: HeaderValue::from_str(&format!("public, max-age={max_age_seconds}"))
                .unwrap_or(HeaderValue::from_static("public, max-age=60")),
        };
        cache.reset(paths);
        cache
    }

    /// Forgets every page and makes `paths` the cacheable ones (after a catalogue change).
    pub fn reset(&self, paths: impl IntoIterator<Item = String>) {
        let generation = Generation {
            slots: paths
                .into_iter()
                .map(|p| (p, [OnceLock::new(), OnceLock::new()]))
                .collect(),
        };
        let generation = Arc::new(generation);
        match self.current.write() {
            Ok(mut current) => *current = generation,
            Err(poisoned) => *poisoned.into_inner() = generation,
        }
    }

    /// The current generation, if this request may share pages (anonymous, no query string:
    /// the language switch link repeats the query, and searches carry one).
    pub fn for_request(&self, query: Option<&str>, headers: &HeaderMap) -> Option<Arc<Generation>> {
        if !Self::shareable(query, headers) {
            return None;
        }
        Some(match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        })
    }

    /// `Cache-Control` of a shared page.
    pub fn max_age(&self) -> &HeaderValue {
        &self.max_age
    }

    fn shareable(query: Option<&str>, headers: &HeaderMap) -> bool {
        query.is_none()
            && cookie(headers, session::cookie_name(true)).is_none()
            && cookie(headers, session::cookie_name(false)).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_anonymous_plain_requests_share_pages() {
        let cache = PageCache::new(["/".to_owned()], 60);
        let anonymous = HeaderMap::new();
        let page = CachedPage::new(Bytes::from_static(b"<html>"), "text/html; charset=utf-8");
        let generation = cache.for_request(None, &anonymous).unwrap();
        assert!(generation.get("/", Lang::It).is_none());
        assert!(generation.put("/", Lang::It, page.clone()));
        assert_eq!(generation.get("/", Lang::It).unwrap().body, page.body);
        assert!(generation.get("/", Lang::En).is_none(), "per language");
        assert!(
            !generation.put("/privacy", Lang::It, page.clone()),
            "only listed pages"
        );
        assert!(
            cache.for_request(Some("a=1"), &anonymous).is_none(),
            "query strings render"
        );
        let mut logged_in = HeaderMap::new();
        logged_in.insert(
            header::COOKIE,
            HeaderValue::from_static("lingua=it; sportello=abc"),
        );
        assert!(
            cache.for_request(None, &logged_in).is_none(),
            "sessions never share"
        );
        let mut secure = HeaderMap::new();
        secure.insert(header::COOKIE, HeaderValue::from_static("__Host-sportello=abc"));
        assert!(cache.for_request(None, &secure).is_none());
        // A reset forgets pages; the old generation still answers whoever holds it.
        cache.reset(["/".to_owned(), "/servizi/naspi".to_owned()]);
        let fresh = cache.for_request(None, &anonymous).unwrap();
        assert!(fresh.get("/", Lang::It).is_none());
        assert!(fresh.put("/servizi/naspi", Lang::It, page.clone()));
        assert!(generation.get("/", Lang::It).is_some());
    }

    #[test]
    fn etags_answer_not_modified() {
        let page = CachedPage::new(Bytes::from_static(b"<html>"), "text/html; charset=utf-8");
        let max_age = HeaderValue::from_static("public, max-age=60");
        let full = page.respond(&HeaderMap::new(), &max_age);
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(full.headers()[header::ETAG], page.etag);
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, page.etag.clone());
        assert_eq!(page.respond(&again, &max_age).status(), StatusCode::NOT_MODIFIED);
        let mut other = HeaderMap::new();
        other.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"abc\", W/\"def\""),
        );
        assert_eq!(page.respond(&other, &max_age).status(), StatusCode::OK);
    }
}
