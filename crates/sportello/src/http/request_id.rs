//! Request ids: one per request, in the logs, in the `x-request-id` response header, and on
//! error pages so a citizen can quote it to the help desk.

use axum::http::{HeaderMap, HeaderValue};

pub const HEADER: &str = "x-request-id";

/// The id of the current request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// A balancer's id is kept if it is short and plain (it goes into logs); otherwise we make one.
fn acceptable(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The id for a request: the balancer's, if plain, or a fresh UUIDv7.
pub fn for_request(headers: &HeaderMap) -> RequestId {
    let id = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    RequestId(id)
}

/// Echoes the id in the response.
pub fn echo(id: &RequestId, headers: &mut HeaderMap) {
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        headers.insert(HEADER, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_trusted() {
        assert!(acceptable("0193aa44-1c1d-7e8f-9a0b-123456789abc"));
        assert!(!acceptable("short"));
        assert!(!acceptable("evil\r\nInjected: header"));
        assert!(!acceptable(&"a".repeat(65)));
    }
}
