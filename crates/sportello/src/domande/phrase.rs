//! Form texts on a citizen page. The forms' texts are Italian, with English companions where
//! the file gives them; an English page that has to show an Italian text marks it
//! `<span lang="it">` so screen readers pronounce it as Italian (WCAG 2.1 SC 3.1.2, Language
//! of Parts). A [`Phrase`] is HTML built only from escaped text and those spans: templates
//! print it as it is. An Italian page gets the escaped text and no extra markup.

use std::fmt;

use super::form::{InLang, Text};
use crate::http::error::Message;
use crate::http::i18n::Lang;

/// Text escaped for HTML, with its Italian parts marked when they are in an English page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phrase {
    html: String,
    plain: String,
    /// The whole phrase is one Italian text shown in an English page.
    fallback: bool,
}

fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map_or_else(|never| match never {}, |s| s.to_string())
}

/// Placeholders for Fluent arguments: private-use characters, which neither Fluent nor the
/// HTML escaper touch and no message contains.
fn placeholder(index: usize) -> String {
    format!("\u{E000}{index}\u{E001}")
}

impl Phrase {
    /// Text in the page's language (chrome, a typed answer): escaped, not marked.
    pub fn plain(text: &str) -> Self {
        Self {
            html: escape(text),
            plain: text.to_owned(),
            fallback: false,
        }
    }

    /// A form text in `lang`, marked as Italian when an English page falls back to it.
    pub fn text(text: &Text, lang: Lang) -> Self {
        Self::of(text.get(lang))
    }

    pub fn of(shown: InLang<'_>) -> Self {
        if shown.fallback {
            Self {
                html: format!("<span lang=\"it\">{}</span>", escape(shown.text)),
                plain: shown.text.to_owned(),
                fallback: true,
            }
        } else {
            Self::plain(shown.text)
        }
    }

    /// The words without markup, for `<title>` and attributes (which cannot hold a span).
    pub fn as_str(&self) -> &str {
        &self.plain
    }

    /// Is the whole phrase an Italian text in an English page? An `<option>` cannot hold a
    /// span: the template sets `lang="it"` on the element instead.
    pub fn is_fallback(&self) -> bool {
        self.fallback
    }

    /// The phrase followed by `other`.
    pub fn push(&mut self, other: &Phrase) {
        self.html.push_str(&other.html);
        self.plain.push_str(&other.plain);
        self.fallback = false;
    }

    /// The phrase followed by plain text.
    pub fn push_str(&mut self, text: &str) {
        self.push(&Phrase::plain(text));
    }

    /// The phrases with `separator` (plain text) between them.
    pub fn join(parts: impl IntoIterator<Item = Phrase>, separator: &str) -> Phrase {
        let mut joined: Option<Phrase> = None;
        for part in parts {
            joined = Some(match joined {
                None => part,
                Some(mut so_far) => {
                    so_far.push_str(separator);
                    so_far.push(&part);
                    so_far
                }
            });
        }
        joined.unwrap_or_default()
    }

    /// A message whose arguments are phrases (a question quoted in a note), formatted by
    /// `format` in the page's language: the message's words are escaped, each argument keeps
    /// its markup.
    pub fn message(
        id: &'static str,
        args: Vec<(&'static str, Phrase)>,
        format: impl FnOnce(&Message) -> String,
    ) -> Phrase {
        let mut message = Message::new(id);
        for (index, (name, _)) in args.iter().enumerate() {
            message = message.arg(name, placeholder(index));
        }
        let template = format(&message);
        let mut html = escape(&template);
        let mut plain = template;
        for (index, (_, phrase)) in args.iter().enumerate() {
            let token = placeholder(index);
            html = html.replace(&token, &phrase.html);
            plain = plain.replace(&token, &phrase.plain);
        }
        Phrase {
            html,
            plain,
            fallback: false,
        }
    }
}

impl fmt::Display for Phrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.html)
    }
}

/// Built only from escaped text and `<span lang="it">`: safe as it is.
impl askama::filters::HtmlSafe for Phrase {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::http::i18n::I18n;

    fn both(it: &str, en: Option<&str>) -> Text {
        Text {
            it: it.to_owned(),
            en: en.map(str::to_owned),
        }
    }

    #[test]
    fn italian_pages_get_plain_escaped_text() {
        let text = both("Reddito <lordo> & \"altro\"", Some("Gross income"));
        let shown = Phrase::text(&text, Lang::It);
        assert_eq!(shown.to_string(), "Reddito &#60;lordo&#62; &#38; &#34;altro&#34;");
        assert_eq!(shown.as_str(), "Reddito <lordo> & \"altro\"");
        assert!(!shown.is_fallback());
    }

    #[test]
    fn english_pages_get_english_or_marked_italian() {
        let shown = Phrase::text(&both("Reddito", Some("Income")), Lang::En);
        assert_eq!(shown.to_string(), "Income");
        assert!(!shown.is_fallback());
        let shown = Phrase::text(&both("Reddito & altro", None), Lang::En);
        assert_eq!(shown.to_string(), "<span lang=\"it\">Reddito &#38; altro</span>");
        assert_eq!(shown.as_str(), "Reddito & altro");
        assert!(shown.is_fallback());
    }

    #[test]
    fn joined_phrases_keep_each_mark() {
        let parts = vec![
            Phrase::text(&both("Sì", None), Lang::En),
            Phrase::text(&both("Forse", Some("Maybe")), Lang::En),
        ];
        let joined = Phrase::join(parts, ", ");
        assert_eq!(joined.to_string(), "<span lang=\"it\">Sì</span>, Maybe");
        assert_eq!(joined.as_str(), "Sì, Maybe");
        assert!(!joined.is_fallback());
        assert_eq!(Phrase::join(Vec::new(), ", ").to_string(), "");
    }

    #[test]
    fn messages_escape_their_words_and_keep_the_arguments_markup() {
        let i18n = I18n::load().unwrap();
        let question = Phrase::text(&both("Hai <figli>?", None), Lang::En);
        let note = Phrase::message("domande-solo-se-compilato", vec![("domanda", question)], |m| {
            i18n.message(Lang::En, m)
        });
        assert_eq!(
            note.to_string(),
            "Fill in only if you answered “<span lang=\"it\">Hai &#60;figli&#62;?</span>”."
        );
        assert_eq!(note.as_str(), "Fill in only if you answered “Hai <figli>?”.");
        let question = Phrase::text(&both("Hai figli?", Some("Children?")), Lang::It);
        let note = Phrase::message("domande-solo-se-compilato", vec![("domanda", question)], |m| {
            i18n.message(Lang::It, m)
        });
        assert_eq!(
            note.to_string(),
            "Da compilare solo se hai risposto alla domanda «Hai figli?»."
        );
    }

    proptest! {
        /// Whatever a form's text holds, the page gets no markup from it: only our spans.
        #[test]
        fn no_text_makes_markup(it in ".{0,40}", en in proptest::option::of(".{1,40}"), english in any::<bool>()) {
            let lang = if english { Lang::En } else { Lang::It };
            let text = Text { it: it.clone(), en: en.clone() };
            let shown = Phrase::text(&text, lang);
            let html = shown.to_string();
            let inner = html
                .strip_prefix("<span lang=\"it\">")
                .and_then(|rest| rest.strip_suffix("</span>"))
                .unwrap_or(&html);
            prop_assert!(!inner.contains('<') && !inner.contains('>') && !inner.contains('"'));
            prop_assert_eq!(shown.is_fallback(), english && en.is_none());
            prop_assert_eq!(html.starts_with("<span"), shown.is_fallback());
            let expected = if english { en.unwrap_or(it) } else { it };
            prop_assert_eq!(shown.as_str(), expected.as_str());
        }
    }
}
