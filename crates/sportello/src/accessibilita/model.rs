//! A report, parsed from what a person typed. Pure: no HTTP, no SQL.

use crate::http::error::FieldError;

/// The most a description may hold; enough for a detailed account, bounded for storage.
pub const MAX_DESCRIPTION: usize = 4000;
/// The least that says something useful.
pub const MIN_DESCRIPTION: usize = 10;

/// A valid accessibility report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuovaSegnalazione {
    /// What does not work, in the reporter's words.
    pub descrizione: String,
    /// The page concerned, as a path on this site.
    pub pagina: Option<String>,
    /// Where to answer, if the reporter wants an answer.
    pub email: Option<String>,
}

// The `#[schema]` attributes state the checks of `NuovaSegnalazione::try_from` exactly, so the
// API document promises a 201 for precisely the bodies that get one; conformance/ holds the two
// together (schemathesis sends schema-valid bodies that must be accepted and schema-invalid ones
// that must be refused). In the patterns (ECMA-262), the class
// `\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000` is what `str::trim` removes
// (Unicode White_Space) and `\u0000-\u001F\u007F-\u009F` is `char::is_control`. Change a check,
// change its pattern.
/// What a person typed, before checking.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SegnalazioneInput {
    /// What does not work: 10–4000 characters once leading and trailing spaces are removed.
    // `Option` only so that a missing description is reported with the other fields (422
    // `errors`) rather than as a deserialization error; the document says what succeeds.
    #[schema(
        value_type = String,
        pattern = r"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000][^\u0000]{8,3998}[^\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000][\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub descrizione: Option<String>,
    /// The page concerned: a path on this site such as `/servizi`, or its full address. At
    /// most 500 characters of path, no spaces. Blank means none.
    #[schema(
        pattern = r"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*((https?://[^/]*)?/([^/\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F][^\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]{0,498})?|https?://[^/]*)?[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub pagina: Option<String>,
    /// Email address for the answer (optional; blank means none).
    #[schema(
        max_length = 254,
        pattern = r"^[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([^@\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]+@[^@.\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F][^@\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]*\.[^@\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F]*[^@.\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u0000-\u001F\u007F-\u009F])?[\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub email: Option<String>,
}

fn field(field: &str, code: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
    }
}

fn blank_to_none(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Accepts `/path` or `http(s)://host/path` (keeping the path), nothing else.
fn parse_page(raw: &str) -> Option<String> {
    let path = if let Some(rest) = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))
    {
        match rest.find('/') {
            Some(slash) => &rest[slash..],
            None => "/",
        }
    } else {
        raw
    };
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().count() <= 500
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| path.to_owned())
}

/// A plausible address: one `@`, something on each side, a dot in the domain, no spaces.
/// Deliverability is proved only by writing to it; this catches typing slips.
fn parse_email(raw: &str) -> Option<String> {
    let (local, domain) = raw.split_once('@')?;
    let ok = !local.is_empty()
        && raw.chars().count() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| raw.to_owned())
}

impl TryFrom<&SegnalazioneInput> for NuovaSegnalazione {
    type Error = Vec<FieldError>;

    /// Checks every field and reports every problem at once.
    fn try_from(input: &SegnalazioneInput) -> Result<Self, Self::Error> {
        let mut errors = Vec::new();
        let descrizione = input.descrizione.as_deref().map(str::trim).unwrap_or_default();
        let length = descrizione.chars().count();
        if length < MIN_DESCRIPTION {
            errors.push(field("descrizione", "descrizione-breve"));
        } else if length > MAX_DESCRIPTION {
            errors.push(field("descrizione", "descrizione-lunga"));
        } else if descrizione.contains('\0') {
            // Valid JSON and harmless in SQLite, but PostgreSQL text cannot hold U+0000 (the
            // insert failed with a 500). Nobody types it.
            errors.push(field("descrizione", "descrizione-non-valida"));
        }
        let pagina = match blank_to_none(input.pagina.as_deref()) {
            None => None,
            Some(raw) => {
                let parsed = parse_page(raw);
                if parsed.is_none() {
                    errors.push(field("pagina", "pagina-non-valida"));
                }
                parsed
            }
        };
        let email = match blank_to_none(input.email.as_deref()) {
            None => None,
            Some(raw) => {
                let parsed = parse_email(raw);
                if parsed.is_none() {
                    errors.push(field("email", "email-non-valida"));
                }
                parsed
            }
        };
        if errors.is_empty() {
            Ok(Self {
                descrizione: descrizione.to_owned(),
                pagina,
                email,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(descrizione: &str, pagina: &str, email: &str) -> SegnalazioneInput {
        SegnalazioneInput {
            descrizione: Some(descrizione.to_owned()),
            pagina: Some(pagina.to_owned()),
            email: Some(email.to_owned()),
        }
    }

    fn codes(result: Result<NuovaSegnalazione, Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn a_complete_report_is_accepted_and_trimmed() {
        let report = NuovaSegnalazione::try_from(&input(
            "  Il pulsante Invia non si raggiunge con la tastiera.  ",
            "https://servizi.example.it/servizi?q=1",
            " anna@example.it ",
        ))
        .unwrap();
        assert_eq!(
            report.descrizione,
            "Il pulsante Invia non si raggiunge con la tastiera."
        );
        assert_eq!(report.pagina.as_deref(), Some("/servizi?q=1"));
        assert_eq!(report.email.as_deref(), Some("anna@example.it"));
    }

    #[test]
    fn optional_fields_may_be_blank() {
        let report = NuovaSegnalazione::try_from(&input("Il testo è troppo piccolo", "", "  ")).unwrap();
        assert_eq!(report.pagina, None);
        assert_eq!(report.email, None);
        let missing = SegnalazioneInput {
            descrizione: Some("Il testo è troppo piccolo".into()),
            ..Default::default()
        };
        assert!(NuovaSegnalazione::try_from(&missing).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let result = NuovaSegnalazione::try_from(&input("corto", "javascript:alert(1)", "non-una-email"));
        assert_eq!(
            codes(result),
            ["descrizione-breve", "pagina-non-valida", "email-non-valida"]
        );
        let long = "x".repeat(MAX_DESCRIPTION + 1);
        assert_eq!(
            codes(NuovaSegnalazione::try_from(&input(&long, "", ""))),
            ["descrizione-lunga"]
        );
        assert_eq!(
            codes(NuovaSegnalazione::try_from(&SegnalazioneInput::default())),
            ["descrizione-breve"]
        );
    }

    #[test]
    fn pages_must_be_paths_on_a_site() {
        assert_eq!(parse_page("/aiuto"), Some("/aiuto".to_owned()));
        assert_eq!(parse_page("https://example.it"), Some("/".to_owned()));
        for bad in ["aiuto", "//evil.example", "/a b", "ftp://x/y", "/\n"] {
            assert_eq!(parse_page(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn emails_catch_typing_slips() {
        assert!(parse_email("mario.rossi@comune.example.it").is_some());
        for bad in [
            "mario",
            "mario@",
            "@example.it",
            "mario@example",
            "mario@@example.it",
            "ma rio@example.it",
            "m@.it",
        ] {
            assert!(parse_email(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let accented = "è".repeat(MIN_DESCRIPTION);
        assert!(NuovaSegnalazione::try_from(&input(&accented, "", "")).is_ok());
        let page = format!("/{}", "è".repeat(499));
        assert_eq!(parse_page(&page), Some(page.clone()));
        assert_eq!(parse_page(&format!("{page}è")), None);
        let email = format!("{}@example.it", "è".repeat(254 - "@example.it".len()));
        assert!(parse_email(&email).is_some());
        assert!(parse_email(&format!("è{email}")).is_none());
    }

    #[test]
    fn a_nul_character_is_refused_not_stored() {
        assert_eq!(
            codes(NuovaSegnalazione::try_from(&input(
                "Il pulsante\0 non funziona",
                "",
                ""
            ))),
            ["descrizione-non-valida"]
        );
    }
}
