//! The online mailbox (cassetta postale): every letter the institute sends a citizen —
//! decisions, requests for documents, payment notices, PIN letters, replies — kept as a PDF
//! in the file store, with its subject, date, sender office and read state.
//!
//! Other areas file letters through [`deliver`]. Printed letters (`letters::queue_letter`)
//! for an account leave a copy here with any secret code masked: the mailbox never holds a PIN.
//! Who may read a mailbox, and the audit of delegates' reads, is in [`service`].

pub mod api;
pub mod pages;
pub mod service;

use crate::letters::{self, Letter, LetterContent, PostalAddress};
use crate::storage::files::{FileError, FileKey, FileStore};
use crate::storage::{Db, StorageError, now_ms};
use crate::{read_pool, write_pool};

/// What kind of letter a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Decisione,
    RichiestaDocumenti,
    AvvisoPagamento,
    Pin,
    Risposta,
    Comunicazione,
}

impl MessageKind {
    pub const ALL: [MessageKind; 6] = [
        Self::Decisione,
        Self::RichiestaDocumenti,
        Self::AvvisoPagamento,
        Self::Pin,
        Self::Risposta,
        Self::Comunicazione,
    ];

    /// The stored code, also used in URLs (`?tipo=`) and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Decisione => "decisione",
            Self::RichiestaDocumenti => "richiesta-documenti",
            Self::AvvisoPagamento => "avviso-pagamento",
            Self::Pin => "pin",
            Self::Risposta => "risposta",
            Self::Comunicazione => "comunicazione",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The Fluent id of the kind's name.
    pub fn label_id(self) -> &'static str {
        match self {
            Self::Decisione => "cassetta-kind-decisione",
            Self::RichiestaDocumenti => "cassetta-kind-richiesta-documenti",
            Self::AvvisoPagamento => "cassetta-kind-avviso-pagamento",
            Self::Pin => "cassetta-kind-pin",
            Self::Risposta => "cassetta-kind-risposta",
            Self::Comunicazione => "cassetta-kind-comunicazione",
        }
    }
}

/// A letter to file in a citizen's mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The citizen's account.
    pub account_id: String,
    pub kind: MessageKind,
    /// One line, at most 150 characters.
    pub subject: String,
    /// E.g. "Sede di Roma Centro" or "Contact center".
    pub sender_office: String,
    /// The letter's text.
    pub paragraphs: Vec<String>,
    /// E.g. a question's or application's number.
    pub reference: Option<String>,
}

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 150;
const SENDER_MAX: usize = 120;
const REFERENCE_MAX: usize = 80;
const PARAGRAPH_MAX: usize = 5_000;
const PARAGRAPHS_MAX: usize = 200;

/// What filing a message can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CassettaError {
    #[error("invalid message: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Files(#[from] FileError),
}

/// Non-blank, at most `max` characters, no control characters (so no line breaks).
fn one_line(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

impl NewMessage {
    /// Checks what a message needs before anything is written.
    pub fn check(&self) -> Result<(), CassettaError> {
        if !one_line(&self.account_id, 64) {
            return Err(CassettaError::Invalid("the account id is missing"));
        }
        if !one_line(&self.subject, SUBJECT_MAX) {
            return Err(CassettaError::Invalid(
                "the subject must be one line of at most 150 characters",
            ));
        }
        if !one_line(&self.sender_office, SENDER_MAX) {
            return Err(CassettaError::Invalid(
                "the sender office must be one line of at most 120 characters",
            ));
        }
        if let Some(reference) = &self.reference
            && !one_line(reference, REFERENCE_MAX)
        {
            return Err(CassettaError::Invalid(
                "the reference must be one line of at most 80 characters",
            ));
        }
        if self.paragraphs.is_empty() || self.paragraphs.len() > PARAGRAPHS_MAX {
            return Err(CassettaError::Invalid("a letter has 1 to 200 paragraphs"));
        }
        if !self.paragraphs.iter().all(|p| one_line(p, PARAGRAPH_MAX)) {
            return Err(CassettaError::Invalid(
                "paragraphs must be non-empty, at most 5000 characters, without control characters",
            ));
        }
        Ok(())
    }
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub account_id: String,
    pub kind: MessageKind,
    pub subject: String,
    pub sender_office: String,
    pub reference: Option<String>,
    pub file_key: String,
    pub size_bytes: i64,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Message {
    /// Where the next page starts when this is the last row of a page.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }

    /// The file name a download gets: ASCII only, e.g. `lettera-2026-05-03-0196a1b2.pdf`.
    pub fn file_name(&self) -> String {
        let date = jiff::Timestamp::from_millisecond(self.created_at)
            .map(|ts| {
                ts.to_zoned_datetime(
                    jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC),
                )
                .date()
                .to_string()
            })
            .unwrap_or_default();
        let short: String = self.id.chars().filter(char::is_ascii_hexdigit).take(8).collect();
        format!("{}-{date}-{short}.pdf", self.kind.code())
    }
}

/// A plausible message id (a UUID as text): anything else names nothing and never reaches
/// the database.
pub fn plausible_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// A position in the list, newest first: the last message shown. Written `<ms>_<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, id) = text.split_once('_')?;
        let created_at: i64 = ms.parse().ok()?;
        (created_at >= 0 && plausible_id(id)).then(|| Self {
            created_at,
            id: id.to_owned(),
        })
    }

    pub fn encode(&self) -> String {
        format!("{}_{}", self.created_at, self.id)
    }
}

/// Which messages a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words to find in the subject or the reference.
    pub text: Option<String>,
    pub kind: Option<MessageKind>,
    /// `Some(false)`: only unread; `Some(true)`: only read.
    pub read: Option<bool>,
    /// Only messages older than this.
    pub before: Option<Cursor>,
}

/// Longest search text, in characters.
pub const SEARCH_MAX: usize = 100;

/// A filter value that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterError {
    Text,
    Kind,
    State,
    Cursor,
}

impl FilterError {
    /// The query parameter at fault.
    pub fn field(self) -> &'static str {
        match self {
            Self::Text => "q",
            Self::Kind => "tipo",
            Self::State => "stato",
            Self::Cursor => "prima_di",
        }
    }

    /// The Fluent id of the explanation.
    pub fn message_id(self) -> &'static str {
        match self {
            Self::Text => "cassetta-error-q",
            Self::Kind => "cassetta-error-tipo",
            Self::State => "cassetta-error-stato",
            Self::Cursor => "cassetta-error-cursore",
        }
    }
}

/// A parameter with something in it.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

impl Filter {
    /// Parses the query parameters of the list (page and API alike); empty means "any".
    pub fn parse(
        q: Option<&str>,
        tipo: Option<&str>,
        stato: Option<&str>,
        prima_di: Option<&str>,
    ) -> Result<Self, FilterError> {
        // Control characters (a pasted tab, a NUL) match nothing: they become spaces.
        let cleaned = q.map(|q| q.replace(char::is_control, " "));
        let text = match present(cleaned.as_deref()) {
            Some(text) if text.chars().count() > SEARCH_MAX => return Err(FilterError::Text),
            other => other.map(str::to_owned),
        };
        let kind = match present(tipo) {
            Some(code) => Some(MessageKind::parse(code).ok_or(FilterError::Kind)?),
            None => None,
        };
        let read = match present(stato) {
            Some("da-leggere") => Some(false),
            Some("letti") => Some(true),
            Some(_) => return Err(FilterError::State),
            None => None,
        };
        let before = match present(prima_di) {
            Some(text) => Some(Cursor::parse(text).ok_or(FilterError::Cursor)?),
            None => None,
        };
        Ok(Self {
            text,
            kind,
            read,
            before,
        })
    }
}

/// Renders the message as a PDF, stores it, files it in the citizen's mailbox. Returns its id.
pub async fn deliver(db: &Db, files: &FileStore, message: &NewMessage) -> Result<String, CassettaError> {
    let id = uuid::Uuid::now_v7().to_string();
    deliver_as(db, files, &id, message).await?;
    Ok(id)
}

/// [`deliver`] under an id chosen beforehand, idempotently: a job that files a letter may run
/// more than once, and the letter must be filed once. `false`: a message with this id was
/// already filed (nothing written).
pub async fn deliver_as(
    db: &Db,
    files: &FileStore,
    id: &str,
    message: &NewMessage,
) -> Result<bool, CassettaError> {
    message.check()?;
    if exists(db, id).await? {
        return Ok(false);
    }
    let content = LetterContent {
        letter: Letter {
            account_id: Some(message.account_id.clone()),
            sender: vec![message.sender_office.clone()],
            // Nothing is posted: no envelope window, no address.
            recipient: PostalAddress {
                name: String::new(),
                street: String::new(),
                cap: String::new(),
                comune: String::new(),
                provincia: String::new(),
            },
            kind: message.kind.code().to_owned(),
            subject: message.subject.clone(),
            paragraphs: message.paragraphs.clone(),
            reference: message.reference.clone().unwrap_or_else(|| id.to_owned()),
            confidential: false,
            code: None,
        },
        date: letters::italian_date_today(),
    };
    let pdf = letters::pdf::render_mailbox(&content, &message.subject);
    let size_bytes = i64::try_from(pdf.len()).unwrap_or(i64::MAX);
    let key = FileKey::generate("cassetta");
    files.put(&key, pdf).await?;
    let stored = Message {
        id: id.to_owned(),
        account_id: message.account_id.clone(),
        kind: message.kind,
        subject: message.subject.trim().to_owned(),
        sender_office: message.sender_office.trim().to_owned(),
        reference: message.reference.as_deref().map(|r| r.trim().to_owned()),
        file_key: key.as_str().to_owned(),
        size_bytes,
        created_at: now_ms(),
        read_at: None,
    };
    if let Err(err) = insert(db, &stored).await {
        // Nothing half-written: the file goes if the row could not be written.
        let _ = files.delete(&key).await;
        return match err {
            // Another run of the same job filed it meanwhile.
            StorageError::Duplicate(_) => Ok(false),
            other => Err(other.into()),
        };
    }
    Ok(true)
}

/// Whether a message with this id is filed (whoever it belongs to).
async fn exists(db: &Db, id: &str) -> Result<bool, StorageError> {
    let found: i64 = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM mailbox_messages WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)?;
    Ok(found > 0)
}

/// Inserts a message row as given (the PDF must already be in the file store).
pub async fn insert(db: &Db, message: &Message) -> Result<(), StorageError> {
    write_pool!(db, |pool| sqlx::query(
        "INSERT INTO mailbox_messages (id, account_id, kind, subject, sender_office, reference, file_key,
                                       size_bytes, created_at, read_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(&message.id)
    .bind(&message.account_id)
    .bind(message.kind.code())
    .bind(&message.subject)
    .bind(&message.sender_office)
    .bind(message.reference.as_deref())
    .bind(&message.file_key)
    .bind(message.size_bytes)
    .bind(message.created_at)
    .bind(message.read_at)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

const COLUMNS: &str =
    "id, account_id, kind, subject, sender_office, reference, file_key, size_bytes, created_at, read_at";

/// A row as stored; the kind is checked when it becomes a [`Message`].
#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    account_id: String,
    kind: String,
    subject: String,
    sender_office: String,
    reference: Option<String>,
    file_key: String,
    size_bytes: i64,
    created_at: i64,
    read_at: Option<i64>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StorageError;

    fn try_from(row: MessageRow) -> Result<Self, StorageError> {
        let kind = MessageKind::parse(&row.kind).ok_or_else(|| {
            StorageError::Corrupt(format!("mailbox message {} has kind {}", row.id, row.kind))
        })?;
        Ok(Message {
            id: row.id,
            account_id: row.account_id,
            kind,
            subject: row.subject,
            sender_office: row.sender_office,
            reference: row.reference,
            file_key: row.file_key,
            size_bytes: row.size_bytes,
            created_at: row.created_at,
            read_at: row.read_at,
        })
    }
}

/// `%`, `_` and `\` match themselves in a LIKE pattern with `ESCAPE '\'`.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A value bound to a list query.
enum Bind {
    Text(String),
    Int(i64),
}

/// `account_id`'s messages matching `filter`, newest first, at most `limit`.
pub async fn list(
    db: &Db,
    account_id: &str,
    filter: &Filter,
    limit: i64,
) -> Result<Vec<Message>, StorageError> {
    // Only fixed fragments go into the text; every value is bound.
    let mut sql = format!("SELECT {COLUMNS} FROM mailbox_messages WHERE account_id = $1");
    let mut binds = vec![Bind::Text(account_id.to_owned())];
    let next = |binds: &mut Vec<Bind>, value: Bind| {
        binds.push(value);
        binds.len()
    };
    if let Some(text) = &filter.text {
        let n = next(&mut binds, Bind::Text(like_pattern(text)));
        sql.push_str(&format!(
            " AND (LOWER(subject) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(reference, '')) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(kind) = filter.kind {
        let n = next(&mut binds, Bind::Text(kind.code().to_owned()));
        sql.push_str(&format!(" AND kind = ${n}"));
    }
    match filter.read {
        Some(true) => sql.push_str(" AND read_at IS NOT NULL"),
        Some(false) => sql.push_str(" AND read_at IS NULL"),
        None => {}
    }
    if let Some(cursor) = &filter.before {
        let at = next(&mut binds, Bind::Int(cursor.created_at));
        let id = next(&mut binds, Bind::Text(cursor.id.clone()));
        sql.push_str(&format!(
            " AND (created_at < ${at} OR (created_at = ${at} AND id < ${id}))"
        ));
    }
    let n = next(&mut binds, Bind::Int(limit));
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT ${n}"));
    let rows: Vec<MessageRow> = read_pool!(db, |pool| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
        for bind in &binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.as_str()),
                Bind::Int(n) => query.bind(*n),
            };
        }
        query.fetch_all(pool).await
    })?;
    rows.into_iter().map(Message::try_from).collect()
}

/// Message `id` if it is `account_id`'s: someone else's is `None`, like a missing one.
pub async fn find_for_account(db: &Db, account_id: &str, id: &str) -> Result<Option<Message>, StorageError> {
    if !plausible_id(id) {
        return Ok(None);
    }
    let sql = format!("SELECT {COLUMNS} FROM mailbox_messages WHERE id = $1 AND account_id = $2");
    let row: Option<MessageRow> = read_pool!(db, |pool| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .bind(account_id)
        .fetch_optional(pool)
        .await)?;
    row.map(Message::try_from).transpose()
}

/// Marks `account_id`'s message `id` read, if it was not; returns when it was first read.
pub async fn mark_read(db: &Db, account_id: &str, id: &str) -> Result<i64, StorageError> {
    let now = now_ms();
    write_pool!(db, |pool| sqlx::query(
        "UPDATE mailbox_messages SET read_at = $1 WHERE id = $2 AND account_id = $3 AND read_at IS NULL"
    )
    .bind(now)
    .bind(id)
    .bind(account_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(now)
}

/// How many of `account_id`'s messages are unread (a partial index keeps this cheap).
pub async fn unread_count(db: &Db, account_id: &str) -> Result<i64, StorageError> {
    let count: i64 = read_pool!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM mailbox_messages WHERE account_id = $1 AND read_at IS NULL"
    )
    .bind(account_id)
    .fetch_one(pool)
    .await)?;
    Ok(count)
}

/// The message's PDF.
pub async fn pdf(files: &FileStore, message: &Message) -> Result<Vec<u8>, CassettaError> {
    let key = FileKey::parse(&message.file_key)?;
    Ok(files.get(&key).await?)
}

/// What the mailbox shows instead of a secret code.
pub const MASK: &str = "••••••••";

/// The mailbox copy of a printed letter for an account: the same text, with any code (half a
/// PIN) masked. `None` when the letter concerns no account.
pub fn copy_of_letter(letter: &Letter) -> Option<NewMessage> {
    let account_id = letter.account_id.clone()?;
    let kind = MessageKind::parse(&letter.kind).unwrap_or(MessageKind::Comunicazione);
    let subject: String = letter.subject.trim().chars().take(SUBJECT_MAX).collect();
    let mut paragraphs: Vec<String> = letter
        .paragraphs
        .iter()
        .flat_map(|p| p.split('\n'))
        .map(|p| p.trim().replace(|c: char| c.is_control(), " "))
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(code) = &letter.code {
        let label = code.label.trim().trim_end_matches(':');
        paragraphs.push(format!("{label}: {MASK}"));
        paragraphs.push(
            "Per sicurezza la copia nella cassetta postale non riporta il codice: lo trova solo nella \
             lettera di carta spedita per posta."
                .to_owned(),
        );
    }
    if paragraphs.is_empty() {
        paragraphs.push(subject.clone());
    }
    Some(NewMessage {
        account_id,
        kind,
        subject,
        sender_office: letter
            .sender
            .first()
            .map(|s| s.chars().take(SENDER_MAX).collect())
            .unwrap_or_default(),
        paragraphs,
        reference: Some(letter.reference.clone()).filter(|r| !r.trim().is_empty()),
    })
}

/// Files the mailbox copy of a queued letter. The paper letter is already on its way, so a
/// failure here is logged, not returned: the copy is a convenience, the letter is the act.
pub async fn file_copy_of_letter(db: &Db, files: &FileStore, letter: &Letter) {
    let Some(copy) = copy_of_letter(letter) else {
        return;
    };
    if let Err(err) = deliver(db, files, &copy).await {
        tracing::error!(error = %err, kind = %letter.kind, "mailbox copy of a letter not filed");
    }
}

/// [`deliver`], then tells the citizen on the channels they chose (a link to the mailbox,
/// nothing of the letter). The letter is filed even if the alert cannot be queued.
pub async fn deliver_and_alert(
    db: &Db,
    files: &FileStore,
    config: &crate::config::Config,
    message: &NewMessage,
    alert: crate::notify::alerts::Alert,
) -> Result<String, CassettaError> {
    let id = deliver(db, files, message).await?;
    if let Err(err) = crate::notify::alerts::alert(db, config, &message.account_id, alert).await {
        tracing::warn!(error = %err, "the citizen could not be alerted of a new letter");
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sample() -> NewMessage {
        NewMessage {
            account_id: "0196a1b2-0000-7000-8000-000000000001".to_owned(),
            kind: MessageKind::Decisione,
            subject: "Accoglimento della domanda di assegno unico".to_owned(),
            sender_office: "Sede di Roma Centro".to_owned(),
            paragraphs: vec![
                "Gentile cittadino,".to_owned(),
                "la domanda è accolta.".to_owned(),
            ],
            reference: Some("AU-2026-000123".to_owned()),
        }
    }

    #[test]
    fn a_good_message_passes() {
        assert!(sample().check().is_ok());
        let mut no_reference = sample();
        no_reference.reference = None;
        assert!(no_reference.check().is_ok());
    }

    #[test]
    fn subjects_are_one_short_line() {
        let mut m = sample();
        m.subject = "x".repeat(150);
        assert!(m.check().is_ok());
        m.subject = "x".repeat(151);
        assert!(m.check().is_err());
        m.subject = "Riga uno\nriga due".to_owned();
        assert!(m.check().is_err());
        m.subject = "   ".to_owned();
        assert!(m.check().is_err());
    }

    #[test]
    fn paragraphs_must_be_there_and_clean() {
        let mut m = sample();
        m.paragraphs = Vec::new();
        assert!(m.check().is_err());
        m.paragraphs = vec!["ok".to_owned(), " ".to_owned()];
        assert!(m.check().is_err());
        m.paragraphs = vec!["suono\u{7}".to_owned()];
        assert!(m.check().is_err());
        m.paragraphs = vec!["a\u{1b}[31m".to_owned()];
        assert!(m.check().is_err());
        m.paragraphs = vec!["x".repeat(5_001)];
        assert!(m.check().is_err());
        let mut m = sample();
        m.sender_office = "Sede\tRoma".to_owned();
        assert!(m.check().is_err());
        let mut m = sample();
        m.reference = Some(String::new());
        assert!(m.check().is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(MessageKind::parse("Decisione"), None);
        assert_eq!(MessageKind::parse(""), None);
    }

    #[test]
    fn filters_parse_or_say_which_field_is_wrong() {
        let f = Filter::parse(Some(" isee "), Some("pin"), Some("da-leggere"), None).unwrap();
        assert_eq!(f.text.as_deref(), Some("isee"));
        assert_eq!(f.kind, Some(MessageKind::Pin));
        assert_eq!(f.read, Some(false));
        let f = Filter::parse(Some("a\u{0}b\t"), None, None, None).unwrap();
        assert_eq!(f.text.as_deref(), Some("a b"));
        assert_eq!(
            Filter::parse(Some("\u{0}"), None, None, None),
            Ok(Filter::default())
        );
        assert_eq!(
            Filter::parse(Some(""), Some(""), Some(""), Some("")),
            Ok(Filter::default())
        );
        assert_eq!(
            Filter::parse(Some(&"a".repeat(101)), None, None, None),
            Err(FilterError::Text)
        );
        assert_eq!(
            Filter::parse(None, Some("multa"), None, None),
            Err(FilterError::Kind)
        );
        assert_eq!(
            Filter::parse(None, None, Some("tutti?"), None),
            Err(FilterError::State)
        );
        assert_eq!(
            Filter::parse(None, None, None, Some("ieri")),
            Err(FilterError::Cursor)
        );
        let cursor = Cursor {
            created_at: 1_700_000_000_000,
            id: "0196a1b2-0000-7000-8000-000000000001".to_owned(),
        };
        let f = Filter::parse(None, None, None, Some(&cursor.encode())).unwrap();
        assert_eq!(f.before, Some(cursor));
        assert_eq!(
            Filter::parse(None, None, None, Some("-5_0196a1b2-0000-7000-8000-000000000001")),
            Err(FilterError::Cursor)
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("ISEE"), "%isee%");
        assert_eq!(like_pattern("100%_a\\"), "%100\\%\\_a\\\\%");
    }

    #[test]
    fn letter_copies_never_carry_the_code() {
        let letter = Letter {
            account_id: Some("acc".to_owned()),
            sender: vec!["Comune di Prova".to_owned()],
            recipient: PostalAddress {
                name: "Anna Bianchi".to_owned(),
                street: "Via dei Mille 12".to_owned(),
                cap: "00185".to_owned(),
                comune: "Roma".to_owned(),
                provincia: "RM".to_owned(),
            },
            kind: "pin".to_owned(),
            subject: "Seconda parte del PIN".to_owned(),
            paragraphs: vec!["Riga uno\nriga due".to_owned()],
            reference: "PIN-1".to_owned(),
            confidential: true,
            code: Some(letters::LetterCode {
                label: "Seconda metà del PIN:".to_owned(),
                value: "K7Q2 M9XA".to_owned(),
            }),
        };
        let copy = copy_of_letter(&letter).unwrap();
        assert!(copy.check().is_ok(), "{copy:?}");
        assert_eq!(copy.kind, MessageKind::Pin);
        assert!(copy.paragraphs.contains(&format!("Seconda metà del PIN: {MASK}")));
        assert!(!format!("{copy:?}").contains("K7Q2"));
        assert!(!format!("{copy:?}").contains("Via dei Mille"));
        let mut anonymous = letter;
        anonymous.account_id = None;
        assert!(copy_of_letter(&anonymous).is_none());
    }

    #[test]
    fn file_names_are_plain_ascii() {
        let m = Message {
            id: "0196a1b2-0000-7000-8000-000000000001".to_owned(),
            account_id: "a".to_owned(),
            kind: MessageKind::AvvisoPagamento,
            subject: "x".to_owned(),
            sender_office: "y".to_owned(),
            reference: None,
            file_key: "cassetta/x".to_owned(),
            size_bytes: 1,
            created_at: 1_777_777_777_000,
            read_at: None,
        };
        assert_eq!(m.file_name(), "avviso-pagamento-2026-05-03-0196a1b2.pdf");
    }

    proptest! {
        #[test]
        fn checked_subjects_are_single_short_lines(subject in "\\PC{0,200}|.*[\\n\\r\\t].*") {
            let mut m = sample();
            m.subject = subject.clone();
            if m.check().is_ok() {
                prop_assert!(subject.chars().count() <= SUBJECT_MAX);
                prop_assert!(!subject.chars().any(char::is_control));
                prop_assert!(!subject.trim().is_empty());
            }
        }

        #[test]
        fn cursors_round_trip(ms in 0i64..4_000_000_000_000, n in 0u128..u128::MAX) {
            let cursor = Cursor { created_at: ms, id: uuid::Uuid::from_u128(n).to_string() };
            prop_assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
        }
    }
}
