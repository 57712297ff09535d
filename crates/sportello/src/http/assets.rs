//! Static assets (Bootstrap Italia's CSS, fonts and icons, our CSS), embedded in the binary.
//!
//! URLs carry a hash of all assets (`/static/<version>/<path>`), so each release has its own
//! URLs and they can be cached by browsers and proxies for a year without ever going stale.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

fn find(path: &str) -> Option<&'static (&'static str, &'static [u8])> {
    ASSETS.iter().find(|(p, _)| *p == path)
}

/// The URL of an asset. An unknown path still gets a URL (that will 404), and a warning.
pub fn url(path: &str) -> String {
    match find(path) {
        Some(_) => format!("/static/{VERSION}/{path}"),
        None => {
            tracing::warn!(path, "unknown asset");
            format!("/static/0/{path}")
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Serves `/static/{version}/{*path}`.
pub async fn serve(Path((version, path)): Path<(String, String)>) -> Response {
    let Some((path, bytes)) = find(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old version (a page rendered before a deploy) still gets the file, but must not be
    // cached under the old URL for a year.
    let cache = if version == VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ETAG,
                HeaderValue::from_str(&format!("\"{VERSION}\"")).unwrap_or(HeaderValue::from_static("\"0\"")),
            ),
        ],
        *bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        let (path, _) = ASSETS.first().expect("assets are embedded");
        assert_eq!(url(path), format!("/static/{VERSION}/{path}"));
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.woff2"), "font/woff2");
    }
}
