//! The PIN: 16 machine-generated characters, issued in two halves of 8.
//!
//! Pure rules only (generation, parsing, hashing, the lockout schedule); storage and the
//! login flow are in `pins` and `login`.
//!
//! Why a keyed fast hash and not argon2: a PIN is 16 characters drawn uniformly from 32
//! symbols, 80 bits of entropy that the system chose, not a word a person made up. A slow hash
//! exists to make guessing *low-entropy* secrets expensive after a database leak; against 2^80
//! candidates even a fast hash is out of reach (at a billion guesses a second, 38 million
//! years). A slow hash would instead cap logins at ~50 per second per core and take 19 MiB each
//! (measured, DESIGN.md §7): a click day would be over before it started. So we store
//! HMAC-SHA256(key, account id ‖ PIN): the key (kept outside the database when configured)
//! makes a stolen table useless on its own, and the account id makes equal PINs hash apart.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The symbols a PIN is made of: no 0/O or 1/I, which people misread on paper.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const PIN_LEN: usize = 16;
pub const HALF_LEN: usize = 8;

/// A complete, well-formed PIN.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin(String);

/// One half of a PIN (what the email/SMS or the letter carries).
#[derive(Clone, PartialEq, Eq)]
pub struct PinHalf(String);

/// Why typed text is not a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinFormatError {
    #[error("expected {expected} characters, found {found}")]
    Length { expected: usize, found: usize },
    #[error("character {position} is not one a PIN uses")]
    Character { position: usize },
}

fn normalise(input: &str) -> String {
    // People copy PINs with spaces or dashes between groups, and in lower case.
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn check(text: &str, expected: usize) -> Result<(), PinFormatError> {
    let found = text.chars().count();
    if found != expected {
        return Err(PinFormatError::Length { expected, found });
    }
    match text.bytes().position(|b| !ALPHABET.contains(&b)) {
        Some(index) => Err(PinFormatError::Character { position: index + 1 }),
        None => Ok(()),
    }
}

impl Pin {
    /// A fresh random PIN. 256 is a multiple of 32, so masking a random byte is uniform.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; PIN_LEN];
        getrandom::fill(&mut bytes)?;
        Ok(Self(
            bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect(),
        ))
    }

    pub fn parse(input: &str) -> Result<Self, PinFormatError> {
        let text = normalise(input);
        check(&text, PIN_LEN)?;
        Ok(Self(text))
    }

    pub fn from_halves(first: &PinHalf, second: &PinHalf) -> Self {
        Self(format!("{}{}", first.0, second.0))
    }

    pub fn halves(&self) -> (PinHalf, PinHalf) {
        let (first, second) = self.0.split_at(HALF_LEN);
        (PinHalf(first.to_owned()), PinHalf(second.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PinHalf {
    pub fn parse(input: &str) -> Result<Self, PinFormatError> {
        let text = normalise(input);
        check(&text, HALF_LEN)?;
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped in fours for reading aloud or copying from paper: `ABCD EFGH`.
    pub fn grouped(&self) -> String {
        let (a, b) = self.0.split_at(4);
        format!("{a} {b}")
    }
}

// Secrets never reach logs.
impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

impl std::fmt::Debug for PinHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinHalf(***)")
    }
}

/// The key PINs are hashed with.
#[derive(Clone)]
pub struct PinKey([u8; 32]);

impl std::fmt::Debug for PinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinKey(***)")
    }
}

impl PinKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From 64 hex digits (configuration or the database).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    fn mac(&self, account_id: &str, pin: &Pin) -> Hmac<Sha256> {
        // HMAC zero-pads a key shorter than the hash's block: padding it here is the same
        // HMAC, and lets the key be a fixed-size array (no fallible slice path).
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        mac.update(account_id.as_bytes());
        mac.update(&[0]);
        mac.update(pin.as_str().as_bytes());
        mac
    }

    /// The stored form of `pin` for `account_id` (hex).
    pub fn hash(&self, account_id: &str, pin: &Pin) -> String {
        hex::encode(self.mac(account_id, pin).finalize().into_bytes())
    }

    /// Whether `pin` matches `stored`, in constant time.
    pub fn verify(&self, account_id: &str, pin: &Pin, stored: &str) -> bool {
        match hex::decode(stored) {
            Ok(expected) => self.mac(account_id, pin).verify_slice(&expected).is_ok(),
            Err(_) => false,
        }
    }
}

/// Failures in a row before the PIN locks.
pub const FAILURES_BEFORE_LOCK: i64 = 5;

/// How long the PIN stays locked after `failures` wrong attempts in a row: none until the
/// fifth, then 30 minutes, doubling at every further fifth failure, at most a day.
pub fn lockout_after(failures: i64) -> Option<Duration> {
    if failures < FAILURES_BEFORE_LOCK || failures % FAILURES_BEFORE_LOCK != 0 {
        return None;
    }
    let rounds = (failures / FAILURES_BEFORE_LOCK - 1).min(6) as u32;
    let minutes = (30u64 << rounds).min(24 * 60);
    Some(Duration::from_secs(minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_pins_are_well_formed_and_differ() {
        let a = Pin::generate().unwrap();
        let b = Pin::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(Pin::parse(a.as_str()).unwrap(), a);
        let (first, second) = a.halves();
        assert_eq!(Pin::from_halves(&first, &second), a);
        assert_eq!(first.as_str().len(), 8);
    }

    #[test]
    fn parsing_forgives_spacing_and_case_but_not_wrong_symbols() {
        let pin = Pin::parse("abcd-efgh jklm npqr").unwrap();
        assert_eq!(pin.as_str(), "ABCDEFGHJKLMNPQR");
        assert_eq!(
            Pin::parse("ABCDEFGH"),
            Err(PinFormatError::Length {
                expected: 16,
                found: 8
            })
        );
        assert_eq!(
            Pin::parse("ABCDEFGHJKLMNPQ0"),
            Err(PinFormatError::Character { position: 16 })
        );
        assert_eq!(
            PinHalf::parse("ABCDEFGI"),
            Err(PinFormatError::Character { position: 8 })
        );
        assert_eq!(PinHalf::parse("abcd efgh").unwrap().grouped(), "ABCD EFGH");
    }

    #[test]
    fn hashes_are_keyed_and_bound_to_the_account() {
        let key = PinKey::new([7; 32]);
        let pin = Pin::parse("ABCDEFGHJKLMNPQR").unwrap();
        let stored = key.hash("acc-1", &pin);
        assert!(key.verify("acc-1", &pin, &stored));
        assert!(!key.verify("acc-2", &pin, &stored));
        assert!(!PinKey::new([8; 32]).verify("acc-1", &pin, &stored));
        assert!(!key.verify("acc-1", &Pin::parse("ABCDEFGHJKLMNPQS").unwrap(), &stored));
        assert!(!key.verify("acc-1", &pin, "not hex"));
        assert!(!format!("{pin:?}").contains("ABCD"));
    }

    #[test]
    fn lockout_grows_and_is_capped() {
        assert_eq!(lockout_after(4), None);
        assert_eq!(lockout_after(5), Some(Duration::from_secs(30 * 60)));
        assert_eq!(lockout_after(6), None);
        assert_eq!(lockout_after(10), Some(Duration::from_secs(60 * 60)));
        assert_eq!(lockout_after(500), Some(Duration::from_secs(24 * 3600)));
    }

    proptest! {
        #[test]
        fn any_generated_pin_parses_back(_seed in 0u8..255) {
            let pin = Pin::generate().unwrap();
            let (first, second) = pin.halves();
            prop_assert_eq!(PinHalf::parse(&first.grouped()).unwrap(), first.clone());
            prop_assert_eq!(Pin::parse(&format!("{} {}", first.grouped(), second.grouped().to_lowercase())).unwrap(), pin);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Pin::parse(&text);
            let _ = PinHalf::parse(&text);
        }
    }
}
