//! One value per field type: from what a person typed (or an API client sent) to the
//! canonical JSON value, and from the canonical value to the text shown in summaries.

use std::sync::LazyLock;

use jiff::civil::Date;
use regex::Regex;
use serde_json::{Map, Value};

use super::{
    DateRule, Field, FieldKind, FieldProblem, TextFormat, iban,
    money::{format_cents, parse_money},
};
use crate::http::i18n::MessageArg;
use crate::identity::codice_fiscale::CodiceFiscale;

/// The parts of an address, in the order they are shown.
pub const ADDRESS_PARTS: [&str; 4] = ["via", "cap", "comune", "provincia"];

/// Longest part of an address.
const ADDRESS_PART_MAX: usize = 200;

/// Parses one value that is not a group. `Ok(None)`: left empty.
pub(super) fn parse_scalar(
    kind: &FieldKind,
    path: &str,
    raw: &Value,
    today: Date,
) -> Result<Option<Value>, Vec<FieldProblem>> {
    if is_blank(raw) {
        return Ok(None);
    }
    let one = |code| Err(vec![FieldProblem::new(path, code)]);
    match kind {
        FieldKind::Text {
            min,
            max,
            lines,
            format,
        } => {
            let Some(text) = raw.as_str() else {
                return one("valore-non-valido");
            };
            parse_text(path, text, *min, *max, *lines, *format).map(Some)
        }
        FieldKind::Number { min, max } => {
            let number = match raw {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => parse_integer(s),
                _ => None,
            };
            let Some(number) = number else {
                return one("numero-non-valido");
            };
            if let Some(min) = min.filter(|min| number < *min) {
                return Err(vec![
                    FieldProblem::new(path, "numero-minimo").arg("minimo", min.to_string()),
                ]);
            }
            if let Some(max) = max.filter(|max| number > *max) {
                return Err(vec![
                    FieldProblem::new(path, "numero-massimo").arg("massimo", max.to_string()),
                ]);
            }
            Ok(Some(Value::from(number)))
        }
        FieldKind::Money { min_cents, max_cents } => {
            // The API sends cents as a whole number (the canonical form); people type euro.
            let cents = match raw {
                Value::Number(n) => n.as_i64().filter(|c| *c >= 0),
                Value::String(s) => parse_money(s),
                _ => None,
            };
            let Some(cents) = cents else {
                return one("importo-non-valido");
            };
            if let Some(min) = min_cents.filter(|min| cents < *min) {
                return Err(vec![
                    FieldProblem::new(path, "importo-minimo").arg("minimo", format_cents(min)),
                ]);
            }
            if let Some(max) = max_cents.filter(|max| cents > *max) {
                return Err(vec![
                    FieldProblem::new(path, "importo-massimo").arg("massimo", format_cents(max)),
                ]);
            }
            Ok(Some(Value::from(cents)))
        }
        FieldKind::Date(rule) => {
            let Some(date) = raw.as_str().and_then(parse_date) else {
                return one("data-non-valida");
            };
            check_date(path, date, rule, today)?;
            Ok(Some(Value::from(date.to_string())))
        }
        FieldKind::YesNo => match raw {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            Value::String(s) => match s.trim().to_lowercase().as_str() {
                "si" | "sì" | "true" => Ok(Some(Value::Bool(true))),
                "no" | "false" => Ok(Some(Value::Bool(false))),
                _ => one("si-no-non-valido"),
            },
            _ => one("si-no-non-valido"),
        },
        FieldKind::Choice { options, multiple } => {
            let known = |v: &str| options.iter().any(|o| o.value == v);
            if *multiple {
                let chosen: Vec<&str> = match raw {
                    Value::String(s) => vec![s.trim()],
                    Value::Array(items) => {
                        let mut chosen = Vec::new();
                        for item in items {
                            let Some(s) = item.as_str() else {
                                return one("scelta-non-valida");
                            };
                            if !s.trim().is_empty() {
                                chosen.push(s.trim());
                            }
                        }
                        chosen
                    }
                    _ => return one("scelta-non-valida"),
                };
                if !chosen.iter().all(|v| known(v)) {
                    return one("scelta-non-valida");
                }
                // Canonical: each value once, in the order of the options.
                let values: Vec<Value> = options
                    .iter()
                    .filter(|o| chosen.contains(&o.value.as_str()))
                    .map(|o| Value::from(o.value.clone()))
                    .collect();
                Ok((!values.is_empty()).then_some(Value::Array(values)))
            } else {
                match raw.as_str().map(str::trim) {
                    Some(v) if known(v) => Ok(Some(Value::from(v))),
                    _ => one("scelta-non-valida"),
                }
            }
        }
        FieldKind::CodiceFiscale => {
            let Some(text) = raw.as_str() else {
                return one("valore-non-valido");
            };
            match CodiceFiscale::parse(text) {
                Ok(cf) => Ok(Some(Value::from(cf.to_string()))),
                Err(error) => Err(vec![cf_problem(path, &error)]),
            }
        }
        FieldKind::Iban { sepa_only } => {
            let Some(text) = raw.as_str() else {
                return one("valore-non-valido");
            };
            match iban::parse(text) {
                Ok(compact) => {
                    let country = compact.get(..2).unwrap_or_default();
                    if *sepa_only && !iban::is_sepa(country) {
                        return Err(vec![
                            FieldProblem::new(path, "iban-non-sepa").arg("paese", country),
                        ]);
                    }
                    Ok(Some(Value::from(compact)))
                }
                Err(error) => Err(vec![FieldProblem {
                    field: path.to_owned(),
                    code: error.code(),
                    args: error.args(),
                }]),
            }
        }
        FieldKind::Address => parse_address(path, raw),
        FieldKind::Email => match raw.as_str().and_then(parse_email) {
            Some(email) => Ok(Some(Value::from(email))),
            None => one("email-non-valida"),
        },
        FieldKind::Phone => match raw.as_str().and_then(parse_phone) {
            Some(phone) => Ok(Some(Value::from(phone))),
            None => one("telefono-non-valido"),
        },
        FieldKind::Attachment(_) => {
            // The id the upload route made; the caller checks that it belongs to the draft.
            static ID: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").ok());
            match (raw.as_str().map(str::trim), ID.as_ref()) {
                (Some(id), Some(re)) if re.is_match(id) => Ok(Some(Value::from(id))),
                _ => one("allegato-non-valido"),
            }
        }
        FieldKind::Group { .. } => one("valore-non-valido"),
    }
}

/// Null, an empty or blank string, an empty list or an object of blank values: not answered.
pub(super) fn is_blank(raw: &Value) -> bool {
    match raw {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_blank),
        Value::Object(map) => map.values().all(is_blank),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

fn cf_problem(path: &str, error: &crate::identity::codice_fiscale::CodiceFiscaleError) -> FieldProblem {
    FieldProblem {
        field: path.to_owned(),
        code: error.code(),
        args: error
            .args()
            .into_iter()
            .map(|(name, value)| {
                let text = match value {
                    MessageArg::Text(text) => text,
                    MessageArg::Number(n) => n.to_string(),
                };
                (name, text)
            })
            .collect(),
    }
}

fn parse_text(
    path: &str,
    text: &str,
    min: usize,
    max: usize,
    lines: u8,
    format: Option<TextFormat>,
) -> Result<Value, Vec<FieldProblem>> {
    let text = text.trim().replace("\r\n", "\n");
    let allowed = |c: char| !c.is_control() || (lines > 1 && matches!(c, '\n' | '\t'));
    if !text.chars().all(allowed) {
        return Err(vec![FieldProblem::new(path, "testo-caratteri")]);
    }
    let count = text.chars().count();
    if count > max {
        return Err(vec![
            FieldProblem::new(path, "testo-troppo-lungo")
                .arg("massimo", max.to_string())
                .arg("trovati", count.to_string()),
        ]);
    }
    if count < min {
        return Err(vec![
            FieldProblem::new(path, "testo-troppo-corto").arg("minimo", min.to_string()),
        ]);
    }
    match format {
        None => Ok(Value::from(text)),
        Some(TextFormat::CodiceFiscaleOPartitaIva) => {
            let compact: String = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect();
            if compact.len() == 11 && is_partita_iva(&compact) {
                Ok(Value::from(compact))
            } else if let Ok(cf) = CodiceFiscale::parse(&compact) {
                Ok(Value::from(cf.to_string()))
            } else {
                Err(vec![FieldProblem::new(path, "testo-cf-piva")])
            }
        }
        Some(TextFormat::Protocollo) => match parse_protocol(&text) {
            Some(protocol) => Ok(Value::from(protocol)),
            None => Err(vec![FieldProblem::new(path, "testo-protocollo")]),
        },
    }
}

/// A partita IVA (or the codice fiscale of a company, the same 11 digits): the 11th digit is
/// the Luhn check of the first ten.
pub(super) fn is_partita_iva(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 11 || text.len() != 11 {
        return false;
    }
    let mut sum = 0;
    for (i, d) in digits.iter().take(10).enumerate() {
        if i % 2 == 0 {
            sum += d;
        } else {
            let doubled = d * 2;
            sum += if doubled > 9 { doubled - 9 } else { doubled };
        }
    }
    (10 - sum % 10) % 10 == digits[10]
}

/// `INPS.<sede>.<anno>.<sequenza>`: the sede code (letters, digits, dashes), a four-digit
/// year, and the sequence number. Upper case, spaces removed.
fn parse_protocol(text: &str) -> Option<String> {
    static PROTOCOL: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^INPS\.[A-Z0-9][A-Z0-9-]{0,19}\.(19|20)[0-9]{2}\.[0-9]{1,12}$").ok());
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    PROTOCOL
        .as_ref()
        .is_some_and(|re| re.is_match(&compact))
        .then_some(compact)
}

/// A whole number as typed: digits with an optional sign; no separators.
fn parse_integer(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYY-MM-DD` (the HTML date input) or `GG/MM/AAAA` (also with `-` or `.`, and one-digit
/// day or month). Years 1900-2100 only: anything else is a typing mistake.
pub(super) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    let parts: Vec<&str> = text.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let numeric = |s: &str| !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit());
    if !(numeric(a) && numeric(b) && numeric(c)) {
        return None;
    }
    let (year, month, day) = if a.len() == 4 && text.contains('-') && b.len() == 2 && c.len() == 2 {
        (a, b, c)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (c, b, a)
    } else {
        return None;
    };
    let year: i16 = year.parse().ok()?;
    let month: i8 = month.parse().ok()?;
    let day: i8 = day.parse().ok()?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::new(year, month, day).ok()
}

fn check_date(path: &str, date: Date, rule: &DateRule, today: Date) -> Result<(), Vec<FieldProblem>> {
    let problem = if rule.not_future && date > today {
        Some(FieldProblem::new(path, "data-futura"))
    } else if rule.not_past && date < today {
        Some(FieldProblem::new(path, "data-passata"))
    } else if let Some(after) = rule.after.filter(|after| date < *after) {
        Some(FieldProblem::new(path, "data-troppo-presto").arg("data", format_date(after)))
    } else {
        rule.before
            .filter(|before| date > *before)
            .map(|before| FieldProblem::new(path, "data-troppo-tardi").arg("data", format_date(before)))
    };
    problem.map_or(Ok(()), |p| Err(vec![p]))
}

/// "15/03/2026".
pub(super) fn format_date(date: Date) -> String {
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

fn parse_address(path: &str, raw: &Value) -> Result<Option<Value>, Vec<FieldProblem>> {
    let Value::Object(parts) = raw else {
        return Err(vec![FieldProblem::new(path, "valore-non-valido")]);
    };
    let mut problems = Vec::new();
    let mut out = Map::new();
    for part in ADDRESS_PARTS {
        let part_path = format!("{path}.{part}");
        let text = match parts.get(part) {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.trim(),
            Some(_) => {
                problems.push(FieldProblem::new(part_path, "valore-non-valido"));
                continue;
            }
        };
        if text.is_empty() {
            problems.push(FieldProblem::new(part_path, "campo-obbligatorio"));
            continue;
        }
        if text.chars().count() > ADDRESS_PART_MAX || text.chars().any(char::is_control) {
            problems.push(
                FieldProblem::new(part_path, "testo-troppo-lungo")
                    .arg("massimo", ADDRESS_PART_MAX.to_string())
                    .arg("trovati", text.chars().count().to_string()),
            );
            continue;
        }
        let value = match part {
            "cap" if text.len() != 5 || !text.chars().all(|c| c.is_ascii_digit()) => {
                problems.push(FieldProblem::new(part_path, "cap-non-valido"));
                continue;
            }
            "provincia" if text.chars().count() != 2 || !text.chars().all(|c| c.is_ascii_alphabetic()) => {
                problems.push(FieldProblem::new(part_path, "provincia-non-valida"));
                continue;
            }
            "provincia" => text.to_ascii_uppercase(),
            _ => text.to_owned(),
        };
        out.insert(part.to_owned(), Value::from(value));
    }
    if problems.is_empty() {
        Ok(Some(Value::Object(out)))
    } else {
        Err(problems)
    }
}

/// A plausible address: one `@`, a local part without spaces, a domain of letters, digits and
/// dashes with a dot. The domain is stored in lower case.
pub(super) fn parse_email(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 254 {
        return None;
    }
    let (local, domain) = text.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let domain = domain.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    (local_ok && domain_ok).then(|| format!("{local}@{domain}"))
}

/// A telephone number, Italian or international, stored as `+` and digits (E.164): "333 123
/// 4567" -> "+393331234567", "06 1234 5678" -> "+390612345678", "0049 30 1234567" ->
/// "+49301234567".
pub(super) fn parse_phone(text: &str) -> Option<String> {
    let text = text.trim();
    let (international, rest) = if let Some(rest) = text.strip_prefix('+') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix("00") {
        (true, rest)
    } else {
        (false, text)
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '/' | '(' | ')' => {}
            _ => return None,
        }
    }
    if international {
        // E.164: a country code that does not start with 0, at most 15 digits in all.
        if digits.starts_with('0') || !(8..=15).contains(&digits.len()) {
            return None;
        }
        if let Some(national) = digits.strip_prefix("39") {
            return italian(national).map(|n| format!("+39{n}"));
        }
        return Some(format!("+{digits}"));
    }
    italian(&digits).map(|n| format!("+39{n}"))
}

/// An Italian number without the country code: mobiles start with 3 (9-10 digits),
/// landlines with 0 (6-11 digits).
fn italian(digits: &str) -> Option<&str> {
    let ok = match digits.chars().next() {
        Some('3') => (9..=10).contains(&digits.len()),
        Some('0') => (6..=11).contains(&digits.len()),
        _ => false,
    };
    ok.then_some(digits)
}

/// A canonical value shown to a person: "Sì"/"No", "1.234,56 €", "15/03/2026", the option's
/// label, the address on one line, an IBAN in groups of four. Italian (the office's
/// documents and the back office; citizen pages localize the labels themselves).
pub fn display_value(field: &Field, value: &Value) -> String {
    match (&field.kind, value) {
        (_, Value::Null) => String::new(),
        (FieldKind::YesNo, Value::Bool(b)) => if *b { "Sì" } else { "No" }.to_owned(),
        (FieldKind::Money { .. }, Value::Number(n)) => n.as_i64().map_or_else(|| n.to_string(), format_cents),
        (FieldKind::Number { .. }, Value::Number(n)) => n.to_string(),
        (FieldKind::Date(_), Value::String(s)) => s.parse::<Date>().map_or_else(|_| s.clone(), format_date),
        (FieldKind::Choice { options, .. }, Value::String(s)) => label_of(options, s),
        (FieldKind::Choice { options, .. }, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| label_of(options, s))
            .collect::<Vec<_>>()
            .join(", "),
        (FieldKind::Iban { .. }, Value::String(s)) => iban::display(s),
        (FieldKind::Phone, Value::String(s)) => match s.strip_prefix("+39") {
            Some(national) => format!("+39 {national}"),
            None => s.clone(),
        },
        (FieldKind::Address, Value::Object(parts)) => {
            let part = |name: &str| parts.get(name).and_then(Value::as_str).unwrap_or_default();
            format!(
                "{}, {} {} ({})",
                part("via"),
                part("cap"),
                part("comune"),
                part("provincia")
            )
        }
        (FieldKind::Group { fields, .. }, Value::Array(rows)) => rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let shown: Vec<String> = fields
                    .iter()
                    .filter_map(|child| {
                        let value = row.get(&child.id)?;
                        Some(format!("{}: {}", child.label.it, display_value(child, value)))
                    })
                    .collect();
                format!("{}) {}", i + 1, shown.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; "),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn label_of(options: &[super::ChoiceOption], value: &str) -> String {
    options
        .iter()
        .find(|o| o.value == value)
        .map_or_else(|| value.to_owned(), |o| o.label.it.clone())
}
