//! Reading a definition file: the TOML shape (Italian keys, unknown keys refused) and the
//! checks that need the whole form (ids, conditions, cycles), each reported at its line.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::value::Datetime;

use super::{
    AttachmentRule, ChoiceOption, Condition, ConditionValue, DateRule, Field, FieldKind, FileType,
    FormDefinition, FormLoadError, Prefill, Step, Test, Text, TextFormat, money::parse_money,
};

/// Default and ceiling of a text's length.
const TEXT_MAX_DEFAULT: usize = 500;
const TEXT_MAX_LIMIT: usize = 20_000;
/// Default and ceiling of an attachment's size, in MB.
const ATTACHMENT_MB_DEFAULT: f64 = 5.0;
const ATTACHMENT_MB_LIMIT: f64 = 20.0;
/// Default and ceiling of a group's rows.
const GROUP_MAX_DEFAULT: usize = 10;
const GROUP_MAX_LIMIT: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    codice: Spanned<String>,
    versione: Spanned<i64>,
    titolo: String,
    titolo_en: Option<Spanned<String>>,
    descrizione: String,
    descrizione_en: Option<Spanned<String>>,
    ente: Spanned<String>,
    scheda: Option<Spanned<String>>,
    apertura: Option<Spanned<Datetime>>,
    chiusura: Option<Spanned<Datetime>>,
    #[serde(default)]
    passi: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: Spanned<String>,
    titolo: String,
    titolo_en: Option<Spanned<String>>,
    aiuto: Option<String>,
    aiuto_en: Option<Spanned<String>>,
    #[serde(default)]
    campi: Vec<Spanned<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: Spanned<String>,
    tipo: Spanned<String>,
    etichetta: String,
    etichetta_en: Option<Spanned<String>>,
    aiuto: Option<String>,
    aiuto_en: Option<Spanned<String>>,
    #[serde(default)]
    obbligatorio: bool,
    mostra_se: Option<Spanned<RawCondition>>,
    obbligatorio_se: Option<Spanned<RawCondition>>,
    precompila: Option<Spanned<String>>,
    // Options; which ones a type takes is checked after reading.
    min: Option<Spanned<toml::Value>>,
    max: Option<Spanned<toml::Value>>,
    righe: Option<Spanned<i64>>,
    formato: Option<Spanned<String>>,
    non_futura: Option<Spanned<bool>>,
    non_passata: Option<Spanned<bool>>,
    dopo: Option<Spanned<Datetime>>,
    prima: Option<Spanned<Datetime>>,
    opzioni: Option<Spanned<Vec<Spanned<RawOption>>>>,
    multipla: Option<Spanned<bool>>,
    solo_sepa: Option<Spanned<bool>>,
    tipi: Option<Spanned<Vec<Spanned<String>>>>,
    max_mb: Option<Spanned<toml::Value>>,
    campi: Option<Spanned<Vec<Spanned<RawField>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    valore: Spanned<String>,
    etichetta: String,
    etichetta_en: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    campo: Spanned<String>,
    uguale: Option<Spanned<toml::Value>>,
    #[serde(rename = "in")]
    tra: Option<Spanned<Vec<toml::Value>>>,
    compilato: Option<Spanned<bool>>,
}

/// A problem found while checking, before it is given a line and column.
struct Located {
    span: Range<usize>,
    message: String,
}

fn at<T>(spanned: &Spanned<T>, message: impl Into<String>) -> Located {
    Located {
        span: spanned.span(),
        message: message.into(),
    }
}

/// Parses and checks one definition file. `file_name` only labels errors.
pub fn parse(file_name: &str, source: &str) -> Result<FormDefinition, FormLoadError> {
    let locate = |span: Range<usize>, message: String| {
        let (line, column) = line_column(source, span.start);
        FormLoadError {
            file: file_name.to_owned(),
            line,
            column,
            message,
        }
    };
    let raw: RawForm = toml::from_str(source).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        locate(span, toml_message(error.message()))
    })?;
    build(raw).map_err(|problem| locate(problem.span, problem.message))
}

/// Refuses a new version of a form that is not a proper successor of the one in use: the
/// same code, and a higher version whenever anything changed. `Err` is a plain message.
pub fn check_update(current: &FormDefinition, new: &FormDefinition) -> Result<(), String> {
    if current.code != new.code {
        return Err(format!(
            "il codice è cambiato da \"{}\" a \"{}\": un modulo nuovo va in un file nuovo",
            current.code, new.code
        ));
    }
    if new.version < current.version {
        return Err(format!(
            "la versione {} è più vecchia di quella in uso ({})",
            new.version, current.version
        ));
    }
    if new.version == current.version && new != current {
        return Err(format!(
            "il modulo è cambiato ma la versione è ancora {}: aumentala",
            current.version
        ));
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// The TOML reader's messages, said in Italian where we know them.
fn toml_message(message: &str) -> String {
    let message = message.trim();
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(key) = quoted("unknown field `") {
        format!(
            "chiave sconosciuta \"{key}\" (controlla che sia scritta bene: l'elenco delle chiavi è in docs/forms.md)"
        )
    } else if let Some(key) = quoted("missing field `") {
        format!("manca la chiave \"{key}\", che è obbligatoria")
    } else if message.starts_with("duplicate key") {
        format!("chiave ripetuta: {message}")
    } else {
        format!("il file non è TOML valido o un valore è del tipo sbagliato: {message}")
    }
}

/// A text the citizen reads with its optional English companion (`<key>_en`), which must
/// not be empty.
fn text(it: &str, en: Option<&Spanned<String>>, key: &str) -> Result<Text, Located> {
    let en = match en {
        None => None,
        Some(en) if en.get_ref().trim().is_empty() => {
            return Err(at(
                en,
                format!("\"{key}_en\" è vuoto: scrivi il testo in inglese o togli la chiave"),
            ));
        }
        Some(en) => Some(en.get_ref().clone()),
    };
    Ok(Text {
        it: it.to_owned(),
        en,
    })
}

/// Like [`text`] for an optional text: an English text needs its Italian one.
fn optional_text(
    it: Option<&String>,
    en: Option<&Spanned<String>>,
    key: &str,
) -> Result<Option<Text>, Located> {
    match (it, en) {
        (Some(it), en) => text(it, en, key).map(Some),
        (None, None) => Ok(None),
        (None, Some(en)) => Err(at(
            en,
            format!(
                "c'è \"{key}_en\" ma manca \"{key}\": il testo inglese accompagna quello italiano, che va scritto sempre"
            ),
        )),
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_id(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn timestamp(value: &Spanned<Datetime>, key: &str) -> Result<jiff::Timestamp, Located> {
    let datetime = value.get_ref();
    if datetime.date.is_none() || datetime.time.is_none() || datetime.offset.is_none() {
        return Err(at(
            value,
            format!("\"{key}\" vuole data, ora e fuso orario, per esempio 2026-01-15T09:00:00+01:00"),
        ));
    }
    datetime
        .to_string()
        .parse()
        .map_err(|_| at(value, format!("\"{key}\" non è un istante valido")))
}

fn civil_date(value: &Spanned<Datetime>, key: &str) -> Result<jiff::civil::Date, Located> {
    let datetime = value.get_ref();
    match (datetime.date, datetime.time, datetime.offset) {
        (Some(date), None, None) => jiff::civil::Date::new(
            i16::try_from(date.year).unwrap_or(i16::MAX),
            i8::try_from(date.month).unwrap_or(0),
            i8::try_from(date.day).unwrap_or(0),
        )
        .map_err(|_| at(value, format!("\"{key}\" non è una data valida"))),
        _ => Err(at(
            value,
            format!("\"{key}\" vuole solo una data, senza ora, per esempio 2026-01-15"),
        )),
    }
}

fn build(raw: RawForm) -> Result<FormDefinition, Located> {
    if !is_code(raw.codice.get_ref()) {
        return Err(at(
            &raw.codice,
            "il codice può contenere solo lettere minuscole senza accenti, cifre e trattini",
        ));
    }
    let version = u32::try_from(*raw.versione.get_ref())
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| at(&raw.versione, "la versione è un numero intero da 1 in su"))?;
    let authority = match raw.ente.get_ref().as_str() {
        "inps" => super::Authority::Inps,
        "comune" => super::Authority::Comune,
        other => {
            return Err(at(
                &raw.ente,
                format!("ente \"{other}\" sconosciuto: scrivi \"inps\" oppure \"comune\""),
            ));
        }
    };
    if let Some(card) = &raw.scheda
        && !is_code(card.get_ref())
    {
        return Err(at(
            card,
            "la scheda si indica con il suo slug: lettere minuscole, cifre e trattini",
        ));
    }
    let opens_at = raw
        .apertura
        .as_ref()
        .map(|v| timestamp(v, "apertura"))
        .transpose()?;
    let closes_at = raw
        .chiusura
        .as_ref()
        .map(|v| timestamp(v, "chiusura"))
        .transpose()?;
    if let (Some(opens), Some(closes), Some(spanned)) = (opens_at, closes_at, &raw.chiusura)
        && closes <= opens
    {
        return Err(at(spanned, "la chiusura deve venire dopo l'apertura"));
    }
    if raw.passi.is_empty() {
        return Err(Located {
            span: 0..0,
            message: "il modulo non ha passi: aggiungi almeno un [[passi]] con i suoi campi".to_owned(),
        });
    }

    let mut seen_steps = HashSet::new();
    let mut ids = Ids::default();
    let mut steps = Vec::with_capacity(raw.passi.len());
    for (step_index, raw_step) in raw.passi.iter().enumerate() {
        let step = raw_step.get_ref();
        if !is_id(step.id.get_ref()) {
            return Err(at(&step.id, id_rule("passo")));
        }
        if !seen_steps.insert(step.id.get_ref().clone()) {
            return Err(at(
                &step.id,
                format!("c'è già un passo \"{}\"", step.id.get_ref()),
            ));
        }
        if step.campi.is_empty() {
            return Err(at(
                raw_step,
                format!(
                    "il passo \"{}\" non ha campi: aggiungi almeno un [[passi.campi]]",
                    step.id.get_ref()
                ),
            ));
        }
        let mut fields = Vec::with_capacity(step.campi.len());
        for raw_field in &step.campi {
            fields.push(build_field(raw_field, None, step_index, &mut ids)?);
        }
        steps.push(Step {
            id: step.id.get_ref().clone(),
            title: text(&step.titolo, step.titolo_en.as_ref(), "titolo")?,
            help: optional_text(step.aiuto.as_ref(), step.aiuto_en.as_ref(), "aiuto")?,
            fields,
        });
    }
    let mut form = FormDefinition {
        code: raw.codice.get_ref().clone(),
        version,
        title: text(&raw.titolo, raw.titolo_en.as_ref(), "titolo")?,
        description: text(&raw.descrizione, raw.descrizione_en.as_ref(), "descrizione")?,
        authority,
        card_slug: raw.scheda.as_ref().map(|s| s.get_ref().clone()),
        opens_at,
        closes_at,
        steps,
    };
    attach_conditions(&mut form, &raw, &ids)?;
    Ok(form)
}

/// Every field path seen, with its step and where its id is written.
#[derive(Default)]
struct Ids {
    known: HashMap<String, (usize, Range<usize>)>,
    /// Paths in file order, for stable cycle reports.
    order: Vec<String>,
}

fn id_rule(what: &str) -> String {
    format!(
        "l'id del {what} deve iniziare con una lettera minuscola e contenere solo lettere minuscole, cifre e _"
    )
}

fn build_field(
    raw: &Spanned<RawField>,
    group: Option<&str>,
    step_index: usize,
    ids: &mut Ids,
) -> Result<Field, Located> {
    let field = raw.get_ref();
    let id = field.id.get_ref();
    if !is_id(id) {
        return Err(at(&field.id, id_rule("campo")));
    }
    let path = match group {
        Some(group) => format!("{group}.{id}"),
        None => id.clone(),
    };
    if ids.known.contains_key(&path) {
        return Err(at(
            &field.id,
            format!("c'è già un campo \"{path}\" in questo modulo"),
        ));
    }
    ids.known.insert(path.clone(), (step_index, field.id.span()));
    ids.order.push(path.clone());

    let tipo = field.tipo.get_ref().as_str();
    let allowed: &[&str] = match tipo {
        "testo" => &["min", "max", "righe", "formato"],
        "numero" => &["min", "max"],
        "importo" => &["min", "max"],
        "data" => &["non_futura", "non_passata", "dopo", "prima"],
        "scelta" => &["opzioni", "multipla"],
        "iban" => &["solo_sepa"],
        "allegato" => &["tipi", "max_mb"],
        "gruppo" => &["min", "max", "campi"],
        "si_no" | "codice_fiscale" | "indirizzo" | "email" | "telefono" => &[],
        other => {
            return Err(at(
                &field.tipo,
                format!(
                    "tipo \"{other}\" sconosciuto: i tipi sono testo, numero, importo, data, si_no, scelta, codice_fiscale, iban, indirizzo, email, telefono, allegato, gruppo"
                ),
            ));
        }
    };
    let given: [(&str, Option<Range<usize>>); 14] = [
        ("min", field.min.as_ref().map(Spanned::span)),
        ("max", field.max.as_ref().map(Spanned::span)),
        ("righe", field.righe.as_ref().map(Spanned::span)),
        ("formato", field.formato.as_ref().map(Spanned::span)),
        ("non_futura", field.non_futura.as_ref().map(Spanned::span)),
        ("non_passata", field.non_passata.as_ref().map(Spanned::span)),
        ("dopo", field.dopo.as_ref().map(Spanned::span)),
        ("prima", field.prima.as_ref().map(Spanned::span)),
        ("opzioni", field.opzioni.as_ref().map(Spanned::span)),
        ("multipla", field.multipla.as_ref().map(Spanned::span)),
        ("solo_sepa", field.solo_sepa.as_ref().map(Spanned::span)),
        ("tipi", field.tipi.as_ref().map(Spanned::span)),
        ("max_mb", field.max_mb.as_ref().map(Spanned::span)),
        ("campi", field.campi.as_ref().map(Spanned::span)),
    ];
    for (key, span) in given {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            return Err(Located {
                span,
                message: format!("la chiave \"{key}\" non vale per un campo di tipo \"{tipo}\""),
            });
        }
    }

    let kind = match tipo {
        "testo" => {
            let min = count_option(field.min.as_ref(), "min")?.unwrap_or(0);
            let max = count_option(field.max.as_ref(), "max")?.unwrap_or(TEXT_MAX_DEFAULT);
            if max == 0 || max > TEXT_MAX_LIMIT {
                return Err(bad_bound(
                    field.max.as_ref(),
                    raw,
                    format!("\"max\" va da 1 a {TEXT_MAX_LIMIT} caratteri"),
                ));
            }
            if min > max {
                return Err(bad_bound(
                    field.min.as_ref(),
                    raw,
                    "\"min\" è più grande di \"max\"".to_owned(),
                ));
            }
            let lines = match &field.righe {
                None => 1,
                Some(r) => u8::try_from(*r.get_ref())
                    .ok()
                    .filter(|n| (1..=30).contains(n))
                    .ok_or_else(|| at(r, "\"righe\" va da 1 a 30"))?,
            };
            let format = match &field.formato {
                None => None,
                Some(f) => Some(match f.get_ref().as_str() {
                    "codice_fiscale_o_partita_iva" => TextFormat::CodiceFiscaleOPartitaIva,
                    "protocollo" => TextFormat::Protocollo,
                    other => {
                        return Err(at(
                            f,
                            format!(
                                "formato \"{other}\" sconosciuto: i formati sono codice_fiscale_o_partita_iva e protocollo"
                            ),
                        ));
                    }
                }),
            };
            FieldKind::Text {
                min,
                max,
                lines,
                format,
            }
        }
        "numero" => {
            let min = integer_option(field.min.as_ref(), "min")?;
            let max = integer_option(field.max.as_ref(), "max")?;
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(bad_bound(
                    field.min.as_ref(),
                    raw,
                    "\"min\" è più grande di \"max\"".to_owned(),
                ));
            }
            FieldKind::Number { min, max }
        }
        "importo" => {
            let min_cents = money_option(field.min.as_ref(), "min")?;
            let max_cents = money_option(field.max.as_ref(), "max")?;
            if let (Some(min), Some(max)) = (min_cents, max_cents)
                && min > max
            {
                return Err(bad_bound(
                    field.min.as_ref(),
                    raw,
                    "\"min\" è più grande di \"max\"".to_owned(),
                ));
            }
            FieldKind::Money { min_cents, max_cents }
        }
        "data" => {
            let after = field.dopo.as_ref().map(|d| civil_date(d, "dopo")).transpose()?;
            let before = field.prima.as_ref().map(|d| civil_date(d, "prima")).transpose()?;
            if let (Some(after), Some(before), Some(spanned)) = (after, before, &field.dopo)
                && after > before
            {
                return Err(at(
                    spanned,
                    "\"dopo\" viene dopo \"prima\": nessuna data andrebbe bene",
                ));
            }
            let not_future = field.non_futura.as_ref().is_some_and(|b| *b.get_ref());
            let not_past = field.non_passata.as_ref().is_some_and(|b| *b.get_ref());
            if not_future
                && not_past
                && let Some(spanned) = &field.non_passata
            {
                return Err(at(
                    spanned,
                    "\"non_futura\" e \"non_passata\" insieme lasciano solo oggi: togline una",
                ));
            }
            FieldKind::Date(DateRule {
                not_future,
                not_past,
                after,
                before,
            })
        }
        "si_no" => FieldKind::YesNo,
        "scelta" => {
            let Some(raw_options) = &field.opzioni else {
                return Err(at(raw, "un campo \"scelta\" vuole le sue \"opzioni\""));
            };
            if raw_options.get_ref().len() < 2 {
                return Err(at(raw_options, "una scelta vuole almeno due opzioni"));
            }
            let mut options = Vec::new();
            for option in raw_options.get_ref() {
                let option = option.get_ref();
                let value = option.valore.get_ref();
                if !is_id(value) && !is_code(value) {
                    return Err(at(
                        &option.valore,
                        "il valore di un'opzione si scrive con lettere minuscole, cifre, - e _",
                    ));
                }
                if options.iter().any(|o: &ChoiceOption| &o.value == value) {
                    return Err(at(&option.valore, format!("l'opzione \"{value}\" c'è già")));
                }
                options.push(ChoiceOption {
                    value: value.clone(),
                    label: text(&option.etichetta, option.etichetta_en.as_ref(), "etichetta")?,
                });
            }
            FieldKind::Choice {
                options,
                multiple: field.multipla.as_ref().is_some_and(|b| *b.get_ref()),
            }
        }
        "codice_fiscale" => FieldKind::CodiceFiscale,
        "iban" => FieldKind::Iban {
            sepa_only: field.solo_sepa.as_ref().is_some_and(|b| *b.get_ref()),
        },
        "indirizzo" => FieldKind::Address,
        "email" => FieldKind::Email,
        "telefono" => FieldKind::Phone,
        "allegato" => {
            let mut types = Vec::new();
            match &field.tipi {
                None => types.extend([FileType::Pdf, FileType::Jpeg, FileType::Png]),
                Some(list) => {
                    if list.get_ref().is_empty() {
                        return Err(at(list, "\"tipi\" vuole almeno un tipo: pdf, jpeg, png"));
                    }
                    for name in list.get_ref() {
                        let kind = match name.get_ref().as_str() {
                            "pdf" => FileType::Pdf,
                            "jpeg" | "jpg" => FileType::Jpeg,
                            "png" => FileType::Png,
                            other => {
                                return Err(at(
                                    name,
                                    format!(
                                        "tipo di file \"{other}\" non ammesso: i tipi sono pdf, jpeg, png"
                                    ),
                                ));
                            }
                        };
                        if !types.contains(&kind) {
                            types.push(kind);
                        }
                    }
                }
            }
            let mb = match &field.max_mb {
                None => ATTACHMENT_MB_DEFAULT,
                Some(v) => match v.get_ref() {
                    toml::Value::Integer(i) => *i as f64,
                    toml::Value::Float(f) => *f,
                    _ => return Err(at(v, "\"max_mb\" è un numero di megabyte, per esempio 5")),
                },
            };
            if !(mb > 0.0 && mb <= ATTACHMENT_MB_LIMIT) {
                let spanned = field.max_mb.as_ref().map_or_else(|| raw.span(), Spanned::span);
                return Err(Located {
                    span: spanned,
                    message: format!("\"max_mb\" va da più di 0 a {ATTACHMENT_MB_LIMIT} MB"),
                });
            }
            FieldKind::Attachment(AttachmentRule {
                types,
                max_bytes: (mb * 1024.0 * 1024.0) as usize,
            })
        }
        "gruppo" => {
            if group.is_some() {
                return Err(at(&field.tipo, "un gruppo non può stare dentro un altro gruppo"));
            }
            let Some(children) = field.campi.as_ref().filter(|c| !c.get_ref().is_empty()) else {
                return Err(at(raw, "un gruppo vuole i suoi \"campi\""));
            };
            let min = count_option(field.min.as_ref(), "min")?.unwrap_or(0);
            let max = count_option(field.max.as_ref(), "max")?.unwrap_or(GROUP_MAX_DEFAULT);
            if max == 0 || max > GROUP_MAX_LIMIT {
                return Err(bad_bound(
                    field.max.as_ref(),
                    raw,
                    format!("\"max\" va da 1 a {GROUP_MAX_LIMIT} righe"),
                ));
            }
            if min > max {
                return Err(bad_bound(
                    field.min.as_ref(),
                    raw,
                    "\"min\" è più grande di \"max\"".to_owned(),
                ));
            }
            let mut fields = Vec::new();
            for child in children.get_ref() {
                fields.push(build_field(child, Some(id), step_index, ids)?);
            }
            FieldKind::Group { fields, min, max }
        }
        _ => return Err(at(&field.tipo, "tipo sconosciuto")),
    };

    let prefill = match &field.precompila {
        None => None,
        Some(p) => {
            let Some(prefill) = Prefill::from_code(p.get_ref()) else {
                let known: Vec<&str> = Prefill::ALL.iter().map(|p| p.code()).collect();
                return Err(at(
                    p,
                    format!(
                        "\"precompila\" = \"{}\" sconosciuto: i valori sono {}",
                        p.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            let fits = match prefill {
                Prefill::Nome | Prefill::Cognome | Prefill::ComuneResidenza => {
                    matches!(kind, FieldKind::Text { .. })
                }
                Prefill::CodiceFiscale => matches!(kind, FieldKind::CodiceFiscale),
                Prefill::DataNascita => matches!(kind, FieldKind::Date(_)),
                Prefill::Email => matches!(kind, FieldKind::Email),
                Prefill::Telefono => matches!(kind, FieldKind::Phone),
                Prefill::Indirizzo => matches!(kind, FieldKind::Address),
                Prefill::Iban => matches!(kind, FieldKind::Iban { .. }),
            };
            if !fits {
                return Err(at(
                    p,
                    format!(
                        "\"precompila\" = \"{}\" non si adatta a un campo di tipo \"{tipo}\"",
                        prefill.code()
                    ),
                ));
            }
            Some(prefill)
        }
    };
    if field.obbligatorio
        && field.obbligatorio_se.is_some()
        && let Some(c) = &field.obbligatorio_se
    {
        return Err(at(
            c,
            "il campo è già sempre obbligatorio: togli \"obbligatorio_se\" o \"obbligatorio\"",
        ));
    }
    Ok(Field {
        id: id.clone(),
        label: text(&field.etichetta, field.etichetta_en.as_ref(), "etichetta")?,
        help: optional_text(field.aiuto.as_ref(), field.aiuto_en.as_ref(), "aiuto")?,
        kind,
        required: field.obbligatorio,
        // Filled in by `check_conditions`, once every field is known.
        show_if: None,
        required_if: None,
        prefill,
    })
}

fn bad_bound(option: Option<&Spanned<toml::Value>>, field: &Spanned<RawField>, message: String) -> Located {
    Located {
        span: option.map_or_else(|| field.span(), Spanned::span),
        message,
    }
}

fn integer_option(value: Option<&Spanned<toml::Value>>, key: &str) -> Result<Option<i64>, Located> {
    match value {
        None => Ok(None),
        Some(v) => match v.get_ref() {
            toml::Value::Integer(i) => Ok(Some(*i)),
            _ => Err(at(v, format!("\"{key}\" è un numero intero"))),
        },
    }
}

fn count_option(value: Option<&Spanned<toml::Value>>, key: &str) -> Result<Option<usize>, Located> {
    match value {
        None => Ok(None),
        Some(v) => match v.get_ref() {
            toml::Value::Integer(i) => usize::try_from(*i)
                .map(Some)
                .map_err(|_| at(v, format!("\"{key}\" non può essere negativo"))),
            _ => Err(at(v, format!("\"{key}\" è un numero intero"))),
        },
    }
}

/// Money bounds are written in euro: `1000`, `1000.50` or `"1.000,50"`.
fn money_option(value: Option<&Spanned<toml::Value>>, key: &str) -> Result<Option<i64>, Located> {
    let Some(v) = value else {
        return Ok(None);
    };
    let cents = match v.get_ref() {
        toml::Value::Integer(i) => i.checked_mul(100).filter(|c| *c >= 0),
        toml::Value::Float(f) if f.is_finite() && *f >= 0.0 && *f < 1e12 => {
            let cents = (f * 100.0).round();
            ((cents - f * 100.0).abs() < 1e-6).then_some(cents as i64)
        }
        toml::Value::String(s) => parse_money(s),
        _ => None,
    };
    cents.map(Some).ok_or_else(|| {
        at(
            v,
            format!("\"{key}\" è un importo in euro non negativo, per esempio 1000 o 1000.50"),
        )
    })
}

/// Turns each `mostra_se`/`obbligatorio_se` into a [`Condition`] once every field is known:
/// the field exists, comes no later than the step, can take the value, and no circle forms.
fn attach_conditions(form: &mut FormDefinition, raw: &RawForm, ids: &Ids) -> Result<(), Located> {
    // path -> the fields its conditions look at, with where each condition is written.
    let mut edges: HashMap<String, Vec<(String, Range<usize>)>> = HashMap::new();
    for (step_index, raw_step) in raw.passi.iter().enumerate() {
        for raw_field in &raw_step.get_ref().campi {
            let field = raw_field.get_ref();
            let id = field.id.get_ref().clone();
            let mut found = Vec::new();
            for (which, spanned) in [(0, &field.mostra_se), (1, &field.obbligatorio_se)] {
                if let Some(spanned) = spanned {
                    let condition = build_condition(form, spanned, &id, None, step_index, ids)?;
                    edges
                        .entry(id.clone())
                        .or_default()
                        .push((condition.field.clone(), spanned.span()));
                    found.push((which, condition));
                }
            }
            let mut children_found = Vec::new();
            if let Some(children) = &field.campi {
                for child in children.get_ref() {
                    let child = child.get_ref();
                    let path = format!("{id}.{}", child.id.get_ref());
                    for (which, spanned) in [(0, &child.mostra_se), (1, &child.obbligatorio_se)] {
                        if let Some(spanned) = spanned {
                            let condition =
                                build_condition(form, spanned, &path, Some(&id), step_index, ids)?;
                            edges
                                .entry(path.clone())
                                .or_default()
                                .push((condition.field.clone(), spanned.span()));
                            children_found.push((child.id.get_ref().clone(), which, condition));
                        }
                    }
                }
            }
            let Some(target) = form
                .steps
                .get_mut(step_index)
                .and_then(|s| s.fields.iter_mut().find(|f| f.id == id))
            else {
                continue;
            };
            for (which, condition) in found {
                set_condition(target, which, condition);
            }
            if let FieldKind::Group { fields, .. } = &mut target.kind {
                for (child_id, which, condition) in children_found {
                    if let Some(child) = fields.iter_mut().find(|f| f.id == child_id) {
                        set_condition(child, which, condition);
                    }
                }
            }
        }
    }
    find_cycle(&edges, ids)
}

fn set_condition(field: &mut Field, which: u8, condition: Condition) {
    if which == 0 {
        field.show_if = Some(condition);
    } else {
        field.required_if = Some(condition);
    }
}

fn build_condition(
    form: &FormDefinition,
    spanned: &Spanned<RawCondition>,
    own_path: &str,
    group: Option<&str>,
    step_index: usize,
    ids: &Ids,
) -> Result<Condition, Located> {
    let raw = spanned.get_ref();
    let target_path = raw.campo.get_ref();
    if target_path == own_path {
        return Err(at(
            &raw.campo,
            format!("il campo \"{own_path}\" non può dipendere da se stesso"),
        ));
    }
    if let Some((head, _)) = target_path.split_once('.')
        && group != Some(head)
    {
        return Err(at(
            &raw.campo,
            format!(
                "\"{target_path}\" sta dentro un gruppo: solo i campi dello stesso gruppo possono guardarlo"
            ),
        ));
    }
    let Some((target_step, _)) = ids.known.get(target_path) else {
        return Err(at(&raw.campo, format!("il campo \"{target_path}\" non esiste")));
    };
    if *target_step > step_index {
        let step_id = form.steps.get(*target_step).map_or("", |s| s.id.as_str());
        return Err(at(
            &raw.campo,
            format!(
                "il campo \"{target_path}\" viene in un passo successivo (\"{step_id}\"): una condizione può guardare solo campi dello stesso passo o di passi precedenti"
            ),
        ));
    }
    let Some((_, target)) = form.field(target_path) else {
        return Err(at(&raw.campo, format!("il campo \"{target_path}\" non esiste")));
    };
    let test = match (&raw.uguale, &raw.tra, &raw.compilato) {
        (None, None, Some(filled)) => Test::Filled(*filled.get_ref()),
        (Some(value), None, None) => Test::Equals(condition_value(target, value.get_ref(), value.span())?),
        (None, Some(list), None) => {
            if list.get_ref().is_empty() {
                return Err(at(list, "\"in\" vuole almeno un valore"));
            }
            let mut values = Vec::new();
            for value in list.get_ref() {
                values.push(condition_value(target, value, list.span())?);
            }
            Test::In(values)
        }
        _ => {
            return Err(at(
                spanned,
                "una condizione vuole una sola tra \"uguale\", \"in\" e \"compilato\"",
            ));
        }
    };
    Ok(Condition {
        field: target_path.clone(),
        test,
    })
}

/// The value a condition compares with, if the field can ever take it.
fn condition_value(
    target: &Field,
    value: &toml::Value,
    span: Range<usize>,
) -> Result<ConditionValue, Located> {
    let never = |shown: String| Located {
        span: span.clone(),
        message: format!("il campo \"{}\" non può mai valere {shown}", target.id),
    };
    match (&target.kind, value) {
        (FieldKind::YesNo, toml::Value::Boolean(b)) => Ok(ConditionValue::Bool(*b)),
        (FieldKind::YesNo, toml::Value::String(s)) => match s.as_str() {
            "si" | "sì" => Ok(ConditionValue::Bool(true)),
            "no" => Ok(ConditionValue::Bool(false)),
            _ => Err(never(format!("\"{s}\" (un campo sì/no vale \"si\" o \"no\")"))),
        },
        (FieldKind::Choice { options, .. }, toml::Value::String(s)) => {
            if options.iter().any(|o| &o.value == s) {
                Ok(ConditionValue::Text(s.clone()))
            } else {
                let known: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                Err(never(format!(
                    "\"{s}\": le sue opzioni sono {}",
                    known.join(", ")
                )))
            }
        }
        (FieldKind::Number { min, max }, toml::Value::Integer(n)) => {
            if min.is_some_and(|min| *n < min) || max.is_some_and(|max| *n > max) {
                Err(never(format!("{n}: è fuori dai suoi limiti")))
            } else {
                Ok(ConditionValue::Number(*n))
            }
        }
        (FieldKind::YesNo | FieldKind::Choice { .. } | FieldKind::Number { .. }, other) => {
            Err(never(format!("{other} (è del tipo sbagliato)")))
        }
        (kind, _) => Err(Located {
            span,
            message: format!(
                "un campo di tipo \"{}\" non si confronta con un valore: usa \"compilato = true\" (oppure guarda un campo si_no, scelta o numero)",
                kind.code()
            ),
        }),
    }
}

/// Conditions must not go round in a circle (a shown if b, b shown if a; or longer). Reported
/// at the condition, in file order, that closes the circle.
fn find_cycle(edges: &HashMap<String, Vec<(String, Range<usize>)>>, ids: &Ids) -> Result<(), Located> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = ids.order.iter().map(|p| (p.as_str(), Mark::New)).collect();
    for start in &ids.order {
        if marks.get(start.as_str()) != Some(&Mark::New) {
            continue;
        }
        // Depth-first, iteratively: (node, index of the next edge to follow).
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        marks.insert(start.as_str(), Mark::Open);
        while let Some((node, next)) = stack.last().copied() {
            let out = edges.get(node).map_or(&[][..], Vec::as_slice);
            let Some((target, span)) = out.get(next) else {
                marks.insert(node, Mark::Done);
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match marks.get(target.as_str()).copied() {
                Some(Mark::New) => {
                    marks.insert(target.as_str(), Mark::Open);
                    stack.push((target.as_str(), 0));
                }
                Some(Mark::Open) => {
                    let from = stack.iter().position(|(n, _)| *n == target.as_str()).unwrap_or(0);
                    let mut circle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                    circle.push(target.as_str());
                    return Err(Located {
                        span: span.clone(),
                        message: format!(
                            "le condizioni formano un cerchio: {} (ogni campo aspetta l'altro e nessuno verrebbe mai mostrato)",
                            circle.join(" → ")
                        ),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(())
}
