//! IBAN (ISO 13616): per-country length from the SWIFT IBAN registry, letters and digits only,
//! check digits by ISO 7064 MOD 97-10.

/// Every country of the SWIFT IBAN registry (release of 2025) and the length of its IBANs.
/// Territories that use another country's code (Åland: FI; Guernsey, Jersey, Man: GB; the
/// French overseas departments: FR) are not listed apart, as in the registry.
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// Countries in the SEPA schemes (the EU and EEA, Switzerland, the United Kingdom, the
/// microstates; Albania, Moldova, Montenegro, North Macedonia and Serbia joined in 2025).
const SEPA: &[&str] = &[
    "AD", "AL", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR",
    "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO", "PL",
    "PT", "RO", "RS", "SE", "SI", "SK", "SM", "VA",
];

/// Why a text is not an IBAN. Each maps to a Fluent id in moduli.ftl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IbanError {
    /// The first two characters are not a country of the registry.
    Country { country: String },
    /// Wrong length for that country.
    Length { expected: usize, found: usize },
    /// A character other than a letter or a digit, or letters where the check digits go.
    Characters,
    /// The check digits do not match.
    Check,
}

impl IbanError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Country { .. } => "iban-paese",
            Self::Length { .. } => "iban-lunghezza",
            Self::Characters => "iban-caratteri",
            Self::Check => "iban-controllo",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Country { country } => vec![("paese", country.clone())],
            Self::Length { expected, found } => {
                vec![("attesi", expected.to_string()), ("trovati", found.to_string())]
            }
            Self::Characters | Self::Check => Vec::new(),
        }
    }
}

/// The registry length of a country's IBANs.
pub fn length_of(country: &str) -> Option<usize> {
    LENGTHS
        .iter()
        .find(|(code, _)| *code == country)
        .map(|(_, length)| *length)
}

/// Is the country in the SEPA area?
pub fn is_sepa(country: &str) -> bool {
    SEPA.contains(&country)
}

/// Every registry country, for tests and documentation.
pub fn countries() -> impl Iterator<Item = (&'static str, usize)> {
    LENGTHS.iter().copied()
}

/// Parses an IBAN as people type it (spaces, lower case) into its compact upper-case form.
pub fn parse(input: &str) -> Result<String, IbanError> {
    let compact: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(IbanError::Characters);
    }
    let country = compact.get(..2).unwrap_or(&compact);
    if !country.chars().all(|c| c.is_ascii_uppercase()) || country.len() < 2 {
        return Err(IbanError::Country {
            country: country.to_owned(),
        });
    }
    let Some(expected) = length_of(country) else {
        return Err(IbanError::Country {
            country: country.to_owned(),
        });
    };
    let found = compact.len();
    if found != expected {
        return Err(IbanError::Length { expected, found });
    }
    if !compact[2..4].chars().all(|c| c.is_ascii_digit()) {
        return Err(IbanError::Characters);
    }
    if mod97(&compact) != 1 {
        return Err(IbanError::Check);
    }
    Ok(compact)
}

/// ISO 7064 MOD 97-10 of an IBAN: the first four characters moved to the end, letters as
/// 10..35. Computed digit by digit, so any length fits.
fn mod97(compact: &str) -> u32 {
    let rotated = compact[4..].chars().chain(compact[..4].chars());
    let mut rest = 0u32;
    for c in rotated {
        let value = c.to_digit(36).unwrap_or(0);
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    rest
}

/// The check digits that make `country` + `bban` a valid IBAN (for tests and demo data).
pub fn check_digits(country: &str, bban: &str) -> String {
    let rest = mod97(&format!("{country}00{bban}"));
    format!("{:02}", 98 - rest)
}

/// The IBAN in groups of four, as printed on bank statements.
pub fn display(compact: &str) -> String {
    let chars: Vec<char> = compact.chars().collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_ibans_of_many_countries() {
        for iban in [
            "IT60 X054 2811 1010 0000 0123 456",
            "DE89 3704 0044 0532 0130 00",
            "FR14 2004 1010 0505 0001 3M02 606",
            "GB29 NWBK 6016 1331 9268 19",
            "NL91 ABNA 0417 1643 00",
            "BE68 5390 0754 7034",
            "ES91 2100 0418 4502 0005 1332",
            "CH93 0076 2011 6238 5295 7",
            "AT61 1904 3002 3457 3201",
            "PT50 0002 0123 1234 5678 9015 4",
            "IE29 AIBK 9311 5212 3456 78",
            "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
            "SM86 U032 2509 8000 0000 0270 100",
            "VA59 0011 2300 0012 3456 78",
            "NO93 8601 1117 947",
        ] {
            let parsed = parse(iban);
            assert!(parsed.is_ok(), "{iban}: {parsed:?}");
        }
        assert_eq!(
            parse(" it60x0542811101000000123456 ").as_deref(),
            Ok("IT60X0542811101000000123456")
        );
    }

    #[test]
    fn wrong_ibans_say_why() {
        assert_eq!(parse("IT61 X054 2811 1010 0000 0123 456"), Err(IbanError::Check));
        assert_eq!(
            parse("IT60 X054 2811 1010 0000 0123 45"),
            Err(IbanError::Length {
                expected: 27,
                found: 26
            })
        );
        assert_eq!(
            parse("DE89 3704 0044 0532 0130 000"),
            Err(IbanError::Length {
                expected: 22,
                found: 23
            })
        );
        assert_eq!(
            parse("US12 3456 7890 1234"),
            Err(IbanError::Country { country: "US".into() })
        );
        assert_eq!(parse("12"), Err(IbanError::Country { country: "12".into() }));
        assert_eq!(
            parse(""),
            Err(IbanError::Country {
                country: String::new()
            })
        );
        assert_eq!(parse("IT60.X054"), Err(IbanError::Characters));
        assert_eq!(
            parse("ITAB X054 2811 1010 0000 0123 456"),
            Err(IbanError::Characters)
        );
        assert_eq!(
            parse("IT60 X054 2811 1010 0000 0123 4€6"),
            Err(IbanError::Characters)
        );
    }

    #[test]
    fn registry_is_sorted_and_sane() {
        let codes: Vec<&str> = countries().map(|(c, _)| c).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        assert!(countries().all(|(_, l)| (15..=34).contains(&l)));
        assert!(
            SEPA.iter().all(|c| length_of(c).is_some()),
            "SEPA code not in the registry"
        );
        assert!(is_sepa("IT") && !is_sepa("TR"));
    }

    proptest! {
        #[test]
        fn any_valid_iban_parses_and_its_display_reparses(
            index in 0..LENGTHS.len(),
            body in "[A-Z0-9]{30}",
        ) {
            let (country, length) = LENGTHS[index];
            let bban = &body[..length - 4];
            let iban = format!("{country}{}{bban}", check_digits(country, bban));
            let parsed = parse(&iban);
            prop_assert_eq!(parsed.as_deref(), Ok(iban.as_str()));
            let reparsed = parse(&display(&iban).to_lowercase());
            prop_assert_eq!(reparsed.as_deref(), Ok(iban.as_str()));
        }

        #[test]
        fn one_changed_digit_is_caught(index in 0..LENGTHS.len(), body in "[0-9]{30}", at in 4usize..15, delta in 1u32..10) {
            let (country, length) = LENGTHS[index];
            let bban = &body[..length - 4];
            let iban = format!("{country}{}{bban}", check_digits(country, bban));
            let mut chars: Vec<char> = iban.chars().collect();
            let old = chars[at].to_digit(10).unwrap_or(0);
            chars[at] = char::from_digit((old + delta) % 10, 10).unwrap_or('0');
            let changed: String = chars.into_iter().collect();
            prop_assert_eq!(parse(&changed), Err(IbanError::Check));
        }
    }
}
