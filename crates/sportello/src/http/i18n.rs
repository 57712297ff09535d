//! Italian and English through Fluent. Every UI string goes through [`I18n::get`].
//!
//! The `.ftl` files are compiled into the binary; a missing message is logged and shown as
//! its id, so a gap is visible in review rather than a crash in production.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::{LanguageIdentifier, langid};

/// The languages Sportello speaks. Italian is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::It => "it",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::It => Lang::En,
            Lang::En => Lang::It,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "it" => Some(Lang::It),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks a language from an `Accept-Language` header, by the client's weights.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(primary)
                && quality > 0.0
                && best.is_none_or(|(q, _)| quality > q)
            {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::It => langid!("it"),
            Lang::En => langid!("en"),
        }
    }
}

/// The message files, per language. Each area adds its file to both lists.
const SOURCES: [(Lang, &[(&str, &str)]); 2] = [
    (
        Lang::It,
        &[
            ("it/main.ftl", include_str!("../../locales/it/main.ftl")),
            ("it/identity.ftl", include_str!("../../locales/it/identity.ftl")),
            ("it/oidc.ftl", include_str!("../../locales/it/oidc.ftl")),
            ("it/lettere.ftl", include_str!("../../locales/it/lettere.ftl")),
            ("it/catalogo.ftl", include_str!("../../locales/it/catalogo.ftl")),
            ("it/cassetta.ftl", include_str!("../../locales/it/cassetta.ftl")),
            ("it/risponde.ftl", include_str!("../../locales/it/risponde.ftl")),
            ("it/domande.ftl", include_str!("../../locales/it/domande.ftl")),
            ("it/notifiche.ftl", include_str!("../../locales/it/notifiche.ftl")),
            ("it/moduli.ftl", include_str!("../../locales/it/moduli.ftl")),
            (
                "it/codice_fiscale.ftl",
                include_str!("../../locales/it/codice_fiscale.ftl"),
            ),
        ],
    ),
    (
        Lang::En,
        &[
            ("en/main.ftl", include_str!("../../locales/en/main.ftl")),
            ("en/identity.ftl", include_str!("../../locales/en/identity.ftl")),
            ("en/oidc.ftl", include_str!("../../locales/en/oidc.ftl")),
            ("en/lettere.ftl", include_str!("../../locales/en/lettere.ftl")),
            ("en/catalogo.ftl", include_str!("../../locales/en/catalogo.ftl")),
            ("en/cassetta.ftl", include_str!("../../locales/en/cassetta.ftl")),
            ("en/risponde.ftl", include_str!("../../locales/en/risponde.ftl")),
            ("en/domande.ftl", include_str!("../../locales/en/domande.ftl")),
            ("en/notifiche.ftl", include_str!("../../locales/en/notifiche.ftl")),
            ("en/moduli.ftl", include_str!("../../locales/en/moduli.ftl")),
            (
                "en/codice_fiscale.ftl",
                include_str!("../../locales/en/codice_fiscale.ftl"),
            ),
        ],
    ),
];

/// An argument of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageArg {
    Text(String),
    /// A number: Fluent can select plural forms on it.
    Number(i64),
}

/// A message id with its arguments, formatted in the caller's language only when the
/// response is written (a domain error does not know the language of the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: &'static str,
    pub args: Vec<(&'static str, MessageArg)>,
}

impl Message {
    pub fn new(id: &'static str) -> Self {
        Self { id, args: Vec::new() }
    }

    /// Adds a text argument.
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, MessageArg::Text(value.into())));
        self
    }

    /// Adds a number argument (Fluent selects plural forms on it).
    pub fn number(mut self, name: &'static str, value: i64) -> Self {
        self.args.push((name, MessageArg::Number(value)));
        self
    }

    /// The text in `lang`.
    pub fn text(&self, i18n: &I18n, lang: Lang) -> String {
        i18n.message(lang, self)
    }
}

/// Loaded message bundles.
pub struct I18n {
    it: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

/// A message file that does not parse: a build-time mistake, reported at startup.
#[derive(Debug, thiserror::Error)]
#[error("message file {file} is not valid Fluent: {message}")]
pub struct I18nError {
    pub file: &'static str,
    pub message: String,
}

impl I18n {
    /// Parses the embedded message files.
    pub fn load() -> Result<Self, I18nError> {
        let mut bundles = Vec::new();
        for (lang, files) in SOURCES {
            let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
            // No Unicode isolation marks: the text goes into HTML, not into bidi contexts.
            bundle.set_use_isolating(false);
            for (file, text) in files {
                let resource =
                    FluentResource::try_new((*text).to_owned()).map_err(|(_, errors)| I18nError {
                        file,
                        message: format!("{errors:?}"),
                    })?;
                bundle.add_resource(resource).map_err(|errors| I18nError {
                    file,
                    message: format!("{errors:?}"),
                })?;
            }
            bundles.push(bundle);
        }
        let en = bundles.pop();
        let it = bundles.pop();
        match (it, en) {
            (Some(it), Some(en)) => Ok(Self { it, en }),
            _ => Err(I18nError {
                file: "(none)",
                message: "missing bundle".to_owned(),
            }),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::It => &self.it,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang`.
    pub fn get(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, None)
    }

    /// The message `id` in `lang`, with arguments.
    pub fn format(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, lang = lang.code(), "missing message");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, lang = lang.code(), ?errors, "message formatting errors");
        }
        text.into_owned()
    }

    /// A [`Message`] in `lang`.
    pub fn message(&self, lang: Lang, message: &Message) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &message.args {
            match value {
                MessageArg::Text(text) => args.set(*name, text.clone()),
                MessageArg::Number(n) => args.set(*name, *n),
            }
        }
        self.format(lang, message.id, Some(&args))
    }

    /// Whether `id` exists in `lang`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// Every message id defined for `lang`, sorted (used by tests comparing languages).
    pub fn ids(lang: Lang) -> Vec<String> {
        let mut ids = Vec::new();
        for (l, files) in SOURCES {
            if l != lang {
                continue;
            }
            for (_, text) in files {
                for line in text.lines() {
                    let Some((id, _)) = line.split_once('=') else {
                        continue;
                    };
                    let id = id.trim_end();
                    let is_id = !line.starts_with([' ', '\t', '#', '.', '['])
                        && !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if is_id {
                        ids.push(id.to_owned());
                    }
                }
            }
        }
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_follows_weights() {
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,it;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE, it;q=0.5, en;q=0.4"),
            Some(Lang::It)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0"), None);
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn both_languages_define_the_same_messages() {
        let it = I18n::ids(Lang::It);
        let en = I18n::ids(Lang::En);
        let only_it: Vec<_> = it.iter().filter(|id| !en.contains(id)).collect();
        let only_en: Vec<_> = en.iter().filter(|id| !it.contains(id)).collect();
        assert!(
            only_it.is_empty() && only_en.is_empty(),
            "only in it: {only_it:?}; only in en: {only_en:?}"
        );
        assert!(it.len() > 20);
    }

    #[test]
    fn messages_load_and_resolve() {
        let i18n = I18n::load().unwrap();
        for id in I18n::ids(Lang::It) {
            assert!(i18n.has(Lang::It, &id) && i18n.has(Lang::En, &id), "{id}");
        }
        assert_ne!(i18n.get(Lang::It, "lang-name"), i18n.get(Lang::En, "lang-name"));
        assert_eq!(i18n.get(Lang::It, "no-such-message"), "no-such-message");
    }
}
