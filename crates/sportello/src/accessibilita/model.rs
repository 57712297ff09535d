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

/// What a person typed, before checking.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SegnalazioneInput {
    /// What does not work (10–4000 characters).
    pub descrizione: Option<String>,
    /// The page concerned: a path on this site such as `/servizi`, or its full address.
    pub pagina: Option<String>,
    /// Email address for the answer (optional).
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
        && path.len() <= 500
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| path.to_owned())
}

/// A plausible address: one `@`, something on each side, a dot in the domain, no spaces.
/// Deliverability is proved only by writing to it; this catches typing slips.
fn parse_email(raw: &str) -> Option<String> {
    let (local, domain) = raw.split_once('@')?;
    let ok = !local.is_empty()
        && raw.len() <= 254
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
    }
}
