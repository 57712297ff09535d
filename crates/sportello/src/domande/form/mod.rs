//! Declarative forms for online applications: the definitions (TOML files in
//! `data/domande/`, format in docs/forms.md), the checks made when a file is loaded, and the
//! validation of what a person types, step by step. Pure: no database, no HTTP, no clock.

mod conditions;
mod definition;
mod fields;
pub mod iban;
mod money;
mod upload;
mod validate;

#[cfg(test)]
mod tests;

pub use conditions::{is_visible, is_visible_in_row};
pub use definition::{check_update, parse};
pub use fields::display_value;
pub use money::{format_cents, format_cents_en, parse_money};
pub use upload::check_upload;
pub use validate::{step_input_from_pairs, validate_all, validate_step};

use crate::http::i18n::Lang;

/// A text the citizen reads (a title, a label, a help, an option): Italian always, English
/// when the file gives it (`titolo_en`, `etichetta_en`, …). The office's own documents (back
/// office, receipt, letters) use [`Text::it`] only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub it: String,
    pub en: Option<String>,
}

/// A [`Text`] in the language asked for. `fallback`: an English reader gets the Italian text,
/// which a page must then mark as Italian (`lang="it"`, WCAG 2.1 SC 3.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InLang<'a> {
    pub text: &'a str,
    pub fallback: bool,
}

impl Text {
    /// An Italian-only text.
    pub fn it(text: impl Into<String>) -> Self {
        Self {
            it: text.into(),
            en: None,
        }
    }

    /// The text for `lang`: English when asked and present, otherwise Italian.
    pub fn get(&self, lang: Lang) -> InLang<'_> {
        match (lang, &self.en) {
            (Lang::En, Some(en)) => InLang {
                text: en,
                fallback: false,
            },
            (Lang::En, None) => InLang {
                text: &self.it,
                fallback: true,
            },
            (Lang::It, _) => InLang {
                text: &self.it,
                fallback: false,
            },
        }
    }
}

/// One application type, as loaded from its file.
#[derive(Clone, Debug, PartialEq)]
pub struct FormDefinition {
    /// Stable code, `[a-z0-9-]`: the file name without `.toml`.
    pub code: String,
    /// Raised by whoever changes the file; a submitted application keeps the version it was
    /// filed with.
    pub version: u32,
    pub title: Text,
    pub description: Text,
    pub authority: Authority,
    /// Slug of the catalogue service card that links to the form.
    pub card_slug: Option<String>,
    /// Before this instant the form cannot be submitted (click day).
    pub opens_at: Option<jiff::Timestamp>,
    /// From this instant the form cannot be submitted.
    pub closes_at: Option<jiff::Timestamp>,
    pub steps: Vec<Step>,
}

impl FormDefinition {
    /// The field with this path: `id` for a field of a step, `gruppo.figlio` for a field of a
    /// repeating group. With the index of its step.
    pub fn field(&self, path: &str) -> Option<(usize, &Field)> {
        let (head, child) = match path.split_once('.') {
            Some((head, child)) => (head, Some(child)),
            None => (path, None),
        };
        for (index, step) in self.steps.iter().enumerate() {
            for field in &step.fields {
                if field.id != head {
                    continue;
                }
                return match (child, &field.kind) {
                    (None, _) => Some((index, field)),
                    (Some(child), FieldKind::Group { fields, .. }) => {
                        fields.iter().find(|f| f.id == child).map(|f| (index, f))
                    }
                    (Some(_), _) => None,
                };
            }
        }
        None
    }

    /// Is the form open for submission at `now`?
    pub fn is_open(&self, now: jiff::Timestamp) -> bool {
        self.opens_at.is_none_or(|opens| now >= opens) && self.closes_at.is_none_or(|closes| now < closes)
    }
}

/// Who receives the application: it decides the protocol prefix and the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Authority {
    Inps,
    Comune,
}

impl Authority {
    /// The code used in the file (`ente`).
    pub fn code(self) -> &'static str {
        match self {
            Authority::Inps => "inps",
            Authority::Comune => "comune",
        }
    }
}

/// One page of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: Text,
    pub help: Option<Text>,
    pub fields: Vec<Field>,
}

/// One question. In a repeating group `id` is the child's own id (`nome`); conditions and
/// error paths name it through the group (`familiari.nome`, `familiari.0.nome`).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub id: String,
    pub label: Text,
    pub help: Option<Text>,
    pub kind: FieldKind,
    pub required: bool,
    pub show_if: Option<Condition>,
    pub required_if: Option<Condition>,
    pub prefill: Option<Prefill>,
}

/// The type of a field with its options.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// Free text; `lines` > 1 is a text area. `format` is an optional fixed rule.
    Text {
        min: usize,
        max: usize,
        lines: u8,
        format: Option<TextFormat>,
    },
    /// A whole number.
    Number {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Money in euro cents.
    Money {
        min_cents: Option<i64>,
        max_cents: Option<i64>,
    },
    /// A calendar day.
    Date(DateRule),
    YesNo,
    Choice {
        options: Vec<ChoiceOption>,
        multiple: bool,
    },
    CodiceFiscale,
    /// `sepa_only`: only IBANs of SEPA countries (INPS pays into SEPA accounts).
    Iban {
        sepa_only: bool,
    },
    /// Via e civico, CAP, comune, provincia: stored as an object.
    Address,
    Email,
    Phone,
    Attachment(AttachmentRule),
    /// Rows of the same fields (family members). `min`/`max` rows.
    Group {
        fields: Vec<Field>,
        min: usize,
        max: usize,
    },
}

impl FieldKind {
    /// The type's name in the file (`tipo`).
    pub fn code(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "testo",
            FieldKind::Number { .. } => "numero",
            FieldKind::Money { .. } => "importo",
            FieldKind::Date(_) => "data",
            FieldKind::YesNo => "si_no",
            FieldKind::Choice { .. } => "scelta",
            FieldKind::CodiceFiscale => "codice_fiscale",
            FieldKind::Iban { .. } => "iban",
            FieldKind::Address => "indirizzo",
            FieldKind::Email => "email",
            FieldKind::Phone => "telefono",
            FieldKind::Attachment(_) => "allegato",
            FieldKind::Group { .. } => "gruppo",
        }
    }
}

/// Fixed rules a text field can ask for (`formato`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// A person's codice fiscale (16 characters) or a company's partita IVA / codice fiscale
    /// (11 digits with their check digit): an employer.
    CodiceFiscaleOPartitaIva,
    /// An application's protocol number, `INPS.<sede>.<anno>.<sequenza>`.
    Protocollo,
}

/// Limits of a date field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateRule {
    /// Not after today (a date of birth, the day a job ended).
    pub not_future: bool,
    /// Not before today (a preferred period).
    pub not_past: bool,
    /// Not before this day (inclusive).
    pub after: Option<jiff::civil::Date>,
    /// Not after this day (inclusive).
    pub before: Option<jiff::civil::Date>,
}

/// One option of a choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceOption {
    pub value: String,
    pub label: Text,
}

/// Which uploads a field takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentRule {
    pub types: Vec<FileType>,
    pub max_bytes: usize,
}

/// A file type recognised from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }

    /// The name used in the file (`tipi`) and in messages.
    pub fn code(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
        }
    }
}

/// What the institute already knows and can fill in for the person (`precompila`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prefill {
    Nome,
    Cognome,
    CodiceFiscale,
    DataNascita,
    Email,
    Telefono,
    /// The whole residence address object.
    Indirizzo,
    ComuneResidenza,
    Iban,
}

impl Prefill {
    pub const ALL: [Prefill; 9] = [
        Prefill::Nome,
        Prefill::Cognome,
        Prefill::CodiceFiscale,
        Prefill::DataNascita,
        Prefill::Email,
        Prefill::Telefono,
        Prefill::Indirizzo,
        Prefill::ComuneResidenza,
        Prefill::Iban,
    ];

    /// The name used in the file.
    pub fn code(self) -> &'static str {
        match self {
            Prefill::Nome => "nome",
            Prefill::Cognome => "cognome",
            Prefill::CodiceFiscale => "codice_fiscale",
            Prefill::DataNascita => "data_nascita",
            Prefill::Email => "email",
            Prefill::Telefono => "telefono",
            Prefill::Indirizzo => "indirizzo",
            Prefill::ComuneResidenza => "comune_residenza",
            Prefill::Iban => "iban",
        }
    }

    pub fn from_code(code: &str) -> Option<Prefill> {
        Prefill::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// "Show (or require) this field when another field …".
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// Path of the field looked at: `id`, or `gruppo.figlio` for a sibling in the same row.
    pub field: String,
    pub test: Test,
}

/// What the condition asks of the other field's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// The answer is this value (for a multiple choice: includes it).
    Equals(ConditionValue),
    /// The answer is one of these.
    In(Vec<ConditionValue>),
    /// The field is answered (`true`) or left empty (`false`).
    Filled(bool),
}

/// A value a condition compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionValue {
    Text(String),
    Bool(bool),
    Number(i64),
}

/// The answers of one application: field id -> canonical JSON value (strings for
/// text/date ISO/cf/iban/email/phone/choice, numbers for number and money cents, bool for
/// si_no, array of strings for multiple choice, object {via, cap, comune, provincia} for
/// address, string id for an attachment, array of objects for a group).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answers(pub serde_json::Map<String, serde_json::Value>);

impl Answers {
    pub fn get(&self, id: &str) -> Option<&serde_json::Value> {
        self.0.get(id)
    }
}

/// One mistake in one field: `field` is the HTML name/id path (`familiari.0.codice_fiscale`,
/// `residenza.cap`), `code` a Fluent message id (moduli.ftl, or codice_fiscale.ftl for the
/// `cf-*` codes), `args` the Fluent arguments as text (those that are whole numbers are
/// numbers: pass them as numbers so plural forms work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

/// Every message id a [`FieldProblem`] can carry (tests check both languages have them).
pub const PROBLEM_CODES: &[&str] = &[
    "campo-obbligatorio",
    "campo-non-previsto",
    "valore-non-valido",
    "passo-non-valido",
    "testo-troppo-corto",
    "testo-troppo-lungo",
    "testo-caratteri",
    "testo-cf-piva",
    "testo-protocollo",
    "numero-non-valido",
    "numero-minimo",
    "numero-massimo",
    "importo-non-valido",
    "importo-minimo",
    "importo-massimo",
    "data-non-valida",
    "data-futura",
    "data-passata",
    "data-troppo-presto",
    "data-troppo-tardi",
    "si-no-non-valido",
    "scelta-non-valida",
    "cf-lunghezza",
    "cf-carattere",
    "cf-mese",
    "cf-giorno",
    "cf-comune",
    "cf-controllo",
    "iban-paese",
    "iban-lunghezza",
    "iban-caratteri",
    "iban-controllo",
    "iban-non-sepa",
    "cap-non-valido",
    "provincia-non-valida",
    "email-non-valida",
    "telefono-non-valido",
    "allegato-non-valido",
    "gruppo-minimo",
    "gruppo-massimo",
    "allegato-vuoto",
    "allegato-troppo-grande",
    "allegato-tipo",
    "allegato-danneggiato",
];

/// A definition file that cannot be used, with where the problem is. Shown to staff:
/// `naspi.toml:12:3: il campo "x" non esiste`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FormLoadError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}
