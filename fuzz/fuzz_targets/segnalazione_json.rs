//! A JSON body for POST /api/v1/segnalazioni-accessibilita: whatever arrives, parsing never
//! panics, and an accepted report keeps every promise of `NuovaSegnalazione`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sportello::accessibilita::model::{MAX_DESCRIPTION, MIN_DESCRIPTION, NuovaSegnalazione, SegnalazioneInput};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<SegnalazioneInput>(data) else { return };
    match NuovaSegnalazione::try_from(&input) {
        Ok(report) => {
            let length = report.descrizione.chars().count();
            assert!((MIN_DESCRIPTION..=MAX_DESCRIPTION).contains(&length));
            assert_eq!(report.descrizione.trim(), report.descrizione);
            if let Some(page) = &report.pagina {
                assert!(page.starts_with('/') && !page.starts_with("//"));
                assert!(!page.chars().any(|c| c.is_control() || c.is_whitespace()));
            }
            if let Some(email) = &report.email {
                assert_eq!(email.matches('@').count(), 1);
                assert!(!email.chars().any(char::is_whitespace));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                assert!(["descrizione", "pagina", "email"].contains(&error.field.as_str()));
            }
        }
    }
});
