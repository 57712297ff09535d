//! Uploaded files judged by their bytes, never by their name.

use super::{AttachmentRule, FieldProblem, FileType};

/// The smallest PDF that is a document (header, one object, cross-reference, trailer) is
/// well over this; a bare `%PDF-1.7` header is not a document.
const MIN_PDF_BYTES: usize = 64;

/// An image larger than this many pixels is refused: decoded, it would take gigabytes
/// (a "decompression bomb" sent as a few kilobytes of PNG).
const MAX_PIXELS: u64 = 60_000_000;

/// Checks uploaded BYTES against a rule: the real type by its magic numbers (a .exe named
/// .pdf is refused, so is a zip or a docx), the size within `max_bytes`, not empty, not cut
/// short. Returns the detected type. The problem's `field` is empty: the caller sets it.
pub fn check_upload(rule: &AttachmentRule, bytes: &[u8]) -> Result<FileType, FieldProblem> {
    if bytes.is_empty() {
        return Err(FieldProblem::new("", "allegato-vuoto"));
    }
    if bytes.len() > rule.max_bytes {
        return Err(
            FieldProblem::new("", "allegato-troppo-grande").arg("massimo", format_size(rule.max_bytes))
        );
    }
    let wrong_type = || {
        let names: Vec<&str> = rule.types.iter().map(|t| t.code()).collect();
        FieldProblem::new("", "allegato-tipo").arg("tipi", names.join(", ").to_uppercase())
    };
    let Some(kind) = sniff(bytes) else {
        return Err(wrong_type());
    };
    if !rule.types.contains(&kind) {
        return Err(wrong_type());
    }
    if !is_complete(kind, bytes) {
        return Err(FieldProblem::new("", "allegato-danneggiato"));
    }
    Ok(kind)
}

fn sniff(bytes: &[u8]) -> Option<FileType> {
    if bytes.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else {
        None
    }
}

/// Does the file end the way its format ends, and is it sane inside?
fn is_complete(kind: FileType, bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    match kind {
        // Every PDF ends with `%%EOF` (writers may add a newline or a few bytes after it).
        FileType::Pdf => bytes.len() >= MIN_PDF_BYTES && contains(tail, b"%%EOF"),
        // End of image marker, possibly followed by padding.
        FileType::Jpeg => bytes.len() >= 128 && contains(tail, &[0xFF, 0xD9]),
        FileType::Png => png_is_sane(bytes) && contains(tail, b"IEND"),
    }
}

/// The first chunk of a PNG is IHDR with the width and height: both set and not absurd.
fn png_is_sane(bytes: &[u8]) -> bool {
    let Some(header) = bytes.get(12..24) else {
        return false;
    };
    if &header[..4] != b"IHDR" {
        return false;
    }
    let width = u64::from(u32::from_be_bytes([header[4], header[5], header[6], header[7]]));
    let height = u64::from(u32::from_be_bytes([header[8], header[9], header[10], header[11]]));
    width > 0 && height > 0 && width * height <= MAX_PIXELS
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// "5 MB", "512 KB".
fn format_size(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64).replace('.', ",")
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub fn pdf() -> Vec<u8> {
        let mut doc = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
        doc.extend_from_slice(b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n");
        doc.extend_from_slice(b"trailer << /Root 1 0 R >>\n%%EOF\n");
        doc
    }

    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let mut image = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        image.extend_from_slice(&width.to_be_bytes());
        image.extend_from_slice(&height.to_be_bytes());
        image.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        image.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
        image
    }

    pub fn jpeg() -> Vec<u8> {
        let mut image = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        image.extend_from_slice(b"JFIF\0");
        image.resize(200, 0x11);
        image.extend_from_slice(&[0xFF, 0xD9]);
        image
    }

    fn rule(types: &[FileType], max_bytes: usize) -> AttachmentRule {
        AttachmentRule {
            types: types.to_vec(),
            max_bytes,
        }
    }

    #[test]
    fn real_files_pass() {
        let all = rule(&[FileType::Pdf, FileType::Jpeg, FileType::Png], 1024 * 1024);
        assert_eq!(check_upload(&all, &pdf()), Ok(FileType::Pdf));
        assert_eq!(check_upload(&all, &png(800, 600)), Ok(FileType::Png));
        assert_eq!(check_upload(&all, &jpeg()), Ok(FileType::Jpeg));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let pdf_only = rule(&[FileType::Pdf], 1024);
        let code = |bytes: &[u8]| check_upload(&pdf_only, bytes).map_err(|p| p.code);
        // A program renamed .pdf: the name is never looked at.
        assert_eq!(
            code(b"MZ\x90\x00\x03\x00\x00\x00 This program cannot be run in DOS mode"),
            Err("allegato-tipo")
        );
        // A zip (a docx is a zip too).
        assert_eq!(
            code(b"PK\x03\x04\x14\x00\x06\x00word/document.xml"),
            Err("allegato-tipo")
        );
        assert_eq!(code(b""), Err("allegato-vuoto"));
        assert_eq!(code(b"%PDF-1.7\n"), Err("allegato-danneggiato"));
        let mut cut = pdf();
        cut.truncate(cut.len() - 8);
        assert_eq!(code(&cut), Err("allegato-danneggiato"));
        // The right type but not allowed for this field.
        assert_eq!(code(&png(10, 10)), Err("allegato-tipo"));
        let mut big = pdf();
        big.resize(2000, b' ');
        let refused = check_upload(&pdf_only, &big);
        assert_eq!(
            refused,
            Err(FieldProblem::new("", "allegato-troppo-grande").arg("massimo", "1 KB"))
        );
        let images = rule(&[FileType::Png], 1024);
        assert_eq!(
            check_upload(&images, &png(100_000, 100_000)).map_err(|p| p.code),
            Err("allegato-danneggiato")
        );
        assert_eq!(
            check_upload(&images, &png(0, 10)).map_err(|p| p.code),
            Err("allegato-danneggiato")
        );
        assert_eq!(
            check_upload(&images, b"\x00\x01").map_err(|p| p.args),
            Err(vec![("tipi", "PNG".to_owned())])
        );
    }

    #[test]
    fn sizes_are_shown_plainly() {
        assert_eq!(format_size(5 * 1024 * 1024), "5 MB");
        assert_eq!(format_size(1536 * 1024), "1,5 MB");
        assert_eq!(format_size(1000), "1 KB");
    }
}
