//! Any text as a codice fiscale: parsing never panics, an accepted code is normalised and
//! decodes consistently, and a refusal names one of the stable error codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sportello::identity::cf_api::{CodiceFiscaleInfo, today};
use sportello::identity::codice_fiscale::{CodiceFiscale, CodiceFiscaleError};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match CodiceFiscale::parse(text) {
        Ok(code) => {
            let s = code.as_str();
            assert_eq!(s.len(), 16);
            assert!(s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
            assert_eq!(CodiceFiscale::parse(s).as_ref(), Ok(&code));
            let base = code.base();
            assert!(!base.is_omocode());
            assert_eq!(base.birthplace_code(), code.birthplace_code());
            assert_eq!(base.sex(), code.sex());
            let today = today();
            assert_eq!(base.birth_date(today), code.birth_date(today));
            assert!(code.birth_date(today) <= today);
            let info = CodiceFiscaleInfo::new(&code, today);
            assert_eq!(info.codice_fiscale, s);
            assert!(!info.birthplace_name.is_empty());
        }
        Err(error) => {
            assert!(CodiceFiscaleError::CODES.contains(&error.code()));
            assert!(!error.args().is_empty());
        }
    }
});
