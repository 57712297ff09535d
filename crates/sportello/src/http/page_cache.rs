//! Public pages rendered once per language and served from memory.
//!
//! The home page and the text pages are the same for every anonymous visitor who asks in the
//! same language, and they are the pages a crowd hits first on a click day. They are rendered
//! on first use and kept. Only a request that carries no session cookie and no query string
//! is served from here, so nothing personal can ever be cached; the response still carries
//! `Cache-Control: no-store` for shared caches (the security layer adds it).

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::http::HeaderMap;

use super::i18n::Lang;
use super::security::cookie;
use crate::identity::session;

/// One slot per cacheable path and language. The map is built at startup and never changes,
/// so a lookup takes no lock.
#[derive(Debug)]
pub struct PageCache {
    slots: HashMap<&'static str, [OnceLock<Bytes>; 2]>,
}

impl PageCache {
    pub fn new(paths: impl IntoIterator<Item = &'static str>) -> Self {
        Self {
            slots: paths
                .into_iter()
                .map(|p| (p, [OnceLock::new(), OnceLock::new()]))
                .collect(),
        }
    }

    fn slot(&self, path: &str, lang: Lang) -> Option<&OnceLock<Bytes>> {
        let slots = self.slots.get(path)?;
        Some(match lang {
            Lang::It => &slots[0],
            Lang::En => &slots[1],
        })
    }

    /// The cached page if this request may share it; otherwise `None` and the caller renders.
    pub fn get(&self, path: &str, query: Option<&str>, lang: Lang, headers: &HeaderMap) -> Option<Bytes> {
        if !Self::shareable(query, headers) {
            return None;
        }
        self.slot(path, lang)?.get().cloned()
    }

    /// Keeps a freshly rendered page, if this request may share it.
    pub fn put(&self, path: &str, query: Option<&str>, lang: Lang, headers: &HeaderMap, html: &Bytes) {
        if Self::shareable(query, headers)
            && let Some(slot) = self.slot(path, lang)
        {
            let _ = slot.set(html.clone());
        }
    }

    /// Anonymous and without a query string (which the language switch link repeats).
    fn shareable(query: Option<&str>, headers: &HeaderMap) -> bool {
        query.is_none()
            && cookie(headers, session::cookie_name(true)).is_none()
            && cookie(headers, session::cookie_name(false)).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn only_anonymous_plain_requests_share_pages() {
        let cache = PageCache::new(["/"]);
        let anonymous = HeaderMap::new();
        let html = Bytes::from_static(b"<html>");
        assert_eq!(cache.get("/", None, Lang::It, &anonymous), None);
        cache.put("/", None, Lang::It, &anonymous, &html);
        assert_eq!(cache.get("/", None, Lang::It, &anonymous), Some(html.clone()));
        assert_eq!(cache.get("/", None, Lang::En, &anonymous), None, "per language");
        assert_eq!(
            cache.get("/", Some("a=1"), Lang::It, &anonymous),
            None,
            "query strings render"
        );
        assert_eq!(
            cache.get("/privacy", None, Lang::It, &anonymous),
            None,
            "only listed pages"
        );
        let mut logged_in = HeaderMap::new();
        logged_in.insert(
            header::COOKIE,
            HeaderValue::from_static("lingua=it; sportello=abc"),
        );
        assert_eq!(
            cache.get("/", None, Lang::It, &logged_in),
            None,
            "sessions never share"
        );
        let mut secure = HeaderMap::new();
        secure.insert(header::COOKIE, HeaderValue::from_static("__Host-sportello=abc"));
        assert_eq!(cache.get("/", None, Lang::It, &secure), None);
    }
}
