//! The applications' parsers of outside input: form definition files (staff), what a citizen
//! types in a step (form pairs or API JSON), uploaded bytes, protocol numbers and IBANs. The
//! first byte picks the parser. Whatever arrives, nothing panics, and what is accepted keeps
//! its promises.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sportello::domande::form::{self, Answers, AttachmentRule, FileType, FormDefinition, iban};
use sportello::domande::model::Protocollo;
use sportello::domande::registry::BUILTIN;

static FORMS: LazyLock<Vec<FormDefinition>> = LazyLock::new(|| {
    BUILTIN
        .iter()
        .filter_map(|(name, source)| form::parse(name, source).ok())
        .collect()
});

fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 11, 24)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let forms = &*FORMS;
    let pick = usize::from(rest.first().copied().unwrap_or(0));
    match selector % 6 {
        0 => {
            if let Ok(form) = form::parse("fuzz.toml", &text) {
                assert!(!form.steps.is_empty());
                // A form that loads can be validated without panicking.
                let _ = form::validate_all(&form, &Answers::default(), today());
            }
        }
        1 if !forms.is_empty() => {
            let form = &forms[pick % forms.len()];
            let pairs: Vec<(String, String)> = text
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let mut answers = Answers::default();
            for (index, step) in form.steps.iter().enumerate() {
                let input = form::step_input_from_pairs(step, &pairs);
                if let Ok(values) = form::validate_step(form, index, &input, &answers, today()) {
                    for (id, value) in &values.0 {
                        if let Some((_, field)) = form.field(id) {
                            let _ = form::display_value(field, value);
                        }
                    }
                    answers.0.extend(values.0);
                }
            }
            let _ = form::validate_all(form, &answers, today());
        }
        2 if !forms.is_empty() => {
            let form = &forms[pick % forms.len()];
            if let Ok(input) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text) {
                for index in 0..form.steps.len() {
                    if let Ok(values) = form::validate_step(form, index, &input, &Answers::default(), today()) {
                        // Canonical values validate again to themselves.
                        let again = form::validate_step(form, index, &values.0, &Answers::default(), today());
                        assert_eq!(again.ok(), Some(values), "canonical answers re-validate");
                    }
                }
            }
        }
        3 => {
            let rule = AttachmentRule {
                types: vec![FileType::Pdf, FileType::Jpeg, FileType::Png],
                max_bytes: 64 * 1024,
            };
            if let Ok(kind) = form::check_upload(&rule, rest) {
                assert!(!rest.is_empty() && rest.len() <= rule.max_bytes, "{kind:?}");
            }
        }
        4 => {
            if let Some(protocol) = Protocollo::parse(&text) {
                assert_eq!(Protocollo::parse(&protocol.to_string()), Some(protocol));
            }
        }
        5 => {
            if let Ok(parsed) = iban::parse(&text) {
                let shown = iban::display(&parsed);
                assert_eq!(iban::parse(&shown).ok(), Some(parsed));
            }
        }
        _ => {}
    }
});
