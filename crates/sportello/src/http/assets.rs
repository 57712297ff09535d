//! Static assets (Bootstrap Italia's CSS, fonts and icons, our CSS), embedded in the binary.
//!
//! URLs carry a hash of all assets (`/static/<version>/<path>`), so each release has its own
//! URLs and they can be cached by browsers and proxies for a year without ever going stale.

use std::io::Write as _;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;

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

/// Text assets worth compressing (fonts are woff2, compressed already).
fn compressible(path: &str) -> bool {
    matches!(path.rsplit('.').next(), Some("css" | "js" | "svg" | "txt"))
}

/// The gzip form of asset number `index`, made on first use and kept: Bootstrap Italia's CSS
/// is 605 KB as shipped and about 80 KB compressed, the difference between a slow and a
/// usable first visit on a weak mobile connection.
fn gzipped(index: usize) -> Option<&'static [u8]> {
    static GZIPPED: OnceLock<Vec<OnceLock<Option<Vec<u8>>>>> = OnceLock::new();
    let slots = GZIPPED.get_or_init(|| ASSETS.iter().map(|_| OnceLock::new()).collect());
    let (path, bytes) = ASSETS.get(index)?;
    slots
        .get(index)?
        .get_or_init(|| {
            if !compressible(path) {
                return None;
            }
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(bytes).ok()?;
            encoder.finish().ok().filter(|gz| gz.len() < bytes.len())
        })
        .as_deref()
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut pieces = part.split(';').map(str::trim);
            let coding = pieces.next().unwrap_or("");
            let refused = pieces.any(|p| {
                p.strip_prefix("q=")
                    .is_some_and(|q| q.parse::<f32>().is_ok_and(|q| q == 0.0))
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Serves `/static/{version}/{*path}`.
pub async fn serve(Path((version, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|(p, _)| *p == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (path, bytes) = ASSETS[index];
    // An old version (a page rendered before a deploy) still gets the file, but must not be
    // cached under the old URL for a year.
    let cache = if version == VERSION {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let gz = if accepts_gzip(&headers) {
        gzipped(index)
    } else {
        None
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(path))),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::ETAG,
                HeaderValue::from_str(&format!("\"{VERSION}\"")).unwrap_or(HeaderValue::from_static("\"0\"")),
            ),
        ],
        gz.unwrap_or(bytes),
    )
        .into_response();
    if compressible(path) {
        // Caches must keep the two encodings apart.
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if gz.is_some() {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
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

    #[test]
    fn gzip_is_sent_only_to_those_who_take_it() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        for (value, expected) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("*", true),
            ("gzip;q=0", false),
            ("identity", false),
            ("deflate", false),
        ] {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            assert_eq!(accepts_gzip(&headers), expected, "{value}");
        }
    }
}
