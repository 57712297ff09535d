//! The codice fiscale of a person: a type that cannot hold an invalid value.
//!
//! The layout is the one of DM 23 December 1976 (and the Agenzia delle Entrate's rules on
//! omocodia):
//!
//! ```text
//! RSS MRA 80 A 01 H501 U
//! │   │   │  │ │  │    └ 16: check character
//! │   │   │  │ │  └───── 12-15: Belfiore code of the birthplace (comune or foreign state)
//! │   │   │  │ └──────── 10-11: day of birth, +40 for women
//! │   │   │  └────────── 9: month letter (A B C D E H L M P R S T)
//! │   │   └───────────── 7-8: last two digits of the year of birth
//! │   └───────────────── 4-6: given name
//! └───────────────────── 1-3: surname
//! ```
//!
//! Omocodia: when two people would get the same code, the Agenzia replaces digits of the seven
//! numeric positions (7, 8, 10, 11, 13, 14, 15), from the right, with the letters
//! `L M N P Q R S T U V` (for 0-9) and recomputes the check character. Any mix of digits and
//! such letters in those positions is accepted and decodes to the same person.
//!
//! This module is pure: no clock, no I/O. Dates of birth need "today" to choose the century.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::belfiore::{self, Place, PlaceKind};
use crate::http::i18n::MessageArg;

/// Number of characters of a codice fiscale of a person.
pub const LENGTH: usize = 16;

/// Month letters, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

/// The letters that stand for 0-9 in an omocode.
const OMOCODE_LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// The 0-based indexes of the seven numeric positions (7, 8, 10, 11, 13, 14, 15).
const NUMERIC: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

/// Value of a character in an odd position (1st, 3rd, …) for the check character, indexed by
/// letter (A=0) or digit (0 counts as A, 1 as B, …).
const ODD_VALUES: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Sex as written in the code (the day of birth is +40 for women).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sex {
    M,
    F,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
        }
    }
}

/// A valid codice fiscale of a person, upper case, 16 characters, possibly an omocode.
///
/// Its `Debug` shows only the surname part: the rest is personal data (birth date, sex,
/// birthplace) and must not reach the logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodiceFiscale {
    code: String,
    /// The de-omocoded Belfiore code, as stored in the table.
    place: &'static str,
}

/// What kind of character a position needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A letter A-Z.
    Letter,
    /// A digit 0-9, or in an omocode one of the letters `L M N P Q R S T U V` standing for it.
    Digit,
}

impl Expected {
    /// Stable name, used as a selector in the messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Letter => "lettera",
            Expected::Digit => "cifra",
        }
    }
}

/// Why a text is not a valid codice fiscale. Reported in this order: length, characters,
/// month, day, birthplace, check character; the first problem found wins.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodiceFiscaleError {
    /// Not 16 characters once spaces are removed.
    #[error("a codice fiscale has 16 characters, found {found}")]
    Length { found: usize },
    /// A character of the wrong kind (`position` is 1-based).
    #[error("position {position} needs a {expected:?}")]
    Character {
        position: u8,
        expected: Expected,
        found: char,
    },
    /// The 9th character is not a month letter.
    #[error("{letter:?} is not a month letter")]
    Month { letter: char },
    /// The day (10th-11th characters, omocode letters decoded) is not a day of that month:
    /// outside 01-31 and 41-71, or past the month's end (31 April, 30 February, 29 February
    /// of a year that is never a leap year).
    #[error("day {found:02} does not exist in month {month}")]
    Day { found: u8, month: u8 },
    /// No comune or foreign state has this Belfiore code (omocode letters decoded).
    #[error("unknown Belfiore code {code}")]
    Birthplace { code: String },
    /// The 16th character does not match the other fifteen.
    #[error("check character should be {expected}, found {found}")]
    CheckCharacter { expected: char, found: char },
}

impl CodiceFiscaleError {
    /// Stable code: the problem's `code` in the API and the Fluent message ids
    /// `problem-<code>` (title) and `<code>` (detail, with [`Self::args`]).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "cf-lunghezza",
            Self::Character { .. } => "cf-carattere",
            Self::Month { .. } => "cf-mese",
            Self::Day { .. } => "cf-giorno",
            Self::Birthplace { .. } => "cf-comune",
            Self::CheckCharacter { .. } => "cf-controllo",
        }
    }

    /// Every code, for tests that check the messages exist.
    pub const CODES: [&'static str; 6] = [
        "cf-lunghezza",
        "cf-carattere",
        "cf-mese",
        "cf-giorno",
        "cf-comune",
        "cf-controllo",
    ];

    /// The arguments of the detail message.
    pub fn args(&self) -> Vec<(&'static str, MessageArg)> {
        let text = |s: String| MessageArg::Text(s);
        match self {
            Self::Length { found } => vec![(
                "found",
                MessageArg::Number(i64::try_from(*found).unwrap_or(i64::MAX)),
            )],
            Self::Character {
                position,
                expected,
                found,
            } => vec![
                ("position", MessageArg::Number(i64::from(*position))),
                ("expected", text(expected.as_str().to_owned())),
                ("found", text(printable(*found))),
            ],
            Self::Month { letter } => vec![("letter", text(letter.to_string()))],
            Self::Day { found, month } => {
                let in_range = matches!(found, 1..=31 | 41..=71);
                let day = if *found > 40 { found - 40 } else { *found };
                let reason = match (in_range, *month, day) {
                    (false, ..) => "intervallo",
                    (true, 2, 29) => "bisestile",
                    (true, ..) => "mese",
                };
                vec![
                    ("found", text(format!("{found:02}"))),
                    ("day", MessageArg::Number(i64::from(day))),
                    ("month", MessageArg::Number(i64::from(*month))),
                    ("reason", text(reason.to_owned())),
                ]
            }
            Self::Birthplace { code } => vec![("code", text(code.clone()))],
            Self::CheckCharacter { expected, found } => vec![
                ("expected", text(expected.to_string())),
                ("found", text(found.to_string())),
            ],
        }
    }
}

/// A character as shown back in a message: control characters by their code point.
fn printable(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        c.to_string()
    }
}

impl CodiceFiscale {
    /// Parses a codice fiscale typed by a person: spaces anywhere are ignored, lower case is
    /// accepted. The result is the normalised form (16 upper-case characters).
    pub fn parse(input: &str) -> Result<Self, CodiceFiscaleError> {
        let chars: Vec<char> = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if chars.len() != LENGTH {
            return Err(CodiceFiscaleError::Length { found: chars.len() });
        }
        let mut code = [0u8; LENGTH];
        for (i, &c) in chars.iter().enumerate() {
            let expected = if NUMERIC.contains(&i) {
                Expected::Digit
            } else {
                Expected::Letter
            };
            let ok = match expected {
                Expected::Letter => c.is_ascii_uppercase(),
                Expected::Digit => c.is_ascii_digit() || is_omocode_letter(c),
            };
            if !ok {
                return Err(CodiceFiscaleError::Character {
                    position: position(i),
                    expected,
                    found: c,
                });
            }
            // ASCII, checked just above.
            code[i] = c as u8;
        }
        let Some(month) = MONTHS.iter().position(|&m| m == code[8]) else {
            return Err(CodiceFiscaleError::Month {
                letter: char::from(code[8]),
            });
        };
        let month = (month + 1) as u8;
        let year = two_digits(code[6], code[7]);
        let raw_day = two_digits(code[9], code[10]);
        let day = if raw_day > 40 { raw_day - 40 } else { raw_day };
        if !matches!(raw_day, 1..=31 | 41..=71) || day > max_day(month, year) {
            return Err(CodiceFiscaleError::Day {
                found: raw_day,
                month,
            });
        }
        let place_code: String = [
            char::from(code[11]),
            char::from(digit_char(code[12])),
            char::from(digit_char(code[13])),
            char::from(digit_char(code[14])),
        ]
        .iter()
        .collect();
        let Some(place) = belfiore::table().canonical(&place_code) else {
            return Err(CodiceFiscaleError::Birthplace { code: place_code });
        };
        let expected = check_character(&code);
        if code[15] != expected {
            return Err(CodiceFiscaleError::CheckCharacter {
                expected: char::from(expected),
                found: char::from(code[15]),
            });
        }
        Ok(Self {
            code: code.iter().map(|&b| char::from(b)).collect(),
            place,
        })
    }

    /// The normalised code: 16 upper-case characters, as parsed (an omocode stays an omocode).
    pub fn as_str(&self) -> &str {
        &self.code
    }

    fn bytes(&self) -> &[u8] {
        self.code.as_bytes()
    }

    /// The two digits of the year, the month (1-12) and the day (1-31), omocode letters decoded.
    fn date_parts(&self) -> (u8, u8, u8) {
        let b = self.bytes();
        let year = two_digits(b[6], b[7]);
        let month = MONTHS.iter().position(|&m| m == b[8]).unwrap_or(0) as u8 + 1;
        let day = two_digits(b[9], b[10]);
        (year, month, if day > 40 { day - 40 } else { day })
    }

    pub fn sex(&self) -> Sex {
        let b = self.bytes();
        if two_digits(b[9], b[10]) > 40 {
            Sex::F
        } else {
            Sex::M
        }
    }

    /// The date of birth. The code holds only two digits of the year: the century is the
    /// latest that does not put the birth after `today` (the current date in Italy). So in
    /// 2026 `80` is 1980, `05` is 2005, and `26` is 2026 up to today's day and month, 1926
    /// after it. A person over 100 cannot be told apart from a child born in the same
    /// century-less year and gets the recent date; python-codicefiscale and most other
    /// implementations choose the same way. (The birthplace is not used to choose: a code
    /// assigned from a ceased comune would make the answer depend on the dates of the
    /// municipality list, which are not always exact.)
    pub fn birth_date(&self, today: Date) -> Date {
        let (yy, month, day) = self.date_parts();
        let base = today.year() - today.year().rem_euclid(100) + i16::from(yy);
        // The first real date not after today: this century, else the one before. Three
        // centuries cover 29 February of year 00 for any `today` (2000 is a leap year, 1900
        // and 1800 are not).
        (0..3)
            .map(|k| base - 100 * k)
            .filter_map(|y| Date::new(y, month as i8, day as i8).ok())
            .find(|d| *d <= today)
            // Only for a `today` before 29 February 2000 and a code of 29 February 00: the
            // day before, in the latest year not after today.
            .unwrap_or_else(|| {
                let year = if base <= today.year() { base } else { base - 100 };
                Date::new(year, month as i8, 28).unwrap_or(today)
            })
    }

    /// The Belfiore code of the birthplace, omocode letters decoded (`H501`).
    pub fn birthplace_code(&self) -> &'static str {
        self.place
    }

    /// The birthplace as it was named on the day of birth (see [`Self::birth_date`]).
    pub fn birthplace(&self, today: Date) -> Place {
        let fallback = Place {
            code: self.place,
            name: self.place,
            province: None,
            kind: if self.place.starts_with('Z') {
                PlaceKind::StatoEstero
            } else {
                PlaceKind::Comune
            },
            valid_from: None,
            valid_to: None,
        };
        belfiore::table()
            .at(self.place, self.birth_date(today))
            .copied()
            .unwrap_or(fallback)
    }

    /// Whether some numeric position holds a letter (the Agenzia assigned an omocode).
    pub fn is_omocode(&self) -> bool {
        NUMERIC.iter().any(|&i| self.bytes()[i].is_ascii_uppercase())
    }

    /// The code with every omocode letter turned back into its digit and the check character
    /// recomputed: the code the person would have without omocodia.
    pub fn base(&self) -> CodiceFiscale {
        self.with_letters(0)
    }

    /// The 127 omocode forms of this person's code: every non-empty set of numeric positions
    /// written as letters. They all decode to the same person.
    pub fn omocode_variants(&self) -> Vec<CodiceFiscale> {
        (1u8..128).map(|mask| self.with_letters(mask)).collect()
    }

    /// The form whose numeric positions are letters where `mask` has a bit (bit 0: position 7).
    fn with_letters(&self, mask: u8) -> CodiceFiscale {
        let mut code = [0u8; LENGTH];
        code.copy_from_slice(self.bytes());
        for (bit, &i) in NUMERIC.iter().enumerate() {
            let digit = digit_char(code[i]);
            code[i] = if mask & (1 << bit) != 0 {
                OMOCODE_LETTERS[usize::from(digit - b'0')]
            } else {
                digit
            };
        }
        code[15] = check_character(&code);
        CodiceFiscale {
            code: code.iter().map(|&b| char::from(b)).collect(),
            place: self.place,
        }
    }

    /// Checks that the personal data a person claims are the ones this code was made from,
    /// saying which parts differ. An omocode is compared through its base form.
    ///
    /// A mismatch is not proof of fraud: the Agenzia delle Entrate sometimes issued codes from
    /// mistyped data, and the issued code stays the person's code. Callers should ask the person
    /// to check, not refuse outright.
    pub fn matches(&self, data: &PersonalData) -> Result<(), Mismatch> {
        let base = self.base();
        let b = base.bytes();
        let mut parts = Vec::new();
        if surname_part(&data.surname).as_ref().map(|p| &p[..]) != Some(&b[0..3]) {
            parts.push(Part::Surname);
        }
        if given_name_part(&data.given_name).as_ref().map(|p| &p[..]) != Some(&b[3..6]) {
            parts.push(Part::GivenName);
        }
        let (yy, month, day) = self.date_parts();
        let claimed = (
            data.birth_date.year().rem_euclid(100) as u8,
            data.birth_date.month() as u8,
            data.birth_date.day() as u8,
        );
        if claimed != (yy, month, day) {
            parts.push(Part::BirthDate);
        }
        if data.sex != self.sex() {
            parts.push(Part::Sex);
        }
        if normalise_place(&data.birthplace_code) != self.place {
            parts.push(Part::Birthplace);
        }
        if parts.is_empty() {
            Ok(())
        } else {
            Err(Mismatch { parts })
        }
    }
}

impl fmt::Debug for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.code.get(..3).unwrap_or("");
        write!(f, "CodiceFiscale({shown}…)")
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl FromStr for CodiceFiscale {
    type Err = CodiceFiscaleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CodiceFiscaleError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CodiceFiscale> for String {
    fn from(value: CodiceFiscale) -> Self {
        value.code
    }
}

impl AsRef<str> for CodiceFiscale {
    fn as_ref(&self) -> &str {
        &self.code
    }
}

impl Serialize for CodiceFiscale {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code)
    }
}

impl<'de> Deserialize<'de> for CodiceFiscale {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The data a codice fiscale is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalData {
    /// Surname(s) as written on the identity document; accents, apostrophes, spaces and
    /// hyphens are fine (`D'Amico`, `De Luca`, `Müller-Lüdenscheidt`).
    pub surname: String,
    /// Given name(s), all of them (`Maria Grazia`).
    pub given_name: String,
    pub sex: Sex,
    pub birth_date: Date,
    /// Belfiore code of the birthplace (`H501`), see [`belfiore`].
    pub birthplace_code: String,
}

/// A part of the personal data that does not match a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Surname,
    GivenName,
    BirthDate,
    Sex,
    Birthplace,
}

/// The parts of the claimed data that differ from the code, in the code's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the codice fiscale does not match: {parts:?}")]
pub struct Mismatch {
    pub parts: Vec<Part>,
}

/// Why personal data cannot be turned into a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("the surname has no letters")]
    SurnameWithoutLetters,
    #[error("the given name has no letters")]
    GivenNameWithoutLetters,
    #[error("unknown Belfiore code {0}")]
    Birthplace(String),
}

/// Computes the (non-omocode) codice fiscale for `data`.
pub fn encode(data: &PersonalData) -> Result<CodiceFiscale, EncodeError> {
    let surname = surname_part(&data.surname).ok_or(EncodeError::SurnameWithoutLetters)?;
    let given = given_name_part(&data.given_name).ok_or(EncodeError::GivenNameWithoutLetters)?;
    let place_code = normalise_place(&data.birthplace_code);
    let place = belfiore::table()
        .canonical(&place_code)
        .ok_or(EncodeError::Birthplace(place_code))?;
    let date = data.birth_date;
    let yy = date.year().rem_euclid(100) as u8;
    let day = date.day() as u8 + if data.sex == Sex::F { 40 } else { 0 };
    let mut code = [0u8; LENGTH];
    code[0..3].copy_from_slice(&surname);
    code[3..6].copy_from_slice(&given);
    code[6] = b'0' + yy / 10;
    code[7] = b'0' + yy % 10;
    code[8] = MONTHS[usize::from(date.month() as u8 - 1)];
    code[9] = b'0' + day / 10;
    code[10] = b'0' + day % 10;
    code[11..15].copy_from_slice(place.as_bytes());
    code[15] = check_character(&code);
    Ok(CodiceFiscale {
        code: code.iter().map(|&b| char::from(b)).collect(),
        place,
    })
}

/// Upper-case ASCII letters of a name: accents and other scripts transliterated
/// (`Nicolò` → `NICOLO`, `Ørsted` → `ORSTED`), everything else (spaces, apostrophes, hyphens,
/// digits) dropped.
fn letters(name: &str) -> Vec<u8> {
    deunicode::deunicode(name)
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_uppercase())
        .collect()
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'A' | b'E' | b'I' | b'O' | b'U')
}

/// Consonants first, then vowels, then `X`, the first three: the rule for surnames and for
/// given names with fewer than four consonants.
fn three(consonants: &[u8], vowels: &[u8]) -> [u8; 3] {
    let mut out = [b'X'; 3];
    for (slot, &b) in out.iter_mut().zip(consonants.iter().chain(vowels)) {
        *slot = b;
    }
    out
}

fn split(name: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let letters = letters(name);
    if letters.is_empty() {
        return None;
    }
    Some(letters.into_iter().partition(|&b| !is_vowel(b)))
}

/// Characters 1-3. `None` when the surname has no letters.
fn surname_part(surname: &str) -> Option<[u8; 3]> {
    let (consonants, vowels) = split(surname)?;
    Some(three(&consonants, &vowels))
}

/// Characters 4-6: with four consonants or more, the 1st, 3rd and 4th.
fn given_name_part(name: &str) -> Option<[u8; 3]> {
    let (consonants, vowels) = split(name)?;
    if consonants.len() >= 4 {
        return Some([consonants[0], consonants[2], consonants[3]]);
    }
    Some(three(&consonants, &vowels))
}

/// A Belfiore code as typed: trimmed, upper case, omocode letters in positions 2-4 decoded.
fn normalise_place(code: &str) -> String {
    code.trim()
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let c = c.to_ascii_uppercase();
            if i > 0 && is_omocode_letter(c) {
                char::from(digit_char(c as u8))
            } else {
                c
            }
        })
        .collect()
}

fn is_omocode_letter(c: char) -> bool {
    c.is_ascii() && OMOCODE_LETTERS.contains(&(c as u8))
}

/// The digit a numeric position stands for, as an ASCII digit (`L` → `0`).
fn digit_char(b: u8) -> u8 {
    match OMOCODE_LETTERS.iter().position(|&l| l == b) {
        Some(d) => b'0' + d as u8,
        None => b,
    }
}

fn two_digits(tens: u8, units: u8) -> u8 {
    (digit_char(tens) - b'0') * 10 + (digit_char(units) - b'0')
}

/// Last day of `month` for a year ending in `yy`. February has 29 days when `yy` is a multiple
/// of 4: then 19yy and 20yy are both leap years, except 1900, and for `00` the year 2000 is.
fn max_day(month: u8, yy: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if yy.is_multiple_of(4) => 29,
        2 => 28,
        _ => 31,
    }
}

/// 1-based position of a 0-based index (always < 16).
fn position(index: usize) -> u8 {
    u8::try_from(index + 1).unwrap_or(u8::MAX)
}

/// The check character of the first 15 characters (upper-case ASCII letters and digits).
pub(crate) fn check_character(code: &[u8]) -> u8 {
    let sum: u32 = code
        .iter()
        .take(15)
        .enumerate()
        .map(|(i, &b)| {
            let index = if b.is_ascii_digit() {
                b - b'0'
            } else {
                b.wrapping_sub(b'A')
            } as usize;
            let index = index.min(25);
            // Positions 1, 3, 5… (0-based even) use the odd-position table.
            u32::from(if i % 2 == 0 {
                ODD_VALUES[index]
            } else {
                index as u8
            })
        })
        .sum();
    b'A' + (sum % 26) as u8
}

#[cfg(test)]
#[path = "codice_fiscale_tests.rs"]
mod tests;
