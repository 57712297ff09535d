//! Text rules of the catalogue: Markdown to safe HTML, the Gulpease readability index, and
//! masking personal data that people type into free-text feedback.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

/// Markdown as editors write it, to HTML that is safe to put in a page: raw HTML is shown as
/// text, links may only go to this site, `https:`, `mailto:` or `tel:`, headings start at
/// level 3 (the page owns h1 and the section h2s).
pub fn markdown_to_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let events = parser.map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: shift_heading(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift_heading(level))),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: if safe_link(&dest_url) {
                dest_url
            } else {
                "#".into()
            },
            title,
            id,
        }),
        // Images would load from anywhere: show their description instead.
        Event::Start(Tag::Image { .. }) => Event::Text("".into()),
        Event::End(TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn shift_heading(level: pulldown_cmark::HeadingLevel) -> pulldown_cmark::HeadingLevel {
    use pulldown_cmark::HeadingLevel::*;
    match level {
        H1 | H2 | H3 => H3,
        H4 => H4,
        H5 => H5,
        H6 => H6,
    }
}

fn safe_link(url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//"))
        || url.starts_with('#')
        || url.starts_with("https://")
        || url.starts_with("mailto:")
        || url.starts_with("tel:")
}

/// Markdown to plain text (for search, summaries and the readability index).
pub fn markdown_to_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_)) => text.push('\n'),
            _ => {}
        }
    }
    text
}

/// The Gulpease index of an Italian text (Lucisano and Piemontese, 1988):
/// `89 + (300 × sentences − 10 × letters) / words`, from 0 (hardest) to 100. Under 80 is hard
/// for someone with primary schooling, under 60 for someone with middle school: editors are
/// warned under 60. `None` for a text without words.
pub fn gulpease(text: &str) -> Option<u8> {
    let mut words = 0u32;
    let mut letters = 0u32;
    let mut sentences = 0u32;
    let mut in_word = false;
    let mut pending_sentence = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            letters += 1;
            if !in_word {
                words += 1;
                in_word = true;
                pending_sentence = true;
            }
        } else {
            in_word = false;
            // A sentence ends at . ! ? ; : or a line break (list items), counted once.
            if matches!(c, '.' | '!' | '?' | ';' | ':' | '\n' | '…') && pending_sentence {
                sentences += 1;
                pending_sentence = false;
            }
        }
    }
    if pending_sentence {
        sentences += 1;
    }
    if words == 0 {
        return None;
    }
    let index = 89.0 + (300.0 * f64::from(sentences) - 10.0 * f64::from(letters)) / f64::from(words);
    Some(index.clamp(0.0, 100.0).round() as u8)
}

/// Below this, the editor is warned that the text is hard for many readers.
pub const GULPEASE_WARNING: u8 = 60;

static CODICE_FISCALE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // Omocodia letters (LMNPQRSTUV) may stand for any digit. No word boundaries: a code glued
    // to other letters ("CF:RSSMRA80A01H501Ugrazie") is still a code, and the shape is too
    // specific to turn up inside ordinary words.
    Regex::new(r"(?i)[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]")
        .ok()
});
static IBAN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b").ok());
static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+").ok());
/// Phone numbers and other long numbers (card numbers, document numbers): 6 digits or more,
/// possibly with spaces, dots, dashes or a leading +.
static NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\+?[0-9](?:[ ./-]?[0-9]){5,}").ok());

/// Replaces codici fiscali, IBANs, email addresses and phone (or other long) numbers with a
/// mark, so that free text people type can be stored without their personal data.
pub fn mask_personal_data(text: &str) -> String {
    let mut text = text.to_owned();
    for (pattern, mark) in [
        (&EMAIL, "[email]"),
        (&CODICE_FISCALE, "[codice fiscale]"),
        (&IBAN, "[IBAN]"),
        (&NUMBER, "[numero]"),
    ] {
        if let Some(regex) = pattern.as_ref() {
            text = regex.replace_all(&text, mark).into_owned();
        }
    }
    text
}

/// A search query as it may be kept in the "no results" log: trimmed, lowercased, at most
/// 100 characters, and nothing if it holds anything that looks like personal data.
pub fn loggable_query(query: &str) -> Option<String> {
    let query: String = query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if query.is_empty() || mask_personal_data(&query) != query {
        return None;
    }
    Some(query.chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_is_safe() {
        let html = markdown_to_html(
            "Ciao <script>alert(1)</script> **forte**\n\n[x](javascript:alert(1)) [y](/servizi/naspi) ![i](https://evil/x.png)\n\n# Titolo",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>forte</strong>"));
        assert!(html.contains(r##"<a href="#">x</a>"##), "{html}");
        assert!(html.contains(r#"<a href="/servizi/naspi">y</a>"#));
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("<h3>Titolo</h3>"), "{html}");
        assert_eq!(markdown_to_text("- uno\n- **due**\n"), "uno\ndue\n");
    }

    #[test]
    fn gulpease_matches_the_formula() {
        // 2 sentences, 8 words, 31 letters: 89 + (600 − 310) / 8 = 125.25 → capped at 100.
        assert_eq!(gulpease("Il gatto dorme. Il cane abbaia forte oggi."), Some(100));
        // One long sentence of long words is hard.
        let hard = "L'amministrazione provvede all'erogazione dell'indennità previdenziale subordinatamente \
                    all'accertamento dei requisiti contributivi prescritti dalla normativa vigente";
        let index = gulpease(hard).unwrap();
        assert!(index < 40, "{index}");
        // 1 sentence, 4 words, 24 letters: 89 + (300 − 240) / 4 = 104 → 100; plain text scores high.
        assert_eq!(gulpease("Chiedi la pensione online"), Some(100));
        let medium = "Puoi chiedere l'indennità di disoccupazione entro sessantotto giorni dalla fine del contratto di lavoro.";
        // 1 sentence, 15 words (l' counts as a word), 89 letters: 89 + (300 − 890) / 15 = 49.7.
        assert_eq!(gulpease(medium), Some(50));
        assert_eq!(gulpease("  ... "), None);
    }

    #[test]
    fn personal_data_is_masked() {
        let text = "Sono RSSMRA80A01H501U, IBAN IT60 X054 2811 1010 0000 0123 456, scrivete a mario.rossi@example.it o al 347 123 4567 o +39 06 1234567. Grazie!";
        let masked = mask_personal_data(text);
        assert_eq!(
            masked,
            "Sono [codice fiscale], IBAN [IBAN], scrivete a [email] o al [numero] o [numero]. Grazie!"
        );
        // Omocodia and lowercase too; short numbers (years, amounts) stay.
        assert_eq!(
            mask_personal_data("rssmra80a01h5m1u nel 2024 ho preso 300 euro"),
            "[codice fiscale] nel 2024 ho preso 300 euro"
        );
        assert_eq!(
            loggable_query("  Assegno   UNICO "),
            Some("assegno unico".to_owned())
        );
        assert_eq!(loggable_query("RSSMRA80A01H501U"), None);
        assert_eq!(loggable_query("   "), None);
    }

    proptest! {
        #[test]
        fn personal_data_never_survives(before in "\\PC{0,40}", after in "\\PC{0,40}", which in 0usize..4) {
            let secret = ["RSSMRA80A01H501U", "mario.rossi@example.it", "IT60X0542811101000000123456", "3471234567"][which];
            let masked = mask_personal_data(&format!("{before} {secret} {after}"));
            prop_assert!(!masked.contains(secret), "{}", masked);
            // A codice fiscale is masked even glued to other text.
            let glued = mask_personal_data(&format!("{before}RSSMRA80A01H501U{after}"));
            prop_assert!(!glued.contains("RSSMRA80A01H501U"), "{}", glued);
        }

        #[test]
        fn masking_and_markdown_never_panic(text in "\\PC{0,300}") {
            let masked = mask_personal_data(&text);
            prop_assert!(masked.len() <= text.len() + 20 * text.matches(|c: char| c.is_ascii_digit() || c == '@').count() + 20);
            let html = markdown_to_html(&text);
            prop_assert!(!html.contains("<script"));
            let _ = gulpease(&text);
        }
    }
}
