//! Printed letters: each one an A4 PDF in the file store, gathered in print batches that
//! staff close and download as one merged PDF (with a CSV manifest for the post office).
//!
//! There is at most one open batch; every new letter joins it. Closing it (the back office
//! page `/backoffice/lettere`, or `sportello letters export`) fixes its contents.

pub mod pages;
pub mod pdf;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::storage::files::{FileError, FileKey, FileStore};
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// A postal address, as printed in the envelope window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Name and surname (or the organisation's name).
    pub name: String,
    /// Street and number, e.g. `Via Roma 1`.
    pub street: String,
    /// Five-digit postal code.
    pub cap: String,
    pub comune: String,
    /// Two-letter province code, e.g. `RM`.
    pub provincia: String,
}

impl PostalAddress {
    /// The lines as printed.
    pub fn lines(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            self.street.clone(),
            format!("{} {} ({})", self.cap, self.comune, self.provincia),
        ]
    }
}

/// A code printed large in a monospace font (e.g. half a PIN), under its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterCode {
    pub label: String,
    pub value: String,
}

/// A letter to print and post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// The account it concerns, if any.
    pub account_id: Option<String>,
    /// The sender's lines (institution first), printed top left as letterhead and return address.
    pub sender: Vec<String>,
    pub recipient: PostalAddress,
    /// What kind of letter, e.g. `pin`: shown in the manifest.
    pub kind: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// Reference printed on the letter and in the manifest (a protocol or request number).
    pub reference: String,
    /// Holds a secret: the letter says so, above the subject.
    pub confidential: bool,
    pub code: Option<LetterCode>,
}

/// What is rendered: the letter and the date it was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterContent {
    #[serde(flatten)]
    pub letter: Letter,
    /// Printed date, e.g. `3 maggio 2026`.
    pub date: String,
}

impl std::ops::Deref for LetterContent {
    type Target = Letter;

    fn deref(&self) -> &Letter {
        &self.letter
    }
}

/// Why a letter could not be queued, or a batch not closed.
#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("invalid letter: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error("stored letter {0} cannot be read")]
    Corrupt(String),
}

/// A letter in its batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedLetter {
    pub id: String,
    pub batch_id: String,
}

fn one_line(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

impl Letter {
    /// Checks what a printed letter needs; addresses follow Poste Italiane's line lengths.
    pub fn check(&self) -> Result<(), LetterError> {
        let r = &self.recipient;
        if !one_line(&r.name, 60) || !one_line(&r.street, 60) || !one_line(&r.comune, 50) {
            return Err(LetterError::Invalid(
                "name, street and comune must be single lines of at most 60 characters",
            ));
        }
        if r.cap.len() != 5 || !r.cap.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LetterError::Invalid("the CAP must be five digits"));
        }
        if r.provincia.len() != 2 || !r.provincia.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(LetterError::Invalid(
                "the provincia must be two capital letters, e.g. RM",
            ));
        }
        if self.sender.is_empty() || self.sender.len() > 4 || !self.sender.iter().all(|l| one_line(l, 80)) {
            return Err(LetterError::Invalid("the sender must be 1 to 4 single lines"));
        }
        let kind_ok = !self.kind.is_empty()
            && self.kind.len() <= 40
            && self
                .kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !kind_ok {
            return Err(LetterError::Invalid("the kind must be a short lower-case word"));
        }
        if !one_line(&self.subject, 200) || !one_line(&self.reference, 80) {
            return Err(LetterError::Invalid("subject and reference must be single lines"));
        }
        let text_ok = self.paragraphs.len() <= 200
            && self
                .paragraphs
                .iter()
                .all(|p| p.chars().count() <= 5000 && !p.chars().any(|c| c.is_control() && c != '\n'));
        if !text_ok {
            return Err(LetterError::Invalid("too many or too long paragraphs"));
        }
        if let Some(code) = &self.code
            && (!one_line(&code.label, 200) || !one_line(&code.value, 40))
        {
            return Err(LetterError::Invalid(
                "the code and its label must be single lines",
            ));
        }
        Ok(())
    }
}

const MESI: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];

/// Today's date in Italy, written out: `3 maggio 2026`.
pub fn italian_date_today() -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    let date = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let month = MESI
        .get(usize::try_from(date.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("");
    format!("{} {month} {}", date.day(), date.year())
}

/// An instant (ms) as `03/05/2026 14:05`, Italian time, for pages and file names.
pub fn italian_datetime(ms: i64) -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned_datetime(zone).strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => String::new(),
    }
}

/// Renders the letter, stores it and adds it to the open print batch (opening one if none is).
pub async fn queue_letter(db: &Db, files: &FileStore, letter: &Letter) -> Result<QueuedLetter, LetterError> {
    letter.check()?;
    let content = LetterContent {
        letter: letter.clone(),
        date: italian_date_today(),
    };
    let pdf = pdf::render(std::slice::from_ref(&content), &content.subject);
    let json = serde_json::to_vec(&content).map_err(|_| LetterError::Invalid("unserialisable letter"))?;
    let pdf_key = FileKey::generate("lettere");
    let content_key = FileKey::generate("lettere-dati");
    files.put(&pdf_key, pdf).await?;
    files.put(&content_key, json).await?;
    let id = uuid::Uuid::now_v7().to_string();
    match insert_in_open_batch(db, &id, letter, &pdf_key, &content_key).await {
        Ok(batch_id) => {
            // The citizen's online mailbox keeps a copy, any secret code masked.
            crate::cassetta::file_copy_of_letter(db, files, letter).await;
            Ok(QueuedLetter { id, batch_id })
        }
        Err(err) => {
            // Nothing half-written: the files go if the row could not be written.
            let _ = files.delete(&pdf_key).await;
            let _ = files.delete(&content_key).await;
            Err(err.into())
        }
    }
}

/// In one transaction: makes sure a batch is open, counts the letter in it (which locks the
/// batch row, so closing waits for this letter on PostgreSQL) and inserts the letter.
async fn insert_in_open_batch(
    db: &Db,
    id: &str,
    letter: &Letter,
    pdf_key: &FileKey,
    content_key: &FileKey,
) -> Result<String, StorageError> {
    let now = now_ms();
    let r = &letter.recipient;
    let batch: String = write_pool!(db, |pool| async {
        let mut tx = pool.begin().await?;
        let mut batch_id = None;
        // A batch closed between our insert and update makes us try again with a new one.
        for _ in 0..3 {
            sqlx::query(
                "INSERT INTO print_batches (id, state, letter_count, created_at, download_count)
                 VALUES ($1, 'open', 0, $2, 0) ON CONFLICT DO NOTHING",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            batch_id = sqlx::query_scalar::<_, String>(
                "UPDATE print_batches SET letter_count = letter_count + 1 WHERE state = 'open' RETURNING id",
            )
            .fetch_optional(&mut *tx)
            .await?;
            if batch_id.is_some() {
                break;
            }
        }
        let batch_id = batch_id.ok_or(sqlx::Error::RowNotFound)?;
        sqlx::query(
            "INSERT INTO letters (id, batch_id, account_id, kind, reference, recipient_name, recipient_cap,
                                  recipient_comune, recipient_provincia, pdf_key, content_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(&batch_id)
        .bind(letter.account_id.as_deref())
        .bind(&letter.kind)
        .bind(&letter.reference)
        .bind(&r.name)
        .bind(&r.cap)
        .bind(&r.comune)
        .bind(&r.provincia)
        .bind(pdf_key.as_str())
        .bind(content_key.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(batch_id)
    }
    .await)?;
    Ok(batch)
}

/// A print batch, for the back office and the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub open: bool,
    pub letter_count: i64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub pdf_key: Option<String>,
    pub manifest_key: Option<String>,
    pub downloaded_at: Option<i64>,
    /// Display name of the account, or `cli`.
    pub downloaded_by: Option<String>,
    pub download_count: i64,
}

const BATCH_COLUMNS: &str = "b.id, b.state, b.letter_count, b.created_at, b.closed_at, b.closed_by, b.pdf_key, \
     b.manifest_key, b.downloaded_at, COALESCE(a.display_name, b.downloaded_by) AS downloaded_by, b.download_count";

/// A batch row as stored.
#[derive(sqlx::FromRow)]
struct BatchRow {
    id: String,
    state: String,
    letter_count: i32,
    created_at: i64,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    pdf_key: Option<String>,
    manifest_key: Option<String>,
    downloaded_at: Option<i64>,
    downloaded_by: Option<String>,
    download_count: i32,
}

impl From<BatchRow> for Batch {
    fn from(row: BatchRow) -> Self {
        Batch {
            id: row.id,
            open: row.state == "open",
            letter_count: i64::from(row.letter_count),
            created_at: row.created_at,
            closed_at: row.closed_at,
            closed_by: row.closed_by,
            pdf_key: row.pdf_key,
            manifest_key: row.manifest_key,
            downloaded_at: row.downloaded_at,
            downloaded_by: row.downloaded_by,
            download_count: i64::from(row.download_count),
        }
    }
}

/// The most recent batches, newest first.
pub async fn list_batches(db: &Db, limit: i64) -> Result<Vec<Batch>, StorageError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM print_batches b LEFT JOIN accounts a ON a.id = b.downloaded_by
          ORDER BY b.created_at DESC, b.id DESC LIMIT $1"
    );
    let rows: Vec<BatchRow> = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    Ok(rows.into_iter().map(Batch::from).collect())
}

/// One batch.
pub async fn find_batch(db: &Db, id: &str) -> Result<Option<Batch>, StorageError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM print_batches b LEFT JOIN accounts a ON a.id = b.downloaded_by WHERE b.id = $1"
    );
    let row: Option<BatchRow> = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.map(Batch::from))
}

/// A closed batch's printable files.
#[derive(Debug, Clone)]
pub struct BatchFiles {
    pub batch: Batch,
    pub pdf: Vec<u8>,
    pub manifest_csv: Vec<u8>,
}

/// Closes the open batch and builds its merged PDF and manifest. `closed_by` is an account
/// id or `cli`. `Ok(None)`: nothing was waiting to be printed.
pub async fn close_open_batch(
    db: &Db,
    files: &FileStore,
    closed_by: &str,
) -> Result<Option<Batch>, LetterError> {
    let now = now_ms();
    let closed: Option<String> = write_pool!(db, |pool| sqlx::query_scalar(
        "UPDATE print_batches SET state = 'closed', closed_at = $1, closed_by = $2 WHERE state = 'open' RETURNING id"
    )
    .bind(now)
    .bind(closed_by)
    .fetch_optional(pool)
    .await)
    .map_err(StorageError::from)?;
    let Some(id) = closed else {
        return Ok(None);
    };
    build_batch_files(db, files, &id).await?;
    Ok(find_batch(db, &id).await?)
}

/// One line of the manifest.
struct ManifestRow {
    id: String,
    reference: String,
    kind: String,
    name: String,
    cap: String,
    comune: String,
    provincia: String,
    content_key: String,
}

/// Renders a closed batch's merged PDF and CSV manifest into the file store (again, if a
/// previous attempt stopped half-way) and records their keys.
async fn build_batch_files(
    db: &Db,
    files: &FileStore,
    batch_id: &str,
) -> Result<(FileKey, FileKey), LetterError> {
    let rows: Vec<ManifestRow> = read_pool!(db, |pool| sqlx::query(
        "SELECT id, reference, kind, recipient_name, recipient_cap, recipient_comune, recipient_provincia, content_key
           FROM letters WHERE batch_id = $1 ORDER BY created_at, id"
    )
    .bind(batch_id)
    .fetch_all(pool)
    .await
    .and_then(|rows| rows
        .iter()
        .map(|row| Ok(ManifestRow {
            id: row.try_get("id")?,
            reference: row.try_get("reference")?,
            kind: row.try_get("kind")?,
            name: row.try_get("recipient_name")?,
            cap: row.try_get("recipient_cap")?,
            comune: row.try_get("recipient_comune")?,
            provincia: row.try_get("recipient_provincia")?,
            content_key: row.try_get("content_key")?,
        }))
        .collect::<Result<Vec<_>, sqlx::Error>>()))
    .map_err(StorageError::from)?;
    let mut contents = Vec::with_capacity(rows.len());
    for row in &rows {
        let key = FileKey::parse(&row.content_key)?;
        let bytes = files.get(&key).await?;
        let content: LetterContent =
            serde_json::from_slice(&bytes).map_err(|_| LetterError::Corrupt(row.id.clone()))?;
        contents.push(content);
    }
    let pdf = pdf::render(&contents, &format!("Lotto di stampa {batch_id}"));
    let mut csv = String::from("letter_id,reference,kind,recipient,cap,comune,provincia\r\n");
    for row in &rows {
        let fields = [
            &row.id,
            &row.reference,
            &row.kind,
            &row.name,
            &row.cap,
            &row.comune,
            &row.provincia,
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    let pdf_key = FileKey::generate("lotti-stampa");
    let manifest_key = FileKey::generate("lotti-stampa");
    files.put(&pdf_key, pdf).await?;
    files.put(&manifest_key, csv.into_bytes()).await?;
    write_pool!(db, |pool| sqlx::query(
        "UPDATE print_batches SET pdf_key = $1, manifest_key = $2 WHERE id = $3"
    )
    .bind(pdf_key.as_str())
    .bind(manifest_key.as_str())
    .bind(batch_id)
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(StorageError::from)?;
    Ok((pdf_key, manifest_key))
}

/// A CSV field: quoted when needed; a leading `= + - @` is defused so a spreadsheet does
/// not run it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The files of a closed batch, recording who downloaded them. `Ok(None)`: no such closed batch.
pub async fn download_batch(
    db: &Db,
    files: &FileStore,
    batch_id: &str,
    downloaded_by: &str,
) -> Result<Option<BatchFiles>, LetterError> {
    let Some(batch) = find_batch(db, batch_id).await? else {
        return Ok(None);
    };
    if batch.open {
        return Ok(None);
    }
    let (pdf_key, manifest_key) = match (&batch.pdf_key, &batch.manifest_key) {
        (Some(pdf), Some(manifest)) => (FileKey::parse(pdf)?, FileKey::parse(manifest)?),
        _ => build_batch_files(db, files, batch_id).await?,
    };
    let pdf = files.get(&pdf_key).await?;
    let manifest_csv = files.get(&manifest_key).await?;
    write_pool!(db, |pool| sqlx::query(
        "UPDATE print_batches SET downloaded_at = $1, downloaded_by = $2, download_count = download_count + 1
          WHERE id = $3"
    )
    .bind(now_ms())
    .bind(downloaded_by)
    .bind(batch_id)
    .execute(pool)
    .await
    .map(|_| ()))
    .map_err(StorageError::from)?;
    let batch = find_batch(db, batch_id).await?.unwrap_or(batch);
    Ok(Some(BatchFiles {
        batch,
        pdf,
        manifest_csv,
    }))
}

/// The stored PDF of one letter.
pub async fn letter_pdf(db: &Db, files: &FileStore, letter_id: &str) -> Result<Option<Vec<u8>>, LetterError> {
    let key: Option<String> = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT pdf_key FROM letters WHERE id = $1"
    )
    .bind(letter_id)
    .fetch_optional(pool)
    .await)
    .map_err(StorageError::from)?;
    match key {
        Some(key) => Ok(Some(files.get(&FileKey::parse(&key)?).await?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Letter {
        Letter {
            account_id: None,
            sender: vec![
                "INPS Sportello".to_owned(),
                "Via Ciro il Grande 21, 00144 Roma".to_owned(),
            ],
            recipient: PostalAddress {
                name: "Niccolò Bernardini".to_owned(),
                street: "Via dei Mille 12".to_owned(),
                cap: "00185".to_owned(),
                comune: "Roma".to_owned(),
                provincia: "RM".to_owned(),
            },
            kind: "pin".to_owned(),
            subject: "Seconda metà del PIN".to_owned(),
            paragraphs: vec!["Gentile Niccolò, ecco la seconda metà del tuo PIN.".to_owned()],
            reference: "PIN-0001".to_owned(),
            confidential: true,
            code: Some(LetterCode {
                label: "Seconda metà del PIN:".to_owned(),
                value: "K7Q2M9XA".to_owned(),
            }),
        }
    }

    #[test]
    fn letters_are_checked() {
        assert!(sample().check().is_ok());
        let mut bad = sample();
        bad.recipient.cap = "0018".to_owned();
        assert!(bad.check().is_err());
        let mut bad = sample();
        bad.recipient.provincia = "Roma".to_owned();
        assert!(bad.check().is_err());
        let mut bad = sample();
        bad.recipient.name = "Riga\nDue".to_owned();
        assert!(bad.check().is_err());
        let mut bad = sample();
        bad.kind = "PIN!".to_owned();
        assert!(bad.check().is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Roma"), "Roma");
        assert_eq!(csv_field("Rossi, Mario"), "\"Rossi, Mario\"");
        assert_eq!(csv_field("a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn a_letter_renders_as_a_pdf() {
        let content = LetterContent {
            letter: sample(),
            date: "3 maggio 2026".to_owned(),
        };
        let pdf = pdf::render(&[content.clone(), content], "prova");
        assert!(pdf.starts_with(b"%PDF-"));
        let count = pdf
            .windows(9)
            .any(|w| w.starts_with(b"/Count 2") && !w[8].is_ascii_digit());
        assert!(count, "two pages: {}", String::from_utf8_lossy(&pdf));
    }
}
