//! What the catalogue holds: service cards, news, calls, scam alerts and video tutorials.
//! Pure types: parsed once (from a content file or the editor's form) into values that are
//! always valid, then stored as JSON in a version row.

use serde::{Deserialize, Serialize};

/// The kinds of content, each with its own public section of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Servizio,
    Notizia,
    Bando,
    Avviso,
    Video,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Servizio,
        Kind::Notizia,
        Kind::Bando,
        Kind::Avviso,
        Kind::Video,
    ];

    /// The stored code, also the folder name of content files (plural).
    pub fn code(self) -> &'static str {
        match self {
            Kind::Servizio => "servizio",
            Kind::Notizia => "notizia",
            Kind::Bando => "bando",
            Kind::Avviso => "avviso",
            Kind::Video => "video",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The public section: `/servizi/{slug}`, `/notizie/{slug}`…
    pub fn section(self) -> &'static str {
        match self {
            Kind::Servizio => "servizi",
            Kind::Notizia => "notizie",
            Kind::Bando => "bandi",
            Kind::Avviso => "avvisi",
            Kind::Video => "video",
        }
    }

    pub fn from_section(section: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.section() == section)
    }

    /// Message id of the kind's name ("Scheda servizio", "Notizia"…).
    pub fn label_id(self) -> &'static str {
        match self {
            Kind::Servizio => "kind-servizio",
            Kind::Notizia => "kind-notizia",
            Kind::Bando => "kind-bando",
            Kind::Avviso => "kind-avviso",
            Kind::Video => "kind-video",
        }
    }
}

/// Declares a closed vocabulary: stored codes, parsing, and message ids for labels.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(code: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// Message id of the label, e.g. `audience-famiglie`.
            pub fn label_id(self) -> String {
                format!("{}-{}", Self::PREFIX, self.code())
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(code: String) -> Result<Self, String> {
                Self::parse(&code).ok_or_else(|| format!("«{code}» is not one of {}", Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.code().to_owned()
            }
        }
    };
}

vocabulary! {
    /// Who a service is for.
    Audience {
        Cittadini => "cittadini",
        Famiglie => "famiglie",
        Lavoratori => "lavoratori",
        Pensionati => "pensionati",
        Imprese => "imprese",
        Intermediari => "intermediari",
    }
}

impl Audience {
    const PREFIX: &'static str = "audience";
}

vocabulary! {
    /// A moment of life that leads people to a service.
    LifeEvent {
        NascitaFiglio => "nascita-figlio",
        CrescereFigli => "crescere-figli",
        PerditaLavoro => "perdita-lavoro",
        Pensione => "pensione",
        Disabilita => "disabilita",
        Malattia => "malattia",
        CambioResidenza => "cambio-residenza",
        Casa => "casa",
        Lutto => "lutto",
        Impresa => "impresa",
        TributiMulte => "tributi-multe",
    }
}

impl LifeEvent {
    const PREFIX: &'static str = "event";
}

vocabulary! {
    /// Where a service can be asked for.
    Channel {
        Online => "online",
        ContactCenter => "contact-center",
        Patronato => "patronato",
        Sede => "sede",
        SportelloComunale => "sportello-comunale",
    }
}

impl Channel {
    const PREFIX: &'static str = "channel";
}

/// A page's name in its URL: lowercase ASCII letters, digits and single hyphens, 3–80 long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(text: &str) -> Option<Slug> {
        let ok = (3..=80).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        ok.then(|| Slug(text.to_owned()))
    }

    /// A slug made from a title: "Bonus asilo nido 2027" → `bonus-asilo-nido-2027`.
    pub fn from_title(title: &str) -> Option<Slug> {
        let ascii = deunicode::deunicode(title).to_ascii_lowercase();
        let words: Vec<&str> = ascii
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let mut slug = String::new();
        for word in words {
            if slug.len() + word.len() + 1 > 80 {
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(word);
        }
        Slug::parse(&slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Slug::parse(&text).ok_or_else(|| format!("«{text}» is not a valid page name (a-z, 0-9, -)"))
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> String {
        slug.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A question people ask about a service, with its answer (Markdown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

/// A service card (scheda servizio). Text fields are Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCard {
    pub title: String,
    pub summary: String,
    pub audiences: Vec<Audience>,
    #[serde(default)]
    pub life_events: Vec<LifeEvent>,
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The online application it leads to (a form id of the domande area), if any.
    #[serde(default)]
    pub application: Option<Slug>,
    pub description: String,
    #[serde(default)]
    pub requirements: String,
    #[serde(default)]
    pub documents: String,
    #[serde(default)]
    pub how_to_apply: String,
    #[serde(default)]
    pub deadlines: String,
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub legal: String,
    #[serde(default)]
    pub faq: Vec<Faq>,
}

/// A news item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct News {
    pub title: String,
    pub summary: String,
    pub date: jiff::civil::Date,
    pub body: String,
}

/// A call (bando o concorso) with its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    pub title: String,
    pub summary: String,
    pub opens: jiff::civil::Date,
    pub closes: jiff::civil::Date,
    /// The related service card.
    #[serde(default)]
    pub service: Option<Slug>,
    pub body: String,
}

/// A scam alert ("attenti alle truffe"), shown on the home page until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub title: String,
    pub summary: String,
    pub date: jiff::civil::Date,
    pub until: jiff::civil::Date,
    pub body: String,
}

/// A video tutorial: a link only (no third-party player is ever embedded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Video {
    pub title: String,
    pub summary: String,
    pub url: String,
    pub minutes: u16,
    #[serde(default)]
    pub service: Option<Slug>,
}

/// The content of one version of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(
    clippy::large_enum_variant,
    reason = "a few hundred pages, built once per snapshot: boxing would only add indirection"
)]
pub enum Content {
    Servizio(ServiceCard),
    Notizia(News),
    Bando(Call),
    Avviso(Alert),
    Video(Video),
}

/// Limits that keep one page's text reasonable (and the index small).
pub const MAX_TITLE: usize = 120;
pub const MAX_SUMMARY: usize = 300;
pub const MAX_TEXT: usize = 20_000;
pub const MAX_LIST: usize = 30;

/// Why content was refused: the field and a message id (`content-error-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub field: &'static str,
    pub code: &'static str,
}

impl ContentError {
    fn new(field: &'static str, code: &'static str) -> Self {
        Self { field, code }
    }
}

impl Content {
    pub fn kind(&self) -> Kind {
        match self {
            Content::Servizio(_) => Kind::Servizio,
            Content::Notizia(_) => Kind::Notizia,
            Content::Bando(_) => Kind::Bando,
            Content::Avviso(_) => Kind::Avviso,
            Content::Video(_) => Kind::Video,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Content::Servizio(c) => &c.title,
            Content::Notizia(c) => &c.title,
            Content::Bando(c) => &c.title,
            Content::Avviso(c) => &c.title,
            Content::Video(c) => &c.title,
        }
    }

    pub fn summary(&self) -> &str {
        match self {
            Content::Servizio(c) => &c.summary,
            Content::Notizia(c) => &c.summary,
            Content::Bando(c) => &c.summary,
            Content::Avviso(c) => &c.summary,
            Content::Video(c) => &c.summary,
        }
    }

    /// The Markdown sections of the page, as (message id of the heading, text), in page order.
    pub fn sections(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        match self {
            Content::Servizio(c) => {
                for (id, text) in [
                    ("card-description", &c.description),
                    ("card-requirements", &c.requirements),
                    ("card-documents", &c.documents),
                    ("card-how-to-apply", &c.how_to_apply),
                    ("card-deadlines", &c.deadlines),
                    ("card-cost", &c.cost),
                    ("card-legal", &c.legal),
                ] {
                    if !text.trim().is_empty() {
                        out.push((id, text.as_str()));
                    }
                }
            }
            Content::Notizia(c) => out.push(("", c.body.as_str())),
            Content::Bando(c) => out.push(("", c.body.as_str())),
            Content::Avviso(c) => out.push(("", c.body.as_str())),
            Content::Video(_) => {}
        }
        out
    }

    /// All the readable text, for search and the readability index.
    pub fn plain_text(&self) -> String {
        let mut text = String::new();
        for (_, section) in self.sections() {
            text.push_str(section);
            text.push('\n');
        }
        if let Content::Servizio(card) = self {
            for faq in &card.faq {
                text.push_str(&faq.question);
                text.push('\n');
                text.push_str(&faq.answer);
                text.push('\n');
            }
        }
        text
    }

    /// Checks what serde cannot: lengths, required text, the order of dates. Trims text.
    pub fn validated(mut self) -> Result<Content, Vec<ContentError>> {
        let mut errors = Vec::new();
        fn text(
            errors: &mut Vec<ContentError>,
            field: &'static str,
            value: &mut String,
            max: usize,
            required: bool,
        ) {
            let trimmed = value.trim();
            if trimmed.len() != value.len() {
                *value = trimmed.to_owned();
            }
            if required && value.is_empty() {
                errors.push(ContentError::new(field, "content-error-required"));
            } else if value.chars().count() > max {
                errors.push(ContentError::new(field, "content-error-too-long"));
            } else if value
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                errors.push(ContentError::new(field, "content-error-control"));
            }
        }
        fn heading(errors: &mut Vec<ContentError>, title: &mut String, summary: &mut String) {
            text(errors, "title", title, MAX_TITLE, true);
            if title.contains('\n') {
                errors.push(ContentError::new("title", "content-error-one-line"));
            }
            text(errors, "summary", summary, MAX_SUMMARY, true);
        }
        match &mut self {
            Content::Servizio(c) => {
                heading(&mut errors, &mut c.title, &mut c.summary);
                if c.audiences.is_empty() {
                    errors.push(ContentError::new("audiences", "content-error-required"));
                }
                if c.channels.is_empty() {
                    errors.push(ContentError::new("channels", "content-error-required"));
                }
                for list in [
                    &mut c.audiences as &mut dyn Dedup,
                    &mut c.life_events,
                    &mut c.channels,
                ] {
                    list.dedup_sorted();
                }
                c.keywords.iter_mut().for_each(|k| *k = k.trim().to_owned());
                c.keywords.retain(|k| !k.is_empty());
                if c.keywords.len() > MAX_LIST || c.keywords.iter().any(|k| k.chars().count() > 60) {
                    errors.push(ContentError::new("keywords", "content-error-too-long"));
                }
                text(&mut errors, "description", &mut c.description, MAX_TEXT, true);
                for (field, value) in [
                    ("requirements", &mut c.requirements),
                    ("documents", &mut c.documents),
                    ("how_to_apply", &mut c.how_to_apply),
                    ("deadlines", &mut c.deadlines),
                    ("cost", &mut c.cost),
                    ("legal", &mut c.legal),
                ] {
                    text(&mut errors, field, value, MAX_TEXT, false);
                }
                if c.faq.len() > MAX_LIST {
                    errors.push(ContentError::new("faq", "content-error-too-long"));
                }
                for faq in &mut c.faq {
                    text(&mut errors, "faq", &mut faq.question, MAX_SUMMARY, true);
                    text(&mut errors, "faq", &mut faq.answer, MAX_TEXT, true);
                }
            }
            Content::Notizia(c) => {
                heading(&mut errors, &mut c.title, &mut c.summary);
                text(&mut errors, "body", &mut c.body, MAX_TEXT, true);
            }
            Content::Bando(c) => {
                heading(&mut errors, &mut c.title, &mut c.summary);
                text(&mut errors, "body", &mut c.body, MAX_TEXT, true);
                if c.closes < c.opens {
                    errors.push(ContentError::new("closes", "content-error-dates"));
                }
            }
            Content::Avviso(c) => {
                heading(&mut errors, &mut c.title, &mut c.summary);
                text(&mut errors, "body", &mut c.body, MAX_TEXT, true);
                if c.until < c.date {
                    errors.push(ContentError::new("until", "content-error-dates"));
                }
            }
            Content::Video(c) => {
                heading(&mut errors, &mut c.title, &mut c.summary);
                let url = c.url.trim();
                if !(url.starts_with("https://")
                    && url.len() <= 500
                    && !url
                        .chars()
                        .any(|ch| ch.is_whitespace() || ch.is_control() || ch == '"' || ch == '<'))
                {
                    errors.push(ContentError::new("url", "content-error-url"));
                }
                c.url = url.to_owned();
            }
        }
        if errors.is_empty() { Ok(self) } else { Err(errors) }
    }
}

/// Sorting and removing repeats in a vocabulary list, whatever its type.
trait Dedup {
    fn dedup_sorted(&mut self);
}

impl<T: Ord> Dedup for Vec<T> {
    fn dedup_sorted(&mut self) {
        self.sort();
        self.dedup();
    }
}

/// A content file as editors and the demo write it (TOML; see docs/catalog.md): the page's
/// content plus the settings of the page itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    pub slug: Slug,
    pub content: Content,
    /// How much people use it; the demo gives a figure, a live site counts visits.
    pub popularity: u32,
    pub review_by: Option<jiff::civil::Date>,
}

/// Why a content file was refused.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("not valid TOML for a {kind}: {message}")]
    Syntax { kind: &'static str, message: String },
    #[error("field {field}: {}", describe(code))]
    Invalid { field: &'static str, code: &'static str },
}

/// A content error in words, for the command line (the pages use the Fluent messages).
fn describe(code: &str) -> &'static str {
    match code {
        "content-error-required" => "missing or empty (a slug must be 3-80 of a-z, 0-9, -)",
        "content-error-too-long" => "too long",
        "content-error-control" => "contains control characters",
        "content-error-one-line" => "must be on one line",
        "content-error-dates" => "the end date comes before the start date",
        "content-error-url" => "must be an https:// address",
        "content-error-slug-file" => "the file name must be the slug",
        "content-error-section" => "not a section of the site",
        _ => "not valid",
    }
}

impl ContentFile {
    /// Parses one content file of the given kind.
    pub fn parse(kind: Kind, text: &str) -> Result<ContentFile, FileError> {
        #[derive(Deserialize)]
        struct Settings {
            slug: Slug,
            #[serde(default)]
            popularity: u32,
            #[serde(default)]
            review_by: Option<jiff::civil::Date>,
        }
        let syntax = |err: toml::de::Error| FileError::Syntax {
            kind: kind.code(),
            message: err.message().to_owned(),
        };
        let mut table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let settings = Settings {
            slug: take(&mut table, "slug").ok_or(FileError::Invalid {
                field: "slug",
                code: "content-error-required",
            })?,
            popularity: take(&mut table, "popularity").unwrap_or_default(),
            review_by: take(&mut table, "review_by"),
        };
        let Settings {
            slug,
            popularity,
            review_by,
        } = settings;
        table.insert("kind".to_owned(), toml::Value::String(kind.code().to_owned()));
        let content: Content = toml::Value::Table(table).try_into().map_err(syntax)?;
        let content = content.validated().map_err(|errors| {
            let first = errors
                .first()
                .cloned()
                .unwrap_or(ContentError::new("", "content-error-required"));
            FileError::Invalid {
                field: first.field,
                code: first.code,
            }
        })?;
        Ok(ContentFile {
            slug,
            content,
            popularity: popularity.min(1_000_000),
            review_by,
        })
    }
}

/// Removes a key from a TOML table and converts it; `None` when absent or of the wrong type.
fn take<T: serde::de::DeserializeOwned>(table: &mut toml::Table, key: &str) -> Option<T> {
    table.remove(key).and_then(|value| value.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("naspi").is_some());
        assert!(Slug::parse("bonus-asilo-nido-2027").is_some());
        for bad in [
            "", "ab", "Naspi", "a b", "-naspi", "naspi-", "na--spi", "nàspi", "../x",
        ] {
            assert!(Slug::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            Slug::from_title("Bonus asilo nido: è già 2027!").map(|s| s.0),
            Some("bonus-asilo-nido-e-gia-2027".to_owned())
        );
        assert_eq!(Slug::from_title("!!"), None);
    }

    proptest! {
        #[test]
        fn slugs_from_titles_are_valid(title in "\\PC{0,200}") {
            if let Some(slug) = Slug::from_title(&title) {
                prop_assert!(Slug::parse(slug.as_str()).is_some());
            }
        }

        #[test]
        fn content_files_never_panic(text in "\\PC{0,400}") {
            for kind in Kind::ALL {
                let _ = ContentFile::parse(kind, &text);
            }
        }
    }

    const CARD: &str = r#"
slug = "naspi"
title = "NASpI"
summary = "Un sostegno per chi ha perso il lavoro."
audiences = ["lavoratori", "cittadini", "lavoratori"]
life_events = ["perdita-lavoro"]
channels = ["online"]
popularity = 900
review_by = "2027-03-31"
application = "naspi"
description = "  Cos'è.  "
[[faq]]
question = "Posso lavorare?"
answer = "Sì, entro certi limiti."
"#;

    #[test]
    fn a_card_file_parses() {
        let file = ContentFile::parse(Kind::Servizio, CARD).unwrap();
        assert_eq!(file.slug.as_str(), "naspi");
        assert_eq!(file.popularity, 900);
        let Content::Servizio(card) = &file.content else {
            panic!()
        };
        assert_eq!(card.audiences, vec![Audience::Cittadini, Audience::Lavoratori]);
        assert_eq!(card.description, "Cos'è.");
        assert_eq!(card.faq.len(), 1);
        // Round trip through the stored JSON.
        let json = serde_json::to_string(&file.content).unwrap();
        assert_eq!(serde_json::from_str::<Content>(&json).unwrap(), file.content);
    }

    #[test]
    fn bad_files_say_why() {
        let unknown = CARD.replace("\"perdita-lavoro\"", "\"vacanze\"");
        assert!(matches!(
            ContentFile::parse(Kind::Servizio, &unknown),
            Err(FileError::Syntax { .. })
        ));
        let typo = CARD.replace("summary =", "sumary =");
        assert!(matches!(
            ContentFile::parse(Kind::Servizio, &typo),
            Err(FileError::Syntax { .. })
        ));
        let empty = CARD.replace("\"  Cos'è.  \"", "\"  \"");
        assert!(matches!(
            ContentFile::parse(Kind::Servizio, &empty),
            Err(FileError::Invalid {
                field: "description",
                ..
            })
        ));
        let no_slug = CARD.replace("slug = \"naspi\"", "");
        assert!(matches!(
            ContentFile::parse(Kind::Servizio, &no_slug),
            Err(FileError::Invalid { field: "slug", .. })
        ));
        let call = "slug = \"b-2026\"\ntitle = \"B\"\nsummary = \"S\"\nopens = \"2026-12-01\"\ncloses = \"2026-11-01\"\nbody = \"x\"";
        assert!(matches!(
            ContentFile::parse(Kind::Bando, call),
            Err(FileError::Invalid { field: "closes", .. })
        ));
        let video =
            "slug = \"v-1\"\ntitle = \"V\"\nsummary = \"S\"\nurl = \"javascript:alert(1)\"\nminutes = 3";
        assert!(matches!(
            ContentFile::parse(Kind::Video, video),
            Err(FileError::Invalid { field: "url", .. })
        ));
    }

    #[test]
    fn demo_content_files_are_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog");
        let mut count = 0;
        for kind in Kind::ALL {
            let Ok(entries) = std::fs::read_dir(root.join(kind.section())) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let file =
                    ContentFile::parse(kind, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(
                    Some(file.slug.as_str()),
                    path.file_stem().and_then(|s| s.to_str()),
                    "{}",
                    path.display()
                );
                count += 1;
            }
        }
        assert!(count >= 40, "only {count} demo pages");
    }
}
