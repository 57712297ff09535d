//! Headers every response carries, and the language of each request.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

use super::i18n::Lang;

/// No inline script or style anywhere, so the policy needs no `unsafe-inline` and no nonce.
/// `data:` images are the small SVGs Bootstrap Italia's CSS embeds.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lingua";

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The language for this request: the chosen one (cookie), else the browser's, else Italian.
pub fn negotiate(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Adds the security headers to a response.
pub fn apply(h: &mut HeaderMap, hsts: bool, lang: Lang) {
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        PERMISSIONS_POLICY,
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set(h, CROSS_ORIGIN_OPENER_POLICY, "same-origin");
    set(h, CROSS_ORIGIN_RESOURCE_POLICY, "same-origin");
    if hsts {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    // Nothing dynamic may be stored by a shared cache (the INPS 2020 failure): only static
    // assets opt in to caching, by setting their own Cache-Control.
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, header::CACHE_CONTROL, "no-store");
        h.append(header::VARY, HeaderValue::from_static("Cookie, Accept-Language"));
    }
    set(h, header::CONTENT_LANGUAGE, lang.code());
}

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
const CROSS_ORIGIN_OPENER_POLICY: HeaderName = HeaderName::from_static("cross-origin-opener-policy");
const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_language_beats_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(negotiate(&headers), Lang::En);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lingua=it"));
        assert_eq!(negotiate(&headers), Lang::It);
        assert_eq!(negotiate(&HeaderMap::new()), Lang::It);
    }

    #[test]
    fn the_policy_allows_nothing_inline() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }
}
