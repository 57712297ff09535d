//! A4 letters as PDF: standard fonts (Helvetica, Courier) in WinAnsi encoding, nothing
//! embedded, so the files are small and any printer's PDF path can handle them.
//!
//! Layout for an Italian DL window envelope (window on the right): the recipient's address
//! starts 50 mm from the top and 118 mm from the left, 80 mm wide, so a sheet folded in
//! three shows it through the window; sender top left, then date, reference, subject, text.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use unicode_normalization::UnicodeNormalization;

use super::LetterContent;

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 20.0 * MM;
const TEXT_W: f32 = PAGE_W - 40.0 * MM;
const BOTTOM: f32 = 25.0 * MM;
const ADDRESS_X: f32 = 118.0 * MM;
const ADDRESS_W: f32 = 80.0 * MM;
const ADDRESS_TOP: f32 = 50.0 * MM;
const BODY_SIZE: f32 = 11.0;
const LEADING: f32 = 15.0;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const MONO: Name<'static> = Name(b"F3");

#[derive(Clone, Copy, PartialEq)]
enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Self::Regular => REGULAR,
            Self::Bold => BOLD,
            Self::Mono => MONO,
        }
    }
}

/// One line of text placed on a page.
struct Line {
    font: Font,
    size: f32,
    x: f32,
    /// Baseline, from the bottom of the page.
    y: f32,
    text: String,
}

/// Lays out one letter into pages of lines; `window`: the postal address in the envelope
/// window (printed letters), or none (letters kept in the online mailbox).
fn layout(letter: &LetterContent, window: bool) -> Vec<Vec<Line>> {
    let mut pages: Vec<Vec<Line>> = vec![Vec::new()];
    let push = |pages: &mut Vec<Vec<Line>>, line: Line| {
        if let Some(page) = pages.last_mut() {
            page.push(line);
        }
    };

    // Sender, top left.
    let mut y = PAGE_H - 20.0 * MM;
    for (i, text) in letter.sender.iter().enumerate() {
        let (font, size) = if i == 0 {
            (Font::Bold, 12.0)
        } else {
            (Font::Regular, 9.0)
        };
        push(
            &mut pages,
            Line {
                font,
                size,
                x: LEFT,
                y,
                text: fit(text, font, size, 85.0 * MM),
            },
        );
        y -= if i == 0 { 14.0 } else { 11.0 };
    }

    // Recipient, in the envelope window.
    let mut y = PAGE_H - ADDRESS_TOP - 11.0;
    let address = if window {
        letter.recipient.lines()
    } else {
        Vec::new()
    };
    for text in address {
        let size = size_to_fit(&text, Font::Regular, 11.0, 8.0, ADDRESS_W);
        push(
            &mut pages,
            Line {
                font: Font::Regular,
                size,
                x: ADDRESS_X,
                y,
                text: fit(&text, Font::Regular, size, ADDRESS_W),
            },
        );
        y -= 14.0;
    }

    // Date and reference, under the fold (or under the letterhead when there is no address).
    let mut y = PAGE_H - if window { 105.0 } else { 50.0 } * MM;
    push(
        &mut pages,
        Line {
            font: Font::Regular,
            size: 10.0,
            x: LEFT,
            y,
            text: letter.date.clone(),
        },
    );
    y -= 13.0;
    push(
        &mut pages,
        Line {
            font: Font::Regular,
            size: 10.0,
            x: LEFT,
            y,
            text: format!("Riferimento: {}", letter.reference),
        },
    );
    y -= 24.0;

    let mut flow = Flow { pages, y };
    if letter.confidential {
        flow.paragraph(
            "RISERVATA PERSONALE. Questa lettera contiene un codice personale: non comunicarlo a nessuno, nemmeno a chi dice di chiamare per conto dell'ente.",
            Font::Bold,
            10.0,
            13.0,
        );
        flow.gap(6.0);
    }
    flow.paragraph(
        &format!("Oggetto: {}", letter.subject),
        Font::Bold,
        BODY_SIZE,
        LEADING,
    );
    flow.gap(8.0);
    for paragraph in &letter.paragraphs {
        for part in paragraph.split('\n') {
            flow.paragraph(part, Font::Regular, BODY_SIZE, LEADING);
        }
        flow.gap(7.0);
    }
    if let Some(code) = &letter.code {
        flow.gap(4.0);
        flow.paragraph(&code.label, Font::Regular, BODY_SIZE, LEADING);
        flow.gap(4.0);
        flow.paragraph(&code.value, Font::Mono, 18.0, 24.0);
        flow.gap(8.0);
    }
    flow.pages
}

/// Text flowing down the page and on to new pages.
struct Flow {
    pages: Vec<Vec<Line>>,
    y: f32,
}

impl Flow {
    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    fn paragraph(&mut self, text: &str, font: Font, size: f32, leading: f32) {
        for text in wrap(text, font, size, TEXT_W) {
            if self.y - leading < BOTTOM {
                self.pages.push(Vec::new());
                self.y = PAGE_H - 25.0 * MM;
            }
            self.y -= leading;
            if let Some(page) = self.pages.last_mut() {
                page.push(Line {
                    font,
                    size,
                    x: LEFT,
                    y: self.y,
                    text,
                });
            }
        }
    }
}

/// Renders letters into one PDF, each starting on a new page.
pub fn render(letters: &[LetterContent], title: &str) -> Vec<u8> {
    render_with(letters, title, true)
}

/// Renders one letter for the online mailbox: no envelope, so no postal address.
pub fn render_mailbox(letter: &LetterContent, title: &str) -> Vec<u8> {
    render_with(std::slice::from_ref(letter), title, false)
}

fn render_with(letters: &[LetterContent], title: &str, window: bool) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let catalog = alloc();
    let tree = alloc();
    let fonts = [alloc(), alloc(), alloc()];
    let info = alloc();
    let mut page_ids = Vec::new();
    let mut contents = Vec::new();
    for letter in letters {
        let pages = layout(letter, window);
        let total = pages.len();
        for (number, lines) in pages.into_iter().enumerate() {
            let page_id = alloc();
            let content_id = alloc();
            let mut content = Content::new();
            for line in &lines {
                text(&mut content, line.font, line.size, line.x, line.y, &line.text);
            }
            let footer = format!("Rif. {} - pagina {} di {}", letter.reference, number + 1, total);
            text(&mut content, Font::Regular, 8.0, LEFT, 12.0 * MM, &footer);
            page_ids.push(page_id);
            contents.push((page_id, content_id, content.finish()));
        }
    }
    pdf.catalog(catalog).pages(tree);
    let count = i32::try_from(page_ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
    for (page_id, content_id, content) in contents {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut names = resources.fonts();
        names.pair(REGULAR, fonts[0]);
        names.pair(BOLD, fonts[1]);
        names.pair(MONO, fonts[2]);
        names.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content);
    }
    for (id, base) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Courier"])
    {
        pdf.type1_font(*id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Sportello"));
    pdf.finish()
}

fn text(content: &mut Content, font: Font, size: f32, x: f32, y: f32, text: &str) {
    let bytes = win_ansi(text);
    content.begin_text();
    content.set_font(font.name(), size);
    content.next_line(x, y);
    content.show(Str(&bytes));
    content.end_text();
}

/// Encodes text in WinAnsi (Windows-1252), which the standard fonts use. Italian accented
/// letters, € and typographic quotes are in it; other letters lose their accents
/// (Romanian ș becomes s) and anything else becomes `?`.
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

fn win_ansi_byte(c: char) -> u8 {
    if let Some(byte) = direct_byte(c) {
        return byte;
    }
    match c {
        '\t' | '\n' | '\r' => return b' ',
        'ł' => return b'l',
        'Ł' => return b'L',
        'đ' => return b'd',
        'Đ' => return b'D',
        'ı' => return b'i',
        _ => {}
    }
    c.nfd().next().and_then(direct_byte).unwrap_or(b'?')
}

fn direct_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..0x7f).contains(&code) || (0xa0..=0xff).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from the font's metrics.
/// Where sources differ, the wider value: a line may end a little early, never overflow.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, // space … /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 … ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @ … O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P … _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` … o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p … ~
];

/// Width of one character in 1/1000 em.
fn char_width(c: char, font: Font) -> f32 {
    if font == Font::Mono {
        return 600.0;
    }
    let byte = win_ansi_byte(c);
    let base = match byte {
        0x20..=0x7e => f32::from(HELVETICA[usize::from(byte - 0x20)]),
        // Accented letters are as wide as their base letter (ì is a little wider than i).
        _ => match c.nfd().next().and_then(direct_byte) {
            Some(b @ 0x41..=0x7a) if b != byte => {
                let width = f32::from(HELVETICA[usize::from(b - 0x20)]);
                if b == b'i' { 278.0 } else { width }
            }
            _ => match byte {
                0x97 | 0x85 | 0x89 | 0xc6 | 0x8c => 1000.0,
                0x91 | 0x92 | 0x82 => 222.0,
                0x93 | 0x94 | 0x84 | 0xb4 | 0xa8 | 0xaf | 0xb8 | 0xad => 333.0,
                0xb0 => 400.0,
                0xb7 | 0xa0 => 278.0,
                0xe6 | 0x9c => 944.0,
                _ => 667.0,
            },
        },
    };
    // Helvetica-Bold is up to about a tenth wider.
    if font == Font::Bold { base * 1.1 } else { base }
}

fn width(text: &str, font: Font, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, font)).sum::<f32>() * size / 1000.0
}

/// Breaks a paragraph into lines no wider than `max` (a word longer than a line is cut).
fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if width(&candidate, font, size) <= max {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if width(&piece, font, size) > max {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        current = piece;
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The largest size from `start` down to `min` at which `text` fits in `max`.
fn size_to_fit(text: &str, font: Font, start: f32, min: f32, max: f32) -> f32 {
    let mut size = start;
    while size > min && width(text, font, size) > max {
        size -= 0.5;
    }
    size
}

/// Cuts `text` to fit `max` (addresses are checked for length; this is the last resort).
fn fit(text: &str, font: Font, size: f32, max: f32) -> String {
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out, font, size) > max {
            out.pop();
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn italian_letters_are_win_ansi() {
        assert_eq!(
            win_ansi("àèéìòù ÀÈÉÌÒÙ"),
            b"\xe0\xe8\xe9\xec\xf2\xf9 \xc0\xc8\xc9\xcc\xd2\xd9"
        );
        assert_eq!(win_ansi("€ “così” – l’ho"), b"\x80 \x93cos\xec\x94 \x96 l\x92ho");
        assert_eq!(win_ansi("Ștefănescu Łukasz 李"), b"Stefanescu Lukasz ?");
    }

    #[test]
    fn lines_wrap_within_the_text_width() {
        let text = "Gentile cittadina, gentile cittadino, con questa lettera ricevi la seconda metà del codice personale che ti permette di accedere ai servizi. Conservala con cura.";
        let lines = wrap(text, Font::Regular, BODY_SIZE, TEXT_W);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, Font::Regular, BODY_SIZE) <= TEXT_W));
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(400);
        let cut = wrap(&long, Font::Regular, BODY_SIZE, TEXT_W);
        assert!(cut.len() > 1 && cut.concat() == long);
    }

    #[test]
    fn widths_follow_the_font() {
        assert!((width("m", Font::Regular, 1000.0) - 833.0).abs() < 0.1);
        assert!((width("ì", Font::Regular, 1000.0) - 278.0).abs() < 0.1);
        assert!((width("é", Font::Regular, 1000.0) - 556.0).abs() < 0.1);
        assert!((width("abc", Font::Mono, 10.0) - 18.0).abs() < 0.1);
    }
}
