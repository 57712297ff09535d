//! The checks on what a provider says about the citizen: pure functions, unit-tested.

use serde_json::Value;

/// The SPID / CIE id authentication levels, weakest first (the order is the derive's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Acr {
    SpidL1,
    SpidL2,
    SpidL3,
}

impl Acr {
    pub const fn uri(self) -> &'static str {
        match self {
            Self::SpidL1 => "https://www.spid.gov.it/SpidL1",
            Self::SpidL2 => "https://www.spid.gov.it/SpidL2",
            Self::SpidL3 => "https://www.spid.gov.it/SpidL3",
        }
    }

    /// Parses the full URI, or the short name (`SpidL2`) used in the configuration.
    pub fn parse(raw: &str) -> Option<Self> {
        let short = raw.strip_prefix("https://www.spid.gov.it/").unwrap_or(raw);
        match short {
            "SpidL1" => Some(Self::SpidL1),
            "SpidL2" => Some(Self::SpidL2),
            "SpidL3" => Some(Self::SpidL3),
            _ => None,
        }
    }

    /// The parsed URI only: an ID token must carry the full `acr` value.
    pub fn from_uri(raw: &str) -> Option<Self> {
        raw.starts_with("https://www.spid.gov.it/")
            .then(|| Self::parse(raw))
            .flatten()
    }
}

/// The SPID/CIE claim carrying the codice fiscale, as `TINIT-<codice fiscale>`.
pub const FISCAL_NUMBER: &str = "https://attributes.eid.gov.it/fiscal_number";

/// The codice fiscale in a fiscal-number claim: prefix stripped, then parsed as a real code
/// (check character and birthplace included), in its normal form.
pub fn codice_fiscale_from_claim(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let code = raw
        .strip_prefix("TINIT-")
        .or_else(|| raw.strip_prefix("tinit-"))
        .unwrap_or(raw);
    // The claim carries exactly the code: no spaces to forgive, unlike a form.
    if code.len() != 16 {
        return None;
    }
    crate::identity::codice_fiscale::CodiceFiscale::parse(code)
        .ok()
        .map(|cf| cf.as_str().to_owned())
}

/// What the ID token must match.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub acr: Acr,
    /// Milliseconds since the epoch.
    pub now_ms: i64,
}

/// Clock difference tolerated between us and the provider.
pub const LEEWAY_SECONDS: i64 = 60;

/// Why an ID token (or UserInfo) was refused; for logs and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("issuer is not the provider's")]
    Issuer,
    #[error("audience does not name this client")]
    Audience,
    #[error("expired or issued in the future")]
    Time,
    #[error("nonce does not match the login")]
    Nonce,
    #[error("acr missing or lower than required")]
    Acr,
    #[error("subject missing or different")]
    Subject,
}

/// The checked ID token: who, and at which level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdToken {
    pub sub: String,
    pub acr: Acr,
}

fn audience_ok(claims: &Value, client_id: &str) -> bool {
    let listed = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(auds)) => auds.iter().filter_map(Value::as_str).collect(),
        _ => return false,
    };
    if !listed.contains(&client_id) {
        return false;
    }
    // With several audiences the authorized party must be us; if present it must be us anyway.
    match claims.get("azp") {
        Some(azp) => azp.as_str() == Some(client_id),
        None => listed.len() == 1,
    }
}

/// Checks an ID token's claims (the signature has been verified already).
pub fn check_id_token(claims: &Value, expected: &Expected<'_>) -> Result<IdToken, ClaimError> {
    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer) {
        return Err(ClaimError::Issuer);
    }
    if !audience_ok(claims, expected.client_id) {
        return Err(ClaimError::Audience);
    }
    let now = expected.now_ms / 1000;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(ClaimError::Time)?;
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(ClaimError::Time)?;
    if exp.saturating_add(LEEWAY_SECONDS) < now || iat.saturating_sub(LEEWAY_SECONDS) > now {
        return Err(ClaimError::Time);
    }
    let nonce = claims.get("nonce").and_then(Value::as_str);
    if !nonce.is_some_and(|n| constant_time_eq(n.as_bytes(), expected.nonce.as_bytes())) {
        return Err(ClaimError::Nonce);
    }
    let acr = claims
        .get("acr")
        .and_then(Value::as_str)
        .and_then(Acr::from_uri)
        .ok_or(ClaimError::Acr)?;
    if acr < expected.acr {
        return Err(ClaimError::Acr);
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(ClaimError::Subject)?;
    Ok(IdToken {
        sub: sub.to_owned(),
        acr,
    })
}

/// Checks the claims of a signed UserInfo response against the ID token's subject.
pub fn check_userinfo(claims: &Value, issuer: &str, client_id: &str, sub: &str) -> Result<(), ClaimError> {
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(ClaimError::Subject);
    }
    // A signed UserInfo should carry iss and aud (OIDC Core 5.3.2); when present they must be right.
    if let Some(iss) = claims.get("iss")
        && iss.as_str() != Some(issuer)
    {
        return Err(ClaimError::Issuer);
    }
    if claims.get("aud").is_some() && !audience_ok(claims, client_id) {
        return Err(ClaimError::Audience);
    }
    Ok(())
}

/// The display name from the given and family names, if any.
pub fn display_name(claims: &Value) -> Option<String> {
    let part = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
    };
    match (part("given_name"), part("family_name")) {
        (Some(given), Some(family)) => Some(format!("{given} {family}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn levels_are_ordered_and_parsed() {
        assert!(Acr::SpidL1 < Acr::SpidL2 && Acr::SpidL2 < Acr::SpidL3);
        assert_eq!(Acr::parse("SpidL2"), Some(Acr::SpidL2));
        assert_eq!(Acr::parse("https://www.spid.gov.it/SpidL3"), Some(Acr::SpidL3));
        assert_eq!(Acr::from_uri("SpidL3"), None);
        assert_eq!(Acr::from_uri("https://www.spid.gov.it/SpidL4"), None);
        assert_eq!(Acr::from_uri(Acr::SpidL1.uri()), Some(Acr::SpidL1));
    }

    #[test]
    fn fiscal_number_claims_lose_their_prefix() {
        assert_eq!(
            codice_fiscale_from_claim("TINIT-rssmra80a01h501u").as_deref(),
            Some("RSSMRA80A01H501U")
        );
        assert_eq!(
            codice_fiscale_from_claim("RSSMRA80A01H501U").as_deref(),
            Some("RSSMRA80A01H501U")
        );
        for bad in [
            "TINIT-",
            "TINIT-AATTTJDFKSKDF89",
            "TINIT-RSSMRA80A01H501",
            "TINIT-1SSMRA80A01H501U",
            "TINIT-RSSMRA80A01H501A",
            "",
        ] {
            assert_eq!(codice_fiscale_from_claim(bad), None, "{bad}");
        }
    }

    fn token() -> Value {
        json!({
            "iss": "https://op.example", "aud": "https://rp.example/", "sub": "opaque-1",
            "exp": 2_000, "iat": 1_000, "nonce": "n0nce", "acr": "https://www.spid.gov.it/SpidL2"
        })
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://op.example",
            client_id: "https://rp.example/",
            nonce: "n0nce",
            acr: Acr::SpidL2,
            now_ms: 1_500_000,
        }
    }

    #[test]
    fn a_good_id_token_passes() {
        let ok = check_id_token(&token(), &expected()).unwrap();
        assert_eq!(ok.sub, "opaque-1");
        assert_eq!(ok.acr, Acr::SpidL2);
        let mut higher = token();
        higher["acr"] = json!(Acr::SpidL3.uri());
        assert_eq!(check_id_token(&higher, &expected()).unwrap().acr, Acr::SpidL3);
    }

    #[test]
    fn every_mismatch_is_refused() {
        let cases: Vec<(&str, Value, ClaimError)> = vec![
            ("iss", json!("https://evil.example"), ClaimError::Issuer),
            ("aud", json!("https://other.example/"), ClaimError::Audience),
            (
                "aud",
                json!(["https://rp.example/", "https://other.example/"]),
                ClaimError::Audience,
            ),
            ("nonce", json!("other"), ClaimError::Nonce),
            ("acr", json!(Acr::SpidL1.uri()), ClaimError::Acr),
            ("acr", json!("SpidL3"), ClaimError::Acr),
            ("exp", json!(1_400), ClaimError::Time),
            ("iat", json!(1_600), ClaimError::Time),
            ("sub", json!(""), ClaimError::Subject),
        ];
        for (claim, value, error) in cases {
            let mut claims = token();
            claims[claim] = value;
            assert_eq!(check_id_token(&claims, &expected()), Err(error), "{claim}");
        }
        for claim in ["iss", "aud", "nonce", "acr", "exp", "sub"] {
            let mut claims = token();
            claims.as_object_mut().unwrap().remove(claim);
            assert!(check_id_token(&claims, &expected()).is_err(), "without {claim}");
        }
        let mut several = token();
        several["aud"] = json!(["https://rp.example/", "https://other.example/"]);
        several["azp"] = json!("https://rp.example/");
        assert!(check_id_token(&several, &expected()).is_ok());
    }

    #[test]
    fn userinfo_must_be_about_the_same_subject() {
        let claims = json!({"sub": "opaque-1", "iss": "https://op.example", "aud": "https://rp.example/"});
        assert!(check_userinfo(&claims, "https://op.example", "https://rp.example/", "opaque-1").is_ok());
        assert_eq!(
            check_userinfo(&claims, "https://op.example", "https://rp.example/", "opaque-2"),
            Err(ClaimError::Subject)
        );
        assert_eq!(
            check_userinfo(&claims, "https://op2.example", "https://rp.example/", "opaque-1"),
            Err(ClaimError::Issuer)
        );
    }

    #[test]
    fn names_are_joined() {
        assert_eq!(
            display_name(&json!({"given_name": "Maria", "family_name": "Bianchi"})).as_deref(),
            Some("Maria Bianchi")
        );
        assert_eq!(display_name(&json!({"given_name": " "})), None);
    }
}
