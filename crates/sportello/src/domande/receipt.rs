//! The receipt (ricevuta) of a filed application, as an A4 PDF: the protocol number, when
//! and by whom it was filed (the citizen, a delegate, an intermediary or a desk operator),
//! every answer as the citizen gave it, and a QR code that opens the public verification
//! page. It is rendered from the stored application on every download, so it always says
//! exactly what was filed.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use qrcode::{Color, EcLevel, QrCode};

use crate::letters::pdf::win_ansi;

const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 20.0 * MM;
const TOP: f32 = PAGE_H - 20.0 * MM;
const BOTTOM: f32 = 22.0 * MM;
const QR_SIZE: f32 = 32.0 * MM;
/// Characters per line of body text (Helvetica 10 pt over 170 mm, with room to spare).
const LINE_CHARS: usize = 92;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// What a receipt says.
#[derive(Debug, Clone)]
pub struct ReceiptData {
    pub institution: String,
    pub form_title: String,
    pub form_version: u32,
    pub protocol: String,
    /// "15/03/2026 alle 09:00:02"
    pub filed_at: String,
    pub citizen_name: String,
    pub citizen_cf: String,
    /// "dal cittadino", "da un delegato: Maria Bianchi"…
    pub filed_by: String,
    pub sede: String,
    /// (step title, [(label, value)])
    pub sections: Vec<(String, Vec<(String, String)>)>,
    /// The verification page, also in the QR code.
    pub verify_url: String,
}

struct Line {
    bold: bool,
    size: f32,
    text: String,
    /// Extra space before the line, in points.
    gap: f32,
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            // Words longer than a line (an IBAN, a URL) are cut.
            let mut word = word.to_owned();
            while word.chars().count() > width {
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

fn lines_of(data: &ReceiptData) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |bold: bool, size: f32, gap: f32, text: String| {
        lines.push(Line {
            bold,
            size,
            text,
            gap,
        });
    };
    push(false, 10.0, 0.0, data.institution.clone());
    push(true, 16.0, 10.0, "Ricevuta di presentazione".to_owned());
    for line in wrap(&data.form_title, 60) {
        push(true, 12.0, 4.0, line);
    }
    push(
        false,
        10.0,
        14.0,
        format!("Numero di protocollo: {}", data.protocol),
    );
    push(false, 10.0, 2.0, format!("Presentata il {}", data.filed_at));
    push(false, 10.0, 2.0, format!("Presentata {}", data.filed_by));
    push(
        false,
        10.0,
        2.0,
        format!("Per: {} ({})", data.citizen_name, data.citizen_cf),
    );
    push(false, 10.0, 2.0, format!("Sede competente: {}", data.sede));
    push(
        false,
        10.0,
        2.0,
        format!("Modulo: versione {}", data.form_version),
    );
    for (title, rows) in &data.sections {
        push(true, 11.0, 12.0, title.clone());
        for (label, value) in rows {
            let text = format!("{label}: {value}");
            for (i, line) in wrap(&text, LINE_CHARS).into_iter().enumerate() {
                push(false, 10.0, if i == 0 { 3.0 } else { 0.0 }, line);
            }
        }
    }
    push(true, 10.0, 14.0, "Come verificare questa ricevuta".to_owned());
    for line in wrap(
        &format!(
            "Inquadra il codice QR o apri l'indirizzo {} : la pagina conferma che la domanda con questo protocollo è stata presentata.",
            data.verify_url
        ),
        LINE_CHARS,
    ) {
        push(false, 9.0, 2.0, line);
    }
    lines
}

/// Renders the receipt.
pub fn render(data: &ReceiptData) -> Vec<u8> {
    let lines = lines_of(data);
    // Lay out pages: the first page leaves room on the right of the header for the QR code.
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let mut y = TOP;
    for line in &lines {
        let step = line.gap + line.size * 1.35;
        if y - step < BOTTOM {
            pages.push(Vec::new());
            y = TOP;
        }
        y -= step;
        if let Some(page) = pages.last_mut() {
            page.push((y, line));
        }
    }
    let qr = QrCode::with_error_correction_level(data.verify_url.as_bytes(), EcLevel::M).ok();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let catalog = alloc();
    let tree = alloc();
    let fonts = [alloc(), alloc()];
    let info = alloc();
    let total = pages.len();
    let mut built = Vec::new();
    for (number, page_lines) in pages.iter().enumerate() {
        let mut content = Content::new();
        for (y, line) in page_lines {
            let font = if line.bold { BOLD } else { REGULAR };
            content.begin_text();
            content.set_font(font, line.size);
            content.next_line(LEFT, *y);
            content.show(Str(&win_ansi(&line.text)));
            content.end_text();
        }
        let footer = format!(
            "Protocollo {} - pagina {} di {}",
            data.protocol,
            number + 1,
            total
        );
        content.begin_text();
        content.set_font(REGULAR, 8.0);
        content.next_line(LEFT, 12.0 * MM);
        content.show(Str(&win_ansi(&footer)));
        content.end_text();
        if number == 0
            && let Some(qr) = &qr
        {
            draw_qr(&mut content, qr);
        }
        built.push((alloc(), alloc(), content.finish()));
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(built.iter().map(|(page, _, _)| *page))
        .count(i32::try_from(built.len()).unwrap_or(i32::MAX));
    for (page_id, content_id, content) in built {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut names = resources.fonts();
        names.pair(REGULAR, fonts[0]);
        names.pair(BOLD, fonts[1]);
        names.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content);
    }
    for (id, base) in fonts.iter().zip([&b"Helvetica"[..], b"Helvetica-Bold"]) {
        pdf.type1_font(*id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let title = format!("Ricevuta {}", data.protocol);
    pdf.document_info(info)
        .title(TextStr(&title))
        .producer(TextStr("Sportello"));
    pdf.finish()
}

/// Draws the QR code at the top right, dark modules as filled squares, with its quiet zone
/// left white.
fn draw_qr(content: &mut Content, qr: &QrCode) {
    let width = qr.width();
    if width == 0 {
        return;
    }
    let module = QR_SIZE / (width as f32 + 8.0);
    let x0 = PAGE_W - 20.0 * MM - QR_SIZE + 4.0 * module;
    let y0 = PAGE_H - 15.0 * MM - 4.0 * module;
    content.set_fill_gray(0.0);
    for (i, color) in qr.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (row, col) = (i / width, i % width);
            content.rect(
                x0 + col as f32 * module,
                y0 - (row as f32 + 1.0) * module,
                module,
                module,
            );
        }
    }
    content.fill_nonzero();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ReceiptData {
        ReceiptData {
            institution: "INPS".into(),
            form_title: "Bonus asilo nido".into(),
            form_version: 2,
            protocol: "INPS.RM-001.2026.00000042".into(),
            filed_at: "15/03/2026 alle 09:00:02".into(),
            citizen_name: "Mario Rossi".into(),
            citizen_cf: "RSSMRA80A01H501U".into(),
            filed_by: "dal cittadino".into(),
            sede: "Sede di Roma Centro".into(),
            sections: vec![(
                "Il bambino".into(),
                (0..80)
                    .map(|i| (format!("Campo {i}"), "un valore lungo ".repeat(12)))
                    .collect(),
            )],
            verify_url:
                "https://servizi.example.it/verifica/INPS.RM-001.2026.00000042?codice=ABCDEFGHJKLMNPQR".into(),
        }
    }

    #[test]
    fn a_long_receipt_runs_over_several_pages_with_its_protocol_on_each() {
        let pdf = render(&sample());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        // 80 long answers fill several pages, each with its footer.
        let pages: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(pages >= 3, "several pages: {pages}");
        assert!(text.contains(&format!("pagina {pages} di {pages}")));
        assert!(text.contains("Numero di protocollo: INPS.RM-001.2026.00000042"));
        assert!(text.contains(" re"), "the QR code's modules are drawn");
    }

    #[test]
    fn long_words_are_cut_to_the_line() {
        let lines = wrap(&"X".repeat(200), 92);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.chars().count() <= 92));
        assert_eq!(wrap("a b", 92), vec!["a b".to_owned()]);
    }
}
