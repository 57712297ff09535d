//! Printed letters: queued into print batches, exported by the CLI and downloaded from the
//! back office; the PDFs are read back with a real PDF reader (PDFium, through pypdfium2).

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use sportello::config::FilesBackend;
use sportello::identity::accounts::Role;
use sportello::letters::{self, Letter, LetterCode, PostalAddress};
use sportello::storage::files::FileStore;

use crate::helpers::{Backend, TestApp, fresh_database, open};
use crate::on_both_backends;

on_both_backends!(
    letters_are_exported_as_one_pdf_and_a_manifest,
    the_back_office_page_is_for_staff_only,
);

const MM: f64 = 72.0 / 25.4;

fn letter(name: &str, pin_half: &str) -> Letter {
    Letter {
        account_id: None,
        sender: vec![
            "INPS Sportello".to_owned(),
            "Via Ciro il Grande 21 - 00144 Roma".to_owned(),
        ],
        recipient: PostalAddress {
            name: name.to_owned(),
            street: "Via dei Mille 12".to_owned(),
            cap: "00185".to_owned(),
            comune: "Roma".to_owned(),
            provincia: "RM".to_owned(),
        },
        kind: "pin".to_owned(),
        subject: "La seconda metà del tuo PIN".to_owned(),
        paragraphs: vec![
            "Gentile cittadina, gentile cittadino, ecco la seconda metà del PIN che hai chiesto. La prima metà ti è già arrivata per email o SMS: uniscile, prima quella e poi questa.".to_owned(),
            "Perché così? È più sicuro: nessuno, da solo, ha il PIN intero. Città, università, caffè: le lettere accentate si stampano così.".to_owned(),
        ],
        reference: format!("PIN-{pin_half}"),
        confidential: true,
        code: Some(LetterCode {
            label: "Seconda metà del PIN:".to_owned(),
            value: pin_half.to_owned(),
        }),
    }
}

/// What PDFium reads in a PDF: per page, its size and each character with its box.
pub struct ReadPage {
    width: f64,
    height: f64,
    pub text: String,
    chars: Vec<(String, [f64; 4])>,
}

pub fn read_pdf(path: &Path) -> Vec<ReadPage> {
    let python = std::env::var("SPORTELLO_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("SPORTELLO_TEST_PYTHON is not set: run the suite with scripts/test, which installs pypdfium2")
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/lib/pdf_text.py");
    let out = Command::new(python).arg(script).arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "PDFium could not read the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|page| ReadPage {
            width: page["width"].as_f64().unwrap(),
            height: page["height"].as_f64().unwrap(),
            text: page["text"].as_str().unwrap().to_owned(),
            chars: page["chars"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let b = |i: usize| c[i].as_f64().unwrap();
                    (c[0].as_str().unwrap().to_owned(), [b(1), b(2), b(3), b(4)])
                })
                .collect(),
        })
        .collect()
}

impl ReadPage {
    /// The boxes of the characters of `needle`, where it first appears.
    fn boxes_of(&self, needle: &str) -> Option<Vec<[f64; 4]>> {
        let chars: Vec<&str> = self.chars.iter().map(|(c, _)| c.as_str()).collect();
        let wanted: Vec<String> = needle.chars().map(String::from).collect();
        let start = chars
            .windows(wanted.len())
            .position(|w| w.iter().zip(&wanted).all(|(a, b)| *a == b))?;
        Some(
            self.chars[start..start + wanted.len()]
                .iter()
                .map(|(_, b)| *b)
                .collect(),
        )
    }
}

fn no_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Checks one letter's first page as PDFium reads it.
fn check_letter_page(page: &ReadPage, name: &str, pin_half: &str) {
    assert!(
        (page.width - 595.28).abs() < 1.0 && (page.height - 841.89).abs() < 1.0,
        "A4"
    );
    let flat = no_whitespace(&page.text);
    for needle in [
        name,
        "Via dei Mille 12",
        "00185 Roma (RM)",
        pin_half,
        "RISERVATA PERSONALE",
        "seconda metà",
        "Perché",
        "università",
    ] {
        assert!(
            flat.contains(&no_whitespace(needle)),
            "`{needle}` in: {}",
            page.text
        );
    }
    // The address sits where a DL window envelope shows it: right half, 45-95 mm from the top.
    let boxes = page
        .boxes_of(name)
        .unwrap_or_else(|| panic!("{name} found as characters"));
    for [left, bottom, right, top] in boxes {
        assert!(
            left >= 110.0 * MM && right <= 200.0 * MM,
            "address x {left}..{right}"
        );
        assert!(
            top <= page.height - 45.0 * MM && bottom >= page.height - 95.0 * MM,
            "address y {bottom}..{top}"
        );
    }
    // Nothing runs off the sheet or into the printer's margins.
    for (c, [left, bottom, right, top]) in &page.chars {
        if right - left <= 0.0 {
            continue; // generated spaces and line breaks have no box
        }
        assert!(
            *left >= 10.0 * MM
                && *right <= page.width - 10.0 * MM
                && *bottom >= 5.0 * MM
                && *top <= page.height - 10.0 * MM,
            "`{c}` at {left},{bottom}..{right},{top} is outside the printable area"
        );
    }
}

fn export(database_url: &str, files: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["letters", "export", "--out"])
        .arg(out)
        .args(["--database-url", database_url])
        .env_remove("SPORTELLO_CONFIG")
        .env("SPORTELLO_FILES_DIR", files)
        .output()
        .unwrap()
}

async fn letters_are_exported_as_one_pdf_and_a_manifest(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let db = open(&url).await;
    let files_dir = dir.path().join("files");
    let files = FileStore::open(&FilesBackend::Local {
        dir: files_dir.clone(),
    })
    .unwrap();
    let first = letters::queue_letter(&db, &files, &letter("Niccolò Bernardini", "K7Q2M9XA"))
        .await
        .unwrap();
    let second = letters::queue_letter(&db, &files, &letter("Zoë Ștefănescu-Rossi", "P4W8N3TB"))
        .await
        .unwrap();
    assert_eq!(first.batch_id, second.batch_id, "one open batch");

    // Each letter is a PDF of its own too.
    let single = letters::letter_pdf(&db, &files, &first.id)
        .await
        .unwrap()
        .unwrap();
    let single_path = dir.path().join("single.pdf");
    std::fs::write(&single_path, single).unwrap();
    let pages = read_pdf(&single_path);
    assert_eq!(pages.len(), 1);
    check_letter_page(&pages[0], "Niccolò Bernardini", "K7Q2M9XA");

    let out = dir.path().join("stampa");
    let output = export(&url, &files_dir, &out);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Vec<PathBuf> = stdout
        .lines()
        .filter(|l| l.ends_with(".pdf") || l.ends_with(".csv"))
        .map(PathBuf::from)
        .collect();
    assert_eq!(written.len(), 2, "{stdout}");
    let pdf = written.iter().find(|p| p.extension().unwrap() == "pdf").unwrap();
    let csv = written.iter().find(|p| p.extension().unwrap() == "csv").unwrap();
    assert!(pdf.starts_with(&out) && csv.starts_with(&out));

    let pages = read_pdf(pdf);
    assert_eq!(pages.len(), 2, "one page per letter");
    check_letter_page(&pages[0], "Niccolò Bernardini", "K7Q2M9XA");
    // Letters outside WinAnsi lose their accents rather than turning into garbage.
    check_letter_page(&pages[1], "Zoë Stefanescu-Rossi", "P4W8N3TB");

    let manifest = std::fs::read_to_string(csv).unwrap();
    let lines: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        lines[0],
        "letter_id,reference,kind,recipient,cap,comune,provincia"
    );
    assert_eq!(
        lines[1],
        format!("{},PIN-K7Q2M9XA,pin,Niccolò Bernardini,00185,Roma,RM", first.id)
    );
    assert!(lines[2].starts_with(&second.id));
    assert_eq!(lines.len(), 3);

    let batch = letters::find_batch(&db, &first.batch_id).await.unwrap().unwrap();
    assert!(!batch.open);
    assert_eq!(batch.letter_count, 2);
    assert_eq!(batch.closed_by.as_deref(), Some("cli"));
    assert_eq!(batch.downloaded_by.as_deref(), Some("cli"));
    assert_eq!(batch.download_count, 1);

    // Nothing queued: said plainly, exit 0, no files.
    let again = export(&url, &files_dir, &out);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("Nessuna lettera da stampare"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);

    // A new letter opens a new batch.
    let third = letters::queue_letter(&db, &files, &letter("Anna Bianchi", "Z9Y8X7W6"))
        .await
        .unwrap();
    assert_ne!(third.batch_id, first.batch_id);

    // Bad letters are refused before anything is stored.
    let mut bad = letter("Anna Bianchi", "Z9Y8X7W6");
    bad.recipient.cap = "1234".to_owned();
    assert!(matches!(
        letters::queue_letter(&db, &files, &bad).await,
        Err(letters::LetterError::Invalid(_))
    ));
    assert_eq!(
        letters::find_batch(&db, &third.batch_id)
            .await
            .unwrap()
            .unwrap()
            .letter_count,
        1
    );
}

/// The CSRF token in a page's form.
fn csrf_token(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("form has a CSRF field") + marker.len();
    html[start..start + 64].to_owned()
}

async fn the_back_office_page_is_for_staff_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let queued = letters::queue_letter(&app.db, &app.files, &letter("Niccolò Bernardini", "K7Q2M9XA"))
        .await
        .unwrap();
    let citizen = app.login_as("RSSMRA80A01H501U", "Mario Rossi").await;
    let staff = app
        .login_as_role("BNCLRA75B42F205X", "Laura Bianchi", Role::OperatoreSede)
        .await;
    let pdf_path = format!("/backoffice/lettere/{}.pdf", queued.batch_id);

    // Anonymous: asked to log in. Citizens: forbidden.
    assert_eq!(
        app.get("/backoffice/lettere").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get(&pdf_path).await.status(), StatusCode::UNAUTHORIZED);
    let as_citizen = |path: &str| app.client.get(app.url(path)).header("cookie", &citizen).send();
    assert_eq!(
        as_citizen("/backoffice/lettere").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        as_citizen(&pdf_path).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let citizen_close = app
        .client
        .post(app.url("/backoffice/lettere/chiudi"))
        .header("cookie", &citizen)
        .form(&[("_csrf", "x".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(citizen_close.status(), StatusCode::FORBIDDEN);

    // Staff see the open batch; it cannot be downloaded until closed.
    let page = app
        .client
        .get(app.url("/backoffice/lettere"))
        .header("cookie", &staff)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Lettere da stampare") && html.contains("Aperto"),
        "{html}"
    );
    let token = csrf_token(&html);
    let as_staff = |path: String| app.client.get(app.url(&path)).header("cookie", &staff).send();
    assert_eq!(
        as_staff(pdf_path.clone()).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Closing needs the form's token.
    let forged = app
        .client
        .post(app.url("/backoffice/lettere/chiudi"))
        .header("cookie", &staff)
        .form(&[("_csrf", "0".repeat(64))])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        letters::find_batch(&app.db, &queued.batch_id)
            .await
            .unwrap()
            .unwrap()
            .open
    );
    let closed = app
        .client
        .post(app.url("/backoffice/lettere/chiudi"))
        .header("cookie", &staff)
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::SEE_OTHER);
    assert_eq!(closed.headers()["location"], "/backoffice/lettere");
    assert!(
        !letters::find_batch(&app.db, &queued.batch_id)
            .await
            .unwrap()
            .unwrap()
            .open
    );

    // Download: a PDF attachment, never cached, and the download is recorded.
    let download = as_staff(pdf_path.clone()).await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.headers()["cache-control"], "no-store");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let bytes = download.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lotto.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let pages = read_pdf(&path);
    assert_eq!(pages.len(), 1);
    check_letter_page(&pages[0], "Niccolò Bernardini", "K7Q2M9XA");
    let batch = letters::find_batch(&app.db, &queued.batch_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(batch.downloaded_by.as_deref(), Some("Laura Bianchi"));
    assert_eq!(batch.download_count, 1);
    let html = as_staff("/backoffice/lettere".to_owned())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Laura Bianchi") && html.contains(&pdf_path),
        "{html}"
    );

    // Unknown or malformed batches are not found.
    for path in [
        "/backoffice/lettere/0190a0b0-0000-7000-8000-000000000000.pdf".to_owned(),
        "/backoffice/lettere/nonesiste".to_owned(),
        "/backoffice/lettere/..%2F..%2Fetc.pdf".to_owned(),
    ] {
        assert_eq!(
            as_staff(path.clone()).await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    app.stop().await;
}
