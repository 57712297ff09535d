//! Header and query values any client can send: Accept-Language, cookies, the language
//! switch's return path, request ids from a balancer, file keys read back from storage.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use sportello::http::i18n::Lang;
use sportello::http::{request_id, security};
use sportello::site::safe_return_path;
use sportello::storage::files::FileKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };

    let _ = Lang::from_accept_language(text);

    if let Ok(value) = HeaderValue::from_str(text) {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, value.clone());
        headers.insert(header::ACCEPT_LANGUAGE, value.clone());
        headers.insert(request_id::HEADER, value);
        if let Some(found) = security::cookie(&headers, "lingua") {
            assert!(!found.contains(';'));
        }
        let _ = security::negotiate(&headers);
        let id = request_id::for_request(&headers);
        assert!(HeaderValue::from_str(&id.0).is_ok(), "a request id always fits in a header");
        assert!(!id.0.contains(['\r', '\n']));
    }

    let back = safe_return_path(Some(text));
    assert!(back.starts_with('/') && !back.starts_with("//") && !back.contains('\\'));
    assert!(!back.chars().any(char::is_control));

    if let Ok(key) = FileKey::parse(text) {
        assert!(!key.as_str().contains("..") && !key.as_str().starts_with('/'));
    }
});
