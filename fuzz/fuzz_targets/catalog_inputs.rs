//! The catalogue's parsers of outside input: content files (import), the editors' synonyms,
//! search queries, the page-feedback form, and Markdown. The first byte picks the parser.
//! Whatever arrives, nothing panics, and what is accepted keeps its promises.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sportello::catalog::feedback::FeedbackInput;
use sportello::catalog::model::{ContentFile, Kind};
use sportello::catalog::search::{SearchDoc, SearchIndex, Synonyms};
use sportello::catalog::text;

static INDEX: LazyLock<Option<SearchIndex>> = LazyLock::new(|| {
    let docs: Vec<SearchDoc> = ["NASpI indennità di disoccupazione", "Assegno unico per i figli", "Bonus asilo nido"]
        .iter()
        .enumerate()
        .map(|(i, title)| SearchDoc {
            key: i as u32,
            title: (*title).to_owned(),
            summary: String::new(),
            body: "Chi può fare domanda, documenti, scadenze.".to_owned(),
            keywords: Vec::new(),
            popularity: 10,
        })
        .collect();
    let synonyms = Synonyms::parse("disoccupazione: naspi\nasilo nido: bonus nido").ok()?;
    SearchIndex::build(&docs, &synonyms).ok()
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match selector % 5 {
        0 => {
            for kind in Kind::ALL {
                if let Ok(file) = ContentFile::parse(kind, &text) {
                    assert_eq!(file.content.kind(), kind);
                    assert!(!file.content.title().is_empty() && !file.content.title().contains('\n'));
                }
            }
        }
        1 => {
            if let Ok(synonyms) = Synonyms::parse(&text) {
                let again = Synonyms::parse(&synonyms.to_text()).expect("canonical text parses");
                assert_eq!(again, synonyms);
            }
        }
        2 => {
            if let Some(index) = INDEX.as_ref() {
                let hits = index.search(&text, 10);
                assert!(hits.len() <= 10 && hits.iter().all(|h| h.key < 3));
                let _ = index.suggest(&text, 5);
            }
        }
        3 => {
            let input = FeedbackInput {
                pagina: Some("/servizi/naspi".to_owned()),
                trovato: Some("si".to_owned()),
                commento: Some(text.to_string()),
                ..FeedbackInput::default()
            };
            if let Ok(feedback) = input.parse() {
                let comment = feedback.comment.unwrap_or_default();
                assert!(!comment.contains("RSSMRA80A01H501U"));
            }
            let _ = input.parse_comuni();
        }
        _ => {
            let html = text::markdown_to_html(&text);
            assert!(!html.contains("<script") && !html.contains("<img"));
            // Every link the renderer writes goes to this site, https, mail or phone.
            for (at, _) in html.match_indices("<a href=\"") {
                let target = &html[at + 9..];
                assert!(
                    ["/", "#", "https://", "mailto:", "tel:"].iter().any(|ok| target.starts_with(ok)),
                    "{target}"
                );
            }
            let _ = text::gulpease(&text);
        }
    }
});
