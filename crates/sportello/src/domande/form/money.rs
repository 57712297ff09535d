//! Money as whole euro cents, read the ways people write it ("1.234,56", "1234.56", "1234",
//! "€ 12,50", and in English "1,234.56") and shown the Italian way ("1.234,56 €") or, on
//! English pages, the English way ("€1,234.56").

/// The largest amount accepted: a billion euro. Anything above is a typing mistake, and the
/// bound keeps every sum far from overflowing.
const MAX_CENTS: i64 = 100_000_000_000;

/// Parses an amount in euro into cents. Refuses negative amounts, more than two decimals and
/// misplaced separators (`None`).
pub fn parse_money(input: &str) -> Option<i64> {
    let mut text: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    for symbol in ["€", "EUR", "eur", "Eur", "euro", "Euro", "EURO"] {
        if let Some(rest) = text.strip_suffix(symbol) {
            text = rest.to_owned();
        } else if let Some(rest) = text.strip_prefix(symbol) {
            text = rest.to_owned();
        }
    }
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return None;
    }
    let english = matches!((text.rfind(','), text.rfind('.')), (Some(comma), Some(point)) if point > comma);
    let (whole, decimals) = if english {
        // English: commas for thousands, a point for decimals ("1,234.56"). Only with both
        // signs is this sure: "12,345" alone could be either, and stays refused.
        let (whole, decimals) = text.split_once('.')?;
        if decimals.contains('.') {
            return None;
        }
        (strip_thousands(whole, ',')?, decimals.to_owned())
    } else if let Some((whole, decimals)) = text.split_once(',') {
        // Italian: comma for decimals, dots for thousands.
        if decimals.is_empty() {
            return None;
        }
        (strip_thousands(whole, '.')?, decimals.to_owned())
    } else {
        match text.matches('.').count() {
            0 => (text.clone(), String::new()),
            // "12.5", "1234.56": a decimal point. "1.234": a thousands dot, as Italians write.
            1 => {
                let (whole, after) = text.split_once('.')?;
                if after.len() == 3 {
                    (strip_thousands(&text, '.')?, String::new())
                } else {
                    (whole.to_owned(), after.to_owned())
                }
            }
            _ => (strip_thousands(&text, '.')?, String::new()),
        }
    };
    if whole.is_empty() || decimals.len() > 2 || !decimals.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || whole.len() > 12 {
        return None;
    }
    let euro: i64 = whole.parse().ok()?;
    let cents: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().ok()? * 10,
        _ => decimals.parse().ok()?,
    };
    let total = euro.checked_mul(100)?.checked_add(cents)?;
    (total <= MAX_CENTS).then_some(total)
}

/// "1.234.567" -> "1234567" (with `separator` '.'; "1,234,567" with ',') when every group
/// after the first has three digits.
fn strip_thousands(text: &str, separator: char) -> Option<String> {
    let mut groups = text.split(separator);
    let first = groups.next()?;
    if first.is_empty() || (first.len() > 3 && text.contains(separator)) {
        return None;
    }
    let mut out = first.to_owned();
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        out.push_str(group);
    }
    Some(out)
}

/// The whole euro of `cents`, in groups of three digits joined by `separator`.
fn grouped_euro(cents: i64, separator: char) -> String {
    let euro = (cents.unsigned_abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euro.chars().enumerate() {
        if i > 0 && (euro.len() - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    grouped
}

/// "1.234,56 €".
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02} €",
        grouped_euro(cents, '.'),
        cents.unsigned_abs() % 100
    )
}

/// "€1,234.56", for English pages.
pub fn format_cents_en(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!(
        "{sign}€{}.{:02}",
        grouped_euro(cents, ','),
        cents.unsigned_abs() % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn italian_and_plain_amounts() {
        for (input, cents) in [
            ("1.234,56", 123_456),
            ("1234.56", 123_456),
            ("1234", 123_400),
            ("€ 12,50", 1_250),
            ("12,5 €", 1_250),
            ("12.5", 1_250),
            ("1.234", 123_400),
            ("1.234.567,8", 123_456_780),
            ("0,99", 99),
            ("  7  EUR", 700),
            ("1 234,56", 123_456),
            ("0", 0),
            ("1,234.56", 123_456),
            ("€1,234.56", 123_456),
            ("1,234,567.8", 123_456_780),
            ("1,000.00 EUR", 100_000),
        ] {
            assert_eq!(parse_money(input), Some(cents), "{input}");
        }
        for input in [
            "",
            "€",
            "-5",
            "1,234,56",
            "12,345",
            "1.23.4",
            "abc",
            "1e5",
            "12..5",
            ",5",
            "1234.5678",
            "1234,",
            "99999999999999",
            "12.34,5",
            "1,23.45",
            "1234,567.89",
            "1,234.5.6",
            "1,234.567",
        ] {
            assert_eq!(parse_money(input), None, "{input}");
        }
    }

    #[test]
    fn shown_the_italian_way() {
        assert_eq!(format_cents(123_456), "1.234,56 €");
        assert_eq!(format_cents(5), "0,05 €");
        assert_eq!(format_cents(100_000_000), "1.000.000,00 €");
        assert_eq!(format_cents(-1_250), "-12,50 €");
    }

    #[test]
    fn shown_the_english_way() {
        assert_eq!(format_cents_en(123_456), "€1,234.56");
        assert_eq!(format_cents_en(5), "€0.05");
        assert_eq!(format_cents_en(100_000_000), "€1,000,000.00");
        assert_eq!(format_cents_en(-1_250), "-€12.50");
    }

    proptest! {
        #[test]
        fn money_round_trips(cents in 0i64..=MAX_CENTS) {
            prop_assert_eq!(parse_money(&format_cents(cents)), Some(cents));
            prop_assert_eq!(parse_money(&format_cents_en(cents)), Some(cents));
            let plain = format!("{}.{:02}", cents / 100, cents % 100);
            prop_assert_eq!(parse_money(&plain), Some(cents));
        }
    }
}
