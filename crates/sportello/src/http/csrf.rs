//! CSRF protection for HTML forms.
//!
//! Logged in, the token is the session's own secret (`sessions.csrf_token`). Not logged in, it
//! is a random value in a cookie that the form repeats in a hidden field ("double submit"):
//! another site can make a browser send the cookie, but cannot read it to put it in the form.
//! `SameSite=Strict` and, over HTTPS, the `__Host-` prefix (no subdomain can set it) add to that.
//! The JSON API needs none of this: its writes need a JSON body or a non-simple method, which a
//! browser never sends cross-site without a CORS preflight that Sportello never grants.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::error::AppError;
use super::extract::CurrentSession;
use super::security::cookie;
use crate::app::AppState;
use crate::identity::session::random_token;

/// Name of the form field that carries the token.
pub const FIELD: &str = "_csrf";

fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-csrf" } else { "csrf" }
}

fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The CSRF token for this request, and a cookie to set if it was just made.
#[derive(Debug, Clone)]
pub struct Csrf {
    pub token: String,
    set_cookie: Option<HeaderValue>,
    /// Whether the browser already had this token (a form post must prove it did).
    known: bool,
}

impl Csrf {
    /// Adds the cookie to a response that shows a form.
    pub fn apply(&self, mut response: Response) -> Response {
        if let Some(cookie) = &self.set_cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie.clone());
        }
        response
    }

    /// Checks a submitted token. A mismatch is a 403 with nothing written.
    pub fn verify(&self, submitted: Option<&str>) -> Result<(), AppError> {
        match submitted {
            Some(submitted)
                if self.known && constant_time_eq(submitted.as_bytes(), self.token.as_bytes()) =>
            {
                Ok(())
            }
            _ => Err(AppError::FormExpired),
        }
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Csrf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        if let CurrentSession(Some(session)) = CurrentSession::from_request_parts(parts, app).await? {
            return Ok(Csrf {
                token: session.csrf_token,
                set_cookie: None,
                known: true,
            });
        }
        let name = cookie_name(app.config.cookie_secure);
        if let Some(token) = cookie(&parts.headers, name).filter(|t| well_formed(t)) {
            return Ok(Csrf {
                token: token.to_owned(),
                set_cookie: None,
                known: true,
            });
        }
        let token = random_token()?;
        let secure = if app.config.cookie_secure { "; Secure" } else { "" };
        let set_cookie = HeaderValue::from_str(&format!(
            "{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
        ))
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csrf cookie: {e}")))?;
        Ok(Csrf {
            token,
            set_cookie: Some(set_cookie),
            known: false,
        })
    }
}

/// For an anonymous form on a shared, cached page, which cannot carry a per-visitor token:
/// the browser's Fetch Metadata and `Origin` must say the post comes from this site (OWASP's
/// CSRF cheat sheet lists both as defences). A browser always sends `Origin` on a
/// cross-site POST, so a post with neither header comes from a program, not from a page
/// another site showed.
///
/// Our pages say `Referrer-Policy: no-referrer`, and with it a browser's form post carries
/// `Origin: null` even to its own site; that opaque origin is accepted only when Fetch
/// Metadata says `same-origin` (a header page scripts cannot set).
pub fn same_origin(headers: &axum::http::HeaderMap, app: &AppState) -> Result<(), AppError> {
    if comes_from_this_site(headers, app.config.public_url.as_deref()) {
        Ok(())
    } else {
        Err(AppError::FormExpired)
    }
}

fn comes_from_this_site(headers: &axum::http::HeaderMap, public_url: Option<&str>) -> bool {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == "null" {
        return site == Some("same-origin");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let public = public_url.unwrap_or_default();
    let matches_host = origin
        .split_once("://")
        .is_some_and(|(_, authority)| !host.is_empty() && authority == host);
    matches_host || (!public.is_empty() && origin == public)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, axum::http::HeaderValue::from_static(value));
        }
        h
    }

    #[test]
    fn anonymous_posts_must_come_from_this_site() {
        let ok = |pairs: &[(&'static str, &'static str)]| comes_from_this_site(&headers(pairs), None);
        let host = ("host", "sportello.example");
        assert!(ok(&[host]), "a program: neither header");
        assert!(ok(&[host, ("origin", "https://sportello.example")]));
        assert!(ok(&[
            host,
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://sportello.example")
        ]));
        // A browser's form post under Referrer-Policy: no-referrer.
        assert!(ok(&[host, ("sec-fetch-site", "same-origin"), ("origin", "null")]));
        assert!(
            !ok(&[host, ("origin", "null")]),
            "an opaque origin proves nothing alone"
        );
        assert!(!ok(&[host, ("sec-fetch-site", "cross-site"), ("origin", "null")]));
        assert!(!ok(&[host, ("sec-fetch-site", "same-site"), ("origin", "null")]));
        assert!(!ok(&[host, ("origin", "https://evil.example")]));
        assert!(!ok(&[
            host,
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://evil.example")
        ]));
        assert!(comes_from_this_site(
            &headers(&[("host", "10.0.0.5:8080"), ("origin", "https://sportello.example")]),
            Some("https://sportello.example")
        ));
    }

    #[test]
    fn tokens_compare_exactly() {
        let csrf = Csrf {
            token: "a".repeat(64),
            set_cookie: None,
            known: true,
        };
        assert!(csrf.verify(Some(&"a".repeat(64))).is_ok());
        assert!(csrf.verify(Some(&"b".repeat(64))).is_err());
        assert!(csrf.verify(Some("a")).is_err());
        assert!(csrf.verify(None).is_err());
        let fresh = Csrf { known: false, ..csrf };
        assert!(
            fresh.verify(Some(&"a".repeat(64))).is_err(),
            "a token the browser never had proves nothing"
        );
    }
}
